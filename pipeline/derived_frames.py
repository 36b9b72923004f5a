"""Build the derived frames a suite's meta declares, computed across a sheet's rows (one row per sheet, per 其中
group, per project…), each row with the lineage that blames an Excel row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from pipeline.cumulative_frame import _cumulative_per_row
from pipeline.form_sums import summed_from
from pipeline.frames import Context, Frame, Sheet, _blamed, span
from pipeline.problems import display
from pipeline.registry import Registry
from pipeline.registry_columns import ColumnType
from pipeline.text import outline_level, rows_text

# Derived frames: one builder per kind a suite may declare in its meta `derived_frames`.
Builder = Callable[[list[Sheet], Context, Registry], "list[dict] | Frame"]


def _responses_per_row(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per survey row: 有效问卷 beside the sum of 满意, 基本满意 (blank = 0) and 不满意."""
    frame = []
    for sheet in sheets:
        for record in sheet.parsed.records:
            counts = sheet.values(record, "valid_responses", "satisfied", "dissatisfied")
            if counts is None or not sheet.readable(record, "basically_satisfied"):
                continue
            valid, satisfied, dissatisfied = counts
            responses = satisfied + (record.get("basically_satisfied") or 0) + dissatisfied
            # 有效问卷 as the clerk typed it (`1,111`), for the message to quote.
            written = sheet.as_written("valid_responses", valid, record["excel_row"])
            frame.append(
                _blamed(sheet, [record["excel_row"]])
                | {"valid_responses": valid, "responses_sum": responses, "valid_responses_written": written}
            )
    return frame


def _weight_total_per_sheet(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per sheet of indicators: the total of its 分值."""
    frame = []
    for sheet in sheets:
        records = sheet.parsed.records
        weights = [sheet.values(r, "weight") for r in records]
        if not records or None in weights:
            continue
        rows = [r["excel_row"] for r in records]
        frame.append(_blamed(sheet, rows) | {"weight_total": sum(w for (w,) in weights)})
    return frame


def _part_groups(records: list[dict]) -> list[tuple[dict, list[dict]]]:
    """Pair each top-level row with the 其中 rows that follow it."""
    groups: list[tuple[dict, list[dict]]] = []
    for record in records:
        if record.get("parent_item") is None:
            groups.append((record, []))
        elif groups:
            groups[-1][1].append(record)
    return groups


def _parts_per_parent_row(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per row with 其中 parts: its 数量 beside the sum of its parts in the same unit, both also shown
    in the unit the row was written in."""
    frame = []
    for sheet in sheets:
        for parent, parts in _part_groups(sheet.parsed.records):
            alike = [p for p in parts if p.get("quantity_unit") == parent.get("quantity_unit")]
            quantities = [sheet.values(r, "quantity") for r in (parent, *alike)]
            if not alike or None in quantities:
                continue
            (parent_quantity,), *part_quantities = quantities
            parts_sum = sum(q for (q,) in part_quantities)
            row = parent["excel_row"]
            # The receipt quotes the row as the clerk wrote it (763139300 元, not the 76313.93 万元 stored), and the
            # parts' sum in that same unit, so the two compare at a glance.
            frame.append(
                _blamed(sheet, [row])
                | {
                    "parent_quantity": parent_quantity,
                    "parts_sum": parts_sum,
                    "parts_excess": parts_sum - parent_quantity,
                    "part_rows": span([p["excel_row"] for p in alike]),
                    "parent_written": sheet.as_written("quantity", parent_quantity, row),
                    "parts_sum_written": sheet.as_written("quantity", parts_sum, row),
                    "written_unit": _unit_written(sheet, parent),
                }
            )
    return frame


def _parts_per_unit(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per 其中 row: whether its 单位 is its row's (as stored, so 万元 and 元 are one), both as written."""
    frame = []
    for sheet in sheets:
        for parent, parts in _part_groups(sheet.parsed.records):
            unit = parent.get("quantity_unit")
            if unit is None:
                continue
            for part in parts:
                if part.get("quantity_unit") is None:
                    continue
                row = part["excel_row"]
                # A part in another unit is left out of its row's sum (`parts_per_parent_row`): the clerk is asked,
                # since a part of an area written in 户 is most likely a slip of the 单位 cell.
                frame.append(
                    _blamed(sheet, [row])
                    | {
                        "same_unit": part["quantity_unit"] == unit,
                        "part_unit": _unit_written(sheet, part),
                        "parent_row": parent["excel_row"],
                        "parent_item": parent.get("item") or "",
                        "parent_unit": _unit_written(sheet, parent),
                    }
                )
    return frame


def _unit_written(sheet: Sheet, record: dict) -> str:
    """Return the 单位 a row was written in (元, not the 万元 stored)."""
    written = sheet.written_unit("quantity", record["excel_row"])
    return written.name if written else record.get("quantity_unit") or ""


def _cost_rows_per_unit(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per top-level 投资构成 row: whether its 单位 is money (as stored, so 元 and 万元 are one), as written."""
    money = registry.units.measures["money"].base
    frame = []
    for sheet in sheets:
        for record in sheet.parsed.records:
            unit = record.get("quantity_unit")
            if (
                record.get("parent_item") is None
                and record.get("category") == "投资构成"
                and unit is not None
            ):
                # Left out of the sum checked against 计划总投资 (`investment_total_per_project`): the clerk is asked,
                # as a cost in 平方米 is most likely a slip of its 单位 or 类别 cell.
                frame.append(
                    _blamed(sheet, [record["excel_row"]])
                    | {"in_money": unit == money, "row_unit": _unit_written(sheet, record)}
                )
    return frame


def _investment_total_per_project(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per sheet and project: the sum of its top-level 投资构成 rows beside 计划总投资."""
    money = registry.units.measures["money"].base
    frame = []
    for sheet in sheets:
        by_project: dict[tuple, list[dict]] = defaultdict(list)
        for record in sheet.parsed.records:
            # A row whose 数量 could not be read (its 单位 千元) leaves the sum unknown, not smaller: it is kept, as None.
            if (
                record.get("parent_item") is None
                and record.get("category") == "投资构成"
                and (record.get("quantity_unit") == money or not sheet.readable(record, "quantity"))
            ):
                by_project[(record.get("project_name"), record.get("year"))].append(record)
        for (project, year), records in by_project.items():
            planned = context.planned_total(project, year)
            quantities = [sheet.values(r, "quantity") for r in records]
            if planned is None or None in quantities:
                continue
            total = sum(q for (q,) in quantities)
            # Told in 万元 to two places, as the report prints it: items kept in 元 sum to 112774.433456 万元. Off by more
            # than the 0.01 checked, the two figures still differ once rounded.
            shown = total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            frame.append(
                _blamed(sheet, [r["excel_row"] for r in records])
                | {"cost_total": total, "planned_total": planned, "cost_gap": total - planned}
                | {
                    "cost_total_shown": display(shown),
                    "cost_total_said": f"{'为' if shown == total else '约为'}{display(shown)}",
                    "cost_hint": _nested_hint(records, [q for (q,) in quantities], total, planned),
                }
            )
    return frame


def _nested_hint(records: list[dict], quantities: list[Decimal], total: Decimal, planned: Decimal) -> str:
    """Name the top-level rows numbered a level below the row above them (`1.征地费用` under `二、工程建设其他费用`),
    likely its parts written without 其中: added up as costs of their own, they made the gap from 计划总投资."""
    nested, above = [], None
    for record, quantity in zip(records, quantities, strict=True):
        level = outline_level(str(record.get("item") or ""))
        if level is not None and above is not None and level > above:
            nested.append((record["excel_row"], quantity))
        elif level is not None:
            above = level
    if not nested:
        return ""
    without = total - sum(q for _, q in nested)
    # Where the rest adds up to the 计划总投资, as the two print, the clerk is told so: the likeliest reading, still his
    # to confirm.
    shown, planned_shown = (n.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for n in (without, planned))
    adds_up = (
        f"（不计这几行，合计为{display(shown)}万元，正等于计划总投资）" if shown == planned_shown else ""
    )
    rows = rows_text(tuple(row for row, _ in nested))
    return f"；{rows}按下一级编号，如是上一行的组成部分，请在其内容前加“其中：”{adds_up}"


# money_per_row's column for an amount's excess over its project's 计划总投资 (`amount_wan_over_planned`), the one for
# how many times that total it is (`amount_wan_times_planned`), and the one for its wording where it exceeds
# (`amount_wan_said`).
OVER_PLANNED = "_over_planned"
TIMES_PLANNED = "_times_planned"
SAID = "_said"


def _money_per_row(sheets: list[Sheet], context: Context, registry: Registry) -> Frame:
    """Build one row per data row of a project with a 计划总投资: each amount and its excess over that total; and one
    per row of a form's block its amounts were read from (项目资金's 年度资金总额), each of them beside that total."""
    # Held by column as it is built: a row per data row is hundreds of thousands of rows at a city's scale.
    columns: dict[str, list] = {}
    totals: dict[tuple, Decimal | None] = {}  # by (name, year): a sheet's rows name a project or two
    base = registry.units.measures["money"].base
    for sheet in sheets:
        template = sheet.parsed.template
        money = [c.name for c in template.columns if c.type is ColumnType.MONEY]
        # A form's amounts are on every record, read from one cell each: checked on the row of that cell.
        fields = [f.name for f in template.fields if f.type is ColumnType.MONEY]
        blanks = (None,) * len(fields)
        rows: list[tuple[int, Decimal, tuple]] = []  # (Excel row, 计划总投资, each amount of money + fields)
        for record in sheet.parsed.records:
            key = (record.get("project_name"), record.get("year"))
            planned = totals.get(key, totals)
            if planned is totals:
                planned = totals[key] = context.planned_total(*key)
            if planned is None:
                continue
            if sheet.reported:  # a cell the parser reported stays out: its reading is in question already
                amounts = tuple(
                    None if (a := record.get(n)) is None or not sheet.readable(record, n) else a
                    for n in money
                )
            else:
                amounts = tuple(map(record.get, money))
            rows.append((record["excel_row"], planned, amounts + blanks))
        if fields and sheet.parsed.records and (planned := totals.get(_slice_of(sheet))) is not None:
            for excel_row, amounts in _field_amounts(sheet, fields).items():
                rows.append((excel_row, planned, (None,) * len(money) + tuple(amounts.values())))
        if rows:
            _money_rows(columns, sheet, rows, money + fields, base)
    return Frame(columns)


def _slice_of(sheet: Sheet) -> tuple:
    """Return the (project name, year) of a form's first record, as _money_per_row keys its 计划总投资."""
    record = sheet.parsed.records[0]
    return record.get("project_name"), record.get("year")


def _field_amounts(sheet: Sheet, fields: list[str]) -> dict[int, dict[str, Decimal | None]]:
    """Return a form's block amounts by the Excel row they were read from, one added up from several 其中 rows by
    the first of them; one with a cell the parser reported stays out."""
    record, parsed = sheet.parsed.records[0], sheet.parsed
    told = {(p.excel_row, p.column_header) for p in parsed.problems}
    by_row: dict[int, dict[str, Decimal | None]] = {}
    for name in fields:
        cells = parsed.field_cells.get(name, ())
        if record.get(name) is None or any((row, header) in told for row, _, header in cells):
            continue
        # A sum is checked too: 10000000 and 5700000 typed in 元 under （万元） add up to 15,700,000 万元, as wrong as
        # one cell so typed (its wording names the rows it adds up: `_money_said`).
        if cells:
            by_row.setdefault(cells[0][0], dict.fromkeys(fields))[name] = record[name]
    return by_row


def _money_rows(
    columns: dict[str, list],
    sheet: Sheet,
    rows: list[tuple[int, Decimal, tuple]],
    names: list[str],
    base: str,
) -> None:
    """Append a sheet's rows of money_per_row, column by column: their lineage, the 计划总投资, each amount, its excess
    over it, its multiple of it and, where it exceeds, its wording."""
    excel_rows = [row for row, _, _ in rows]
    planned = [total for _, total, _ in rows]
    for name, values in (
        ("_batch", [sheet.batch] * len(rows)),
        ("_sheet", [sheet.parsed.name] * len(rows)),
        ("_excel_row", excel_rows),
        ("_rows", list(map(str, excel_rows))),
        ("planned_total", planned),
    ):
        columns.setdefault(name, []).extend(values)
    for i, name in enumerate(names):
        amounts = [row[2][i] for row in rows]
        over = [None if a is None else a - p for a, p in zip(amounts, planned, strict=True)]
        # Worded, and divided, only where it may be told: a row per data row, and all but a few within their 计划总投资.
        # A multiple, not an excess: ten times the whole project is no amount at all, whatever the project's size.
        times = [
            None if o is None or o <= 0 or p <= 0 else a / p
            for o, a, p in zip(over, amounts, planned, strict=True)
        ]
        said = [
            None if o is None or o <= 0 else _money_said(sheet, name, a, r, base)
            for o, a, r in zip(over, amounts, excel_rows, strict=True)
        ]
        columns.setdefault(name, []).extend(amounts)
        columns.setdefault(name + OVER_PLANNED, []).extend(over)
        columns.setdefault(name + TIMES_PLANNED, []).extend(times)
        columns.setdefault(name + SAID, []).extend(said)


def _money_said(sheet: Sheet, name: str, amount: Decimal, excel_row: int, base: str) -> str:
    """Word an amount as the clerk wrote it (1234567890.12元), one written in another unit than stored with its 万元
    beside, to two places as the report prints it."""
    if summed := summed_from(name, sheet.parsed):
        # No cell holds the sum: told in the unit stored, with the rows it adds up (`1570万元（第8至9行之和）`).
        return f"{display(amount)}{base}{summed}"
    # Told as 123456.789012万元 under a 「金额（元）」 header, the clerk could not find the figure he typed.
    written = sheet.as_written(name, amount, excel_row)
    unit = sheet.written_unit(name, excel_row)
    if unit is None:
        return f"{written}{base}"
    shown = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{written}{unit.name}（{'合' if shown == amount else '约合'}{display(shown)}{base}）"


# area_per_household's columns for an area column `x`: `x_per_household` (平方米 a household, checked), `x_shown`
# (the same, rounded for the message), `x_unit` (its header's unit, the base where it names none) and `x_written`
# (the cell as written, with that unit).
PER_HOUSEHOLD = "_per_household"
HOUSEHOLD = "户"  # the `counts` of the column an area is divided by


def _area_per_household(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per data row with area and households above 0: area per household, and the header's unit."""
    base = registry.units.measures["area"].base
    frame = []
    for sheet in sheets:
        columns = sheet.parsed.template.columns
        areas = [c.name for c in columns if c.type is ColumnType.AREA]
        households = next((c.name for c in columns if c.counts == HOUSEHOLD), None)
        if not areas or households is None:
            continue
        units = {name: getattr(sheet.parsed.written_units.get(name), "name", None) or base for name in areas}
        for record in sheet.parsed.records:
            row = {}
            for name in areas:
                found = sheet.values(record, name, households)
                # 0 of either has no ratio to judge; a negative one is an error of its own already.
                if found is None or found[0] <= 0 or found[1] <= 0:
                    continue
                area, count = found
                ratio = area / count
                row |= {
                    name: area,
                    households: count,
                    name + PER_HOUSEHOLD: ratio,
                    name + "_shown": _about(ratio),
                    name + "_unit": units[name],
                    name + "_written": f"{sheet.as_written(name, area, record['excel_row'])}{units[name]}",
                }
            if row:
                frame.append(_blamed(sheet, [record["excel_row"]]) | row)
    return frame


def _about(ratio: Decimal) -> Decimal:
    """Round a ratio for a message: to a whole number from 1 up, else to two significant digits."""
    exponent = 0 if ratio >= 1 else ratio.adjusted() - 1
    return ratio.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


def _funds_per_project(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per file, project and year of a ledger: Σ 到位 beside Σ 支付, both the year so far, blamed on
    the last sheet holding the project's rows."""
    # Per file, not per sheet: a ledger kept a sheet a month (`1月 | 2月`) has its 到位 in January's sheet and its
    # 支付 in February's, which alone was told 累计支付不应超过累计到位0万元.
    by_project: dict[tuple, list[tuple[Sheet, dict]]] = defaultdict(list)
    for sheet in sheets:
        for record in sheet.parsed.records:
            by_project[(sheet.batch, record.get("project_name"), record.get("year"))].append((sheet, record))
    money = registry.units.measures["money"].base
    frame = []
    for (_, project, _), rows in by_project.items():
        if project not in context.known_projects:  # already an error of its own; its totals mean nothing
            continue
        amounts = [sheet.values(r, "entry_type", "amount_wan") for sheet, r in rows]
        if None in amounts:  # a cell the parser reported: the totals would be guesses
            continue
        received = sum((a for kind, a in amounts if kind == "到位"), Decimal(0))
        paid = sum((a for kind, a in amounts if kind == "支付"), Decimal(0))
        last = rows[-1][0]
        # Quoted in the unit the header names (9200 元, not the 0.92 万元 stored), both alike.
        unit = getattr(last.written_unit("amount_wan"), "name", None) or money
        paid_shown, received_shown = (last.as_written("amount_wan", a) for a in (paid, received))
        frame.append(
            _blamed(last, [r["excel_row"] for sheet, r in rows if sheet is last])
            | {"received": received, "paid": paid, "paid_excess": paid - received, "paid_shown": paid_shown}
            | {"paid_written": f"{paid_shown}{unit}", "received_written": f"{received_shown}{unit}"}
        )
    return frame


DERIVED_FRAMES: dict[str, Builder] = {
    "responses_per_row": _responses_per_row,
    "weight_total_per_sheet": _weight_total_per_sheet,
    "parts_per_parent_row": _parts_per_parent_row,
    "parts_per_unit": _parts_per_unit,
    "cost_rows_per_unit": _cost_rows_per_unit,
    "investment_total_per_project": _investment_total_per_project,
    "cumulative_per_row": _cumulative_per_row,
    "funds_per_project": _funds_per_project,
    "money_per_row": _money_per_row,
    "area_per_household": _area_per_household,
}
