"""The benchmark's account of an ingest's whole process tree, and the least wall time its CPU allows."""

from __future__ import annotations

import subprocess
import sys

from bench.child import ProcessTree
from bench.targets import cpu_bound, tree_cpu_s

# Burn half a second of CPU, then wait, so that the 50 ms sampler sees the child's final figure.
BURN = (
    "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass\ntime.sleep(0.3)\n"
)


def test_counts_the_cpu_of_a_process_below_this_one() -> None:
    with ProcessTree() as tree:
        subprocess.run([sys.executable, "-c", BURN], check=True)
    assert 0.4 <= tree.descendants_cpu_s() < 2.0
    assert tree.peak_kib > 0


def test_counts_nothing_without_descendants() -> None:
    with ProcessTree() as tree:
        sum(range(10_000))
    assert tree.descendants_cpu_s() == 0


def test_the_least_wall_time_is_the_tree_cpu_shared_by_the_cores() -> None:
    ingest = {"cpu_s": 26.0, "descendants_cpu_s": 30.0}
    assert tree_cpu_s(ingest) == 56.0
    said = cpu_bound(ingest, 2, floor_s=4.0)
    assert "56.00 s of CPU" in said
    assert "7.0× the floor" in said
    assert tree_cpu_s({"cpu_s": 3.0}) == 3.0  # a result from before the tree's CPU was kept
