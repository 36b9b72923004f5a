"""A 运行监控表's 偏差原因分析 written as units write it: `无偏差` for none, a sentence for the reason, `其他：…`."""

from __future__ import annotations

import pytest

from pipeline.parse import parse_file
from tests.pipeline.test_national_forms import MONITORING, UNIT
from tests.pipeline.test_registry import ENTRY_COLUMN, SOURCE, refusal, template_yaml
from tests.pipeline.workbooks import csv_bytes, national_monitoring, xls, xlsx

REASON = "受雨季影响，两个小区外墙施工延误"


def _form(
    cause: object, likelihood: str, reason: str | None, *, write: str = "xlsx", drop_reason: bool = False
):
    """Return a 1-7月 运行监控表 whose first indicator states this 偏差原因分析, 完成目标可能性 and 原因说明."""
    indicators = [list(row) for row in MONITORING]
    indicators[0][6:9] = [cause, likelihood, reason]
    rows, merges = national_monitoring(indicators)
    if drop_reason:  # a province's form without the 原因说明 column
        rows = [row[:-1] for row in rows]
        merges = [m.replace("J", "I") for m in merges]
    at = next(n for n, row in enumerate(rows, start=1) if "一级指标" in row) + 1
    if write == "csv":
        return csv_bytes(rows, "gb18030"), at
    return (xlsx if write == "xlsx" else xls)({"监控表": rows}, merges={"监控表": merges}), at


@pytest.mark.parametrize("write", ["xlsx", "xls", "csv"])
@pytest.mark.parametrize("cause", ["无偏差", "未偏离", "无明显偏差", "无", "—"])
def test_no_deviation_written_out_reads_as_blank(registry, cause, write):
    # 无偏差 was refused (enum) with the list of causes, the form sent back for an indicator on course.
    content, _ = _form(cause, "确定能", None, write=write)

    parsed = parse_file(content, f"{UNIT}/2022年1-7月运行监控表.{write}", registry)

    assert parsed.errors == []
    assert {p.rule for p in parsed.warnings} <= {"merges_carried"}
    assert (parsed.sheets[0].records[0]["deviation_cause"], parsed.sheets[0].records[0]["reason"]) == (
        None,
        None,
    )


@pytest.mark.parametrize("write", ["xlsx", "xls", "csv"])
def test_a_sentence_for_the_cause_is_kept_as_the_reason_and_the_clerk_asked_for_the_cause(registry, write):
    content, row = _form(REASON, "有可能", None, write=write)

    parsed = parse_file(content, f"{UNIT}/2022年1-7月运行监控表.{write}", registry)

    assert parsed.errors == []
    [warning] = [p for p in parsed.warnings if p.rule != "merges_carried"]
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "prose_kept",
        row,
        "偏差原因分析",
        REASON,
    )
    assert "所填文字已作为「原因说明」保留，原因类别未填写" in warning.message_zh
    assert "经费保障、制度保障、人员保障、硬件条件保障、其他" in warning.message_zh
    assert warning.fix == "请在本栏填写原因类别，并把说明移至「原因说明」栏"
    first = parsed.sheets[0].records[0]
    assert (first["deviation_cause"], first["reason"]) == (None, REASON)


def test_a_sentence_beside_a_reason_is_kept_before_it_nothing_lost(registry):
    content, _ = _form(REASON, "有可能", "计划四季度赶工")

    parsed = parse_file(content, f"{UNIT}/2022年1-7月运行监控表.xlsx", registry)

    assert [p.rule for p in parsed.all_problems] == ["prose_kept"]
    assert parsed.sheets[0].records[0]["reason"] == f"{REASON}\n计划四季度赶工"


def test_on_a_form_without_a_reason_column_the_sentence_is_the_explanation(registry):
    content, _ = _form(REASON, "有可能", None, drop_reason=True)

    parsed = parse_file(content, f"{UNIT}/2022年1-7月运行监控表.xlsx", registry)

    assert parsed.all_problems == []
    first = parsed.sheets[0].records[0]
    assert (first["deviation_cause"], first["reason"]) == (None, REASON)


@pytest.mark.parametrize(
    ("written", "cause"), [("其他：雨季延误", "其他"), ("经费保障:资金下达较晚", "经费保障")]
)
def test_a_cause_with_its_words_after_a_colon_is_read_with_them(registry, written, cause):
    content, _ = _form(written, "有可能", None)

    parsed = parse_file(content, f"{UNIT}/2022年1-7月运行监控表.xlsx", registry)

    assert parsed.all_problems == []
    first = parsed.sheets[0].records[0]
    assert (first["deviation_cause"], first["reason"]) == (cause, written.replace("：", ":").split(":", 1)[1])


def test_a_cause_mistyped_is_still_refused_not_kept_as_words(registry):
    content, row = _form("资金保障", "有可能", None)

    parsed = parse_file(content, f"{UNIT}/2022年1-7月运行监控表.xlsx", registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.value) == ("enum", row, "资金保障")


def test_blank_words_and_prose_to_are_for_enum_columns_into_a_prose_column(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    words = "    blank_words: [无偏差]\n"
    assert "columns.2.blank_words（列 'note'）: `blank_words` 只用于 enum 列" in refusal(
        tmp_path / "a",
        template_yaml(columns="  - {name: note, header: 备注, type: text, blank_words: [无]}\n"),
    )
    prose = template_yaml(columns=f"{ENTRY_COLUMN}{words}    prose_to: households\n")
    said = refusal(tmp_path / "b", prose)
    assert (
        said.startswith(SOURCE)
        and "columns.2.prose_to（列 'entry_type'）: 指向 'households'，它不是类型为 prose 的列" in said
    )


def test_no_deviation_on_the_funds_block_reads_as_blank(registry):
    rows, merges = national_monitoring(MONITORING)
    at = next(n for n, row in enumerate(rows) if "年度资金总额" in row)
    rows[at - 1][6], rows[at][6] = "偏差原因分析", "无偏差"

    parsed = parse_file(
        xlsx({"监控表": rows}, merges={"监控表": merges}), f"{UNIT}/2022年1-7月运行监控表.xlsx", registry
    )

    assert parsed.all_problems == []
    assert parsed.sheets[0].records[0]["budget_deviation_cause"] is None
