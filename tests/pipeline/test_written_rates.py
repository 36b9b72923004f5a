"""A rate written beside the counts it is computed from (pipeline/written_rates.py): a survey's 满意度, each row's and
its 合计's, held to its counts as rounded as written, a warning naming both figures where it is off."""

from __future__ import annotations

import pytest

from pipeline.parse import parse_file
from pipeline.problems import FIGURE_WARNINGS, RULE_ZH
from tests.pipeline.workbooks import csv_bytes, xlsx

HEADER = ["小区名称", "有效问卷（份）", "满意（份）", "基本满意（份）", "不满意（份）", "满意度"]


def survey(registry, rows, fmt: str = "xlsx", header=HEADER):
    """Parse a survey of these rows under the header (row 2, below a 年度 line); return the file parsed."""
    sheet = [["年度：2022"], header, *rows]
    content = csv_bytes(sheet) if fmt == "csv" else xlsx({"调查": sheet})
    parsed = parse_file(content, f"枣林街道办事处/满意度调查.{fmt}", registry)
    assert parsed.templates == ["satisfaction_survey"]
    return parsed


def mismatches(parsed):
    [rate] = parsed.sheets[0].template.written_rates
    return {p.excel_row: p for s in parsed.sheets for p in s.problems if p.rule == rate.rule}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_rate_off_its_rows_counts_is_a_warning_naming_both_figures_and_the_one_the_report_uses(
    registry, fmt
):
    rows = [
        ["棉纺厂东院", 111, 84, 19, 8, "92.79%"],  # 103 ÷ 111 = 92.79 %
        ["市委小区", 75, 58, 12, 5, "88%"],  # 70 ÷ 75 = 93.33 %: off
        ["东风小区", 50, 40, 5, 5, 0.9],  # a bare fraction: 45 ÷ 50 = 90 %
        ["西湖小区", 40, 30, 6, 4, 90],  # bare points: 36 ÷ 40 = 90 %
    ]

    parsed = survey(registry, rows, fmt)

    assert parsed.errors == []  # a warning: the file is taken in, its rate computed from the counts
    [warning] = mismatches(parsed).values()
    assert (warning.severity, warning.excel_row, warning.column_header, warning.value) == (
        "warning", 4, "满意度", "88%"
    )  # fmt: skip
    assert warning.expected == (
        "与本行份数不符：（满意+基本满意）÷有效问卷＝（58+12）÷75≈93.33%；报告中的满意度按份数计算，不采用填写的值"
    )
    assert warning.fix == "请核对满意度及满意、基本满意、有效问卷的份数"
    assert "满意度" not in {
        k for r in parsed.sheets[0].records for k in r
    }  # never stored: the marts compute it


def test_a_rate_is_held_to_its_counts_as_rounded_as_written(registry):
    # 103 ÷ 111 = 92.7928 %: 93% stands for 92.5–93.5 %, 92.8% for 92.75–92.85 %, but 92% only for 91.5–92.5 %.
    rows = [
        [f"小区{n}", 111, 84, 19, 8, written] for n, written in enumerate(["93%", "92.8%", "92%", "92.7%"])
    ]

    told = mismatches(survey(registry, rows))

    assert sorted(told) == [5, 6]  # 92% and 92.7%


def test_a_bare_one_is_either_reading_and_a_rate_column_headed_in_percent_reads_its_points(registry):
    header = [*HEADER[:-1], "满意率（%）"]
    rows = [
        ["棉纺厂东院", 20, 15, 5, 0, 1],
        ["市委小区", 75, 58, 12, 5, 93.33],
        ["东风小区", 50, 40, 5, 5, 80],
    ]

    [warning] = mismatches(survey(registry, rows, header=header)).values()

    assert (warning.excel_row, warning.column_header) == (5, "满意率（%）")
    assert "（40+5）÷50≈90%" in warning.expected
    assert warning.fix.startswith("请核对满意率及")


def test_a_total_rows_rate_is_held_to_the_sum_of_every_rows_counts(registry):
    rows = [
        ["棉纺厂东院", 111, 84, 19, 8, "92.79%"],
        ["市委小区", 75, 58, 12, 5, "93.33%"],
        ["合计", 186, 142, 31, 13, "95%"],  # 173 ÷ 186 = 93.01 %
    ]

    [warning] = mismatches(survey(registry, rows)).values()

    assert warning.excel_row == 5
    assert warning.expected == (
        "与各行份数之和不符：（满意+基本满意）÷有效问卷＝（142+31）÷186≈93.01%；"
        "报告中的满意度按份数计算，本表各行合计为93.01%"
    )


def test_a_row_refused_or_without_responses_is_not_held_to_a_rate_nor_is_the_total_above_it(registry):
    rows = [
        ["棉纺厂东院", "约111", 84, 19, 8, "50%"],  # its 有效问卷 refused: no count to hold it to
        ["市委小区", 75, 58, 12, 5, "50%"],
        ["合计", 186, 142, 31, 13, "50%"],
    ]

    parsed = survey(registry, rows)

    assert [e.rule for e in parsed.errors] == ["type"]
    assert sorted(mismatches(parsed)) == [4]  # the 合计 sums a row not read: not checked


def test_a_rate_beside_counts_lacking_an_optional_one_is_checked_not_told_unread(registry):
    header = ["小区名称", "有效问卷（份）", "满意（份）", "不满意（份）", "满意度"]
    rows = [["棉纺厂东院", 111, 103, 8, "80%"], ["市委小区", 75, 70, 5, "93.33%"]]

    parsed = survey(registry, rows, header=header)

    # Before, 满意度 was told unread and asked whether it was the 基本满意 the sheet lacks.
    assert [p.rule for s in parsed.sheets for p in s.problems] == [
        registry.templates["satisfaction_survey"].written_rates[0].rule
    ]
    assert "满意÷有效问卷＝103÷111≈92.79%" in mismatches(parsed)[3].expected


def test_every_written_rates_rule_is_named_and_leaves_the_reports_figure_in_doubt(registry):
    rules = {rate.rule for t in registry.templates.values() for rate in t.written_rates}
    assert rules
    assert all(rule in RULE_ZH and rule in FIGURE_WARNINGS for rule in rules)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("written", ["九成五", "百分之九十五"])
def test_a_rate_in_chinese_numerals_is_held_to_its_counts_as_one_in_digits(registry, fmt, written):
    rows = [
        ["棉纺厂东院", 100, 80, 15, 5, written],  # 95 ÷ 100 = 95 %: agrees
        ["市委小区", 100, 70, 10, 20, written],  # 80 ÷ 100 = 80 %: off
    ]

    told = mismatches(survey(registry, rows, fmt))

    # Each was passed over as no rate: 九成五 beside counts giving 80 % was held to nothing, unsaid.
    assert list(told) == [4]
    assert told[4].value == written


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("written", ["约95%", "95%以上", "95%左右", "较高"])
def test_a_rate_not_written_exactly_is_told_unread_on_its_cell_with_what_the_counts_give(
    registry, fmt, written
):
    rows = [
        ["棉纺厂东院", 100, 80, 15, 5, written],
        ["市委小区", 100, 70, 10, 20, "80%"],
        ["合计", 200, 150, 25, 25, written],
    ]

    parsed = survey(registry, rows, fmt)

    # Each was passed over without a word: stored no more than before, but the check against the counts was lost.
    assert parsed.errors == []
    told = [p for s in parsed.sheets for p in s.problems]
    assert [(p.rule, p.severity, p.excel_row, p.column_header, p.value) for p in told] == [
        ("rate_unread", "warning", row, "满意度", written) for row in (3, 5)
    ]
    assert told[0].expected == (
        "不是确切的百分比，未读取，也未能与本行份数核对；"
        "报告中的满意度按份数计算：（满意+基本满意）÷有效问卷＝（80+15）÷100≈95%"
    )
    assert "与各行份数之和核对" in told[1].expected and "（150+25）÷200≈87.5%" in told[1].expected
    assert told[0].fix == "请填写确切的满意度（如95%），并核对份数"
    assert "rate_unread" in RULE_ZH
