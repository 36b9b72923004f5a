"""Print the figures of `nightly_ingest` under Airflow beside the CLI's, and hold them against their targets:
the scheduler run ≤ 1.5× `pipeline ingest`, each task process ≤ 1 GiB."""

from __future__ import annotations

from bench.say import GIB, figure, seconds, section
from bench.targets import Target, print_target
from deploy.processes import loopback_only

RATIO_LIMIT = 1.5  # the scheduler run ÷ `pipeline ingest`
TASK_RSS_LIMIT_KIB = 1024 * 1024  # 1 GiB per task process, its parse workers included


def cli_seconds(ingest: dict) -> float:
    """The CLI figure the DAG is held against: `pipeline ingest` in a fresh process, imports included."""
    return ingest.get("process_s") or ingest["ingest_s"]


def same_as_cli(taken: dict, cli: dict) -> str:
    verdict = (
        "same as the CLI's"
        if taken["digest"] == cli["digest"]
        else "DIFFERS from the CLI's " + str(cli["by_status"])
    )
    counts = ", ".join(f"{k} {v:,}" for k, v in taken["by_status"].items()) or "nothing"
    return f"{counts} — {verdict}"


def with_publication(run_s: float, figures: dict) -> float:
    """Return a DAG run's seconds with the publication its load leaves to annual_indicators, as the CLI's include."""
    return run_s + (figures.get("publish_s") or 0.0)


def print_publication(figures: dict) -> None:
    if figures.get("publish_s") is not None:
        figure(
            "  publication, timed after",
            f"{seconds(figures['publish_s'])} (annual_indicators publishes the load; `pipeline ingest` does "
            "within its time, so the ratio adds it)",
        )


def kib(value: int | None) -> str:
    return "not sampled" if not value else f"{value * 1024 / GIB:,.2f} GiB"


def print_dag_test(figures: dict, cli: dict, ingest: dict) -> None:
    figure(
        "dag.test(): metadata DB migrate", seconds(figures["migrate_s"]) if "migrate_s" in figures else "—"
    )
    if "error" in figures:
        figure("dag.test()", f"failed: {figures['error']}")
        return
    figure("dag.test(): run", f"{seconds(figures['test_s'])} ({figures['state']}; every task in one process)")
    figure(
        "  process, with imports",
        f"{seconds(figures['process_s'])} (Airflow + DAG parse {seconds(figures['import_s'])})",
    )
    for task in figures["tasks"]:
        name = task["task_id"] + (f"[{task['map_index']}]" if task["map_index"] >= 0 else "")
        figure(f"  {name}", f"{seconds(task['duration_s'] or 0)} ({task['state']})")
    figure(
        "  peak RSS of that process",
        f"{kib(figures['peak_rss_kib'])}, with parse workers {kib(figures['tree_peak_rss_kib'])}",
    )
    print_load_split(figures.get("load_split"), ingest)
    print_publication(figures)
    figure("  submissions by status", same_as_cli(figures["taken_in"], cli))


def print_scheduler(figures: dict, cli: dict, ingest: dict) -> None:
    how = f"scheduler, LocalExecutor ×{figures['parallelism']}" + (
        f", {' '.join(f'{k}={v}' for k, v in figures['extra_env'].items())} (workaround)"
        if figures["extra_env"]
        else ""
    )
    figure(how, "")
    if "migrate_s" in figures:
        startup = figures.get("startup_s")
        figure(
            "  start-up (not in the run)",
            f"db migrate {seconds(figures['migrate_s'])}, pool {seconds(figures.get('pool_s', 0))}, "
            f"components ready {seconds(startup) if startup else '—'}, stop {seconds(figures.get('stop_s', 0))}",
        )
    if "listening" in figures:
        verdict = "loopback only" if loopback_only(figures["listening"]) else "NOT loopback only"
        figure("  listening", f"{', '.join(figures['listening']) or 'nothing'} ({verdict})")
    if "error" in figures and "state" not in figures:
        figure("  run", f"NOT MEASURED: {figures['error']}")
        return
    figure(
        "  run, trigger to end",
        f"{seconds(figures['trigger_to_end_s'])} ({figures['state']}; the run started "
        f"{seconds(figures['queued_to_start_s'])} after the trigger; as polled: {seconds(figures['observed_s'])})",
    )
    if figures["state"] == "success":
        tasks = sum_critical_path(figures["tasks"])
        figure(
            "  where the time goes",
            f"tasks on the critical path {seconds(tasks)} (find, longest shard, load), Airflow around them "
            f"{seconds(figures['trigger_to_end_s'] - tasks)} (scheduling, queueing, task start-up)",
        )
    if "failure" in figures:
        figure("  why it failed", figures["failure"])
    for task in figures["tasks"]:
        name = task["task_id"] + (f"[{task['map_index']}]" if task["map_index"] >= 0 else "")
        timing = (
            f"starts at +{task['start_after_s']:,.1f} s, runs {seconds(task['duration_s'])}"
            if task["start_after_s"] is not None and task["duration_s"] is not None
            else "did not run"
        )
        memory = (
            f"; peak RSS {kib(task['hwm_kib'])}, with {task['processes'] - 1} child processes {kib(task['tree_kib'])}"
            if task["hwm_kib"]
            else ""
        )
        figure(f"  {name}", f"{task['state']}: {timing}{memory}")
    if figures.get("other_runs"):
        figure("  other runs (unexpected)", ", ".join(figures["other_runs"]))
    print_load_split(figures.get("load_split"), ingest)
    print_publication(figures)
    figure("  submissions by status", same_as_cli(figures["taken_in"], cli))


def print_load_split(split: dict | None, ingest: dict) -> None:
    """Print load_files's own split (its return value) beside the CLI's for the same stages."""
    if split:
        cli = ingest.get("timings") or {}
        figure(
            "  load_files split",
            " · ".join(f"{k} {seconds(v)}" for k, v in split.items())
            + " (CLI: "
            + " · ".join(f"{k} {seconds(cli[k])}" for k in split if k in cli)
            + ")",
        )


def scheduler_figure(dag: dict) -> dict | None:
    """The scheduler run the ratio is taken from: as configured if it succeeded, else the workaround's."""
    runs = [r for r in dag.get("scheduler", []) if r.get("state") == "success"]
    return runs[0] if runs else None


def print_ratios(dag: dict, ingest: dict) -> None:
    cli = cli_seconds(ingest)
    figure(
        "CLI `pipeline ingest`",
        f"{seconds(cli)} (fresh process, imports included; ingest alone {seconds(ingest['ingest_s'])})",
    )
    test = dag["dag_test"]
    if "test_s" in test:
        total = with_publication(test["test_s"], test)
        figure("dag.test() ÷ CLI", f"{total / cli:,.2f}× ({seconds(total)}, publication included)")
    run = scheduler_figure(dag)
    configured = dag["scheduler"][0]
    if run:
        label = (
            "" if run is configured else " with " + " ".join(f"{k}={v}" for k, v in run["extra_env"].items())
        )
        figure(
            f"scheduler{label} ÷ CLI",
            f"{(total := with_publication(run['trigger_to_end_s'], run)) / cli:,.2f}× ({seconds(total)}, "
            "publication included)",
        )
    if run is not configured:
        figure(
            "scheduler as configured ÷ CLI",
            f"none: the run {configured.get('state', 'was not measured')} (see above)",
        )
    rss = task_rss_max(dag)
    if rss:
        figure("per-task peak RSS, max", f"{kib(rss[0])} ({rss[1]}, with its child processes)")


def task_rss_max(dag: dict) -> tuple[int, str] | None:
    """The largest task process tree over every scheduler run: (KiB, which task)."""
    found = [
        (task["tree_kib"], task["task_id"] + (f"[{task['map_index']}]" if task["map_index"] >= 0 else ""))
        for run in dag.get("scheduler", [])
        for task in run.get("tasks", [])
        if task.get("tree_kib")
    ]
    return max(found) if found else None


def targets(dag: dict, ingest: dict) -> list[Target]:
    """Hold the scheduler run against DAG ≤ 1.5× the CLI and every task process against ≤ 1 GiB."""
    cli = cli_seconds(ingest)
    configured = dag["scheduler"][0]
    run = scheduler_figure(dag)
    name = f"DAG (scheduler, LocalExecutor) ≤ {RATIO_LIMIT}× CLI"
    if run is configured:
        ratio = with_publication(run["trigger_to_end_s"], run) / cli
        slowest = max(run["tasks"], key=lambda t: t["duration_s"] or 0)
        gaps = run["trigger_to_end_s"] - sum_critical_path(run["tasks"])
        why = (
            f"CLI {seconds(cli)}; the run {seconds(run['trigger_to_end_s'])}: tasks on its critical path "
            f"{seconds(run['trigger_to_end_s'] - gaps)}, Airflow between them {seconds(gaps)}; "
            f"slowest task {slowest['task_id']} {seconds(slowest['duration_s'] or 0)}; "
            f"publication after it {seconds(run.get('publish_s') or 0)}"
        )
        found = [Target(name, f"{ratio:,.2f}×", f"≤ {RATIO_LIMIT}×", ratio <= RATIO_LIMIT, why)]
    else:
        why = configured.get("failure") or configured.get("error") or configured.get("state", "")
        if run:
            why += (
                f" (with {' '.join(f'{k}={v}' for k, v in run['extra_env'].items())} it took "
                f"{seconds(run['trigger_to_end_s'])}, {with_publication(run['trigger_to_end_s'], run) / cli:,.2f}× the "
                "CLI with its publication)"
            )
        found = [Target(name, "failed", f"≤ {RATIO_LIMIT}×", False, why)]
    rss = task_rss_max(dag)
    found.append(
        Target(
            "peak RSS of each DAG task process ≤ 1 GiB",
            kib(rss[0]) if rss else "not sampled",
            "≤ 1 GiB",
            bool(rss) and rss[0] <= TASK_RSS_LIMIT_KIB,
            f"largest: {rss[1]} with its parse workers (the loader holds one chunk of parsed files)"
            if rss
            else "no task process was sampled",
        )
    )
    return found


def print_targets(dag: dict, ingest: dict) -> list[Target]:
    """Print this module's targets as bench/run.py prints all of them (for `--only dag`); return them."""
    found = targets(dag, ingest)
    section("Targets: nightly_ingest beside the CLI")
    for target in found:
        print_target(target)
    return found


def sum_critical_path(tasks: list[dict]) -> float:
    """Seconds of task run time on the run's critical path: find, the longest shard, load."""
    longest: dict[str, float] = {}
    for task in tasks:
        longest[task["task_id"]] = max(longest.get(task["task_id"], 0.0), task["duration_s"] or 0.0)
    return sum(longest.values())
