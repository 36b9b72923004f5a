from __future__ import annotations

import json

import pytest

from pipeline.intake import ingest
from pipeline.receipts import ReceiptFacts, ReceiptIssue, contained, render_html, safe_component
from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2, drop, query


def receipts_of(settings) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in settings.receipts.rglob("*.json")}


def test_every_file_gets_an_html_and_json_receipt_in_its_units_folder(settings, registry, demo_inbox, demo):
    ingest(settings, registry, progress=False)

    paths = query(settings, "select unit, original_name, inbox_path, receipt_path from ops.submissions")
    assert len(paths) == len(demo_inbox)
    returned = {str(p.relative_to(settings.inbox)) for p in demo_inbox if demo.is_returned(p)}
    for unit, name, inbox_path, receipt in paths:
        status = "已退回" if inbox_path in returned else "已接收"
        assert receipt == str(settings.receipts / unit / f"{name}.回执.html")
        html = (settings.receipts / unit / f"{name}.回执.html").read_text(encoding="utf-8")
        assert f"状态：{status}" in html
        facts = json.loads((settings.receipts / unit / f"{name}.回执.json").read_text(encoding="utf-8"))
        assert facts["status_zh"] == status and len(facts["sha256"]) == 64
        if inbox_path in returned:  # what the office must fix: the row, the column and what it wrote
            assert "第9行「惠及户数（户）」填写为“约200”" in html


def test_receipts_follow_status_changes_duplicate_and_superseded(settings, registry, register):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    ingest(settings, registry, progress=False)
    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=2 * 10**18)
    drop(settings, "枣林街道办事处/清单（重发）.csv", COMPOUNDS_V1, mtime=3 * 10**18)

    ingest(settings, registry, progress=False)

    statuses = {name: facts["status_zh"] for name, facts in receipts_of(settings).items()}
    assert statuses == {
        "项目基本信息.csv.回执.json": "已接收",
        "清单.csv.回执.json": "已被更正版本替代",
        "清单（更正）.csv.回执.json": "已接收",
        "清单（重发）.csv.回执.json": "重复提交",
    }


def test_receipts_written_as_each_batch_commits_end_as_the_run_leaves_each_file(
    settings, registry, register, monkeypatch
):
    from pipeline.intake import load

    # One file a batch: each receipt is written as soon as its batch commits, before the correction and the
    # twin in later batches change what the first file's receipt must say; and a second 清单.csv answered in
    # the same folder must not take the first one's receipt.
    monkeypatch.setattr(load, "FILES_PER_BATCH", 1)
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=2 * 10**18)
    drop(settings, "枣林街道办事处/清单（重发）.csv", COMPOUNDS_V1, mtime=3 * 10**18)
    drop(
        settings, "枣林街道办事处/旧/清单.csv", COMPOUNDS_V2.replace("市委小区", "石化小区"), mtime=4 * 10**18
    )

    ingest(settings, registry, progress=False)

    statuses = {name: facts["status_zh"] for name, facts in receipts_of(settings).items()}
    assert statuses == {
        "项目基本信息.csv.回执.json": "已接收",
        "清单.csv.回执.json": "已被更正版本替代",  # written as 已接收 when its batch committed, then again
        "清单（更正）.csv.回执.json": "已接收",
        "清单（重发）.csv.回执.json": "重复提交",
        "清单.csv.第5号.回执.json": "已退回",  # a second 清单.csv for the same folder keeps its own receipt
    }
    recorded = query(settings, "select receipt_path, receipt_status = status from ops.submissions order by 1")
    assert all(fresh for _, fresh in recorded)
    assert sorted(str(p) for p in settings.receipts.rglob("*.html")) == [path for path, _ in recorded]


def test_a_rejected_files_receipt_lists_every_problem_with_row_header_value_and_fix(
    settings, registry, register
):
    bad = COMPOUNDS_V1.replace("1,棉纺厂东院,2.8650,370,", "1,棉纺厂东院,2.8650,约200,").replace(
        "2,市委小区,1.9320,249,725.58", "2,市委小区,-1,249,#REF!"
    )
    drop(settings, "枣林街道办事处/清单.csv", bad)

    ingest(settings, registry, progress=False)

    facts = receipts_of(settings)["清单.csv.回执.json"]
    assert facts["status_zh"] == "已退回" and facts["error_count"] == 3
    found = {(p["excel_row"], p["column_header"], p["value"], p["rule"]) for p in facts["problems"]}
    assert found == {
        (5, "惠及户数（户）", "约200", "type"),
        (6, "改造面积（万平方米）", "-1", "negative"),
        (6, "计划投资（万元）", "#REF!", "formula_error"),
    }
    assert all(p["fix"] and p["expected"] for p in facts["problems"])


def test_hostile_unit_and_file_names_never_escape_the_receipts_folder(settings, registry):
    hostile = COMPOUNDS_V1.replace("填报单位：枣林街道办事处", "填报单位：../../x")
    # At the inbox root the line names the receipt folder.
    drop(settings, "清单.csv", hostile)

    ingest(settings, registry, progress=False)

    written = list(settings.home.parent.rglob("*回执*"))
    assert len(written) == 2
    assert all(p.resolve().is_relative_to(settings.receipts.resolve()) for p in written)
    assert safe_component("../../x", "f") == "_.._x"
    assert safe_component("..", "f") == "f"
    with pytest.raises(ValueError):
        contained(settings.receipts, "..", "x")


def test_html_receipt_escapes_file_text_and_shows_formulas_as_text():
    facts = ReceiptFacts(
        1,
        "<script>alert(1)</script>.xlsx",
        "枣林",
        "2023-01-05 09:00:00+0800",
        "0" * 64,
        "rejected",
        ["compound_list"],
        2022,
        None,
        [
            ReceiptIssue(
                "<b>表</b>", 3, "小区名称", "=cmd|' /C calc'!A0", "error", "type", "x<y", "应为", "请"
            )
        ],
    )

    page = render_html(facts)

    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>表</b>" not in page
    assert "=cmd|&#x27; /C calc&#x27;!A0" in page


def test_an_early_receipt_that_cannot_be_removed_is_left_with_a_warning_not_raised(
    tmp_path, monkeypatch, caplog
):
    from concurrent.futures import Future
    from pathlib import Path

    from pipeline.receipts import _Early, _remove_misplaced

    html, kept_html = tmp_path / "a.回执.html", tmp_path / "b.回执.html"
    done: Future = Future()
    done.set_result(html)
    early = {1: _Early((html, tmp_path / "a.回执.json"), None, done)}

    def refuse(self, missing_ok=False):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "unlink", refuse)
    _remove_misplaced(early, {kept_html})  # must not raise: the run's receipts are recorded before this
    assert "未能删除" in caplog.text
