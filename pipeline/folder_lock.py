"""Hold a folder for one process (or thread) at a time: an `flock` on the folder itself."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def holding(folder: Path) -> Iterator[None]:
    """Hold `folder` (made if missing) for the block, waiting while another holds it.

    Each call opens the folder anew, so two threads of one process exclude each other as two processes do; the
    kernel releases the lock if the holder is killed, so none is ever left behind.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
