"""Name the code, the libraries and the registry layouts a process parses with, so a loader knows work files parsed
by others."""

from __future__ import annotations

import functools
import hashlib
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent

# What reads an inbox file's bytes besides the package: the same bytes read by another release of one of them may
# give other cells (a date, a blank, an error value), so two hosts of a rolling deploy that differ in one do not
# share work files.
PARSERS = ("openpyxl", "python-calamine", "xlrd", "pandas")


@functools.cache
def _files_digest(folder: Path, pattern: str) -> bytes:
    made_of = hashlib.sha256()
    for path in sorted(folder.rglob(pattern)):
        made_of.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        made_of.update(path.read_bytes() + b"\0")
    return made_of.digest()


@functools.cache
def parsers() -> str:
    """Return the Python and the parsing libraries this process reads files with, by version, read once a process."""
    named = [f"{platform.python_implementation()} {platform.python_version()}"]
    for name in PARSERS:
        try:
            named.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            named.append(f"{name} -")
    return "; ".join(named)


def layouts_digest(registry_directory: Path | str) -> bytes:
    """Return a fingerprint of a registry's layout files alone, read once a process: equal for equal layouts."""
    return _files_digest(Path(registry_directory).resolve(), "*.yaml")[:12]


@functools.cache
def code_version(registry_directory: Path | str) -> bytes:
    """Return a fingerprint of the package's sources, its parsing libraries (`parsers`) and a registry's layouts.

    Read once a process. Two hosts deployed from the same release and libraries, whatever their paths, agree; a
    field added to a parsed class, a layout edited, or openpyxl upgraded on one host, between a night's parse and
    its load tells the loader to parse those files again (`intake.work_versions`). About 2 MB hashed once (some
    10 ms), a few bytes per work file.
    """
    folder = Path(registry_directory).resolve()
    made_of = _files_digest(PACKAGE, "*.py") + parsers().encode("utf-8") + _files_digest(folder, "*.yaml")
    return hashlib.sha256(made_of).digest()[:12]
