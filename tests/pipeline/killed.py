"""Run a child process until it says it stands where a test wants it, and kill it there."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest


def kill_when_marked(args: list[str], cwd: Path, marker: Path, what: str, seconds: float) -> None:
    """Start `args`; SIGKILL the child once it has written `marker`, failing if it ends or takes `seconds` first."""
    child = subprocess.Popen(args, cwd=cwd, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + seconds
        while not marker.exists():
            if child.poll() is not None:
                pytest.fail(f"the child ended before {what}: {child.stderr.read().decode()}")
            assert time.monotonic() < deadline, f"the child never reached {what}"
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
