"""The national forms with a header block above the table and a footer below it, as printed forms have them: the
footer's lines are read as nothing, no indicator and no figure."""

from __future__ import annotations

import json
import os
import re

import duckdb
import pytest

from pipeline.cli import main
from pipeline.parse import parse_file
from tests.pipeline.test_national_forms import GOALS, MONITORING, UNIT, as_national, national_inbox
from tests.pipeline.workbooks import national_monitoring, national_self_evaluation, xlsx

TARGETS_FILE = "2022年度项目支出绩效自评表.xlsx"
MONITORING_FILE = "2022年1-7月项目支出绩效运行监控表.xlsx"
# Footers as offices write them: labels with a colon, a signer's note before it, labels in cells of their own with
# the value beside, a seal's place and its date, a note. No word of them may reach the warehouse.
FOOTERS = {
    "signed": [["单位负责人（签字）：", None, None, "审核人：李四", None, None, "填表人：王五"]],
    "apart": [["填报人", "张三", None, "联系电话", "0377-12345678", None, "填报日期", "2022年8月5日"]],
    "seal": [
        [None, None, None, None, None, None, "（盖章）"],
        [None, None, None, None, None, None, "2022年8月5日"],
    ],
    "colon": [["填报人：张三", None, None, "联系电话：0377-12345678", None, None, "填报日期：2022年8月5日"]],
    "note": [["注：1-7月执行数据截至2022年7月31日。"]],
}
FOOTER_WORDS = ("张三", "李四", "王五", "0377", "盖章", "签字", "截至")


def _shifted(merges: list[str], after: int) -> list[str]:
    """Move the merges below Excel row `after` one row down, for a row inserted there."""

    def moved(cell: re.Match) -> str:
        row = int(cell[2])
        return f"{cell[1]}{row + 1 if row > after else row}"

    return [re.sub(r"([A-Z]+)(\d+)", moved, merge) for merge in merges]


def _with_lines(rows_and_merges, header_line: list[object], footer: list[list[object]]):
    """Return a national form with a header block line under its title and `footer` in place of its own footer,
    and the Excel rows of both."""
    rows, merges = rows_and_merges
    width = len(rows[0])
    title = next(n for n, row in enumerate(rows) if isinstance(row[0], str) and row[0].startswith("（"))
    rows.insert(title + 1, (header_line + [None] * width)[:width])
    merges = _shifted(merges, title + 1)
    rows.pop()  # the form's own footer line
    first = len(rows) + 1
    rows += [(list(line) + [None] * width)[:width] for line in footer]
    return rows, merges, title + 2, range(first, len(rows) + 1)


def _monitoring(footer: list[list[object]]):
    header = [
        "填报单位：枣林街道办事处（盖章）",
        None,
        None,
        None,
        "填报日期：2022年8月5日",
        None,
        None,
        "单位：万元",
    ]
    return _with_lines(national_monitoring(MONITORING), header, footer)


def _self_evaluation(demo, footer: list[list[object]]):
    header = [
        "填报单位：枣林街道办事处（盖章）",
        None,
        None,
        None,
        "填报日期：2023年1月5日",
        None,
        None,
        "单位：万元",
    ]
    return _with_lines(national_self_evaluation(as_national(demo.TARGETS), goals=GOALS), header, footer)


@pytest.mark.parametrize("footer", FOOTERS)
def test_a_monitoring_forms_footer_is_no_indicator(registry, footer):
    # No 总分 row ends this form's table: `填报人 | 张三 | …`, `单位负责人（签字）：` and `（盖章）` were read as more
    # indicators, each required cell told blank (`第14行「二级指标」未填写`), and the form returned for them.
    rows, merges, _, _ = _monitoring(FOOTERS[footer])

    parsed = parse_file(
        xlsx({"监控表": rows}, merges={"监控表": merges}), f"{UNIT}/{MONITORING_FILE}", registry
    )

    assert parsed.all_problems == []
    [sheet] = parsed.sheets
    assert [r["level3"] for r in sheet.records] == [m[2] for m in MONITORING]


@pytest.mark.parametrize("footer", FOOTERS)
def test_a_self_evaluations_footer_is_no_indicator(registry, demo, footer):
    rows, merges, _, _ = _self_evaluation(demo, FOOTERS[footer])

    parsed = parse_file(xlsx({"自评表": rows}, merges={"自评表": merges}), f"{UNIT}/{TARGETS_FILE}", registry)

    assert parsed.all_problems == []
    [sheet] = parsed.sheets
    assert [r["level3"] for r in sheet.records] == [t[2] for t in demo.TARGETS]


@pytest.mark.slow
def test_both_forms_with_header_blocks_and_footers_go_through_the_nights_run(
    settings, registry, demo, capsys
):
    # Every footer at once, under a 填报单位/填报日期/单位 line above the table, through `pipeline run` on a fresh root;
    # the signers' line first, so that no `填报人：` line ends the table before it.
    footer = [line for lines in FOOTERS.values() for line in lines]
    targets, targets_merges, targets_header, targets_footer = _self_evaluation(demo, footer)
    monitoring, monitoring_merges, monitoring_header, monitoring_footer = _monitoring(footer)
    forms = {
        TARGETS_FILE: xlsx({"自评表": targets}, merges={"自评表": targets_merges}),
        MONITORING_FILE: xlsx({"监控表": monitoring}, merges={"监控表": monitoring_merges}),
    }
    for path in national_inbox(settings, demo, forms):
        os.utime(path, ns=(1, 1))  # long settled

    assert main(["--quiet", "run"]) == 0

    assert f"[已接收] {UNIT}/{TARGETS_FILE}" in capsys.readouterr().out
    lines = {
        TARGETS_FILE: (targets_header, targets_footer),
        MONITORING_FILE: (monitoring_header, monitoring_footer),
    }
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        for name, table, count in (
            (TARGETS_FILE, "performance_targets", len(demo.TARGETS)),
            (MONITORING_FILE, "performance_monitoring", len(MONITORING)),
        ):
            [(submission, status)] = con.execute(
                "select submission_id, status from ops.submissions where original_name = ?", [name]
            ).fetchall()
            assert status == "accepted"
            staged = con.execute(
                f"select * from staging.{table} where submission_id = ?", [submission]
            ).fetchdf()
            assert len(staged) == count
            assert staged["implementing_unit"].unique().tolist() == [UNIT]
            assert staged["budget_initial_wan"].unique().tolist() == [1570]  # 万元, as the line above says
            written = " ".join(str(v) for v in staged.astype(str).to_numpy().ravel())
            assert not [word for word in FOOTER_WORDS if word in written]
            header_row, footer_rows = lines[name]
            fields = con.execute(
                "select field_name, excel_row from ops.sheet_fields where submission_id = ?", [submission]
            ).fetchall()
            assert fields and not [f for f in fields if f[1] == header_row or f[1] in footer_rows]
            receipt = json.loads((settings.receipts / UNIT / f"{name}.回执.json").read_text(encoding="utf-8"))
            told = [(p["rule"], p["excel_row"]) for p in receipt["problems"]]
            # Only the demo's stated figures held against its ledgers, never a footer's or the header line's row.
            assert {rule for rule, _ in told} <= {
                "stated_rate_differs",
                "stated_score_differs",
                "stated_total_differs",
            }
            assert not [row for _, row in told if row == header_row or row in footer_rows]
