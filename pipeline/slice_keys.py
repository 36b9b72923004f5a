"""Key the slice a record belongs to (template, unit, project code, year[, month]), and a sheet's keys once a run."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cache

from pipeline.parsed_sheet import ParsedSheet
from pipeline.registry_templates import Template

_SLICE_COLUMNS = {"project": "project_code"}


@cache
def _slice_columns(slice_fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_SLICE_COLUMNS.get(f, f) for f in slice_fields)


def slice_key(template_id: str, record: dict, slice_fields: Iterable[str]) -> str:
    """Return the key of the slice a record belongs to: template, then unit, project code, year[, month]."""
    # Called for every row several times a night: the columns are looked up once per slice shape.
    get = record.get
    return "|".join([template_id, *[str(get(c) or "") for c in _slice_columns(tuple(slice_fields))]])


def record_slice_keys(
    template_id: str, records: Sequence[dict], slice_fields: Iterable[str], made: dict | None = None
) -> list[str]:
    """Return each record's `slice_key`, in order, each distinct one made once (kept in `made`, if given)."""
    # Called for every row several times a night, and rows of a sheet share a few slices: each is known by its values
    # and their classes, as 1, 1.0 and True are one dict key but `slice_key` writes them apart. Read column by
    # column, a sheet's rows most often hold one class a column: then the values alone tell its slices apart, among
    # those of that one class a column.
    columns = _slice_columns(tuple(slice_fields))
    values = [[record.get(column) for record in records] for column in columns]
    classes = [set(map(type, column)) for column in values]
    made = {} if made is None else made
    if all(len(of) == 1 for of in classes):
        held = made.setdefault(tuple(of.pop() for of in classes), {})
        each = zip(*values, strict=True)
    else:
        held = made.setdefault(None, {})
        each = zip(*values, *(map(type, column) for column in values), strict=True)
    get, width = held.get, len(columns)

    def make(of: tuple) -> str:
        key = held[of] = "|".join([template_id, *[str(value or "") for value in of[:width]]])
        return key

    return [get(of) or make(of) for of in each]


def slice_keys(template_id: str, records: Sequence[dict], slice_fields: Iterable[str]) -> set[str]:
    """Return the keys of the slices records belong to, as `slice_key` gives each."""
    return set(record_slice_keys(template_id, records, slice_fields))


class SheetSlices:
    """Each sheet's `record_slice_keys`, made once: for sheets whose rows no longer change (their projects named).

    The checks after `resolve_projects` each walked every sheet's slices again (five passes a night). A sheet is
    held until the memo goes, so no other sheet can take its `id` meanwhile.
    """

    def __init__(self) -> None:
        self._keys: dict[tuple[int, str, tuple[str, ...]], tuple[ParsedSheet, list[str]]] = {}
        self._sets: dict[tuple[int, str, tuple[str, ...]], set[str]] = {}
        self._made: dict[tuple[str, tuple[str, ...]], dict] = {}

    def of(self, sheet: ParsedSheet, template: Template | None = None) -> list[str]:
        """Return each record's slice key by `template` (the sheet's own, if not given), in order."""
        template = sheet.template if template is None else template
        shape = (template.id, tuple(template.slice))
        held = self._keys.get((id(sheet), *shape))
        if held is None:
            made = self._made.setdefault(shape, {})
            keys = record_slice_keys(template.id, sheet.records, template.slice, made)
            held = self._keys[(id(sheet), *shape)] = (sheet, keys)
        return held[1]

    def take(self, sheet: ParsedSheet) -> list[str]:
        """Return each record's slice key by the sheet's template, as `of` does, and let the sheet go: it is stored."""
        keys = self.of(sheet)
        shape = (id(sheet), sheet.template.id, tuple(sheet.template.slice))
        del self._keys[shape]
        self._sets.pop(shape, None)
        return keys

    def keys(self, sheet: ParsedSheet) -> set[str]:
        """Return the keys of the slices a sheet's records belong to, as `slice_keys` gives them."""
        shape = (id(sheet), sheet.template.id, tuple(sheet.template.slice))
        found = self._sets.get(shape)
        if found is None:
            found = self._sets[shape] = set(self.of(sheet))  # `of` holds the sheet: its id stays its own
        return found


def project_year_records(
    template: Template, sheets: Iterable[ParsedSheet], slices: SheetSlices | None = None
) -> Iterator[tuple[ParsedSheet, dict, str]]:
    """Yield each record that has a project code and a year, with its sheet and slice key (made once a sheet in
    `slices`, if given)."""
    slices = SheetSlices() if slices is None else slices
    for sheet in sheets:
        for record, key in zip(sheet.records, slices.of(sheet, template), strict=True):
            if record.get("project_code") is not None and record.get("year") is not None:
                yield sheet, record, key


def slice_parts(key: str) -> tuple[str, str, str, str, str]:
    """Split the key of a slice by unit, project and year[, month]: (template, unit, code, year, month or "")."""
    template, unit, code, year, *month = key.split("|")
    return template, unit, code, year, month[0] if month else ""


def slice_fields(key: str, project_name: str | None) -> dict:
    """Return the fields of a slice as `ops.slices` stores them, from its key and its project's name as written."""
    template, unit, code, year, month = slice_parts(key)
    return {
        "template": template,
        "unit": unit,
        "project_code": code,
        "project_name": project_name,
        "year": int(year),
        "month": int(month) if month else None,
    }
