"""pipeline.pools: pools of processes beside the loader, which never outlive it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.pipeline.test_forked import _running

REPO = Path(__file__).resolve().parents[2]

# Makes a pool, has its process say its pid, and is killed as the OOM killer or kill -9 kills a loader.
KILLED_OWNER = """
import os, signal, sys
from pipeline.pools import process_pool
pool = process_pool(1)
print(pool.submit(os.getpid).result(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_pools_process_ends_once_the_process_that_made_the_pool_is_killed(tmp_path):
    # Waiting for work that never comes, it held its memory and a parse worker's spool (deleted, its disk space
    # kept) for ever, one more every night whose loader was killed.
    said = tmp_path / "said"
    with said.open("w") as out:  # not a pipe: the pool's process holds what it inherited open while it lives
        killed = subprocess.run(
            [sys.executable, "-c", KILLED_OWNER], cwd=REPO, stdout=out, timeout=60, check=False
        )
    worker = int(said.read_text().split()[0])

    deadline = time.monotonic() + 10
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.05)

    assert killed.returncode == -9 and not _running(worker)
