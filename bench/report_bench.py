"""Indicators + report at issue 14's yardstick: year 2021 of `python -m bench.run --n 2000 --seed 777`.

bench/run.py calls `measure` (`--only report`: this step alone). The data root is `bench/out/home-s777-n2000/`, an
ingest of the seed-777 inbox of 2,000 files (412 projects in 2021), kept between runs: it is reused while
`bench/out/home-s777-n2000.json` names the inbox it was ingested from, and ingested afresh (not timed) when not.
`make bench-quick` measures a smaller seed-777 inbox of its own N the same way, and says so.

Each figure is `python -m bench.child report --year Y` in a fresh process: the marts rebuilt, then the HTML, Word
and Excel files written. A first run, with the chart cache emptied, draws every chart (printed as the cold figure);
then RUNS runs with every chart kept, the nightly rebuild's case, give the median held against
the 5 s target and the range (other work on the machine's two cores moves a run by about a quarter). The page
that run wrote is then opened in Chromium (`bench/page_open.py`): shown, no target.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from bench.inboxes import ensure_inbox
from bench.measure import measure_ingest, report_runs
from bench.page_open import page_open
from bench.places import OUT
from bench.say import figure, seconds, section
from bench.targets import Target

YARDSTICK = {"n": 2_000, "seed": 777}
TARGET_S = 5.0
RUNS = 3


def data_root(n: int, seed: int) -> tuple[Path, Path, dict, float | None]:
    """Return the ingested data root of the seed's inbox of N files, its inbox and manifest, and the ingest's time
    if it was ingested now (None when reused)."""
    inbox, manifest = ensure_inbox(n, seed)
    home = OUT / f"home-s{seed}-n{n}"
    marker = OUT / f"home-s{seed}-n{n}.json"
    ingested_from = {"inbox": inbox.name, "fingerprint": manifest["fingerprint"]}
    if (
        (home / "warehouse.duckdb").exists()
        and marker.exists()
        and json.loads(marker.read_text(encoding="utf-8")) == ingested_from
    ):
        return home, inbox, manifest, None
    marker.unlink(missing_ok=True)
    ingest = measure_ingest(home, inbox)
    if ingest["statuses"].get("accepted", 0) != len(manifest["files"]):
        raise SystemExit(
            f"ingesting {inbox} for the report yardstick did not accept every file: {ingest['statuses']}"
        )
    marker.write_text(json.dumps(ingested_from), encoding="utf-8")
    return home, inbox, manifest, ingest["ingest_s"]


def measure(quick: bool, quick_n: int) -> dict:
    """Measure indicators + report on the yardstick's year (quick: the same seed at N = quick_n)."""
    n, seed = (quick_n if quick else YARDSTICK["n"]), YARDSTICK["seed"]
    home, inbox, manifest, ingest_s = data_root(n, seed)
    year = max(manifest["years"])
    first, warm = report_runs(home, inbox, year, warm=RUNS)
    runs = [figures for figures, _ in warm]
    for figures in (first, *runs):
        if "error" in figures or not figures.get("available"):
            return {
                "n": n,
                "seed": seed,
                "year": year,
                "quick": quick,
                "failed": figures.get("error") or figures.get("why"),
            }
    both = [r["indicators_s"] + r["report_s"] for r in runs]
    middle = runs[both.index(statistics.median_low(both))]
    return {
        "n": n,
        "seed": seed,
        "year": year,
        "quick": quick,
        "ingested_s": ingest_s,
        "projects": middle["projects"],
        "figures": middle["figures"],
        "indicators_s": middle["indicators_s"],
        "report_s": middle["report_s"],
        "together_s": middle["indicators_s"] + middle["report_s"],
        "runs_s": both,
        "peak_rss_kib": max(r["peak_rss_kib"] for r in runs),
        "cold": {"report_s": first["report_s"], "charts_drawn": first["charts_drawn"]},
        "page": page_open(Path(middle["report"])),
    }


def describe(figures: dict) -> str:
    size = f"year {figures['year']} of --n {figures['n']:,} --seed {figures['seed']}"
    return size + (
        " (bench-quick: a smaller seed-777 inbox, not the yardstick's 412 projects)"
        if figures["quick"]
        else ""
    )


def print_figures(figures: dict) -> None:
    section(f"Indicators + report at issue 14's yardstick: {describe(figures)}, fresh process each")
    if "failed" in figures:
        figure("indicators + report", f"failed: {figures['failed']}")
        return
    ingested = figures["ingested_s"]
    figure(
        "data root",
        f"bench/out/home-s{figures['seed']}-n{figures['n']} "
        + (f"(ingested now in {seconds(ingested)}, not timed)" if ingested is not None else "(reused)"),
    )
    figure("report size", f"{figures['projects']:,} projects, {figures['figures']:,} figures")
    figure("build_indicators", seconds(figures["indicators_s"]))
    figure("write_report", f"{seconds(figures['report_s'])} (charts kept from the run before)")
    runs = ", ".join(seconds(s) for s in figures["runs_s"])
    figure("together", f"{seconds(figures['together_s'])} (median of {runs}; target ≤ {TARGET_S:.0f} s)")
    figure("peak RSS", f"{figures['peak_rss_kib'] / 1024:,.0f} MiB")
    page = figures["page"]
    figure(
        "page opens in Chromium",
        f"not measured: {page['skipped']}"
        if "skipped" in page
        else f"{seconds(page['load_s'])} to its load event ({page['bytes'] / 1e6:,.1f} MB; median of "
        + ", ".join(seconds(s) for s in page["runs_s"])
        + ")",
    )
    cold = figures["cold"]
    if cold["charts_drawn"]:
        figure(
            "write_report, charts drawn",
            f"{seconds(cold['report_s'])} ({cold['charts_drawn']:,} charts drawn)",
        )


def target(figures: dict) -> Target:
    name = f"indicators + report ≤ 5 s, {figures.get('projects', '?')} projects"
    if "failed" in figures:
        return Target(name, "failed", "≤ 5 s", False, figures["failed"])
    return Target(
        name,
        seconds(figures["together_s"]),
        "≤ 5 s",
        figures["together_s"] <= TARGET_S,
        f"{describe(figures)}: indicators {seconds(figures['indicators_s'])}, report "
        f"{seconds(figures['report_s'])} (HTML, Word and Excel, {figures['figures']:,} figures)",
    )
