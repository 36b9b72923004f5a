"""Data Docs built by a real process killed at the moments that matter: every page a reader finds is whole.

A child process validates the test sheets and builds the Data Docs of a later night into a folder holding two
earlier nights, one of them old enough to be pruned; it stops at one call of `pipeline.data_docs`, tells the
test through a marker file, and is killed with SIGKILL while it waits. The test then reads the folder as an
analyst would, and builds again.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import sys
from pathlib import Path

import pytest

from pipeline.data_docs import HISTORY, PRIVATE
from pipeline.validate import write_data_docs
from tests.pipeline.killed import kill_when_marked
from tests.pipeline.test_data_docs import FIRST, LOADS, run_on, run_times, validation  # noqa: F401 (a fixture)

REPO = Path(__file__).resolve().parents[2]
KEEP = 30
KILLED = FIRST + dt.timedelta(days=KEEP, hours=12)  # the first night is now more than KEEP days back
STAMP = "%Y%m%dT%H%M%S.%fZ"

CHILD = """
import dataclasses, datetime as dt, os, pathlib, sys, time
from pathlib import Path

from pipeline.registry import load_registry
from pipeline.validate import Batch, validate, write_data_docs
from tests.pipeline.test_validate import CLEAN, CONTEXT, THREE_ERRORS, parse

folder, night, call, match, nth, marker = sys.argv[1:]
registry = load_registry()
texts = {f"clean_{template}": text for template, text in CLEAN.items()} | {"three_errors": THREE_ERRORS}
batches = [Batch(name, sheet) for name, text in texts.items() for sheet in parse(name, text, registry).sheets]
validation = dataclasses.replace(validate(batches, registry, CONTEXT), validated_at=dt.datetime.fromisoformat(night))

*path, name = call.split(".")
owner = {"os": os, "pathlib.Path": pathlib.Path}[".".join(path)]
real = getattr(owner, name)
seen = 0


def stop(*args, **kwargs):
    global seen
    if sys._getframe(1).f_globals.get("__name__") == "pipeline.data_docs" and match in repr(args):
        seen += 1
        if seen == int(nth):
            Path(marker).write_text(repr(args), encoding="utf-8")
            time.sleep(600)
    return real(*args, **kwargs)


setattr(owner, name, stop)
write_data_docs(validation, Path(folder), keep_days=30)
"""


def kill_build_at(folder: Path, call: str, match: str, nth: int, tmp_path: Path) -> str:
    """Build the KILLED night's Data Docs in a child process; SIGKILL it at its `nth` `call` naming `match`."""
    marker = tmp_path / "stopped"
    kill_when_marked(
        [sys.executable, "-c", CHILD, str(folder), KILLED.isoformat(), call, match, str(nth), str(marker)],
        REPO,
        marker,
        f"{call} {match!r} #{nth}",
        180,
    )
    return marker.read_text(encoding="utf-8")


def pages(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))


def assert_whole_and_offline(folder: Path) -> None:
    """Every page under the folder is whole, loads nothing from the network, and finds every file it loads."""
    found = pages(folder)
    assert found
    for page in found:
        text = page.read_text(encoding="utf-8")
        assert text.rstrip().endswith("</html>") and text.lstrip().lower().startswith("<!doctype html>"), page
        assert text.count("<body") == text.count("</body>") == 1, page
        assert stat.S_IMODE(page.stat().st_mode) == 0o666 & ~_umask(), page
        for url in LOADS.findall(text):
            assert "://" not in url and not url.startswith("//"), (page, url)
            assert (page.parent / url.split("?")[0]).resolve().is_file(), (page, url)
    index = folder / "index.html"
    for link in set(re.findall(r'"(validations/[^"]*?\.html)"', index.read_text(encoding="utf-8"))):
        assert (folder / link).is_file(), link  # the index a reader opens links no page that is not there


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.slow
@pytest.mark.parametrize(
    ("call", "match", "nth", "index_is"),
    [
        ("os.fsync", "", 5, "old"),  # a validation page written into the private folder, not yet on disk
        ("os.replace", "/validations/", 3, "old"),  # some of the night's pages in place, the rest not
        ("os.replace", "/index.html", 1, "old"),  # every page in place, the index about to be
        (
            "pathlib.Path.unlink",
            "/validations/",
            1,
            "new",
        ),  # the new index in place, the pruned night's pages going
    ],
)
def test_a_build_killed_at_any_step_leaves_every_page_whole_and_the_next_build_finishes_it(
    validation,  # noqa: F811
    tmp_path,
    call,
    match,
    nth,
    index_is,
):
    folder = tmp_path / "data_docs"
    for night in (FIRST, FIRST + dt.timedelta(days=1)):
        write_data_docs(run_on(validation, night), folder, keep_days=KEEP)
    before = (folder / "index.html").read_bytes()

    kill_build_at(folder, call, match, nth, tmp_path)

    assert_whole_and_offline(folder)
    index = (folder / "index.html").read_bytes()
    killed = KILLED.strftime(STAMP)
    if index_is == "old":
        assert index == before
    else:
        assert killed in index.decode("utf-8") and FIRST.strftime(STAMP) not in index.decode("utf-8")

    later = KILLED + dt.timedelta(hours=1)  # the next run, keeping the second night
    write_data_docs(run_on(validation, later), folder, keep_days=KEEP)

    assert_whole_and_offline(folder)
    assert not (folder / PRIVATE).exists()
    kept = {(FIRST + dt.timedelta(days=1)).strftime(STAMP), killed, later.strftime(STAMP)}
    assert {p.stem for p in (folder / HISTORY).glob("*.json")} == kept
    shown = run_times(folder / "index.html")
    assert later.strftime(STAMP) in shown and shown <= kept
    assert not list((folder / "validations").glob(f"**/{FIRST.strftime(STAMP)}"))  # the pruned night's pages
    # The killed night's pages that were put in place are whole and listed; those it never got to are not.
    placed = {p.parent.name for p in (folder / "validations").rglob("*.html")}
    assert shown == placed
