"""Say where a key of an expectation suite file stands (第…行第…列), and word a refusal of it the registry's way."""

from __future__ import annotations

import json
import re
from json.decoder import scanstring
from pathlib import Path

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _walk(text: str, at: int, loc: tuple, found: dict[tuple, int]) -> int:
    """Record where each key and item below `loc` starts in `text`; return where the value at `at` ends."""
    at = _SPACE.match(text, at).end()
    if text.startswith("{", at):
        at += 1
        while not text.startswith("}", at := _SPACE.match(text, at).end()):
            key, end = scanstring(text, at + 1)
            found[(*loc, key)] = at
            at = _walk(text, _SPACE.match(text, end).end() + 1, (*loc, key), found)  # past the `:`
            if text.startswith(",", at := _SPACE.match(text, at).end()):
                at += 1
        return at + 1
    if text.startswith("[", at):
        at, n = at + 1, 0
        while not text.startswith("]", at := _SPACE.match(text, at).end()):
            found[(*loc, n)] = at
            at = _walk(text, at, (*loc, n), found)
            if text.startswith(",", at := _SPACE.match(text, at).end()):
                at += 1
            n += 1
        return at + 1
    return _DECODER.raw_decode(text, at)[1]


def line_and_column(text: str, loc: tuple) -> tuple[int, int] | None:
    """Return the line and column (from 1) of the deepest part of `loc` a JSON text holds; None where it holds none."""
    found: dict[tuple, int] = {}
    try:
        _walk(text, 0, (), found)
    except (ValueError, IndexError):
        return None  # no JSON: json.loads says where
    while loc and loc not in found:
        loc = loc[:-1]
    if not loc:
        return None
    offset = found[loc]
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def at_place(path: Path, loc: tuple) -> str:
    """Return `（第N行第M列）` for where a key of a suite file stands (its deepest part written), else nothing."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return ""
    found = line_and_column(text, loc)
    return f"（第{found[0]}行第{found[1]}列）" if found else ""


def unplaced(document: dict, expectation: dict) -> str:
    """Name a check its suite file does not hold (added in code, or the file changed since it was read): its suite
    document and its rule."""
    meta = expectation.get("meta") or {}
    return (
        f"suite {document.get('name')!r} 的检查 {expectation.get('type')}（规则 {meta.get('rule')}），"
        "文件中没有这一条（not in the file）"
    )


def said(path: Path, loc: tuple, zh: str, english: str, fix: str, check: str = "") -> str:
    """Word a suite's refusal as the registry's: file, key path, Chinese (English in brackets), what to write, place.

    A part of `loc` that is None (an expectation not found in its file) ends the path there, `check` (`unplaced`)
    saying which check it is."""
    cut = None in loc
    loc = loc[: loc.index(None)] if cut else loc
    named = f"（{check}）" if cut and check else ""
    where = f"{'.'.join(map(str, loc))}{named}: " if loc else ""
    return f"{path}: {where}{zh}（{english}），{fix}{at_place(path, loc)}"
