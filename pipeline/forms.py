"""Read what a form states around its table: its fields, the points in its level names, the months it covers."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

from pipeline.cell_parsers import cell_parser
from pipeline.form_blocks import total_from_parts
from pipeline.form_places import Place, Places, form_labels, header_of
from pipeline.header import HeaderMatch, _merged_origin, column_letter, header_cell
from pipeline.header_checks import likeliest, meant_fix
from pipeline.layout import ParsedSheet
from pipeline.problems import Severity, cell_problem, display
from pipeline.reader import Grid
from pipeline.registry import MEASURE_OF_TYPE, Column, ColumnType, Field, Registry
from pipeline.rounding import as_rounded
from pipeline.sheet_units import read_unit
from pipeline.text import months_so_far, rows_text, split_header, with_months
from pipeline.values import CellError, Noted, UnitContext, is_blank, parse_percent, points_text

# `产出指标（55分）`, or `产出指标（55）` without its 分: a level name carrying the points of the rows under it. A
# bracket holding only a number after a level's name says nothing else (no 一级指标 is numbered so).
_POINTS = re.compile(r"^(.*?)\s*[（(]\s*(\d+(?:\.\d+)?)\s*分?\s*[)）]$")
# The national forms' own sums, checked against the cells they are made of (field names both forms share):
# 总分 is the 项目资金 block's 得分 plus every indicator's 得分; 执行率 is 执行数 over the block's budget, its
# 全年预算数 where the form has one (自评表), else its 年初预算数 (运行监控表, as mart.monitoring_findings computes it).
_TOTAL, _BUDGET_SCORE, _SCORE = "reported_total_score", "budget_reported_score", "reported_score"
_RATE, _EXECUTED = "budget_execution_rate", "budget_executed_wan"
_BUDGETS = ("budget_annual_wan", "budget_initial_wan")
_TOTAL_TOLERANCE = Decimal("0.01")
# A rate written `98%` stands for 97.5–98.5 %: it may be off by half a unit of its last digit, but by no less than
# 0.01 points (a computed rate has more digits than anyone writes) and no more than 0.5 (a bare `0.5` is 50 %).
_RATE_TOLERANCE = (Decimal("0.0001"), Decimal("0.005"))


def read_form(grid: Grid, sheet: ParsedSheet, registry: Registry) -> None:
    """Give every record the form's fields, check the form's own sums and points, and note the months covered."""
    template = sheet.template
    places = (
        Places(grid, sheet.header_rows[0] - 1, form_labels(template))
        if template.fields or template.month_from_headers
        else None
    )
    found = {field.name: places.locate(field) for field in template.fields} if places else {}
    if template.month_from_headers:  # first: a warning below names the block's `1-7月执行数` as written
        _months_covered(grid, found, sheet)
    if template.fields:
        told: set[tuple] = set()  # a block's unit is told of once, not on each of its cells
        values = {
            field.name: _field_value(places, field, found[field.name], sheet, registry, told)
            for field in template.fields
        }

        def read(field: Field, place: Place) -> object:
            return _field_value(places, field, place, sheet, registry, told)

        summed = total_from_parts(places, found, values, sheet, read, _warn_at)
        _settle_bare_rate(found, values, sheet)
        _tell_blank_rate(found, values, sheet)
        for record in sheet.records:
            record.update(values)
        # An amount added up from a block's 其中 rows came from each of them (warehouse.md: lineage to the row).
        sheet.field_cells = {
            name: [(cell[0] + 1, column_letter(cell[1]), cell[2]) for cell in summed.get(name, [place])]
            for name, place in found.items()
            if place is not None and values[name] is not None
        }
        _check_unread_headers(places, found, sheet)
        _check_unread_blocks(places, found, sheet)
        _check_stated_total(found, values, sheet)
        _check_stated_rate(places, found, values, sheet)
    bound = {b.column.name for b in sheet.bindings}
    for column in template.columns:
        # With no column of points (`分值` headed otherwise: already an error) there is nothing to check them by.
        if column.points_of is not None and column.points_of in bound:
            _check_points(grid, sheet, column)


# The official forms letter their columns (`全年预算数（A）`, `执行率（B/A）`): in brackets, no unit.
_COLUMN_LETTERS = re.compile(r"[A-Za-z](?:\s*[-+*/×÷]\s*[A-Za-z])*")


def _where(place: Place) -> str:
    """Name a field's cell the way its problems do: `年度资金总额·执行率（G列）`."""
    return f"{place[2]}（{column_letter(place[1])}列）"


def _field_value(
    places: Places,
    field: Field,
    found: Place | None,
    sheet: ParsedSheet,
    registry: Registry,
    told: set[tuple],
) -> object:
    """Read one field's cell as its type; a cell that cannot be read is an error on that cell."""
    if found is None:
        return None
    r, c, _, _ = found
    # A goal written over several rows (one line a row) is all of them; the cell under its label is only the first.
    raw = places.prose(field) if field.below else places.cell(r, c)
    if is_blank(raw) or (field.row is None and isinstance(raw, str) and _is_label(raw, places.form_labels)):
        return None
    # The national forms write rates in percent (93.12 is 93.12 %); money in the unit its column or block is headed
    # with (`项目资金（万元）`, `年初预算数（元）`).
    if field.type is ColumnType.PERCENT:
        context = UnitContext(name="%")
        sheet.note_percent_number(*places.origin.get((r, c), (r, c)), raw)
    elif MEASURE_OF_TYPE.get(field.type) is not None:
        context = _field_unit(places, field, found, raw, sheet, registry, told)
    else:
        context = UnitContext()
    where = _where(found)
    try:
        value = cell_parser(field, registry.units, context)(raw)
    except CellError as exc:
        sheet.error(
            rule=exc.rule, excel_row=r + 1, header=where, value=raw, expected=exc.expected, fix=exc.fix
        )
        return None
    if isinstance(value, Noted):
        sheet.warn(value, excel_row=r + 1, header=where, value=raw)
        value = value.value
    return value


def _block_unit(places: Places, field: Field, header_row: int) -> str | None:
    """Return the unit written on a field's block label (`项目资金（元）`): the nearest such label above its header."""
    if field.block is None:
        return None
    written = [(r, c) for r, c in places.labels.get(split_header(field.block)[0], ()) if r <= header_row]
    return split_header(places.written[max(written)])[1] if written else None


def _field_unit(
    places: Places,
    field: Field,
    found: Place,
    raw: object,
    sheet: ParsedSheet,
    registry: Registry,
    told: set[tuple],
) -> UnitContext:
    """Return the unit a field's number is written in: its column header's, else its row label's, else its block
    label's, else the `单位：` line's (money); a unit not written, not a unit of the field, or two that differ are
    told once."""
    measure = MEASURE_OF_TYPE[field.type]
    header = places.written.get((found[3], found[1]), "")
    column = split_header(header)[1]
    # `全年预算数（A）`, `执行率（B/A）`: the official form names its columns, it states no unit.
    if column and _COLUMN_LETTERS.fullmatch(column):
        column = ""
    row = places.row_unit(found[0]) if field.row is not None else None
    units = [unit for unit in (column, row, _block_unit(places, field, found[3])) if unit]
    near = units[0] if units else None
    # The next unit written further out is checked against the nearest; with none, the `单位：` line's is, unless
    # the column itself states one.
    if len(units) > 1:
        far = units[1]
    elif column or measure != "money":
        far = None
    else:
        far = sheet.meta.money_unit
    reading = read_unit(measure, near, far or None, registry)
    said = (reading.issue, near, far)
    if reading.issue is None or said in told:
        return reading.context
    told.add(said)
    base = registry.units.measures[measure].base
    label = field.block or field.header
    if reading.issue == "unit":
        sheet.error(
            rule="unit",
            excel_row=found[0] + 1,
            header=_where(found),
            value=reading.written,
            expected=f"单位应为{'、'.join(registry.units.measures[measure].units)}之一",
            fix=f"请注明可识别的单位，如「{split_header(label)[0]}（{base}）」",
        )
    elif reading.issue == "unit_assumed":
        _warn_at(
            sheet,
            found,
            rule="unit_assumed",
            value=raw,
            expected=f"“{split_header(label)[0]}”未注明单位，已按{base}读取其中的金额",
            fix=f"请注明单位，如「{split_header(label)[0]}（{base}）」",
        )
    else:
        _warn_at(
            sheet,
            found,
            rule="unit_conflict",
            value=raw,
            expected=f"单位“{near}”与“{reading.written}”不一致，已按{reading.context.name}读取",
            fix="请删去或改正其中一处单位",
        )
    return reading.context


def _is_label(text: str, labels: frozenset[str]) -> bool:
    """Say whether a field's cell is itself one of the form's labels (`主管部门 | | 实施单位`), so no value was
    written."""
    return split_header(text)[0] in labels


def _check_unread_headers(places: Places, found: dict[str, Place | None], sheet: ParsedSheet) -> None:
    """Warn of a value under a header no field reads, in a block row where a field was not found."""
    by_row: dict[str, list[Field]] = defaultdict(list)
    for field in sheet.template.fields:
        if field.row is not None:
            by_row[field.row].append(field)
    for label, fields in by_row.items():
        located = [found[f.name] for f in fields if found[f.name] is not None]
        missing = [f for f in fields if found[f.name] is None]
        if not located or not missing:
            continue  # the row is not on this form, or every value of it is read
        r = located[0][0]
        read = {place[1] for place in located}
        first = places.first_written(r)
        for header_row in sorted({place[3] for place in located}):
            for (row, c), written in places.written.items():
                if row != header_row or c in read or (first is not None and c <= first[0]):
                    continue
                value = places.cell(r, c)
                # A cell merged down from a row above (the block's label) holds no value of this row.
                if is_blank(value) or places.origin.get((r, c), (r, c))[0] != r:
                    continue
                # The form's own N of months, else the one this header names (`1-6月份执行率`), is asked for.
                months = sheet.meta.months_so_far or months_so_far(written)
                names = "”“".join(with_months(f.header, months) for f in missing)
                _warn_at(
                    sheet,
                    (r, c, f"{label}·{written}", header_row),
                    rule="unread_header",
                    value=value,
                    expected=f"表头“{written}”不是本表的栏目，该值未读取；本行应有的“{names}”未找到",
                    fix=meant_fix("该值", likeliest(written, missing, months)),
                )


def _check_unread_blocks(places: Places, found: dict[str, Place | None], sheet: ParsedSheet) -> None:
    """Warn of a block the form has (`项目资金（万元）`) none of whose values were found: its row is named otherwise."""
    by_block: dict[str, list[Field]] = defaultdict(list)
    for field in sheet.template.fields:
        if field.block is not None and field.row is not None:
            by_block[field.block].append(field)
    for block, fields in by_block.items():
        written = places.labels.get(split_header(block)[0])
        if not written or any(found[f.name] is not None for f in fields):
            continue
        r, c = written[0]
        # The block's column headers sit on its label's row or just below, outside the table's header: without
        # them there is no block (a simplified table's `项目资金（万元） | 1570`), only a label.
        table = range(sheet.header_rows[0] - 1, sheet.header_rows[1])
        near = range(r, r + 3)
        if not any(
            row in near and row not in table
            for f in fields
            for label in f.labels
            for row, _ in places.labels.get(label, ())
        ):
            continue
        rows = "、".join(dict.fromkeys(f"“{f.row}”" for f in fields))
        _warn_at(
            sheet,
            (r, c, places.written[(r, c)], r),
            rule="unread_block",
            value=places.written[(r, c)],
            expected=f"未找到{rows}行，该块中的{'、'.join(_as_written(f.header, sheet) for f in fields)}均未读取",
            fix=f"请将该块中数值所在行的行名写为{rows}",
        )


def _as_written(header: str, sheet: ParsedSheet) -> str:
    """Name a `1-N月…` header with the form's own N (`1-7月执行数`), once the form's headers gave it."""
    return with_months(header, sheet.meta.months_so_far)


def _stated(found: Place | None, sheet: ParsedSheet) -> int | None:
    """Return the Excel row of a field's cell when it was read without a problem of its own, else None."""
    if found is None:
        return None
    excel_row, header = found[0] + 1, _where(found)
    reported = any((p.excel_row, p.column_header) == (excel_row, header) for p in sheet.problems)
    return None if reported else excel_row


def _check_stated_total(
    found: dict[str, Place | None], values: dict[str, object], sheet: ParsedSheet
) -> None:
    """Warn on the 总分 row where it is not the 项目资金 得分 plus every indicator's 得分 written."""
    total, budget_score = values.get(_TOTAL), values.get(_BUDGET_SCORE)
    scores = [record.get(_SCORE) for record in sheet.records]
    if (
        _stated(found.get(_TOTAL), sheet) is None
        or None in (total, budget_score)
        or not scores
        or None in scores
    ):
        return  # a part not written, or already reported: nothing to check it against
    indicators = sum(scores, Decimal(0))
    expected_total = budget_score + indicators
    # 99.9 or 100 written for 99.85: as rounded as written, and never closer than 0.01.
    if as_rounded(total, expected_total, _TOTAL_TOLERANCE):
        return
    _warn_at(
        sheet,
        found[_TOTAL],
        rule="total_score_mismatch",
        value=total,
        expected=(
            f"应等于项目资金得分{display(budget_score)}与各指标得分之和{display(indicators)}的合计"
            f"{display(expected_total)}"
        ),
        fix="请核对总分及各项得分",
    )


def _check_stated_rate(
    places: Places, found: dict[str, Place | None], values: dict[str, object], sheet: ParsedSheet
) -> None:
    """Warn where the 项目资金 执行率 written is not its 执行数 over its budget, beyond the rounding written."""
    rate = values.get(_RATE)
    executed, planned, labels = _execution(found, values, sheet)
    if _stated(found.get(_RATE), sheet) is None or None in (rate, executed, planned) or not planned:
        return
    if as_rounded(rate, executed / planned, *_RATE_TOLERANCE):
        return
    r, c, _, _ = found[_RATE]
    _warn_at(
        sheet,
        found[_RATE],
        rule="rate_mismatch",
        value=places.cell(r, c),
        expected=f"应等于{_quotient(executed, planned, labels)}",
        fix=f"请核对执行率、{labels[0]}和{labels[1]}",
    )


def _execution(
    found: dict[str, Place | None], values: dict[str, object], sheet: ParsedSheet
) -> tuple[Decimal | None, Decimal | None, tuple[str, str]]:
    """Return the block's 执行数, the budget its 执行率 is a share of, and their headers as the form writes them
    (`1-7月执行数`, `全年预算数`; the template's where the form has none)."""
    budget = _budget_field(sheet)
    headers = {field.name: field.header for field in sheet.template.fields}
    executed, planned = (
        _as_written(header_of(found[name]) if found.get(name) else headers[name], sheet)
        for name in (_EXECUTED, budget)
    )
    return values.get(_EXECUTED), values.get(budget), (executed, planned)


def _percent(executed: Decimal, planned: Decimal) -> str:
    """Show 执行数 over budget as a percentage to two decimals (`96.16`)."""
    return display((executed / planned * 100).quantize(Decimal("0.01")))


def _quotient(executed: Decimal, planned: Decimal, labels: tuple[str, str]) -> str:
    """Show how the form's own figures give its 执行率: `全年执行数÷全年预算数＝1250.1÷1300≈96.16%`."""
    return f"{labels[0]}÷{labels[1]}＝{display(executed)}÷{display(planned)}≈{_percent(executed, planned)}%"


def _budget_field(sheet: ParsedSheet) -> str | None:
    """Return the field an 执行率 is a share of: 全年预算数 on the 自评表, 年初预算数 on the 运行监控表."""
    names = {field.name for field in sheet.template.fields}
    return next((name for name in _BUDGETS if name in names), None)


def _settle_bare_rate(found: dict[str, Place | None], values: dict[str, object], sheet: ParsedSheet) -> None:
    """Read a 执行率 written as a bare 1 (1 % or 100 %), or just over 1 (=E7/D7's 1.0015: 1.0015 % or 100.15 %), as
    the form's own 执行数 over its budget says, and say so."""
    place = found.get(_RATE)
    if place is None:
        return
    where = (place[0] + 1, _where(place))
    doubt = next(
        (
            p
            for p in sheet.problems
            if p.rule == "percent_ambiguous" and (p.excel_row, p.column_header) == where
        ),
        None,
    )
    if doubt is None:
        return
    executed, planned, labels = _execution(found, values, sheet)
    fraction = parse_percent(doubt.value)  # the bare number as a fraction: 100 % (1), 100.15 % (1.0015)
    shown = points_text(fraction.scaleb(2))
    either = f"既可读作{points_text(fraction)}%也可读作{shown}%"
    fix = f"请填写带百分号的执行率，如“{shown}%”" + (
        "" if fraction == 1 else "（公式结果可将单元格设为百分比格式）"
    )
    # Without the form's own figures to tell, the rule for a bare 1 decides: read against its target, and an
    # execution rate's target is the whole budget (100 %), so it is read as the fraction (100 %, 100.15 %).
    values[_RATE] = fraction
    by_target = f"按执行率的目标100%，已按{shown}%计算"
    if None in (executed, planned):
        expected = f"{either}，本表没有可对照的执行数和预算数，{by_target}"
    elif not planned:
        expected = f"{either}，本表预算数为0，无法对照执行数，{by_target}"
    else:
        computed = executed / planned
        basis = f"本表{labels[0]}÷{labels[1]}＝{display(executed)}÷{display(planned)}"
        # Each reading is written to the unit: within half a point of one, that is the one meant.
        reading = next(
            (r for r in (fraction, fraction.scaleb(-2)) if abs(computed - r) <= _RATE_TOLERANCE[1]), None
        )
        if reading is None:
            percent = _percent(executed, planned)
            expected = f"{either}，而{basis}≈{percent}%，两种读法都不相符，{by_target}"
            fix = f"请核对执行率及执行数、预算数，并填写带百分号的执行率，如“{percent}%”"
        else:
            values[_RATE] = reading
            expected = f"{either}，对照{basis}，已按{points_text(reading.scaleb(2))}%计算"
    sheet.problems.remove(doubt)
    _warn_at(sheet, place, rule="percent_ambiguous", value=doubt.value, expected=expected, fix=fix)


def _tell_blank_rate(found: dict[str, Place | None], values: dict[str, object], sheet: ParsedSheet) -> None:
    """Warn of a 执行率 left blank beside a 执行数 or budget in the form's 项目资金 block, saying what stands for it.

    The marts compute it from the block's own 执行数 over its budget (mart.self_evaluation, where no ledger gives
    the rate; mart.monitoring_findings): a blank is no 0 %, but the clerk is asked to write it all the same.
    """
    place = found.get(_RATE)
    if place is None or values.get(_RATE) is not None:
        return
    excel_row, header = place[0] + 1, _where(place)
    if any((p.excel_row, p.column_header) == (excel_row, header) for p in sheet.problems):
        return  # written but unreadable: already an error on the cell
    executed, planned, labels = _execution(found, values, sheet)
    if executed is None and planned is None:
        return  # a block left blank, as the simplified table has none: the rate comes from the ledger
    if None in (executed, planned) or not planned:
        expected = f"本表也没有可据以计算执行率的{labels[0]}和{labels[1]}"
        fix = "请填写执行率，以及执行数和预算数"
    else:
        expected = f"已按本表{_quotient(executed, planned, labels)}读取"
        fix = f"请填写执行率，如“{_percent(executed, planned)}%”"
    _warn_at(sheet, place, rule="rate_blank", value=None, expected=expected, fix=fix)


def _warn_at(sheet: ParsedSheet, place: Place, *, rule: str, value: object, expected: str, fix: str) -> None:
    """Warn of a form's cell, named as its problems name it: its Excel row and `_where` it is."""
    sheet.problems.append(
        cell_problem(
            rule,
            sheet=sheet.name,
            excel_row=place[0] + 1,
            header=_where(place),
            value=value,
            expected=expected,
            fix=fix,
            severity=Severity.WARNING,
        )
    )


def _check_points(grid: Grid, sheet: ParsedSheet, column: Column) -> None:
    """Strip `（N分）` or `（N）` from a level's name and warn where N is not the sum of its rows' points."""
    binding = next((b for b in sheet.bindings if b.column.name == column.name), None)
    header = binding.header if binding else column.header
    stated: dict[str, tuple[Decimal, int, str]] = {}
    sums: dict[str, Decimal] = defaultdict(Decimal)
    unread: set[str] = set()
    # Rows whose level is blank (a form whose merges were undone; a CSV's are carried down, flattened.py) belong to
    # a level unknown: any sum would blame the stated points, which are right. Those rows are errors of their own.
    unassigned = any(not record.get(column.name) for record in sheet.records)
    for record in sheet.records:
        text = record.get(column.name)
        if not text:
            continue
        match = _POINTS.match(text)
        name = match.group(1).strip() if match else text
        if match:
            record[column.name] = name
            stated.setdefault(name, (Decimal(match.group(2)), record["excel_row"], text))
        points = record.get(column.points_of)
        if isinstance(points, int | Decimal):
            sums[name] += points
        else:  # a 分值 blank or unreadable (`约15`), an error of its own: the sum would blame the level
            unread.add(name)
    # On a CSV whose blank levels were read as the one above, a row carried under the wrong level puts its points
    # there: the clerk is sent to those rows as well as to the points.
    carried = sheet.carried.get(column.name)
    told = f"；本表是CSV文件，{rows_text(carried)}的「{header}」为空，已按上方读取" if carried else ""
    check = "，以及按上方读取的行是否属于该指标" if carried else ""
    for name, (points, excel_row, text) in stated.items():
        if sums[name] != points and not unassigned and name not in unread:
            sheet.problems.append(
                cell_problem(
                    "points_mismatch",
                    sheet=sheet.name,
                    excel_row=excel_row,
                    header=header,
                    value=_as_typed(grid, excel_row, binding.index) if binding else text,
                    expected=f"标注的{display(points)}分应等于“{name}”下各指标分值之和{display(sums[name].normalize())}分{told}",
                    fix=f"请核对一级指标标注的分值或各指标的分值{check}",
                    severity=Severity.WARNING,
                )
            )


def _as_typed(grid: Grid, excel_row: int, index: int) -> object:
    """Return a cell as the clerk typed it, `产出指标（55分）` with its full-width brackets, a merge read at its origin."""
    # The record holds the text folded to half width, `(55分)`, which the clerk never wrote.
    r, c = _merged_origin(grid).get((excel_row - 1, index), (excel_row - 1, index))
    row = grid.rows[r] if r < len(grid.rows) else ()
    return row[c] if c < len(row) else None


def _names_months(text: str) -> bool:
    return months_so_far(text) is not None


def _months_covered(grid: Grid, located: dict[str, Place | None], sheet: ParsedSheet) -> None:
    """Note N of the form's `1-N月…` headers; headers naming different months are an error."""
    found: dict[int, tuple[int, str]] = {}
    # The clerk is sent to the row the months are written on: a group header's over its sub-headers, the first of a
    # header merged down both rows.
    origin = _merged_origin(grid)
    match = HeaderMatch(sheet.template, sheet.header_rows[0] - 1, sheet.header_rows[1] - 1, sheet.bindings)
    headers = [
        (header_cell(grid, match, b.index, origin, _names_months)[0] + 1, b.header) for b in sheet.bindings
    ]
    for field in sheet.template.fields:
        where = located[field.name]
        if where is not None and field.row is not None:
            headers.append((where[3] + 1, where[2].split("·")[-1]))
    for excel_row, written in headers:
        months = months_so_far(written)
        if months is not None:
            found.setdefault(months, (excel_row, written))
    if len(found) == 1:
        (sheet.meta.months_so_far,) = found
        sheet.meta.rows["months_so_far"] = next(iter(found.values()))[0]
    for _months, (excel_row, written) in sorted(found.items())[1:]:
        sheet.error(
            rule="months_mismatch",
            excel_row=excel_row,
            header=written,
            value=written,
            expected=f"表头中的月份应一致（另有表头为“{found[min(found)][1]}”）",
            fix="请统一填写截至月份，如“1-7月”",
        )
