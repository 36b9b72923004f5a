"""Code the rows of a file's register sheets, refusing a code given to two projects or twice."""

from __future__ import annotations

from pipeline.parsed_file import ParsedFile
from pipeline.problems import Problem, Severity
from pipeline.projects import REGISTER_TEMPLATE, RegisteredProject, assign_codes


def _registered(record: dict) -> RegisteredProject:
    return RegisteredProject(
        record["project_code"], record["project_name"], implementing_unit=record.get("implementing_unit")
    )


def _code_problem(record: dict, first: dict, same: dict) -> tuple[str, str, str, str] | None:
    """Say what is wrong with a register row sharing its code with an earlier row of the same file, if anything:
    (rule, message, expected, fix)."""
    this, row = _registered(record), record["excel_row"]
    if first is not record and (
        first["project_name"] != record["project_name"]
        or first.get("implementing_unit") != record.get("implementing_unit")
    ):
        expected = "每个项目编码只登记一个项目"
        fix = "请核对项目编码；若是同一项目更名，请只保留新名称的一行"
        found = (
            f"第{row}行的项目编码“{this.code}”已在第{first['excel_row']}行用于项目{_registered(first).describe()}，"
            f"不能再用于项目{this.describe()}"
        )
        return "project_code_reused", found, expected, fix
    if same is record:
        return None
    if record.get("project_code_derived"):
        expected = "同一实施单位的同名项目须填写项目编码加以区分"
        fix = "请填写项目编码；若是同一项目，请删去重复的一行"
        found = f"第{row}行的项目{this.describe()}与第{same['excel_row']}行同名、同实施单位，又都未填写项目编码，无法区分"
        return "project_code_derived_duplicate", found, expected, fix
    expected, fix = "每个项目每年度登记一行", "请删去重复的一行"
    return (
        "project_code_reused",
        f"第{row}行与第{same['excel_row']}行登记的是同一项目{this.describe()}",
        expected,
        fix,
    )


def settle_register(parsed: ParsedFile) -> None:
    """Code the rows of a file's register sheets; a code given to two projects (or twice) is an error."""
    first_by_code: dict[str, dict] = {}
    first_by_year: dict[tuple[str, int | None], dict] = {}
    for sheet in parsed.sheets:
        if sheet.template.id != REGISTER_TEMPLATE:
            continue
        assign_codes(sheet)
        for record in sheet.records:
            if not record.get("project_code"):
                continue
            first = first_by_code.setdefault(record["project_code"], record)
            same = first_by_year.setdefault((record["project_code"], record.get("year")), record)
            if (found := _code_problem(record, first, same)) is None:
                continue
            rule, message, expected, fix = found
            column = "project_name" if record.get("project_code_derived") else "project_code"
            parsed.problems.append(
                Problem(
                    Severity.ERROR,
                    rule,
                    f"{message}，{expected}，{fix}。",
                    sheet=sheet.name,
                    excel_row=record.get("excel_row"),
                    column_header=sheet.header_of(
                        column, "项目名称" if column == "project_name" else "项目编码"
                    ),
                    value=record[column],
                    expected=expected,
                    fix=fix,
                )
            )
