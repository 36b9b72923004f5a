"""Warn of values a form holds under headers or in blocks that no field reads."""

from __future__ import annotations

from collections import defaultdict

from pipeline.cell_refs import column_letter
from pipeline.form_cells import _as_written, _warn_at
from pipeline.form_notes import is_note
from pipeline.form_places import Place, Places, prose_cells
from pipeline.header_checks import likeliest, meant_fix
from pipeline.parsed_sheet import ParsedSheet
from pipeline.registry_columns import Field
from pipeline.text import months_so_far, split_header, with_months
from pipeline.values import is_blank


def _check_unread_headers(places: Places, found: dict[str, Place | None], sheet: ParsedSheet) -> None:
    """Warn of a value under a header no field reads, in a block row: named as the field not found it likely is,
    else as a value not read (a province's `备注` or `调整后预算数` beside every amount read was dropped unsaid)."""
    by_row: dict[str, list[Field]] = defaultdict(list)
    for field in sheet.template.fields:
        if field.row is not None:
            by_row[field.row].append(field)
    for label, fields in by_row.items():
        located = [found[f.name] for f in fields if found[f.name] is not None]
        # A row's words (原因说明) are not on every form: a value under an unread header is asked about for its amounts.
        missing = [f for f in fields if found[f.name] is None and not is_note(f) and f.printed]
        # Every value of the row read, the rest is asked about only in a block of its own (项目资金): the 总分 row
        # stands under the table's headers, whose other columns hold its label and 分值.
        if not located or not (missing or all(f.block is not None for f in fields)):
            continue  # the row is not on this form, or every value of it is read
        r = located[0][0]
        read = {place[1] for place in located}
        first = places.first_written(r)
        # A second form pasted right of the first is one error (second_table), not each of its block's values.
        side = sheet.side_table
        for header_row in sorted({place[3] for place in located}):
            for (row, c), written in places.written.items():
                if row != header_row or c in read or (first is not None and c <= first[0]):
                    continue
                if side is not None and c >= side:
                    continue
                value = places.cell(r, c)
                # A cell merged down from a row above (the block's label) holds no value of this row.
                if is_blank(value) or places.origin.get((r, c), (r, c))[0] != r:
                    continue
                expected, fix = (
                    f"表头“{written}”不是本表的栏目，该值未读取",
                    "如该值应当读取，请将其移入本表相应的栏目；否则请删去该值",
                )
                if missing:
                    # The form's own N of months, else the one this header names (`1-6月份执行率`), is asked for.
                    months = sheet.meta.months_so_far or months_so_far(written)
                    names = "”“".join(with_months(f.header, months) for f in missing)
                    expected += f"；本行应有的“{names}”未找到"
                    fix = meant_fix("该值", likeliest(written, missing, months))
                _warn_at(
                    sheet,
                    (r, c, f"{label}·{written}", header_row),
                    rule="unread_header",
                    value=value,
                    expected=expected,
                    fix=fix,
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
        headed = [
            f
            for f in fields
            if any(
                row in near and row not in table
                for label in f.labels
                for row, _ in places.labels.get(label, ())
            )
        ]
        if not headed:
            continue
        # A row's words (原因说明) are not on every form: named only where the block heads them.
        unread = [f for f in fields if f in headed or (not is_note(f) and f.printed)]
        rows = "、".join(dict.fromkeys(f"“{f.row}”" for f in fields))
        _warn_at(
            sheet,
            (r, c, places.written[(r, c)], r),
            rule="unread_block",
            value=places.written[(r, c)],
            expected=f"未找到{rows}行，该块中的{'、'.join(_as_written(f.header, sheet) for f in unread)}均未读取",
            fix=f"请将该块中数值所在行的行名写为{rows}",
        )


def _text_blocks(sheet: ParsedSheet) -> dict[str, list[Field]]:
    """Return the fields of each text block (年度总体目标) of the sheet's template: those read below their label."""
    by_block: dict[str, list[Field]] = defaultdict(list)
    for field in sheet.template.fields:
        if field.below and field.block is not None:
            by_block[field.block].append(field)
    return by_block


def _check_unread_prose(places: Places, found: dict[str, Place | None], sheet: ParsedSheet) -> None:
    """Warn of words under a label of a text block (年度总体目标) no field reads, on the row of a label that is read:
    `实际完成值` written for `实际完成情况` left the unit's account of the year unread, and out of the report."""
    for block, fields in _text_blocks(sheet).items():
        located = [found[f.name] for f in fields if found[f.name] is not None]
        missing = [f for f in fields if found[f.name] is None]
        if not located or not missing:
            continue
        read = {split_header(place[2])[0] for place in located} | {split_header(block)[0]}
        label_rows = {place[3] for place in located}
        texts = {place[:2] for place in located}
        for (row, c), written in sorted(places.written.items()):
            # A label the form writes elsewhere (实际完成值, the table's), not a goal written right of its label.
            label = split_header(written)[0]
            if row not in label_rows or (row, c) in texts or label in read or label not in places.form_labels:
                continue
            cells = prose_cells(places, (row, c), places.table, places.form_labels)
            words = [places.cell(*cell) for cell in cells if not is_blank(places.cell(*cell))]
            if not words:
                continue
            r, column = cells[0]
            _warn_at(
                sheet,
                (r, column, f"{block}·{written}", row),
                rule="unread_header",
                value=words[0],
                expected=f"表头“{written}”不是本表的栏目，其下的文字未读取；本块应有的“{'”“'.join(f.header for f in missing)}”未找到",
                fix=meant_fix("其下的文字", likeliest(written, missing, None)),
            )


def _check_doubted_prose(places: Places, found: dict[str, Place | None], sheet: ParsedSheet) -> None:
    """Warn of a text block's label with words both under and right of it (`Places.doubted`), neither stored."""
    for field in sheet.template.fields:
        if field.name not in places.doubted:
            continue
        (r, c), under, beside = places.doubted[field.name]
        missing = [
            f for f in sheet.template.fields if f.block == field.block and f.below and found[f.name] is None
        ]
        others = [f.header for f in missing if f is not field]
        named = f"；本块应有的“{'”“'.join(others)}”未找到" if others else ""
        _warn_at(
            sheet,
            (r, c, f"{field.block}·{places.written[(r, c)]}", r),
            rule="unread_header",
            value=places.written[(r, c)],
            expected=(
                f"“{field.header}”的下方（“{places.cell(*under[0])}”）和右侧（“{places.cell(*beside[0])}”）都写有"
                f"文字，无法确定哪一处是{field.header}，均未读取{named}"
            ),
            fix=f"请将本块另一处的标签写为“{others[0]}”"
            if others
            else f"请只在“{field.header}”的下方或右侧填写",
        )


def _check_stated_in_label(places: Places, sheet: ParsedSheet) -> None:
    """Warn of a field's value written after its row's label (`总分：100分`, `Places.in_label`), left unread."""
    for field in sheet.template.fields:
        if field.name not in places.in_label:
            continue
        r, c, label, above = places.in_label[field.name]
        column = (
            f"“{places.written[above]}”列（{column_letter(above[1])}列）" if above else f"“{field.header}”列"
        )
        _warn_at(
            sheet,
            (r, c, label, r),
            rule="unread_block",
            value=places.written[(r, c)],
            expected=(
                f"“{label}”行的{field.header}应写在{column}，行名中的数值未读取（无从确定是分值还是{field.header}），"
                f"本表的{label}未能核对"
            ),
            fix=f"请将该行的{field.header}填入{column}",
        )


def _check_unlabelled_prose(places: Places, found: dict[str, Place | None], sheet: ParsedSheet) -> None:
    """Warn of words on a text block's rows (年度总体目标) under or beside no label: no field reads them."""
    for block, fields in _text_blocks(sheet).items():
        located = [found[f.name] for f in fields if found[f.name] is not None]
        if not located:
            continue  # no block, or its words already asked about (`Places.doubted`)
        label_rows = {place[3] for place in located}
        labelled = [
            (row, c)
            for (row, c), written in places.written.items()
            if row < places.table and split_header(written)[0] in places.form_labels
        ]
        # The words under or beside each label on the block's rows, the block's own (年度总体目标) aside: what is
        # right of it is its labels' words.
        covered = {
            cell
            for label in labelled
            if label[0] in label_rows and split_header(places.written[label])[0] != split_header(block)[0]
            for cell in prose_cells(places, label, places.table, places.form_labels)
        }
        rows = range(min(label_rows), max(row for row, _ in covered | {(min(label_rows), 0)}) + 1)
        missing = [f.header for f in fields if found[f.name] is None]
        for row, c in sorted(places.written):
            if row not in rows or (row, c) in covered or (row, c) in labelled:
                continue
            named = f"；本块应有的“{'”“'.join(missing)}”未找到" if missing else ""
            _warn_at(
                sheet,
                (row, c, block, row),
                rule="unread_header",
                value=places.cell(row, c),
                expected=f"这段文字没有标签，未读取{named}",
                fix=f"如其即“{missing[0]}”，请为其写上标签“{missing[0]}”"
                if missing
                else "请为其写上标签或删除",
            )
