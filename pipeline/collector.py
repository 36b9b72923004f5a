"""Keep Python's cycle collector off what a stage holds: paused while it allocates, its objects set aside after.

A stage that holds hundreds of thousands of objects (a report's figures, a chunk of parsed files) alive until it
is done makes each of the collector's full passes go over all of them, to free nothing: about a fifth of the
loader's CPU, a second of the report's. Refcounting still frees what is not in a cycle; what is in one (GX's,
openpyxl's, python-docx's objects) is freed once the collector runs again.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the block; leave it as it was after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def set_aside() -> Iterator[Callable[[], None]]:
    """Give the block a function that leaves every object alive now out of the collector's passes (gc.freeze),
    until the block ends.

    The collector counts what was allocated while it was paused: once running again, its first passes would go
    over everything held. A process that froze objects itself (a server before it forks) keeps them frozen:
    then nothing is set aside.
    """
    mine = gc.get_freeze_count() == 0
    try:
        yield gc.freeze if mine else lambda: None
    finally:
        if mine:
            gc.unfreeze()
