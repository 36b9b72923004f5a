"""Time how long the report's page takes to open in Debian's Chromium: what a reader of the report waits for."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

RUNS = 2


def page_open(page: Path, runs: int = RUNS) -> dict:
    """Open `page` in a fresh headless Chromium `runs` times (network off, as the tests look at pages); return
    the time to its load event, the median and each run, or why it was not measured."""
    from tests.chromium import CHROMIUM, browse

    if not CHROMIUM.exists():
        return {"skipped": f"{CHROMIUM} is not installed (`apt-get install chromium`; .ci/run installs it)"}
    times = []
    for _ in range(runs):
        with browse() as seen:
            seen.page.set_default_timeout(600_000)  # a page of thousands of projects is still a figure
            started = time.perf_counter()
            seen.page.goto(page.as_uri(), wait_until="load")
            times.append(time.perf_counter() - started)
    return {"bytes": page.stat().st_size, "load_s": statistics.median(times), "runs_s": times}
