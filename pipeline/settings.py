"""Where the pipeline keeps its data: one root, `PIPELINE_HOME`, with every path overridable."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.limits import Limits, positive_whole_number

TIMEZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Settings:
    home: Path
    inbox: Path
    archive: Path
    receipts: Path
    warehouse: Path
    reports: Path
    data_docs: Path
    limits: Limits = field(default_factory=Limits)
    workers: int = 1  # processes that parse files; loading is always one writer

    @classmethod
    def from_env(cls, home: Path | str | None = None) -> Settings:
        """Build settings from `PIPELINE_HOME` (default `./var`), the `PIPELINE_<PATH>`, `PIPELINE_MAX_…` and `PIPELINE_WORKERS` overrides."""
        root = Path(home or os.environ.get("PIPELINE_HOME") or "var").resolve()

        def path(name: str, default: str) -> Path:
            return Path(os.environ.get(f"PIPELINE_{name.upper()}") or root / default).resolve()

        return cls(
            home=root,
            inbox=path("inbox", "inbox"),
            archive=path("archive", "archive"),
            receipts=path("receipts", "receipts"),
            warehouse=path("warehouse", "warehouse.duckdb"),
            reports=path("reports", "reports"),
            data_docs=path("data_docs", "data_docs"),
            limits=Limits.from_env(),
            workers=_workers(os.environ.get("PIPELINE_WORKERS")),
        )


def _workers(raw: str | None) -> int:
    """Read `PIPELINE_WORKERS`; unset means one parsing process per CPU."""
    if not (raw or "").strip():
        return os.cpu_count() or 1
    return positive_whole_number("PIPELINE_WORKERS", raw.strip())
