"""Print the main run's figures as each comes, and its ratios and targets at the end."""

from __future__ import annotations

from pathlib import Path

from bench.places import REPO
from bench.say import GIB, figure, seconds, section
from bench.targets import Target, print_target, ratio, tree_cpu_s


def print_machine(m: dict) -> None:
    section("Machine")
    figure("CPU", f"{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB")
    figure("Python", m["python"])
    figure("code", f"commit {m['commit']}")
    figure(
        "load average at start",
        " / ".join(map(str, m["load_average"])) + " (other work on the machine slows every figure)",
    )
    figure(
        "pace of the hour",
        f"{m['python_pace_s']:.2f} s for a bare Python loop of 30 million additions in a function "
        "(compare runs by it: this machine's hours differ up to fourfold)",
    )


def print_inbox(inbox: Path, manifest: dict) -> None:
    files = manifest["files"]
    section(f"Synthetic inbox (seed {manifest['seed']}): {inbox.relative_to(REPO)}")
    generated = manifest["generated_s"]
    figure(
        "files",
        f"{len(files):,} ({'generated in ' + seconds(generated) + ', not timed' if generated else 'reused'})",
    )
    figure("data rows", f"{manifest['rows']:,} (about {manifest['rows'] / len(files):.0f} per file)")
    figure("templates", ", ".join(f"{k} {v}" for k, v in sorted(manifest["templates"].items())))
    figure("formats", ", ".join(f"{k} {v}" for k, v in sorted(manifest["formats"].items())))
    figure("offices and years", f"{manifest['units']} units, {', '.join(map(str, manifest['years']))}")


def print_floor(floor: dict, n: int) -> None:
    section("Baseline (a), the floor: a bare python-calamine read of every sheet (CSV: the csv module)")
    figure(
        "read every cell of every file",
        f"{seconds(floor['floor_s'])} for {n:,} files ({floor['cells']:,} cells)",
    )


def print_validation(validation: dict) -> None:
    section(f"Validation of {validation['sheets']:,} sheets in one run (pipeline.validate.validate)")
    figure("parse first (parse_file)", f"{seconds(validation['parse_s'])} for {validation['files']:,} files")
    figure("GX import + setup (once)", seconds(validation["setup_s"]))
    figure("validate, one run", seconds(validation["validate_s"]))
    figure("time per sheet", f"{validation['validate_s'] / validation['sheets'] * 1000:,.2f} ms")
    with_setup = (validation["validate_s"] + validation["setup_s"]) / validation["sheets"] * 1000
    figure("time per sheet, with GX setup", f"{with_setup:,.2f} ms")
    figure("GX validations made", f"{validation['gx_validations']}")
    figure("problems found", ", ".join(f"{k} ×{v}" for k, v in validation["problems"].items()) or "none")


def print_naive(naive: dict, n: int) -> None:
    section("Baseline (b), naive: pandas + openpyxl per file, GX per file, row-by-row INSERTs")
    sample = naive["sample"]
    measured = naive["read_s"] + naive["validate_s"] + naive["insert_s"]
    figure("measured", f"{seconds(measured)} for a sample of {sample} files")
    figure(
        "per file",
        f"read {naive['read_s'] / sample * 1000:,.0f} ms, GX {naive['validate_s'] / sample * 1000:,.0f} ms, "
        f"inserts {naive['insert_s'] / sample * 1000:,.0f} ms ({naive['rows'] / sample:,.0f} rows)",
    )
    extrapolated = (
        "measured on every file" if sample >= n else f"EXTRAPOLATED per file from {sample} to {n:,}"
    )
    figure(f"all {n:,} files", f"{seconds(naive['estimated_s'])} ({extrapolated}, plus GX setup once)")
    figure("left out", "layout parsing (it reuses the pipeline's parse, untimed): a lower bound")


def print_ingest(ingest: dict, inbox: dict) -> None:
    n = inbox["files"]
    section(f"Ingest of {n:,} files into an empty warehouse (pipeline.intake.ingest, fresh process)")
    accepted = ingest["statuses"].get("accepted", 0)
    figure("acceptance", f"{accepted:,} of {ingest['files']:,} files accepted ({accepted / n:.1%})")
    figure("problems found", ", ".join(f"{k} ×{v}" for k, v in ingest["problems"].items()) or "none")
    for path, status, reason in ingest["not_accepted"]:
        figure(f"  {status}", f"{path}: {reason}")
    figure("rows loaded", f"{ingest['rows']:,} (generated: {inbox['rows']:,})")
    figure("ingest wall time", f"{seconds(ingest['ingest_s'])} (CPU {seconds(ingest['cpu_s'])})")
    if "descendants_cpu_s" in ingest:
        figure(
            "CPU, whole process tree",
            f"{seconds(tree_cpu_s(ingest))} (loading process {seconds(ingest['cpu_s'])}, parse workers and "
            f"receipt writer {seconds(ingest['descendants_cpu_s'])}, sampled every 50 ms)",
        )
    figure(
        "throughput",
        f"{n / ingest['ingest_s']:,.1f} files/s, {ingest['rows'] / ingest['ingest_s']:,.0f} rows/s",
    )
    split = ingest.get("timings")
    if split:
        figure("split", " · ".join(f"{k} {seconds(v)}" for k, v in split.items()))
    else:
        figure("split", "pending (IngestReport.timings is not there yet)")
    figure("process, with imports", seconds(ingest["process_s"]))
    figure("parse worker processes", str(ingest.get("workers", 1)))
    figure("peak RSS, loading process", f"{ingest['peak_rss_kib'] * 1024 / GIB:,.2f} GiB (VmHWM)")
    if "tree_peak_rss_kib" in ingest:
        figure(
            "peak RSS, with parse workers",
            f"{ingest['tree_peak_rss_kib'] * 1024 / GIB:,.2f} GiB (sum over the process tree, sampled every 50 ms)",
        )


def print_nothing_new(nothing_new: dict) -> None:
    section("Nightly run when nothing is new (`pipeline ingest` again over the same inbox, fresh process)")
    runs = ", ".join(map(seconds, nothing_new["runs_s"]))
    figure("wall time", f"{seconds(nothing_new['median_s'])} (median of {runs})")
    if "imports_s" in nothing_new:
        figure("of which imports", f"{seconds(nothing_new['imports_s'])} (pipeline.cli + pipeline.intake)")


def print_report(report: dict) -> None:
    section("Indicators and report for a year (fresh process)")
    if not report.get("available"):
        figure("indicators + report", f"not available yet ({report['why']})")
    elif "error" in report:
        figure("indicators + report", f"failed: {report['error']}")
    else:
        figure("year", str(report["year"]))
        figure("build_indicators", seconds(report["indicators_s"]))
        figure("write_report", f"{seconds(report['report_s'])} (charts kept from the run before)")
        figure("together", seconds(report["indicators_s"] + report["report_s"]))
        cold = report.get("cold", {})
        if "report_s" in cold:
            drawn = f"{cold.get('charts_drawn', 0):,} charts drawn, peak RSS {cold.get('peak_rss_kib', 0) / 1024:,.0f} MiB"
            figure("write_report, no chart kept", f"{seconds(cold['report_s'])} ({drawn})")
        if "projects" in report:
            figure("report size", f"{report['projects']:,} projects, {report['figures']:,} figures")


def print_dags(dags: dict) -> None:
    section("DAG files: import time, fresh process each, airflow.sdk preloaded as in the DAG processor")
    for name, dag in dags.items():
        heavy = ", ".join(f"{module} {s:.2f} s" for module, s in dag["top_imports"])
        figure(
            name,
            f"{seconds(dag['import_s'])} (airflow.sdk itself: {seconds(dag['preload_s'])}; top: {heavy})",
        )


def print_targets(results: dict, targets: list[Target]) -> None:
    ingest_s = results["ingest"]["ingest_s"]
    section("Ratios and targets (issue 7)")
    figure("ingest / floor", f"{ratio(ingest_s, results['floor']['floor_s']):,.1f}×")
    figure("naive / ingest", f"{ratio(results['naive']['estimated_s'], ingest_s):,.1f}×")
    for target in targets:
        print_target(target)
