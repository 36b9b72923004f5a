"""The bytes of a work file: a small head stamped with the code version, what was read, then the candidate.

Written by a parse (`work`), read by the loader (`load`), which parses a file of other code again (`work_versions`).
"""

from __future__ import annotations

import copyreg
import io
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.code_version import code_version, layouts_digest
from pipeline.intake.candidates import Candidate
from pipeline.intake.inbox_reads import InboxRead
from pipeline.intake.unique_rows import unique_column
from pipeline.locations import Location
from pipeline.parsed_file import ParsedFile
from pipeline.registry import Registry
from pipeline.registry_columns import Column
from pipeline.registry_templates import Template
from pipeline.work_files import reading, writing

# Work files are named by KEYS relative to the work location (`settings.work_root`, PIPELINE_WORK), never by a
# host's path, so a loader on another host finds them: an entry in a parse worker's spool is
# `<run>/<spool>#<offset>`, a work file of its own (`parse_one`) `<run>/<name>.pickle`.
SPOOL_SUFFIX = ".spool"
_ENTRY = re.compile(r"^(?P<path>.*" + re.escape(SPOOL_SUFFIX) + r")#(?P<offset>\d+)$", re.S)


def work_file_path(reference: str | Path) -> str:
    """Return the file (or key) holding a work file: its own, or the spool it is an entry of."""
    found = _ENTRY.match(str(reference))
    return found["path"] if found else str(reference)


def _opened(reference: str | Path):
    """Open a work file at its entry, local or on object storage; a context manager yielding the handle."""
    found = _ENTRY.match(str(reference))
    location = found["path"] if found else str(reference)
    return reading(location, int(found["offset"]) if found else 0)


def read_head(path: str | Path) -> tuple:
    """Return a work file's head: the code version that wrote it, its inbox path, then what `WorkFile` holds."""
    with _opened(path) as handle:
        return pickle.load(handle)


def read_kept(path: str | Path) -> dict:
    """Return what was read for a work file, as plain values (`InboxRead.kept`), without its candidate."""
    with _opened(path) as handle:
        pickle.load(handle)
        return pickle.Unpickler(handle).load()


# What the loader does with a work file whose candidate does not unpickle: given it, what was read (None where that
# would not unpickle either) and the error, it returns the file parsed again (`work_versions.Renewal`).
Renew = Callable[["WorkFile", dict | None, Exception], Candidate]


@dataclass(frozen=True, slots=True)
class WorkFile:
    """A parsed file waiting on disk for the loader, with what the loader needs before opening it whole."""

    path: str  # its own file, or an entry of a parse worker's spool (`<spool>#<offset>`)
    inbox_path: str
    sha256: str
    mtime_ns: int
    rows: int
    carries_register: bool
    state: str = "parsed"  # or "rejected" (by the parser already), "not_taken_in" (left for the next run)
    templates: tuple[str, ...] = ()  # the forms it holds, to order a night of several chunks (night_order)
    listed: tuple = ()  # its office and the (template, project as written, year) its lists name (night_order)
    renew: Renew | None = field(
        default=None, compare=False, repr=False
    )  # None: an unreadable candidate raises

    @classmethod
    def of_head(cls, path: str | Path, head: tuple, renew: Renew | None = None) -> WorkFile:
        """Return the work file a head of this code's version describes (`read_head`)."""
        return cls(str(path), *head[1:], renew=renew)

    def candidate(self) -> Candidate:
        kept = None
        try:
            with _opened(self.path) as handle:
                pickle.load(handle)
                # One unpickler for both: the candidate's bytes are those of what was read, pickled once.
                unpickler = pickle.Unpickler(handle)
                kept = unpickler.load()
                return unpickler.load()
        except OSError:
            raise  # the loader's own I/O: a retry may pass
        except Exception as exc:
            if self.renew is None:
                raise
            return self.renew(self, kept, exc)

    @property
    def load_order(self) -> tuple:
        # Registers first, so a list naming no project finds it in a register of the same run; then as received.
        return (not self.carries_register, self.mtime_ns, self.inbox_path)


# Templates and columns travel in work files as references to the registry they came from (its folder, the
# template id, the column name, the layouts' fingerprint), not as copies: pickling a pydantic model per sheet cost
# more than the sheet's rows, and every copy read back stayed in the loader's memory beside the registry's own.
_REGISTRIES: dict[str, Registry] = {}
_REFERENCES: dict[int, tuple[Registry, dict[int, tuple]]] = {}


def remember_registry(registry: Registry) -> None:
    """Resolve work-file references to templates of `registry.directory` against this registry."""
    _REGISTRIES[str(registry.directory)] = registry


def _registry_at(directory: str, layouts: bytes | None) -> Registry:
    if directory not in _REGISTRIES:
        # A parse worker on a host whose checkout lies elsewhere named its own folder, one this host may not have:
        # a registry of this process with the same layouts is the same registry.
        same = (
            next((r for r in _REGISTRIES.values() if layouts_digest(r.directory) == layouts), None)
            if layouts is not None and not Path(directory).is_dir()
            else None
        )
        if same is None:
            from pipeline.registry import load_registry

            same = load_registry(Path(directory))
        _REGISTRIES[directory] = same
    return _REGISTRIES[directory]


def _template_at(directory: str, template_id: str, layouts: bytes | None = None) -> Template:
    return _registry_at(directory, layouts).template(template_id)


def _column_at(directory: str, template_id: str, name: str, layouts: bytes | None = None) -> Column:
    return _registry_at(directory, layouts).template(template_id).column(name)


def _references(registry: Registry) -> dict[int, tuple]:
    """Map each template and column object of a registry to how a work file names it."""
    held = _REFERENCES.get(id(registry))
    if held is None or held[0] is not registry:
        directory, layouts = str(registry.directory), layouts_digest(registry.directory)
        names: dict[int, tuple] = {}
        for template in registry.templates.values():
            names[id(template)] = (_template_at, (directory, template.id, layouts))
            for column in template.columns:
                names[id(column)] = (_column_at, (directory, template.id, column.name, layouts))
        held = _REFERENCES[id(registry)] = (registry, names)
    return held[1]


def _pickler(handle, registry: Registry | None) -> pickle.Pickler:
    pickler = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
    if registry is not None:
        names = _references(registry)

        def reduce(obj: object) -> tuple:
            # An object of the registry goes as its name; any other (a test's own template) as itself.
            return names.get(id(obj)) or obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)

        pickler.dispatch_table = copyreg.dispatch_table | {Template: reduce, Column: reduce}
    return pickler


def state_of(candidate: Candidate) -> str:
    parsed = candidate.parsed
    return "not_taken_in" if candidate.skipped else "rejected" if parsed and parsed.errors else "parsed"


def _listed(parsed: ParsedFile) -> tuple:
    """Return a file's office and the projects (as written) and years its lists name, or () if it has none."""
    named = {
        (sheet.template.id, record.get("project_name"), record.get("year"))
        for sheet in parsed.sheets
        if unique_column(sheet.template) is not None
        for record in sheet.records
    }
    return (parsed.unit, tuple(sorted(named, key=str))) if named else ()


def work_bytes(read: InboxRead, candidate: Candidate, registry: Registry) -> bytes:
    """Return a work file's bytes: a small head, what was read as plain values, then the candidate."""
    parsed = candidate.parsed
    head = (
        code_version(registry.directory),
        candidate.inbox_path,
        candidate.sha256,
        candidate.entry.mtime_ns if candidate.entry else 0,
        sum(len(s.records) for s in parsed.sheets) if parsed else 0,
        candidate.carries_register,
        state_of(candidate),
        tuple(parsed.templates) if parsed else (),
        _listed(parsed) if parsed and not parsed.errors else (),
    )
    buffer = io.BytesIO()
    pickle.dump(head, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    # One pickler for both: the candidate's content is the read's bytes, pickled once and referred to after.
    pickler = _pickler(buffer, registry)
    pickler.dump(read.kept(parsed.read_on if parsed else None))
    pickler.dump(candidate)
    return buffer.getvalue()


def write_work_file(data: bytes, target: Location) -> str:
    """Write a work file's bytes (`work_bytes`) whole or not at all."""
    # Written whole (a partial file renamed, or one PUT), so a retried or killed task never leaves half a file.
    with writing(target) as handle:
        handle.write(data)
    return str(target)
