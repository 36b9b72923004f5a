"""Name where a receipt goes: one harmless file name in its office's folder, never outside the receipts root."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.file_names import NAME_MAX, bounded_name
from pipeline.locations import ObjectPath, place
from pipeline.receipt_facts import UNKNOWN_UNIT
from pipeline.text import UNPRINTABLE

if TYPE_CHECKING:
    from pipeline.receipt_facts import ReceiptFacts

# Anything that could climb out of a folder or upset a file system (separators, dots-only names, controls), or
# make a name in a clerk's folder view read other than it is (a right-to-left override turns `xslx.exe` around).
_UNSAFE = re.compile(rf'[{UNPRINTABLE}/\\:*?"<>|]')


def safe_component(name: str | None, fallback: str, tail: str = "") -> str:
    """Turn a unit or file name into one harmless path component ending in `tail`, within 255 bytes.

    Never `..`, never a separator; a name too long is shortened with a hash of it, so two long names stay apart.
    """
    text = _UNSAFE.sub("_", name or "").strip().strip(".") or fallback
    return bounded_name(text, tail, NAME_MAX)


def contained(root: Path | ObjectPath, *parts: str) -> Path | ObjectPath:
    """Join parts under root and prove the result stays inside it."""
    if isinstance(root, ObjectPath):  # keys: no links to follow, only `..` could climb out
        target = root.joinpath(*parts)
        if any(p in ("..", ".") for part in parts for p in part.split("/")):
            raise ValueError(f"refusing to write outside {root}: {target}")
        return target
    target = root.joinpath(*parts).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ValueError(f"refusing to write outside {root}: {target}")
    return target


class _Places:
    """`contained(root, folder, name)` for one run's receipts, each folder resolved once.

    Resolving a path looks up every folder above it; with thousands of receipts in a few hundred folders,
    and other threads writing into those folders, that was most of the cost of naming a receipt. A name
    that is not itself a link lies where its resolved folder says; a link is resolved in full, as ever.
    """

    def __init__(self, root: Path | str):
        self.root = place(root)  # a local folder, or receipts on object storage (`s3://…`)
        self.folders: dict[str, Path] = {}

    def __call__(self, folder: str, name: str) -> Path:
        if folder not in self.folders:
            self.folders[folder] = contained(self.root, folder)
        where = self.folders[folder] / name
        if "/" in name or name in ("", ".", "..") or os.path.islink(where):
            return contained(self.root, folder, name)
        return where


def receipt_paths(
    receipts_root: Path, facts: ReceiptFacts, taken: set[Path], places: _Places | None = None
) -> tuple[Path, Path]:
    """Return where this file's receipt goes: receipts/<sending folder>/<original name>.回执.html (and .json).

    A file from the inbox root has no folder to answer in: its receipt goes to the folder of its unit.
    """
    place = places or _Places(receipts_root)
    unit = safe_component(facts.sending_folder or facts.unit, UNKNOWN_UNIT)
    html_path = place(unit, safe_component(facts.original_name, "未命名文件", ".回执.html"))
    if html_path in taken:
        # Another submission of the same name already has this receipt; keep both.
        tail = f".第{facts.submission_id}号.回执.html"
        html_path = place(unit, safe_component(facts.original_name, "未命名文件", tail))
    return html_path, html_path.with_suffix(".json")
