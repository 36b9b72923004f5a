"""Text a clerk merges down the rows of several indicators (a shared 原因说明, 偏差原因分析) is each row's, as the
form shows it; a CSV keeps it on the first row only, and says other blanks read as blank."""

from __future__ import annotations

from itertools import takewhile

import pytest
from openpyxl.utils.cell import range_boundaries

from pipeline.parse import parse_file
from tests.pipeline.test_national_forms import GOALS, UNIT, as_national
from tests.pipeline.test_ticks import MONITORING, ticked_monitoring
from tests.pipeline.workbooks import national_self_evaluation, saved_as_csv, xls, xlsx

SHARED = "雨季延误两个小区外墙施工，计划四季度赶工"


def _spanned(indicators: list[list[object]], first: int, span: int, *columns: int) -> None:
    """Give `span` indicators from `first` on the first one's values in `columns` (the clerk merges them)."""
    for row in indicators[first + 1 : first + span]:
        for c in columns:
            row[c] = indicators[first][c]


@pytest.mark.parametrize("write", [xlsx, xls], ids=["xlsx", "xls"])
def test_a_reason_cause_and_likelihood_merged_over_indicators_are_each_rows(registry, write):
    indicators = [list(i) for i in MONITORING]
    indicators[1][6:9] = ["其他", "有可能", SHARED]
    _spanned(indicators, 1, 2, 6, 7, 8)
    rows, merges = ticked_monitoring(indicators, likelihood_ticks=True)
    header = rows[9]  # the sub-header row under 偏差原因分析 and 完成目标可能性
    first = next(n for n, row in enumerate(rows, start=1) if row[3] == indicators[1][2])
    spanned = [header.index("其他"), header.index("有可能"), len(header) - 1]  # 原因说明, the last column
    for c in spanned:
        letter = chr(ord("A") + c)
        merges.append(f"{letter}{first}:{letter}{first + 1}")
        rows[first][c] = None  # only the merge's top cell holds it, as Excel keeps it

    parsed = parse_file(
        write({"监控表": rows}, merges={"监控表": merges}), f"{UNIT}/监控表.{write.__name__}", registry
    )

    assert parsed.all_problems == []
    records = {r["excel_row"]: r for r in parsed.sheets[0].records}
    for excel_row in (first, first + 1):
        assert (records[excel_row]["deviation_cause"], records[excel_row]["likelihood"]) == ("其他", "有可能")
        assert (
            records[excel_row]["reason"] == SHARED
        )  # each finding of mart.monitoring_findings gives its reason

    # Saved as CSV, the merge is gone: the row under it reads blank (a guess either way), and the receipt says so.
    text = parse_file(saved_as_csv(rows, merges, "gb18030"), f"{UNIT}/监控表.csv", registry)
    assert {r["excel_row"]: r["reason"] for r in text.sheets[0].records}[first + 1] is None
    assert [p.rule for p in text.errors] == ["required"]  # its 完成目标可能性 too: a required cell, told
    [carried] = [p for p in text.warnings if p.rule == "merges_carried"]
    assert "其他栏目的空白单元格按未填写读取" in carried.message_zh


def test_a_deviation_note_merged_over_indicators_of_a_self_evaluation_is_each_rows(registry, demo):
    targets = [list(t) for t in as_national(demo.TARGETS)]
    targets[0].append(SHARED)
    targets[1].append(None)  # under the merge
    rows, merges = national_self_evaluation(targets, goals=GOALS)
    first = next(n for n, row in enumerate(rows, start=1) if "一级指标" in row) + 1
    note = rows[first - 2].index("偏差原因分析及改进措施")
    merges.append(f"{chr(ord('A') + note)}{first}:{chr(ord('A') + note)}{first + 1}")

    parsed = parse_file(xlsx({"自评表": rows}, merges={"自评表": merges}), f"{UNIT}/自评表.xlsx", registry)

    assert parsed.all_problems == []
    notes = {r["excel_row"]: r["deviation_note"] for r in parsed.sheets[0].records}
    assert notes[first] and notes[first + 1] == notes[first]  # (a text column folds the full-width comma)
    assert [n for row, n in notes.items() if row > first + 1] == [None] * (len(targets) - 2)


@pytest.mark.parametrize("write", [xlsx, xls], ids=["xlsx", "xls"])
def test_a_score_merged_over_indicators_is_the_first_rows_and_each_row_under_it_is_told(
    registry, demo, write
):
    targets = as_national(demo.TARGETS)  # the first three share 数量指标: 15, 15 and 10 points
    # One 得分 for the group, within the first row's 分值: read as that row's, it passed unsaid.
    scores = [15, None, None, *[t[5] for t in targets[3:]]]
    rows, merges = national_self_evaluation(targets, goals=GOALS, scores=scores, total=(100, 75))
    first = next(n for n, row in enumerate(rows, start=1) if "一级指标" in row) + 1
    score = chr(ord("A") + rows[first - 2].index("得分"))
    merges.append(f"{score}{first}:{score}{first + 2}")

    parsed = parse_file(
        write({"自评表": rows}, merges={"自评表": merges}), f"{UNIT}/自评表.{write.__name__}", registry
    )

    scored = {r["excel_row"]: r["reported_score"] for r in parsed.sheets[0].records}
    assert [scored[first + n] for n in range(3)] == [15, None, None]
    assert [(p.severity, p.rule, p.excel_row, p.column_header) for p in parsed.all_problems] == [
        ("warning", "merged_amount", first + 1, "得分"),
        ("warning", "merged_amount", first + 2, "得分"),
    ]
    assert f"与第{first}行合并" in parsed.all_problems[0].message_zh


def _unmerged_headings(rows, merges) -> tuple[list[str], list[int]]:
    """Return a form's merges without the vertical ones of its 一级/二级指标 (the clerk's 取消合并, which keeps the text
    in the top cell only), and the Excel rows left blank under them."""
    header_row = next(n for n, row in enumerate(rows, start=1) if "一级指标" in row)
    headings = {rows[header_row - 1].index("一级指标") + 1, rows[header_row - 1].index("二级指标") + 1}
    kept, blank = [], []
    for merge in merges:
        left, top, right, bottom = range_boundaries(merge)
        if left == right and left in headings and top > header_row:
            blank += range(top + 1, bottom + 1)
        else:
            kept.append(merge)
    return kept, sorted(set(blank))


@pytest.mark.parametrize("write", [xlsx, xls], ids=["xlsx", "xls"])
def test_a_self_evaluation_whose_heading_merges_were_undone_reads_as_merged_and_says_so(
    registry, demo, write
):
    rows, merges = national_self_evaluation(as_national(demo.TARGETS), goals=GOALS)
    unmerged, blank = _unmerged_headings(rows, merges)
    assert blank  # the fixture merges a heading, or there is nothing to carry

    book = parse_file(
        write({"自评表": rows}, merges={"自评表": merges}), f"{UNIT}/自评表.{write.__name__}", registry
    )
    undone = parse_file(
        write({"自评表": rows}, merges={"自评表": unmerged}), f"{UNIT}/自评表.{write.__name__}", registry
    )

    # It was returned, every blank 一级/二级指标 an error `未填写，此项为必填项`, though it reads as the merged form does.
    assert book.all_problems == [] and undone.errors == []
    assert undone.sheets[0].records == book.sheets[0].records
    [carried] = undone.warnings
    assert carried.rule == "merges_carried" and carried.excel_row == blank[0]
    assert "未与上方的单元格合并" in carried.message_zh and "CSV" not in carried.message_zh


def test_a_blank_heading_with_none_above_stays_an_error_in_a_workbook(registry, demo):
    rows, merges = national_self_evaluation(as_national(demo.TARGETS), goals=GOALS)
    first = next(n for n, row in enumerate(rows, start=1) if "一级指标" in row) + 1
    unmerged, _ = _unmerged_headings(rows, merges)
    level1 = rows[first - 2].index("一级指标")
    rows[first - 1][level1] = None  # the first indicator's 一级指标: nothing above it to read
    # Its run of rows, blank under it, has no 一级指标 to read either; the next run names its own.
    run = list(takewhile(lambda r: rows[r - 1][level1] is None, range(first, len(rows) - 1)))

    parsed = parse_file(xlsx({"自评表": rows}, merges={"自评表": unmerged}), f"{UNIT}/自评表.xlsx", registry)

    # (Its 二级指标 blank under the first too: under a 一级指标 unknown, none is read from above.)
    assert {p.rule for p in parsed.errors} == {"required"} and len(run) > 1
    assert [p.excel_row for p in parsed.errors if p.column_header == "一级指标"] == run
    assert not any("CSV" in p.message_zh for p in parsed.errors)
