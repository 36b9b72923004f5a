"""Name the period a record is for: its slice without the office."""

from __future__ import annotations

from pipeline.parsed_sheet import ParsedSheet

# A slice without its office: (template, project code, year, month or "").
_Period = tuple[str, str, str, str]


def said_when(year: str, month: str) -> str:
    """Word a slice's year and month as a message names them: 2023年度, 2023年度4月."""
    return f"{year}年度{f'{month}月' if month else ''}"


def _period(template_id: str, record: dict, with_month: bool) -> _Period | None:
    code, year = record.get("project_code"), record.get("year")
    if code is None or year is None:
        return None
    return template_id, str(code), str(year), str(record.get("month") or "") if with_month else ""


def _periods(sheet: ParsedSheet) -> dict[_Period, dict]:
    """Return the periods a sheet's records are for, each with its first record."""
    with_month = "month" in sheet.template.slice
    periods: dict[_Period, dict] = {}
    for record in sheet.records:
        period = _period(sheet.template.id, record, with_month)
        if period is not None:
            periods.setdefault(period, record)
    return periods
