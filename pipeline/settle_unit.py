"""Settle which office sent a file: its folder's, or in a shared folder its `填报单位：` line's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.problems import Problem, Severity, cell_problem

if TYPE_CHECKING:
    from pipeline.offices import Office, Offices
    from pipeline.parsed_file import ParsedFile
    from pipeline.parsed_sheet import ParsedSheet


def folder_office(folder: str | None, offices: Offices) -> tuple[Office, ...]:
    """Return the offices a sending folder may belong to: none for a shared folder, several when ambiguous."""
    return () if offices.is_shared(folder) else offices.named(folder)


def one_office(folder: str | None, other: str | None, offices: Offices) -> bool:
    """Say whether two sending folders are one office's own (its name, an alias, an abbreviation): what was sent
    from one may be named to the other. A shared folder is no office's: anyone may have put a file there."""
    if folder == other:
        return True
    office = folder_office(folder, offices)
    return len(office) == 1 and [o.name for o in folder_office(other, offices)] == [office[0].name]


def _settle_unit(parsed: ParsedFile, offices: Offices) -> None:
    """Name the office that sent the file: its folder's, or in a shared folder its `填报单位：` line's."""
    folder = parsed.sending_folder
    sender = folder_office(folder, offices)
    if len(sender) > 1:
        # Never a guess: the clerk, or the office registry, has to say which office the folder is.
        parsed.problems.append(
            Problem(
                Severity.ERROR,
                "unit_ambiguous",
                f"报送文件夹“{folder}”可以指{'、'.join(o.name for o in sender)}，无法确定报送单位。"
                "请将文件放入以单位全称命名的文件夹，或请区财政局在单位名录中登记该文件夹。",
                value=folder,
                expected="文件夹名应只对应一个单位",
                fix="请将文件放入以单位全称命名的文件夹",
            )
        )
        give_unit(parsed, None)
    else:
        give_unit(parsed, _unit_by_lines(parsed, sender[0] if sender else None, offices))


def give_unit(parsed: ParsedFile, unit: str | None) -> None:
    """Make `unit` the office that sent the file, and of every record it holds."""
    parsed.unit = unit
    for sheet in parsed.sheets:
        for record in sheet.records:
            record["unit"] = unit


def _unit_by_lines(parsed: ParsedFile, office: Office | None, offices: Offices) -> str | None:
    """Return the unit the sheets' `填报单位：` lines give, checked against the folder's office (None: shared)."""
    said: list[tuple[ParsedSheet, str]] = []  # each sheet's line and the office it names
    refused = False
    for sheet in parsed.sheets:
        line = sheet.meta.unit
        if not line:
            continue
        apart = (
            () if (several := offices.several(line, office)) else offices.apart(sheet.meta.unit_parts, office)
        )
        if several or apart:
            # Stored as one office named by the whole line, its data would be nobody's; taking one of them, a guess.
            # Apart by spaces or in cells, the line is quoted whole: `unit` is its first name, or all run together.
            several = several or apart
            parsed.problems.append(
                _line_problem(
                    "unit_several",
                    sheet,
                    value=" ".join(sheet.meta.unit_parts) if apart else None,
                    expected=f"应只填写一个单位，本行写了{'、'.join(several)}",
                    fix="一份文件只能由一个单位报送，请只填写报送本文件的单位全称，其他单位的数据由其分别报送",
                )
            )
            refused = True
            continue
        extra = offices.run_together(line, sheet.meta.unit_parts, office)
        # Run on unspaced (枣林街道办事处财务科), read whole it was an office of its own, its figures added to the office's.
        run_on = None if extra else offices.run_on(line, office)
        if extra or run_on:
            # Read whole it is a new office (枣林街道办事处张三), its data nobody's; reading the office alone, a guess.
            named, rest = extra or run_on
            # Words before the name (`张三 枣林街道办事处`) are told as before it, not after.
            parts = sheet.meta.unit_parts or (line,)
            where = "之后" if run_on or parts[0] == named else "之前" if parts[-1] == named else "前后"
            parsed.problems.append(
                _line_problem(
                    "unit_extra",
                    sheet,
                    value=" ".join(parts),
                    expected=f"应只填写单位全称，“{named}”{where}的“{rest}”不是单位名称",
                    fix=f"请删去单位名称{where}的文字（填表人、日期等请分别填在各自的一行），或填写单位全称",
                )
            )
            refused = True
            continue
        meant = offices.sent_for(office, line) if office else offices.named(line)
        if len(meant) == 1:
            said.append((sheet, meant[0].name))
        else:
            parsed.problems.append(_unit_line_problem(sheet, meant, office, parsed.sending_folder, offices))
            refused = True
    if said:
        (first, unit), *others = said
        for sheet, other in others:
            if other != unit:
                parsed.problems.append(
                    _line_problem(
                        "unit_mismatch",
                        sheet,
                        expected=f"应与工作表“{first.name}”的{first.meta.unit_label}{unit}一致",
                        fix="一个文件只能填报一个单位的数据，请分开报送",
                    )
                )
        return unit
    if office is None and not refused:
        where = (
            f"“{parsed.sending_folder}”是共享收件文件夹"
            if parsed.sending_folder
            else "文件也不在以单位命名的文件夹中"
        )
        blank = next((s for s in parsed.sheets if "unit_blank" in s.meta.rows), None)
        if blank is None:
            parsed.fail(
                "unit_unknown",
                f"无法确定填报单位：表格上方没有“填报单位：…”一行，{where}。请补充“填报单位：…”后重新报送。",
            )
        else:
            row, label = blank.meta.rows["unit_blank"], blank.meta.unit_label
            said, fill = blank.meta.left_blank(row, label, "单位名称", "单位全称")
            parsed.fail(
                "unit_unknown",
                f"无法确定填报单位：{said}，{where}。{fill}后重新报送。",
                sheet=blank.name,
                excel_row=row,
                column_header=label,
            )
    return office.name if office else None


def _line_problem(
    rule: str, sheet: ParsedSheet, *, expected: str, fix: str, value: str | None = None
) -> Problem:
    """Report a sheet's `填报单位：` line (or the label it was read from), at its Excel row, with what it should say
    and how to fix it; `value`: the line as written, where it is more than the unit read from it."""
    return cell_problem(
        rule,
        sheet=sheet.name,
        excel_row=sheet.meta.rows.get("unit"),
        header=sheet.meta.unit_label,
        value=value or sheet.meta.unit,
        expected=expected,
        fix=fix,
    )


def _unit_line_problem(
    sheet: ParsedSheet, meant: tuple[Office, ...], office: Office | None, folder: str | None, offices: Offices
) -> Problem:
    """Say why a `填报单位：` line names no office this folder may send for: ambiguous, or someone else's."""
    line = sheet.meta.unit
    if len(meant) > 1:
        return _line_problem(
            "unit_ambiguous",
            sheet,
            expected=f"应为一个单位的全称，而“{line}”可以指{'、'.join(o.name for o in meant)}",
            fix="请填写单位全称",
        )
    [named] = offices.named(line)
    for_others = f"或其代报的{'、'.join(office.submits_for)}" if office.submits_for else ""
    return _line_problem(
        "unit_mismatch",
        sheet,
        expected=f"应为{office.name}{for_others}",
        fix=f"报送文件夹“{folder}”属于{office.name}，{office.submits_for_zh}；{named.name}的数据可由"
        f"{'、'.join(offices.who_may_send(named))}报送，请将文件放入其中一个单位的文件夹，或改正“{sheet.meta.unit_label}：”一行",
    )
