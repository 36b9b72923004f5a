"""Check a data row's indicators: each value reported read against its target, the clerk told of it."""

from __future__ import annotations

from pipeline.indicator_figures import indicator_parts, strict_word
from pipeline.indicator_values import read_indicator
from pipeline.indicator_warnings import (
    READ_FOR_SCORE,
    bare_cost,
    blank_actual,
    names_cost,
    scored_by_outcome,
    scored_from_data,
    strict_bound,
    unit_unwritten,
    unscored,
    unscored_words,
)
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import display
from pipeline.sheet_columns import SheetColumns
from pipeline.written_units import is_magnitude


def check_indicators(
    sheet: ParsedSheet,
    row: list[object],
    index: int,
    values: dict[str, object],
    failed: set[str],
    columns: SheetColumns,
) -> None:
    """Read each indicator of data row `index` (zero-based) against its target; tell the clerk of it."""
    excel_row = index + 1
    width = len(row)
    qualitative = columns.qualitative
    kinds = columns.indicators
    # A form that scores its indicators (分值): a cost's bare amount is scored one way of two.
    scored = "weight" in values
    for binding, target_binding in columns.read_against:
        if binding.column.name in failed or binding.column.read_against in failed:
            continue  # its error is told already; read against nothing, it would be told again as blank
        reported, target = values[binding.column.name], values.get(binding.column.read_against)
        if not (reported or target):
            continue
        reading = read_indicator(
            target,
            reported,
            target_binding and target_binding.unit,
            binding.unit,
            kinds.rate(values.get("level3")),
            values.get("level3"),
        )
        # A bare target of an amount the data compute (`改造面积` `≥24.4`) is compared with the value reported,
        # not the data's (mart.self_evaluation's `targets`): the clerk is asked for its unit.
        # So is one written in a magnitude alone (`≥24.4万`), which its text tells no measure of.
        magnitude = reading.target_unit if is_magnitude(reading.target_unit) else None
        unbound = (
            kinds.amount(values.get("level3"))
            if reading.error is None
            and reading.target_number is not None
            and (reading.target_unit is None or magnitude)
            else None
        )
        if target and reading.target_unit in (None, "%"):
            # Read bare, a number Excel shows as a percentage is read otherwise than seen (a 1 shown as 100% is 1 %
            # or 100 % against `≥90%`, 98.00% is 0.98 against `≥95`) or kept otherwise (3% kept as 0.03 beside
            # `≤5%`): its format is asked, so it is stored and read as the clerk sees it.
            for shown in (binding, target_binding):
                if shown is not None and shown.index < width and row[shown.index].__class__ in (float, int):
                    sheet.percent_numbers.append((index, shown.index))
        if reading.error is not None:
            where = target_binding if reading.error_in_target and target_binding else binding
            sheet.error(
                rule=reading.error.rule,
                excel_row=excel_row,
                header=where.header,
                value=target if reading.error_in_target else reported,
                expected=reading.error.expected,
                fix=reading.error.fix,
            )
        elif reading.noted is not None and reading.noted_in_target and target_binding is not None:
            sheet.warn(reading.noted, excel_row=excel_row, header=target_binding.header, value=target)
        elif reading.noted is not None and reported:
            noted = reading.noted
            if noted.rule == "indicator_not_number" and reported.strip() in qualitative:
                noted = scored_by_outcome(target, reported)
            elif noted.rule in READ_FOR_SCORE and kinds.computed(values.get("level3")):
                noted = scored_from_data(noted)
            sheet.warn(noted, excel_row=excel_row, header=binding.header, value=reported)
        elif unscored_words(reading.operator, target, reported, qualitative):
            noted = unscored(target, reported, qualitative)
            sheet.warn(noted, excel_row=excel_row, header=binding.header, value=reported)
        if (
            reading.error is None
            and target
            and not reported
            and (unbound or not kinds.computed(values.get("level3")))
        ):
            # Nothing to score it by: it counts 0, which the clerk must hear of before the report says so.
            noted, shown = blank_actual(row[binding.index] if binding.index < width else None)
            sheet.warn(noted, excel_row=excel_row, header=binding.header, value=shown)
        if reading.error is None and reading.target_noted is not None and target_binding is not None:
            sheet.warn(reading.target_noted, excel_row=excel_row, header=target_binding.header, value=target)
        if reading.error is None and reading.target_number is not None and (word := strict_word(target)):
            # Told whatever the actual: one the data compute is not known until the models score it.
            bound = f"{display(reading.target_number)}{reading.target_unit or ''}"
            noted = strict_bound(word, reading.operator, bound)
            sheet.warn(noted, excel_row=excel_row, header=target_binding.header, value=target)
        if (
            scored
            and reading.error is None
            and reading.operator == "≥"
            and target_binding is not None
            and reading.target_measure == "money"
            and names_cost(values.get("level2"), values.get("level3"))
            and indicator_parts(target).operator is None
        ):
            bound = f"{display(reading.target_number)}{reading.target_unit}"
            sheet.warn(bare_cost(bound), excel_row=excel_row, header=target_binding.header, value=target)
        if unbound and target_binding is not None:
            noted = unit_unwritten(target, unbound, magnitude)
            sheet.warn(noted, excel_row=excel_row, header=target_binding.header, value=target)
