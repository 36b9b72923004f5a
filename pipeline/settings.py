"""Where the pipeline keeps its data: one root, `PIPELINE_HOME`, with every path overridable."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.limits import Limits, positive_whole_number

TIMEZONE = ZoneInfo("Asia/Shanghai")
DATA_DOCS_KEEP_DAYS = 90


@dataclass(frozen=True)
class Settings:
    home: Path
    inbox: Path
    archive: Path
    receipts: Path
    warehouse: Path
    reports: Path
    data_docs: Path
    export: Path | None = None  # the marts as Parquet at each publish (pipeline/export.py)
    limits: Limits = field(default_factory=Limits)
    workers: int = 1  # processes that parse files; loading is always one writer
    # A file modified less than this long ago may still be being copied in: it waits for the next run.
    settle_seconds: float = 120.0
    # How long an Airflow task that writes waits for another writer's run lock before failing (and retrying).
    lock_wait_seconds: float = 1800.0
    # The nightly DAG parses new files in shards of this many files, at most this many shards (one task each).
    shard_files: int = 500
    shards_max: int = 16
    # Data Docs list every validation run of this many days back; older runs' pages are removed.
    data_docs_keep_days: int = DATA_DOCS_KEEP_DAYS

    @classmethod
    def from_env(cls, home: Path | str | None = None) -> Settings:
        """Build settings from `PIPELINE_HOME` (default `./var`) and the `PIPELINE_<PATH>`, `PIPELINE_MAX_…`,
        `PIPELINE_WORKERS`, `PIPELINE_SETTLE_SECONDS` and `PIPELINE_LOCK_WAIT_SECONDS` overrides."""
        root = Path(home or os.environ.get("PIPELINE_HOME") or "var").resolve()

        def path(name: str, default: str) -> Path:
            # Absolute, but links are not followed: warehouse.duckdb is a symlink to the current version.
            return Path(os.path.abspath(os.environ.get(f"PIPELINE_{name.upper()}") or root / default))

        return cls(
            home=root,
            inbox=path("inbox", "inbox"),
            archive=path("archive", "archive"),
            receipts=path("receipts", "receipts"),
            warehouse=path("warehouse", "warehouse.duckdb"),
            reports=path("reports", "reports"),
            data_docs=path("data_docs", "data_docs"),
            export=path("export", "export"),
            limits=Limits.from_env(),
            workers=_workers(os.environ.get("PIPELINE_WORKERS")),
            settle_seconds=_seconds("PIPELINE_SETTLE_SECONDS", 120.0),
            lock_wait_seconds=_seconds("PIPELINE_LOCK_WAIT_SECONDS", 1800.0),
            shard_files=_whole("PIPELINE_SHARD_FILES", 500),
            shards_max=_whole("PIPELINE_SHARDS_MAX", 16),
            data_docs_keep_days=_whole("PIPELINE_DATA_DOCS_KEEP_DAYS", DATA_DOCS_KEEP_DAYS),
        )

    @property
    def lock_file(self) -> Path:
        """Return the run lock every command that writes the warehouse holds."""
        return self.home / "run.lock"


def _workers(raw: str | None) -> int:
    """Read `PIPELINE_WORKERS`; unset means one parsing process per CPU."""
    if not (raw or "").strip():
        return os.cpu_count() or 1
    return positive_whole_number("PIPELINE_WORKERS", raw.strip())


def _seconds(variable: str, default: float) -> float:
    """Read a duration setting in seconds: a number of zero or more; unset means the default."""
    raw = (os.environ.get(variable) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{variable} must be a number of seconds, zero or more, not {raw!r}")
    return value


def _whole(variable: str, default: int) -> int:
    """Read a positive whole-number setting; unset means the default."""
    raw = (os.environ.get(variable) or "").strip()
    return positive_whole_number(variable, raw) if raw else default
