"""The national forms saved as CSV (“另存为CSV” from Excel or WPS): merged cells keep their text in their first row
only, and the form still reads as its workbook does, saying what a CSV cannot show."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl.utils.cell import range_boundaries

from pipeline.flattened import LOST_MERGE
from pipeline.parse import parse_file
from pipeline.parsed_file import ParsedFile
from pipeline.problems import RULE_ZH, Problem
from pipeline.text import rows_text
from tests.pipeline.test_national_forms import (
    GOALS,
    MONITORING,
    PROJECT,
    UNIT,
    _grouped_execution,
    _home,
    _night,
    as_national,
)
from tests.pipeline.test_open_warnings import notes, report_texts
from tests.pipeline.test_ticks import HEADER_ROW, ticked_monitoring
from tests.pipeline.test_ticks import MONITORING as TICKED
from tests.pipeline.workbooks import (
    csv_bytes,
    national_monitoring,
    national_self_evaluation,
    saved_as_csv,
    xlsx,
)

ENCODINGS = ["utf-8", "utf-8-sig", "gb18030"]


def _self_evaluation(demo, **changes):
    return "自评表", national_self_evaluation(as_national(demo.TARGETS), goals=GOALS, **changes)


def _monitoring(demo, **changes):
    return "运行监控表", national_monitoring(MONITORING, **changes)


# Each form as filled, and with a figure off, so that its warning must come out of the CSV as out of the workbook.
FORMS = {
    "self-evaluation": (_self_evaluation, {}),
    "self-evaluation-points-off": (_self_evaluation, {"points": {"产出指标": "50"}}),
    "monitoring": (_monitoring, {}),
    "monitoring-rate-off": (_monitoring, {"budget": ("1570.00", "800.00", "60%", "1570.00")}),
}


def _both(name: str, rows, merges, encoding: str, registry) -> tuple[ParsedFile, ParsedFile]:
    """Parse a form as the workbook and as the CSV Excel saves of it, the CSV named after the sheet."""
    book = parse_file(xlsx({name: rows}, merges={name: merges}), f"{UNIT}/{name}.xlsx", registry)
    text = parse_file(csv_bytes(rows, encoding), f"{UNIT}/{name}.csv", registry)
    return book, text


def _under_merges(rows, merges, headers: tuple[str, ...]) -> dict[str, list[int]]:
    """Return the Excel rows under the first row of each vertical merge in the columns headed so in the table."""
    header_row = next(n for n, row in enumerate(rows, start=1) if "一级指标" in row)
    under: dict[str, list[int]] = {header: [] for header in headers}
    for merge in merges:
        left, top, right, bottom = range_boundaries(merge)
        header = rows[header_row - 1][left - 1]
        if header in under and top > header_row and left == right:
            under[header] += range(top + 1, bottom + 1)
    return under


def _as_in_book(problem: Problem) -> Problem:
    """Return a problem as a workbook's and its CSV's both word it: a points_mismatch says besides, on a CSV, which
    headings were read from above (test_a_points_mismatch_on_a_csv_names_the_headings_read_from_above)."""
    if problem.rule != "points_mismatch":
        return problem
    return replace(problem, message_zh="", expected=problem.expected.split("；")[0], fix="")


def _stored(parsed: ParsedFile) -> tuple:
    [sheet] = parsed.sheets
    return sheet.template.id, sheet.header_rows, sheet.records, sheet.field_cells, sheet.written_text


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("form", FORMS)
def test_a_national_form_saved_as_csv_stores_what_its_workbook_stores(registry, demo, form, encoding):
    build, changes = FORMS[form]
    name, (rows, merges) = build(demo, **changes)

    book, text = _both(name, rows, merges, encoding, registry)

    assert book.errors == [] and text.errors == []
    assert _stored(text) == _stored(book)
    # The workbook's warnings, the same in the CSV; besides them one, saying what was read from the rows above.
    carried = [p for p in text.all_problems if p.rule == "merges_carried"]
    assert [_as_in_book(p) for p in text.all_problems if p.rule != "merges_carried"] == [
        _as_in_book(p) for p in book.all_problems
    ]
    assert (book.warnings != []) == form.endswith("-off")
    [notice] = carried
    under = _under_merges(rows, merges, ("一级指标", "二级指标"))
    assert under["一级指标"]  # the fixture merges a heading, or there is nothing to carry
    assert notice.severity == "warning" and notice.excel_row == min(r for rs in under.values() for r in rs)
    assert "本表是CSV文件，不保留合并单元格" in notice.message_zh
    # Each heading names the rows its merges ran down, and only those.
    for header, excel_rows in under.items():
        named = f"{rows_text(tuple(excel_rows))}的「{header}」"
        assert (named in notice.message_zh) == bool(excel_rows), (named, notice.message_zh)
        assert (f"「{header}」" in notice.message_zh) == bool(excel_rows)


# Saved as CSV, the 136号 form's `1-6月执行情况` over `执行数 | 执行率` lost its merge, and with it its months'
# check: a 1–7月 table under a 1–6月 block was filed as 1–7月 without a word, where the workbook is an error.
@pytest.mark.parametrize("group", ["1-7月执行情况", "1-6月执行情况"])
def test_a_group_header_over_the_executed_amount_is_checked_for_its_months_in_a_csv(registry, group):
    rows, merges = _grouped_execution(group)

    book = parse_file(xlsx({"监控表": rows}, merges={"监控表": merges}), f"{UNIT}/监控表.xlsx", registry)
    text = parse_file(saved_as_csv(rows, merges), f"{UNIT}/监控表.csv", registry)

    assert text.errors == book.errors
    assert [p.rule for p in book.errors] == ([] if group.startswith("1-7") else ["months_mismatch"])
    assert text.sheets[0].records[0]["month"] == book.sheets[0].records[0]["month"]


def test_a_merged_cell_other_than_a_heading_is_not_guessed_and_the_clerk_is_told(registry, demo):
    name, (rows, merges) = _monitoring(demo)
    header_row = next(n for n, row in enumerate(rows, start=1) if "一级指标" in row)
    likelihood = rows[header_row - 1].index("完成目标可能性")
    # The first two indicators are both 确定能, merged down both rows: the workbook gives it to both.
    first = header_row + 1
    assert rows[first - 1][likelihood] == rows[first][likelihood]
    rows[first][likelihood] = None
    letter = "ABCDEFGHIJ"[likelihood]
    merged = [*merges, f"{letter}{first}:{letter}{first + 1}"]

    book, text = _both(name, rows, merged, "gb18030", registry)

    assert book.errors == []
    [error] = text.errors
    assert (error.rule, error.excel_row, error.column_header) == ("required", first + 1, "完成目标可能性")
    assert LOST_MERGE in error.message_zh and "请在该行填写" in error.message_zh


def test_a_row_naming_its_own_level_carries_no_sublevel_of_another(registry, demo):
    name, (rows, merges) = _self_evaluation(demo)
    header_row = next(n for n, row in enumerate(rows, start=1) if "一级指标" in row)
    under = _under_merges(rows, merges, ("一级指标",))["一级指标"]
    # A row under the first 一级指标 names it again and leaves its 二级指标 blank: the 二级指标 above it is another's.
    named = under[-1]
    rows[named - 1][1], rows[named - 1][2] = rows[header_row][1], None

    parsed = parse_file(csv_bytes(rows, "utf-8-sig"), f"{UNIT}/{name}.csv", registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header) == ("required", named, "二级指标")
    records = {r["excel_row"]: r for r in parsed.sheets[0].records}
    assert records[named]["level2"] is None
    # The rows above it, under the same merges, are carried as the workbook reads them.
    assert {records[row]["level1"] for row in under} == {"产出指标"}
    assert [p.rule for p in parsed.warnings] == ["merges_carried"]


def test_a_first_indicator_with_no_heading_has_none_to_carry(registry, demo):
    name, (rows, merges) = _monitoring(demo)
    header_row = next(n for n, row in enumerate(rows, start=1) if "一级指标" in row)
    rows[header_row][1] = None

    parsed = parse_file(csv_bytes(rows, "utf-8"), f"{UNIT}/{name}.csv", registry)

    # The run it headed is unknown: the first row is told, and so is each row under it, none carried from it.
    under = _under_merges(rows, merges, ("一级指标",))["一级指标"]
    assert under
    told = [(e.rule, e.excel_row, e.column_header) for e in parsed.errors]
    assert told == [("required", row, "一级指标") for row in (header_row + 1, *under)]
    assert all(LOST_MERGE in e.message_zh for e in parsed.errors)
    assert not [p for p in parsed.warnings if p.rule == "merges_carried"]


def test_a_points_mismatch_on_a_csv_names_the_headings_read_from_above(registry, demo):
    name, (rows, merges) = _self_evaluation(demo, points={"产出指标": "50"})

    book, text = _both(name, rows, merges, "gb18030", registry)

    [in_book] = [p for p in book.warnings if p.rule == "points_mismatch"]
    [in_text] = [p for p in text.warnings if p.rule == "points_mismatch"]
    assert (in_text.excel_row, in_text.column_header, in_text.value) == (
        in_book.excel_row,
        in_book.column_header,
        in_book.value,
    )
    # The sum may be off because a row was read under the heading above it: the clerk is sent to those rows too.
    carried = f"{rows_text(tuple(_under_merges(rows, merges, ('一级指标',))['一级指标']))}的「一级指标」"
    assert in_text.expected.startswith(f"{in_book.expected}；") and carried in in_text.expected
    assert "按上方读取的行" in in_text.fix
    assert "CSV" not in in_book.message_zh and carried in in_text.message_zh


def _ticked(indicators, *, likelihood_ticks: bool, marks: str) -> tuple[list[list[object]], list[str]]:
    """Return the official 运行监控表 with tick columns, each tick a √ or (`check box`) a check box's TRUE/FALSE."""
    rows, merges = ticked_monitoring(indicators, likelihood_ticks=likelihood_ticks)
    if marks == "check box":
        ticks = [c for c, header in enumerate(rows[HEADER_ROW]) if header]  # under the sub-header row
        for row in rows[HEADER_ROW + 1 : HEADER_ROW + 1 + len(indicators)]:
            for c in ticks:
                row[c] = row[c] == "√"
    return rows, merges


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize("marks", ["√", "check box"])
@pytest.mark.parametrize("likelihood_ticks", [False, True], ids=["causes", "causes-and-likelihood"])
def test_a_monitoring_form_ticked_and_saved_as_csv_stores_what_its_workbook_stores(
    registry, encoding, marks, likelihood_ticks
):
    indicators = [list(i) for i in TICKED]
    indicators[1][6] = ("经费保障", "制度保障")  # two causes ticked on one row
    rows, merges = _ticked(indicators, likelihood_ticks=likelihood_ticks, marks=marks)

    book = parse_file(xlsx({"监控表": rows}, merges={"监控表": merges}), f"{UNIT}/监控表.xlsx", registry)
    text = parse_file(saved_as_csv(rows, merges, encoding), f"{UNIT}/监控表.csv", registry)

    assert book.all_problems == []
    assert text.errors == [] and [p.rule for p in text.warnings] == ["merges_carried"]
    assert _stored(text) == _stored(book)
    causes = [r["deviation_cause"] for r in text.sheets[0].records]
    assert causes == ["、".join(c) if isinstance(c, tuple) else c for c in (i[6] for i in indicators)]


@pytest.mark.slow
def test_the_demo_night_with_both_national_forms_saved_as_gb18030_csv_scores_as_with_the_workbooks(
    tmp_path_factory, registry, demo
):
    settings = _home(tmp_path_factory, "csv-night")
    paths = demo.write_inbox(settings.inbox)
    [simplified] = [p for p in paths if p.name == "绩效目标自评表2022.xlsx"]
    simplified.unlink()
    rows, _ = national_self_evaluation(as_national(demo.TARGETS), goals=GOALS)
    national = simplified.with_name("2022年度项目支出绩效自评表.csv")
    national.write_bytes(csv_bytes(rows, "gb18030"))
    rows, _ = national_monitoring(MONITORING)
    monitoring = simplified.with_name("2022年1-7月项目支出绩效运行监控表.csv")
    monitoring.write_bytes(csv_bytes(rows, "gb18030"))

    outcomes = {
        Path(o.inbox_path).name: o
        for o in _night(settings, registry, [p for p in paths if p != simplified] + [national, monitoring])
    }
    html, word, _ = report_texts(settings, registry, 2022)

    for name in (national.name, monitoring.name):
        assert outcomes[name].status == "accepted", outcomes[name].problems
        assert {p.rule for p in outcomes[name].problems} == {"merges_carried"}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        score, grade = con.execute(
            "select self_evaluation_score, grade from mart.project_year where project_name = ? and year = 2022",
            [PROJECT],
        ).fetchone()
        months = con.execute(
            "select distinct month from mart.monitoring_findings where project_code = "
            "(select project_code from mart.project_year where project_name = ? and year = 2022)",
            [PROJECT],
        ).fetchall()
    assert (round(score, 2), grade) == (Decimal("95.18"), "优")  # as from the workbooks (test_national_forms)
    assert months == [(7,)]
    # A heading carried down may put a row under the wrong indicator: while the forms are in force, the report
    # names the project for each, as for any value read one of two ways.
    for template in ("performance_targets", "performance_monitoring"):
        note = (
            f"数据质量提示：{PROJECT}2022年度的{registry.templates[template].name_zh}有填写的读法不明确"
            f"（{RULE_ZH['merges_carried']}1处），已按最可能的读法计入，相关数字和得分可能有误，已在回执中请报送单位核实。"
        )
        assert note in notes(html) and note in notes(word)
