"""Check a national form's own sums (总分, 执行率) against the cells they are made of, and settle its 执行率."""

from __future__ import annotations

from decimal import Decimal

from pipeline.form_carried import CARRIED_RULES
from pipeline.form_cells import _as_written, _warn_at, _where
from pipeline.form_places import Place, Places, header_of
from pipeline.parsed_sheet import ParsedSheet
from pipeline.percent_slips import fraction_as_points, fraction_typed
from pipeline.percent_values import parse_percent, points_text
from pipeline.problems import display
from pipeline.rates import RATE_TOLERANCE, percent_of, quotient, rate_agrees
from pipeline.rounding import POINTS_FLOOR, as_rounded
from pipeline.text import rows_text
from pipeline.values import CellError, decimal_of

# The national forms' own sums, checked against the cells they are made of (field names both forms share):
# 总分 is the 项目资金 block's 得分 plus every indicator's 得分; 执行率 is 执行数 over the block's budget, its
# 全年预算数 where the form has one (自评表, and a 运行监控表 that adds it), else its 年初预算数 (the 运行监控表 as
# printed), as mart.monitoring_findings computes it.
_TOTAL, _BUDGET_SCORE, _SCORE = "reported_total_score", "budget_reported_score", "reported_score"
_RATE, _EXECUTED, _POINTS = "budget_execution_rate", "budget_executed_wan", "budget_points"
_BUDGETS = ("budget_annual_wan", "budget_initial_wan")


def _stated(found: Place | None, sheet: ParsedSheet) -> int | None:
    """Return the Excel row of a field's cell when it was read without a problem of its own, else None."""
    if found is None:
        return None
    excel_row, header = found[0] + 1, _where(found)
    # The word after a 总分 told (`95（合格）`) leaves its number read, and as open to its checks as any.
    reported = any(
        (p.excel_row, p.column_header) == (excel_row, header) and p.rule not in CARRIED_RULES
        for p in sheet.problems
    )
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
    if as_rounded(total, expected_total, POINTS_FLOOR):
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


def _warn_written(
    places: Places, sheet: ParsedSheet, place: Place, *, rule: str, expected: str, fix: str
) -> None:
    """Warn of a field of the 项目资金 block, quoting its cell as written."""
    r, c, _, _ = place
    _warn_at(sheet, place, rule=rule, value=places.cell(r, c), expected=expected, fix=fix)


def _check_budget_score(
    places: Places, found: dict[str, Place | None], values: dict[str, object], sheet: ParsedSheet
) -> None:
    """Warn where the 项目资金 block's 得分 is above its 分值, as an indicator's is (score_above_points)."""
    score, points = values.get(_BUDGET_SCORE), values.get(_POINTS)
    if _stated(found.get(_BUDGET_SCORE), sheet) is None or None in (score, points) or score <= points:
        return
    _warn_written(
        places,
        sheet,
        found[_BUDGET_SCORE],
        rule="score_above_points",
        expected=f"不应高于项目资金的分值{display(points)}",
        fix="请核对项目资金的得分",
    )


def _check_executed_over_budget(
    places: Places, found: dict[str, Place | None], values: dict[str, object], sheet: ParsedSheet
) -> None:
    """Warn where the 自评表's 全年执行数 is above its 全年预算数: spent beyond the year's whole budget, one of the two is
    likely off, and its 执行率 over 100 % scores full marks untold (executed_exceeds_budget)."""
    # Only against 全年预算数: the 运行监控表 as printed states its 年初预算数 alone, which a budget raised in the year
    # may pass.
    executed, planned = values.get(_EXECUTED), values.get(_BUDGETS[0])
    place = found.get(_EXECUTED)
    if _stated(place, sheet) is None or None in (executed, planned) or executed <= planned:
        return
    _, _, labels = _execution(found, values, sheet)
    over, under = (
        summed_from(name, sheet) + _as_figure(v, name, sheet)
        for v, name in ((executed, _EXECUTED), (planned, _BUDGETS[0]))
    )
    _warn_written(
        places,
        sheet,
        place,
        rule="executed_exceeds_budget",
        expected=f"{labels[0]}{over}超过{labels[1]}{under}"
        + (f"，执行率{percent_of(executed, planned)}%超过100%" if planned else ""),
        fix=f"请核对{labels[0]}和{labels[1]}；如确有超预算执行，请在偏差原因分析中说明",
    )


def summed_from(name: str, sheet: ParsedSheet) -> str:
    """Say where a block amount added up from several 其中 rows came from (`（第8至9行之和）`); nothing for one cell."""
    rows = [cell[0] for cell in sheet.field_cells.get(name, ())]
    return f"（{rows_text(rows)}之和）" if len(rows) > 1 else ""


def _check_stated_rate(
    places: Places, found: dict[str, Place | None], values: dict[str, object], sheet: ParsedSheet
) -> None:
    """Warn where the 项目资金 执行率 written is not its 执行数 over its budget, beyond the rounding written."""
    rate = values.get(_RATE)
    # Asked first: a source of the registry's own with `fields` has no 项目资金 block for _execution to name.
    if _stated(found.get(_RATE), sheet) is None or rate is None:
        return
    executed, planned, labels = _execution(found, values, sheet)
    if None in (executed, planned) or not planned:
        return
    if rate_agrees(rate, executed, planned):
        return
    scored = _scored_by(sheet, labels)
    _warn_written(
        places,
        sheet,
        found[_RATE],
        rule="rate_mismatch",
        expected=f"应等于{_quotient(executed, planned, labels, sheet, found)}",
        fix=f"请核对执行率、{labels[0]}和{labels[1]}" + (f"（{scored}）" if scored else ""),
    )


def _scored_by(sheet: ParsedSheet, labels: tuple[str, str]) -> str:
    """Say what a 自评表's 预算执行率 is scored by when its 执行率 is off its own figures (rate_mismatch); nothing on a
    运行监控表, whose written rate is the one set against 时间进度."""
    # mart.self_evaluation scores the money's quotient then: a rate agreeing with neither figure is no rate to publish.
    if sheet.template.id != "performance_targets":
        return ""
    return f"未报送资金台账的，预算执行率按{labels[0]}÷{labels[1]}计分"


def _execution(
    found: dict[str, Place | None], values: dict[str, object], sheet: ParsedSheet
) -> tuple[Decimal | None, Decimal | None, tuple[str, str]]:
    """Return the block's 执行数, the budget its 执行率 is a share of, and their headers as the form writes them
    (`1-7月执行数`, `全年预算数`; the template's where the form has none)."""
    budget = _budget_field(sheet, found)
    headers = {field.name: field.header for field in sheet.template.fields}
    executed, planned = (
        _as_written(header_of(found[name]) if found.get(name) else headers[name], sheet)
        for name in (_EXECUTED, budget)
    )
    return values.get(_EXECUTED), values.get(budget), (executed, planned)


def _figures(executed: Decimal, planned: Decimal, sheet: ParsedSheet, found: dict[str, Place | None]) -> str:
    """Show 执行数÷预算数 in the units the form writes them in (`15723600÷15700000` under 项目资金（元）)."""
    return (
        f"{_as_figure(executed, _EXECUTED, sheet)}÷{_as_figure(planned, _budget_field(sheet, found), sheet)}"
    )


def _as_figure(value: Decimal, name: str, sheet: ParsedSheet) -> str:
    """Show a block amount in the unit the form writes it in (15723600 under 项目资金（元）, stored as 1572.36 万元)."""
    return display(value / unit.factor if (unit := sheet.written_unit(name)) else value)


def _quotient(
    executed: Decimal,
    planned: Decimal,
    labels: tuple[str, str],
    sheet: ParsedSheet,
    found: dict[str, Place | None],
) -> str:
    """Show how the form's own figures give its 执行率: `全年执行数÷全年预算数＝1250.1÷1300≈96.16%`."""
    return quotient(labels, _figures(executed, planned, sheet, found), executed, planned)


def _budget_field(sheet: ParsedSheet, found: dict[str, Place | None]) -> str | None:
    """Return the field an 执行率 is a share of: 全年预算数 where the form has it (the 自评表 always), else 年初预算数
    (the 运行监控表 as printed)."""
    names = [field.name for field in sheet.template.fields if field.name in _BUDGETS]
    return next(
        (name for name in _BUDGETS if name in names and found.get(name) is not None),
        names[0] if names else None,
    )


def _settle_bare_rate(
    places: Places, found: dict[str, Place | None], values: dict[str, object], sheet: ParsedSheet
) -> None:
    """Read a 执行率 written as a bare 1 (1 % or 100 %), or just over 1 (=E7/D7's 1.0015: 1.0015 % or 100.15 %), as
    the form's own 执行数 over its budget says, and say so; a bare number under 1 too, where they say it is one."""
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
        _settle_bare_fraction(places, place, values, sheet, found)
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
    rule = "percent_ambiguous"
    by_target = f"按执行率的目标100%，已按{shown}%计算"
    if None in (executed, planned):
        expected = f"{either}，本表没有可对照的执行数和预算数，{by_target}"
    elif not planned:
        expected = f"{either}，本表预算数为0，无法对照执行数，{by_target}"
    else:
        computed = executed / planned
        basis = f"本表{labels[0]}÷{labels[1]}＝{_figures(executed, planned, sheet, found)}"
        # Each reading is written to the unit: within half a point of one, that is the one meant.
        reading = next(
            (r for r in (fraction, fraction.scaleb(-2)) if abs(computed - r) <= RATE_TOLERANCE[1]), None
        )
        if reading is None:
            # Off the form's own figures whichever way it is read: told as any rate off them is (rate_mismatch),
            # so a 自评表 is scored by its figures, never 10 of 10 for a 1 beside figures giving 80 %.
            percent = percent_of(executed, planned)
            expected = (
                f"{either}，而{basis}≈{percent}%，两种读法都不相符，{_scored_by(sheet, labels) or by_target}"
            )
            fix = f"请核对执行率及执行数、预算数，并填写带百分号的执行率，如“{percent}%”"
            rule = "rate_mismatch"
        else:
            values[_RATE] = reading
            expected = f"{either}，对照{basis}，已按{points_text(reading.scaleb(2))}%计算"
    sheet.problems.remove(doubt)
    _warn_at(sheet, place, rule=rule, value=doubt.value, expected=expected, fix=fix)


def _rate_cell(places: Places, place: Place) -> tuple[int, int, object, tuple[Decimal, str] | None]:
    """Return the 执行率's cell (its merge's first), what it holds, and its number and suffix (None if no number)."""
    r, c = places.origin.get(place[:2], place[:2])
    raw = places.inline.get(_RATE, places.cell(r, c))
    try:
        return r, c, raw, decimal_of(raw)
    except CellError:
        return r, c, raw, None


def _settle_bare_fraction(
    places: Places,
    place: Place,
    values: dict[str, object],
    sheet: ParsedSheet,
    found: dict[str, Place | None],
) -> None:
    """Read a bare 执行率 under 1 as percent points (0.96 as 0.96 %) where the form's own 执行数 over its budget is
    that and not the fraction (96 %), and say so: the form's rate columns are in percent, and a clerk who typed the
    quotient's points into a General cell would otherwise score 96 %."""
    executed, planned, labels = _execution(found, values, sheet)
    if values.get(_RATE) is None or None in (executed, planned) or not planned:
        return
    r, c, raw, written = _rate_cell(places, place)
    if written is None:
        return
    number, suffix = written
    computed, points = executed / planned, number.scaleb(-2)
    if (
        suffix
        or not 0 < number < 1
        or as_rounded(number, computed, *RATE_TOLERANCE)
        or not as_rounded(points, computed, *RATE_TOLERANCE)
    ):
        return  # written with its sign, read as the figures say, or neither reading: _check_stated_rate tells it
    # A cell Excel shows as a percentage (0.96 under `0%`, seen as 96%) is no bare number: parse reads it again as
    # shown, and the figures then tell the rate is off.
    sheet.note_percent_number(r, c, raw, doubted=True)
    values[_RATE] = points
    shown = points_text(number)
    _warn_at(
        sheet,
        place,
        rule="percent_ambiguous",
        value=raw,
        expected=(
            f"既可读作{points_text(number.scaleb(2))}%也可读作{shown}%，对照本表{labels[0]}÷{labels[1]}"
            f"＝{_figures(executed, planned, sheet, found)}，已按{shown}%计算"
        ),
        fix=f"请填写带百分号的执行率，如“{shown}%”",
    )


def _check_fraction_rate(
    places: Places, found: dict[str, Place | None], values: dict[str, object], sheet: ParsedSheet
) -> None:
    """Ask about a 自评表's 执行率 written `0.96%` (or `1%`) with no 执行数 and budget of its own to tell it by: most
    likely 96 % with a `%` after the fraction, scored as 0.96 % where no ledger gives the rate (percent_slips)."""
    # With the form's own figures _check_stated_rate tells a rate off them, and a 0.96 % they give is no slip. A
    # 运行监控表's rate is a share of the year's budget spent so far, which may be small; it is left as written.
    place = found.get(_RATE)
    if sheet.template.id != "performance_targets" or _stated(place, sheet) is None or values[_RATE] is None:
        return
    executed, planned, _ = _execution(found, values, sheet)
    if None not in (executed, planned) and planned:
        return
    r, c, raw, written = _rate_cell(places, place)
    if written is None:
        return  # written in words (`百分之一`): no fraction typed
    number, suffix = written
    if suffix != "%":
        # A number Excel shows as a percentage (0.0096 under `0.00%`, seen as 0.96%) is read again as shown.
        if 0 < number <= Decimal("0.01"):
            sheet.note_percent_number(r, c, raw, doubted=True)
        return
    if not fraction_as_points(number, Decimal(100)):
        return
    missing = "本表没有可对照的执行数和预算数" if None in (executed, planned) else "本表预算数为0"
    noted = fraction_typed(number, "执行率", f"远低于执行率的目标100%，{missing}")
    said = f"{noted.expected}（未报送资金台账的，预算执行率按此计分）"
    _warn_at(sheet, place, rule=noted.rule, value=raw, expected=said, fix=noted.fix)


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
    if None in (executed, planned):
        # Only what is missing is named: the clerk who wrote 年初预算数 is not told the form has none.
        missing = "和".join(label for label, v in zip(labels, (executed, planned), strict=True) if v is None)
        expected = f"本表也没有可据以计算执行率的{missing}"
        fix = f"请填写执行率及{missing}"
    elif not planned:
        expected = f"本表{labels[1]}为0，无法据以计算执行率"
        fix = f"请填写执行率，并核对{labels[1]}"
    else:
        expected = f"已按本表{_quotient(executed, planned, labels, sheet, found)}读取"
        fix = f"请填写执行率，如“{percent_of(executed, planned)}%”"
    _warn_at(sheet, place, rule="rate_blank", value=None, expected=expected, fix=fix)
