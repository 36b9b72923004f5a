"""Hold figures against issue 7's targets: a target and its verdict line, and the main run's figures judged.

bench/report_bench.py and bench/dag_figures.py judge their own figures; bench/run.py prints every target together.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.say import GIB, say, seconds


@dataclass(slots=True)
class Target:
    """One target of issue 7: what was measured against what limit, and why it was missed."""

    name: str
    measured: str
    limit: str
    passed: bool
    why: str = ""


def print_target(target: Target) -> None:
    verdict = "PASS" if target.passed else "MISS"
    say(f"  {verdict}  {target.name:<42} {target.measured:>10}  (target {target.limit})")
    if not target.passed:
        say(f"        why: {target.why}")


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def tree_cpu_s(ingest: dict) -> float:
    """Return the CPU seconds an ingest's whole process tree used: the loading process and its descendants."""
    return ingest["cpu_s"] + ingest.get("descendants_cpu_s", 0.0)


def cpu_bound(ingest: dict, cores: int, floor_s: float) -> str:
    """Say the least wall time the ingest's CPU allows on these cores, against the floor: `at least 28 s, 9.7×`."""
    least_s = tree_cpu_s(ingest) / max(cores, 1)
    return (
        f"its process tree used {seconds(tree_cpu_s(ingest))} of CPU, so on {cores} cores it takes at least "
        f"{seconds(least_s)}, {ratio(least_s, floor_s):,.1f}× the floor, with every core busy throughout"
    )


def largest(parts: dict[str, float]) -> str:
    """Name the largest part and its share: `load 61 %`."""
    name, value = max(parts.items(), key=lambda item: item[1])
    return f"{name} {value / sum(parts.values()):.0%}"


def judge(results: dict) -> list[Target]:
    """Hold the main run's figures against issue 7's targets, with a one-line why for each miss."""
    n = results["inbox"]["files"]
    ingest = results["ingest"]
    floor_s = results["floor"]["floor_s"]
    ingest_s = ingest["ingest_s"]
    split = ingest.get("timings") or {}
    naive_total = results["naive"]["estimated_s"]
    targets = []
    split_text = ", ".join(f"{k} {v:,.0f} s" for k, v in split.items())
    targets.append(
        Target(
            "ingest ≤ 6× the floor (compass 2×)",
            f"{ratio(ingest_s, floor_s):,.1f}×",
            "≤ 6×",
            ingest_s <= 6 * floor_s,
            f"the floor only decodes cells ({seconds(floor_s)}); ingest spends {split_text} "
            f"(largest: {largest(split)}; parse runs in {ingest.get('workers', 1)} processes, the rest in one)"
            + (
                f"; {cpu_bound(ingest, results['machine']['cores'], floor_s)}"
                if "descendants_cpu_s" in ingest
                else ""
            )
            if split
            else f"the floor only decodes cells ({seconds(floor_s)}); the split is pending",
        )
    )
    speedup = ratio(naive_total, ingest_s)
    naive = results["naive"]
    per_file = {k: naive[f"{k}_s"] / naive["sample"] * 1000 for k in ("read", "validate", "insert")}
    targets.append(
        Target(
            "≥ 10× faster than naive",
            f"{speedup:,.1f}×",
            "≥ 10×",
            speedup >= 10,
            f"naive costs {', '.join(f'{k} {v:,.0f}' for k, v in per_file.items())} ms/file; ingest "
            f"{ingest_s / n * 1000:,.0f} ms/file"
            + (f", of which load {split['load'] / n * 1000:,.0f} ms" if "load" in split else ""),
        )
    )
    rss = max(ingest["peak_rss_kib"], ingest.get("tree_peak_rss_kib", 0)) * 1024
    targets.append(
        Target(
            "peak RSS ≤ 1 GiB",
            f"{rss / GIB:,.2f} GiB",
            "≤ 1 GiB",
            rss <= GIB,
            "the loader holds one chunk of parsed files (pipeline.intake.cutting.FILES_PER_CHUNK) and GX's frames of it; "
            "a smaller chunk lowers the peak but costs a GX validation per template more",
        )
    )
    nothing_new = results["nothing_new"]["median_s"]
    imports = results["nothing_new"].get("imports_s")
    targets.append(
        Target(
            "nothing-new run ≤ 3 s",
            seconds(nothing_new),
            "≤ 3 s",
            nothing_new <= 3,
            f"importing pipeline.cli and pipeline.intake alone takes {seconds(imports)}"
            if imports
            else "see the figures above",
        )
    )
    for name, dag in results["dags"].items():
        heavy = ", ".join(f"{module} {s:.2f} s" for module, s in dag["top_imports"])
        targets.append(
            Target(
                f"DAG {name} imports ≤ 0.5 s",
                seconds(dag["import_s"]),
                "≤ 0.5 s",
                dag["import_s"] <= 0.5,
                f"its costliest imports: {heavy}",
            )
        )
    report = results["report"]
    if not report.get("available"):
        targets.append(
            Target("indicators + report ≤ 5 s", "not available yet", "≤ 5 s", False, report["why"])
        )
    elif "error" in report:
        targets.append(Target("indicators + report ≤ 5 s", "failed", "≤ 5 s", False, report["error"]))
    else:
        both = report["indicators_s"] + report["report_s"]
        targets.append(
            Target(
                "indicators + report ≤ 5 s",
                seconds(both),
                "≤ 5 s",
                both <= 5,
                f"indicators {seconds(report['indicators_s'])} (every year's marts), report "
                f"{seconds(report['report_s'])} (HTML, Word and Excel for {report.get('projects', '?'):,} projects, "
                f"{report.get('figures', 0):,} figures, each with its source rows)",
            )
        )
    return targets
