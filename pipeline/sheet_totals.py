"""Check each amount a 合计/小计 row states against the sum of the rows it totals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from pipeline.header_match import Binding
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import display
from pipeline.registry_templates import Template
from pipeline.text import rows_text
from pipeline.values import UnitContext


@dataclass(slots=True)
class HiddenRows:
    """The hidden rows among those a 合计 or 小计 totals, and their amounts' sums: a filtered sheet's `SUBTOTAL(9,…)`
    leaves them out of its 合计, which then differs from every row's sum by theirs."""

    rows: list[int] = field(default_factory=list)
    sums: defaultdict[tuple[str, str | None], Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def clear(self) -> None:
        self.rows.clear()
        self.sums.clear()


def _check_total(
    sheet: ParsedSheet,
    excel_row: int,
    stated: dict,
    summable: list[Binding],
    sums: dict[tuple[str, str | None], Decimal],
    contexts: dict[str, UnitContext],
    template: Template,
    where: str = "上方",
    of_kind: tuple[tuple[str, object], list[dict]] | None = None,
    hidden: HiddenRows | None = None,
) -> None:
    """Report each amount of a 合计/小计 row that differs from its rows' sum by more than 0.01 in its unit.

    `of_kind`: the enum column and value the row names (类型 到位) and the rows above: its amount may be their sum.
    `hidden`: the hidden rows among them: where its amount is the others' sum, the error says so.
    """
    for binding in summable:
        name = binding.column.name
        if stated.get(name) is None:
            continue
        # In the unit the 合计 row is written in: its own 单位 cell's (元), else its header's.
        factor = (sheet.written_unit(name, excel_row) or contexts[name]).factor
        key = _sum_key(binding, stated, template)
        if key not in sums and key[1] is None:
            # A 合计 row naming no unit under rows that all share one unit means that unit.
            same_column = [k for k in sums if k[0] == name]
            key = same_column[0] if len(same_column) == 1 else key
            if len(same_column) > 1:
                # Under rows of several units (户 and 万元) it totals the rows of one of them: checked against each
                # unit's sum, not against the sum of rows naming no unit, which is 0 and passed a 合计 of 0.
                _check_unitless_total(
                    sheet, excel_row, binding, stated[name], [(k[1], sums[k]) for k in same_column], where
                )
                continue
        summed = sums.get(key, Decimal(0))
        tolerance = Decimal("0.01") * factor
        if abs(stated[name] - summed) <= tolerance:
            continue
        expected = f"应等于{where}各行之和{display((summed / factor).normalize())}"
        if of_kind is not None:
            # `合计 | 到位 | 10` under 到位 10 and 支付 4 totals the 到位 rows: returned against 14 before.
            (column, value), rows = of_kind
            kind_sum = sum(
                (r[name] for r in rows if r.get(column) == value and isinstance(r.get(name), (int, Decimal))),
                Decimal(0),
            )
            if abs(stated[name] - kind_sum) <= tolerance:
                continue
            if kind_sum != summed:  # every row of that kind: the one sum, said once
                expected += f"，或“{value}”各行之和{display((kind_sum / factor).normalize())}"
        fix = "请核对合计数或明细数据"
        left_out = hidden.sums.get(key) if hidden is not None else None
        if left_out and abs(stated[name] - (summed - left_out)) <= tolerance:
            # Told only as a mismatch, beside a warning that hidden rows were counted, the clerk saw no link.
            expected += (
                f"；本行只是未隐藏各行之和，{rows_text(tuple(hidden.rows))}是隐藏行"
                f"（共{display((left_out / factor).normalize())}），未计入本行（筛选后用SUBTOTAL求和只计显示的行）"
            )
            fix = "如隐藏行应当报送，请取消筛选，把合计改为全部各行之和（如用SUM）；如不应报送，请删除隐藏行后重新报送"
        sheet.error(
            rule="total_mismatch",
            excel_row=excel_row,
            header=binding.header,
            value=sheet.typed_number(name, stated[name], excel_row) or display(stated[name] / factor),
            expected=expected,
            fix=fix,
        )


def _check_unitless_total(
    sheet: ParsedSheet,
    excel_row: int,
    binding: Binding,
    stated: Decimal,
    sums: list[tuple[str, Decimal]],
    where: str,
) -> None:
    """Report a 合计 amount naming no unit that is the sum of the rows of none of the units above it."""
    if any(abs(stated - summed) <= Decimal("0.01") for _, summed in sums):
        return
    each = "、".join(f"{display(summed.normalize())}{unit}" for unit, summed in sums)
    sheet.error(
        rule="total_mismatch",
        excel_row=excel_row,
        header=binding.header,
        value=sheet.typed_number(binding.column.name, stated, excel_row) or display(stated),
        expected=f"应等于{where}同一单位各行之和（{each}）之一",
        fix="请核对合计数或明细数据，并在本行注明合计的单位",
    )


def states_sum_above(
    values: dict, summed: list[tuple[str, str | None, tuple[str, None]]], sums: dict, rows: int
) -> bool:
    """Say whether a data row states, in three or more amounts none 0, each the sum of the two or more rows above it."""
    # A 合计 row labelled otherwise (`全街道`, `共2个小区`) is read as one more compound or survey row, counting every
    # figure of the sheet twice. Three amounts each the sum of the rows above are no coincidence; two may be (分值 10,
    # 10 and 20, each scored in full), so a template with fewer is never asked.
    if rows < 2:
        return False
    stated = 0
    for name, unit_column, key in summed:
        amount = values[name]
        if amount is None or amount.__class__ is bool:
            continue
        if unit_column is not None:
            key = (name, values.get(unit_column))
        if amount == 0 or amount != sums.get(key):
            return False
        stated += 1
    return stated >= 3


def _sum_key(binding: Binding, values: dict, template: Template) -> tuple[str, str | None]:
    """Key a running sum by column, and by the row's own unit where rows name one (平方米 and 户 never add up)."""
    unit_column = _sum_unit_column(binding.column.name, template)
    return binding.column.name, values.get(unit_column) if unit_column is not None else None


def _sum_unit_column(name: str, template: Template) -> str | None:
    """Return the column naming the unit a column's amounts are summed in, when each row names its own."""
    rule = template.row_unit
    return rule.unit if rule is not None and name == rule.value else None
