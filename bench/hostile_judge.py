"""Run `pipeline ingest` over a planted inbox in a subprocess; judge what became of each file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from bench.hostile_files import Planted
from deploy.processes import status_kib

REPO = Path(__file__).resolve().parent.parent


@dataclass(slots=True)
class Result:
    """What came of the planted files."""

    files: int
    hostile: int
    rejected_with_receipt: int
    accepted: int
    unhandled_exceptions: int
    valid: int
    valid_accepted: int
    peak_rss_kib: int | None = None
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)  # hostile files not rejected with a receipt
    rules: Counter = field(default_factory=Counter)  # (kind, rule of the first error)

    @property
    def ok(self) -> bool:
        return (
            self.rejected_with_receipt == self.hostile
            and self.unhandled_exceptions == 0
            and self.valid_accepted == self.valid
        )


def ingest_in_subprocess(home: Path, inbox: Path) -> tuple[int, int, str]:
    """Run `pipeline --quiet ingest` to its end; return its exit status, peak RSS in KiB and its output."""
    script = Path(sys.executable).with_name("pipeline")
    program = [str(script)] if script.exists() else [sys.executable, "-m", "pipeline.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    # The files were planted just now: no settle window.
    env |= {"PIPELINE_HOME": str(home), "PIPELINE_INBOX": str(inbox), "PIPELINE_SETTLE_SECONDS": "0"}
    env["GX_ANALYTICS_ENABLED"] = "False"
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "ingest.log"
    peak = 0
    with log_path.open("wb") as log:
        process = subprocess.Popen([*program, "--quiet", "ingest"], cwd=REPO, env=env, stdout=log, stderr=log)
        # The child's own high-water mark, read while it runs: its ru_maxrss would start from this
        # process's RSS at the fork.
        while process.poll() is None:
            peak = max(peak, status_kib(process.pid, "VmHWM"))
            time.sleep(0.05)
    return process.returncode, peak, log_path.read_text(encoding="utf-8", errors="replace")


def judge(warehouse: Path, planted: Planted, exit_status: int) -> Result:
    """Count, from the warehouse and the receipts on disk, what became of every planted file."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        stored = {
            path: (status, receipt)
            for path, status, receipt in con.execute(
                "select inbox_path, status, receipt_path from ops.submissions"
            ).fetchall()
        }
        first_rule = dict(
            con.execute(
                "select s.inbox_path, string_agg(distinct v.rule, '+' order by v.rule) from ops.validation_issues v "
                "join ops.submissions s using (submission_id) where v.severity = 'error' group by 1"
            ).fetchall()
        )
    result = Result(
        files=len(planted.valid) + len(planted.hostile),
        hostile=len(planted.hostile),
        rejected_with_receipt=0,
        accepted=sum(status == "accepted" for status, _ in stored.values()),
        unhandled_exceptions=int(exit_status != 0),
        valid=len(planted.valid),
        valid_accepted=sum(stored.get(path, ("", None))[0] == "accepted" for path in planted.valid),
    )
    for path, kind in sorted(planted.hostile.items()):
        status, receipt = stored.get(path, ("never stored", None))
        whole = receipt_says(receipt, "rejected")
        if status == "rejected" and whole:
            result.rejected_with_receipt += 1
            result.rules[(kind, first_rule.get(path))] += 1
        else:
            result.failures.append(
                f"{kind}: {path} is {status}{'' if whole else ', without a whole receipt'}"
            )
    return result


def receipt_says(receipt: str | None, status: str) -> bool:
    """Tell whether a file's receipt (its page's path, as stored) is on disk, whole, and gives this status."""
    if receipt is None or not Path(receipt).is_file():
        return False
    try:
        return json.loads(Path(receipt).with_suffix(".json").read_text(encoding="utf-8"))["status"] == status
    except (OSError, ValueError, KeyError):
        return False
