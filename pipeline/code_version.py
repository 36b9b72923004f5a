"""Name the code and the registry layouts a process parses with, so a loader knows work files parsed by others."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


@functools.cache
def _files_digest(folder: Path, pattern: str) -> bytes:
    made_of = hashlib.sha256()
    for path in sorted(folder.rglob(pattern)):
        made_of.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        made_of.update(path.read_bytes() + b"\0")
    return made_of.digest()


def layouts_digest(registry_directory: Path | str) -> bytes:
    """Return a fingerprint of a registry's layout files alone, read once a process: equal for equal layouts."""
    return _files_digest(Path(registry_directory).resolve(), "*.yaml")[:12]


@functools.cache
def code_version(registry_directory: Path | str) -> bytes:
    """Return a fingerprint of the pipeline package's sources and a registry's layout files, read once a process.

    Two hosts deployed from the same release, whatever their paths, agree; a field added to a parsed class, or a
    layout edited, between a night's parse and its load tells the loader to parse those files again
    (`intake.work_versions`). About 2 MB hashed once (some 10 ms), a few bytes per work file.
    """
    folder = Path(registry_directory).resolve()
    return hashlib.sha256(_files_digest(PACKAGE, "*.py") + _files_digest(folder, "*.yaml")).digest()[:12]
