"""Where the pipeline keeps its data: one root, `PIPELINE_HOME`, with every path overridable."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.limits import Limits

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

    @classmethod
    def from_env(cls, home: Path | str | None = None) -> Settings:
        """Build settings from `PIPELINE_HOME` (default `./var`), the `PIPELINE_<PATH>` and `PIPELINE_MAX_…` overrides."""
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
        )
