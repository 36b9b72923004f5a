"""Slice keys made once a sheet (`SheetSlices`) are the keys `slice_key` gives each record."""

from __future__ import annotations

from types import SimpleNamespace

from pipeline.slice_keys import SheetSlices, project_year_records, record_slice_keys, slice_key, slice_keys


def _sheet(template, rows: list[tuple[object, object, object]]) -> SimpleNamespace:
    """A sheet of records for (project code, year, month), each of one office; None leaves a field out of the key."""
    records = [
        {
            "unit": "甲街道",
            "project_code": code,
            "project_name": "甲项目",
            "year": year,
            "month": month,
            "excel_row": n,
        }
        for n, (code, year, month) in enumerate(rows, start=3)
    ]
    return SimpleNamespace(template=template, name="月报", records=records)


def _monthly_and_listed(registry) -> tuple[object, object]:
    templates = registry.templates.values()
    monthly = next(t for t in templates if "month" in t.slice)
    listed = next(t for t in templates if "month" not in t.slice and "year" in t.slice)
    return monthly, listed


def test_a_sheets_keys_are_each_records_slice_key_in_order_and_made_once(registry):
    monthly, listed = _monthly_and_listed(registry)
    # Values of one slice in several classes (2022 and 2022.0, 1 and True): `slice_key` writes each apart.
    first = _sheet(
        monthly, [("P1", 2022, 1), ("P1", 2022, 1.0), ("P1", 2022.0, True), ("P2", None, 2), ("P1", 2022, 1)]
    )
    second = _sheet(listed, [("P1", 2022, 1), ("P3", 2023, None)])
    sliced = SheetSlices()

    for sheet in (first, second):
        keys = sliced.of(sheet)
        assert keys == [slice_key(sheet.template.id, r, sheet.template.slice) for r in sheet.records]
        assert sliced.of(sheet) is keys  # made once: the same list again
        assert sliced.keys(sheet) == slice_keys(sheet.template.id, sheet.records, sheet.template.slice)
    assert len(set(sliced.of(first))) == 4  # 1, 1.0 and True are three slices, P2 a fourth
    assert sliced.of(second)[0] != sliced.of(first)[0]  # another template's key, though the values are alike


def test_a_sheets_keys_by_another_template_are_that_templates(registry):
    monthly, listed = _monthly_and_listed(registry)
    sheet = _sheet(monthly, [("P1", 2022, 1), ("P1", 2022, 2)])
    sliced = SheetSlices()

    by_own = sliced.of(sheet)
    by_other = sliced.of(sheet, listed)

    assert by_other == record_slice_keys(listed.id, sheet.records, listed.slice)
    assert by_own == record_slice_keys(monthly.id, sheet.records, monthly.slice) != by_other


def test_project_year_records_yield_the_same_with_the_keys_made_once(registry):
    monthly, _ = _monthly_and_listed(registry)
    sheets = [
        _sheet(monthly, [("P1", 2022, 1), (None, 2022, 2), ("P2", None, 3)]),
        _sheet(monthly, [("P1", 2022, 4)]),
    ]
    sliced = SheetSlices()

    with_memo = list(project_year_records(monthly, sheets, sliced))
    again = list(project_year_records(monthly, sheets, sliced))
    fresh = list(project_year_records(monthly, sheets))

    # Only records with a project code and a year, each with its sheet and slice key.
    assert [(s.records.index(r), k) for s, r, k in fresh] == [
        (0, slice_key(monthly.id, sheets[0].records[0], monthly.slice)),
        (0, slice_key(monthly.id, sheets[1].records[0], monthly.slice)),
    ]
    assert with_memo == again == fresh


def test_a_sheet_taken_for_the_store_is_let_go(registry):
    monthly, _ = _monthly_and_listed(registry)
    sheet = _sheet(monthly, [("P1", 2022, 1), ("P1", 2022, 2)])
    sliced = SheetSlices()
    made = sliced.of(sheet)
    sliced.keys(sheet)

    taken = sliced.take(sheet)

    assert taken is made
    # No longer held: asked again, its keys are made afresh (the same keys).
    again = sliced.of(sheet)
    assert again == made and again is not made
