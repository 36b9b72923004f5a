"""A survey's count written in a respondent's word (人, 人次, 户) is read as so many 份 and asked; another is refused."""

from __future__ import annotations

import pytest

from pipeline.parse import parse_file
from tests.pipeline.workbooks import csv_bytes, xlsx

UNIT = "枣林街道办事处"
PROJECT = "示范区双铺棚户区改造项目"
SURVEY = "satisfaction_survey"


def parsed(registry, rows, suffix: str):
    content = csv_bytes(rows) if suffix == "csv" else xlsx({"表1": rows})
    return parse_file(content, f"{UNIT}/表1.{suffix}", registry)


def survey_column(registry, name: str):
    return next(c for c in registry.templates[SURVEY].columns if c.name == name)


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("word", ["人", "人次", "户"])
def test_a_questionnaire_count_in_a_respondents_word_is_read_one_each_and_asked(registry, suffix, word):
    column = survey_column(registry, "valid_responses")
    assert word in column.also_counts  # the registry says who fills one questionnaire each
    rows = [
        ["年度：2022"],
        ["项目名称", "小区名称", f"有效问卷（{column.counts}）", "满意（份）", "不满意（份）"],
        [PROJECT, "小区1", f"100{word}", "90", "10"],
    ]

    file = parsed(registry, rows, suffix)

    # `100人次` was read as 100 questionnaires without a word, as `100人` was: now each is read so and asked.
    [record] = file.sheets[0].records
    assert record["valid_responses"] == 100
    assert file.errors == []
    assert [(p.rule, p.excel_row, p.column_header, p.value) for p in file.all_problems] == [
        ("count_word", 3, f"有效问卷（{column.counts}）", f"100{word}")
    ]
    assert f"读取为100{column.counts}" in file.all_problems[0].expected


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("word", ["栋", "套", "项"])
def test_a_questionnaire_count_in_a_word_counting_no_respondent_is_an_error(registry, suffix, word):
    column = survey_column(registry, "valid_responses")
    assert word not in (column.counts, *column.also_counts)
    rows = [
        ["年度：2022"],
        ["项目名称", "小区名称", "有效问卷（份）", "满意（份）", "不满意（份）"],
        [PROJECT, "小区1", f"100{word}", "90", "10"],
    ]

    [error] = parsed(registry, rows, suffix).errors

    # `100栋` under 有效问卷（份） was stored as 100 questionnaires, untold.
    assert (error.rule, error.excel_row, error.value) == ("type", 3, f"100{word}")
    assert f"“{word}”计的是另一种数目" in error.expected


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(("word", "read"), [("人", 100), ("人次", 100), ("万人次", 1000000)])
def test_a_survey_header_in_a_respondents_word_is_warned_once_and_its_cells_read_so(
    registry, suffix, word, read
):
    rows = [
        ["年度：2022"],
        ["项目名称", "小区名称", f"有效问卷（{word}）", "满意（份）", "不满意（份）"],
        # A cell in the header's own word is not told again; one in another respondent's word is.
        [PROJECT, "小区1", "100", "90", "10"],
        [PROJECT, "小区2", f"100{word}", "90", "10户"],
    ]

    file = parsed(registry, rows, suffix)

    assert [r["valid_responses"] for r in file.sheets[0].records] == [read, read]
    assert file.errors == []
    told = [(p.rule, p.excel_row, p.column_header) for p in file.all_problems]
    assert told == [("count_word", 2, f"有效问卷（{word}）"), ("count_word", 4, "不满意（份）")]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(("line", "read"), [("单位：人次", 100), ("单位：万人", 1000000)])
def test_a_survey_unit_line_in_a_respondents_word_is_read_so_and_asked_on_each_header(
    registry, suffix, line, read
):
    heads = ["有效问卷", "满意", "不满意"]
    rows = [["年度：2022"], [line], ["项目名称", "小区名称", *heads], [PROJECT, "小区1", "100", "90", "10"]]

    file = parsed(registry, rows, suffix)

    # Refused as counting another kind, where a header 有效问卷（人次） is read one questionnaire each and asked.
    [record] = file.sheets[0].records
    assert record["valid_responses"] == read
    assert file.errors == []
    assert [(p.rule, p.excel_row, p.column_header) for p in file.all_problems] == [
        ("count_word", 3, head) for head in heads
    ]
    assert f"表上方写的是“{line}”" in file.all_problems[0].expected


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("header", "cell", "read", "rewrite"),
    [("人次", "0.01万人次", 100, "100"), ("万人次", "100人次", 100, "0.01")],
)
def test_a_cell_in_its_own_unit_under_a_respondents_header_names_the_headers_unit(
    registry, suffix, header, cell, read, rewrite
):
    counts = survey_column(registry, "valid_responses").counts
    rows = [
        ["年度：2022"],
        ["项目名称", "小区名称", f"有效问卷（{header}）", "满意（份）", "不满意（份）"],
        [PROJECT, "小区1", cell, "90", "10"],
    ]

    file = parsed(registry, rows, suffix)

    assert file.sheets[0].records[0]["valid_responses"] == read
    [note] = [p for p in file.all_problems if p.rule == "unit_in_cell"]
    # Converted rightly, but told the column's unit was 份, which the header does not say.
    assert note.expected.startswith(
        f"按单元格注明的“{cell.removeprefix('0.01').removeprefix('100')}”换算为{read}{counts}"
    )
    assert f"注明的本列单位“{header}”不同" in note.expected
    assert note.fix.startswith(f"请核对；无误的，请按本列单位改写为{rewrite}（")
