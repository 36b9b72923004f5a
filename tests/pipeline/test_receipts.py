from __future__ import annotations

import ast
import json
import multiprocessing
import os
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

import pipeline
from pipeline.check import check_contents
from pipeline.intake import cutting, ingest
from pipeline.limits import PASSWORD
from pipeline.parse import parse_file, unreadable_file
from pipeline.problems import Problem, Severity
from pipeline.receipt_facts import FIX_ZH, ReceiptFacts, ReceiptIssue
from pipeline.receipt_places import contained, safe_component
from pipeline.receipt_render import render_html, render_text
from pipeline.stated import SETTLED_LATER_ZH
from pipeline.stated_lights import LIGHT_SETTLED_LATER_ZH
from pipeline.suites import rule_titles
from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2, drop, query
from tests.pipeline.test_reader import encrypted_zip, ole2, truncated_xlsx
from tests.pipeline.test_text import HOSTILE


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


# Receipts are renamed into place without an fsync: a power cut can leave one empty (ext4, xfs), and nothing wrote it
# again, its status unchanged.
@pytest.mark.parametrize("lost", ["deleted by hand", "left empty by a power cut"])
def test_a_receipt_deleted_or_left_empty_is_written_again_by_the_next_run_with_nothing_new(
    settings, registry, register, lost
):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    ingest(settings, registry, progress=False)
    folder = settings.receipts / "枣林街道办事处"
    written = {p.name: p.read_bytes() for p in folder.iterdir()}
    for name in ("清单.csv.回执.html", "项目基本信息.csv.回执.json"):
        if lost == "deleted by hand":
            (folder / name).unlink()
        else:
            (folder / name).write_bytes(b"")

    report = ingest(settings, registry, progress=False)

    assert report.outcomes == []  # nothing new was taken in
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == written
    # And a run with nothing deleted writes nothing.
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    ingest(settings, registry, progress=False)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before


def test_a_data_root_moved_elsewhere_gets_its_receipts_written_in_its_own_receipts_folder(
    settings, registry, register, tmp_path
):
    import shutil
    from dataclasses import replace

    moved_home = tmp_path / "moved"
    shutil.copytree(settings.home, moved_home)
    moved = replace(
        settings,
        home=moved_home,
        **{
            name: moved_home / getattr(settings, name).relative_to(settings.home)
            for name in ("inbox", "archive", "receipts", "warehouse", "reports", "data_docs")
        },
    )

    ingest(moved, registry, progress=False)  # the old data root still there, its receipts too

    [(path,)] = query(moved, "select receipt_path from ops.submissions")
    assert Path(path).is_relative_to(moved.receipts.resolve()) and Path(path).is_file()


@pytest.mark.slow  # 5 s or more on two cores
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


@pytest.mark.slow  # 5 s or more on two cores
def test_a_file_its_office_corrected_names_the_correction_on_its_receipt(settings, registry, register):
    # It said only 已被同一单位随后报送的更正版本替代: which file, the portal's history alone told.
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    ingest(settings, registry, progress=False)
    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=2 * 10**18)
    ingest(settings, registry, progress=False)

    def told() -> str:
        return receipts_of(settings)["清单.csv.回执.json"]["reason"]

    [(first,)] = query(
        settings, "select submission_id from ops.submissions where original_name = '清单（更正）.csv'"
    )
    assert f"更正版本（第{first}号提交“清单（更正）.csv”）替代" in told()
    html = (settings.receipts / "枣林街道办事处" / "清单.csv.回执.html").read_text(encoding="utf-8")
    assert f"第{first}号提交“清单（更正）.csv”" in html

    # Corrected again: the receipt names the file in force now, not the one it names no longer in force.
    drop(
        settings,
        "枣林街道办事处/清单（再次更正）.csv",
        COMPOUNDS_V1 + "3,石化小区,2.4150,313,906.97\n",
        mtime=3 * 10**18,
    )
    ingest(settings, registry, progress=False)
    [(second,)] = query(
        settings, "select submission_id from ops.submissions where original_name = '清单（再次更正）.csv'"
    )
    assert f"更正版本（第{second}号提交“清单（再次更正）.csv”）替代" in told()
    assert (
        f"第{second}号提交“清单（再次更正）.csv”"
        in receipts_of(settings)["清单（更正）.csv.回执.json"]["reason"]
    )


@pytest.mark.slow  # 5 s or more on two cores
def test_a_file_its_office_corrected_in_part_names_what_the_correction_holds_on_its_receipt(
    settings, registry, register
):
    from pipeline.cli import main

    def months(*rows: tuple[int, int, int]) -> str:
        header = "项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）"
        lines = [f"枣林街道办事处改造老旧小区,2022,{m},1200,{done},{so_far}" for m, done, so_far in rows]
        return "\n".join(["投资完成情况月报", header, *lines]) + "\n"

    drop(settings, "枣林街道办事处/月报.csv", months(*((m, 10, 10 * m) for m in range(1, 12))), mtime=10**18)
    ingest(settings, registry, progress=False)
    drop(settings, "枣林街道办事处/月报（更正）.csv", months((9, 12, 92), (10, 10, 102)), mtime=2 * 10**18)
    ingest(settings, registry, progress=False)

    # It said only 已接收: its September and October read as in force, though the correction's were.
    [(number,)] = query(
        settings, "select submission_id from ops.submissions where original_name = '月报（更正）.csv'"
    )
    told = (
        "此文件中“枣林街道办事处改造老旧小区”2022年9月、10月的数据已被同一单位随后报送的更正版本"
        f"（第{number}号提交“月报（更正）.csv”）替代，现以更正版本为准，其余数据仍有效。"
    )
    facts = receipts_of(settings)["月报.csv.回执.json"]
    assert (facts["status_zh"], facts["reason"]) == ("已接收", told)
    assert told in (settings.receipts / "枣林街道办事处" / "月报.csv.回执.html").read_text(encoding="utf-8")

    assert main(["withdraw", str(number), "--reason", "更正有误"]) == 0
    assert receipts_of(settings)["月报.csv.回执.json"]["reason"] is None


def test_receipts_written_as_each_batch_commits_end_as_the_run_leaves_each_file(
    settings, registry, register, monkeypatch
):

    # One file a batch: each receipt is written as soon as its batch commits, before the correction and the
    # twin in later batches change what the first file's receipt must say; and a second 清单.csv answered in
    # the same folder must not take the first one's receipt.
    monkeypatch.setattr(cutting, "FILES_PER_BATCH", 1)
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


def test_a_file_taken_in_again_has_its_newest_receipt_under_its_name(settings, registry, register):
    # The clerk sends a broken file, then fixes it in place: the receipt under its name must say 已接收.
    drop(settings, "枣林街道办事处/清单.csv", b"\x00not a sheet", mtime=10**18)
    [first] = ingest(settings, registry, progress=False).outcomes
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=2 * 10**18)
    [second] = ingest(settings, registry, progress=False).outcomes

    statuses = {name: facts["status_zh"] for name, facts in receipts_of(settings).items()}
    assert (first.status, second.status) == ("rejected", "accepted")
    assert statuses == {
        "项目基本信息.csv.回执.json": "已接收",
        "清单.csv.回执.json": "已接收",
        f"清单.csv.第{first.submission_id}号.回执.json": "已退回",
    }
    recorded = query(settings, "select receipt_path, receipt_status = status from ops.submissions order by 1")
    assert all(fresh for _, fresh in recorded)
    assert sorted(str(p) for p in settings.receipts.rglob("*.html")) == [path for path, _ in recorded]


def test_two_files_of_one_name_in_an_offices_sub_folders_have_receipts_saying_where_each_was(
    settings, registry, register
):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    drop(settings, "枣林街道办事处/3月/清单.csv", b"\x00not a sheet", mtime=10**18)
    ingest(settings, registry, progress=False)

    places = {facts["inbox_path"]: facts["status_zh"] for facts in receipts_of(settings).values()}
    assert places == {
        "枣林街道办事处/项目基本信息.csv": "已接收",
        "枣林街道办事处/清单.csv": "已接收",
        "枣林街道办事处/3月/清单.csv": "已退回",
    }
    html = {p.read_text(encoding="utf-8") for p in settings.receipts.rglob("清单.csv*.html")}
    assert {("<td>枣林街道办事处/3月/清单.csv</td>" in page) for page in html} == {True, False}


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


def test_receipt_file_names_replace_every_control_and_bidi_character():
    # A right-to-left override would show `C\u202exslx.exe.回执.html` in a clerk's folder as `C…lmth.执回.exe.xlsx`.
    for char in HOSTILE:
        assert safe_component(f"C{char}xslx.exe", "f", ".回执.html") == "C_xslx.exe.回执.html", hex(ord(char))


def _forged_facts() -> ReceiptFacts:
    message = "第5行「惠及户数（户）」填写为“约\n200”，应为整数，请填写确切户数。"
    issue = ReceiptIssue(
        "清单\r", 5, "惠及户数（户）", "约\n200", "error", "type", message, "应为整数", "请改"
    )
    name = "B\nfake line [已接收] 伪造.xlsx"
    return ReceiptFacts(
        1, name, "枣林", "2023-01-05 09:00:00+0800", "0" * 64, "rejected", [], None, None, [issue]
    )


def test_a_line_feed_in_a_name_or_cell_cannot_forge_a_line_of_the_text_or_html_receipt():
    facts = _forged_facts()

    text = render_text(facts)
    page = render_html(facts)

    assert len(text.splitlines()) == 3  # the file, the summary, the one problem
    assert "B\u240afake line" in text and "约\u240a200" in text and "清单\u240d" in text
    assert "B\u240afake line" in page and "约\u240a200" in page
    assert "B\nfake" not in page and "约\n200" not in page


def test_the_text_receipt_names_a_sheet_once_when_the_message_already_names_it():
    # Each message ends with its fix, as the pipeline's do: the line adds none of its own.
    replaced = "工作表“清单”：本表替代第2号提交中该项目的全部数据，两份没有相同的小区，请核对。"
    issues = [
        ReceiptIssue("清单", None, None, None, "warning", "whole_list_replaced", replaced, "应…", "请核对"),
        ReceiptIssue(
            "清单", 5, "惠及户数（户）", "约200", "error", "type", "第5行…，请改。", "应为整数", "请改"
        ),
    ]
    facts = ReceiptFacts(
        1, "清单.xlsx", "枣林", "2023-01-05 09:00:00+0800", "0" * 64, "rejected", [], None, None, issues
    )

    lines = render_text(facts).splitlines()

    assert lines[2].endswith(f"] {replaced}") and lines[2].count("工作表“清单”") == 1
    assert lines[3].endswith("] 工作表“清单”第5行…，请改。")


@pytest.mark.parametrize(("templates", "told"), [(["performance_targets"], True), (["compound_list"], False)])
def test_a_dry_run_of_a_self_evaluation_says_its_stated_figures_are_settled_after_it_is_sent(templates, told):
    # `pipeline check` said 未发现问题, then the night's receipt warned that the stated 得分 differs (stated.py settles
    # them against the rebuilt marts, which a dry run has not).
    facts = ReceiptFacts(
        1, "自评表.xlsx", "枣林", "2023-01-05 09:00:00+0800", "0" * 64, "accepted", templates, 2022, None, []
    )

    said = render_text(facts, dry_run=True)

    assert "未发现问题" in said
    assert (SETTLED_LATER_ZH in said) is told


@pytest.mark.parametrize(
    ("templates", "told"), [(["performance_monitoring"], True), (["performance_targets"], False)]
)
def test_a_dry_run_of_a_monitoring_form_says_its_light_is_settled_after_it_is_sent(templates, told):
    # `pipeline check` said 未发现问题, then the night's receipt warned that the unit's light is milder than the one
    # the 月报 give (stated_lights.py settles it against the rebuilt marts, which a dry run has not).
    facts = ReceiptFacts(
        1, "监控表.xlsx", "枣林", "2023-01-05 09:00:00+0800", "0" * 64, "accepted", templates, 2022, None, []
    )

    said = render_text(facts, dry_run=True)

    assert "未发现问题" in said
    assert (LIGHT_SETTLED_LATER_ZH in said) is told


def _pipeline_calls() -> Iterator[tuple[Path, ast.Call, str | None, dict[str, ast.expr]]]:
    """Yield every call in the pipeline's own code (not vendored), with its file, name and keywords."""
    root = Path(pipeline.__file__).parent
    for path in sorted(root.rglob("*.py")):
        if "vendor" in path.relative_to(root).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", None))
                yield path, node, name, {k.arg: k.value for k in node.keywords}


def _rules_made_without_a_fix() -> dict[str, list[str]]:
    """Find, in the pipeline's code, every rule of a problem made with no `fix`: `….fail(rule, …)`, `Problem(…)`."""
    found: dict[str, list[str]] = {}
    for path, node, name, keywords in _pipeline_calls():
        if name == "fail" and node.args:
            rule = node.args[0]
        elif name == "Problem" and "fix" not in keywords:
            rule = keywords.get("rule", node.args[1] if len(node.args) > 1 else None)
        else:
            continue
        # A rule chosen in place (`"month_range" if months else "required"`) names each it may be.
        for constant in ast.walk(rule):
            if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                found.setdefault(constant.value, []).append(f"{path.name}:{node.lineno}")
    return found


def test_every_problem_made_without_a_fix_gets_one_on_its_receipt():
    made = _rules_made_without_a_fix()
    assert {"unreadable", "empty", "unknown_template"} <= made.keys()  # the scan sees the file-level paths
    for rule, where in made.items():
        # A message with no instruction in it: the receipt must still say how to fix the problem.
        issue = ReceiptIssue.of(Problem(Severity.ERROR, rule, "文件已损坏，无法打开"))
        assert issue.fix and issue.fix.startswith(("请", "一个文件", "如")), (rule, where)


@pytest.mark.parametrize(
    ("content", "name"),
    [(encrypted_zip(), "清单.xlsx"), (ole2(bytes(1024), "EncryptionInfo"), "清单.xlsx")],
    ids=["zipcrypto-zip", "encryption-info"],
)
def test_an_encrypted_workbooks_receipt_says_a_password_is_set_and_how_to_remove_it(registry, content, name):
    [problem] = parse_file(content, f"枣林街道办事处/{name}", registry).problems
    issue = ReceiptIssue.of(problem)

    assert issue.message_zh.startswith("文件设置了打开密码，无法读取")
    assert issue.fix.startswith("请取消密码后重新报送")
    assert "文件→信息→保护工作簿→用密码进行加密" in issue.fix and "清空密码" in issue.fix
    assert "损坏" not in issue.message_zh


def test_a_damaged_workbooks_receipt_names_no_library(registry):
    [problem] = parse_file(truncated_xlsx(), "枣林街道办事处/清单.xlsx", registry).problems
    issue = ReceiptIssue.of(problem)

    assert (issue.message_zh, issue.fix) == ("文件已损坏，无法打开", FIX_ZH["unreadable"])


def test_an_empty_files_receipt_says_to_save_the_original_again_in_its_own_format(
    settings, registry, register
):
    # A CSV's clerk was told to save it as .xlsx in Excel: a file of 0 bytes opens as a blank sheet, saved as nothing.
    for name in ("清单.csv", "清单.xlsx", "清单.xls"):
        drop(settings, f"枣林街道办事处/{name}", b"")

    assert [o.status for o in ingest(settings, registry, progress=False).outcomes] == ["rejected"] * 3

    fixes = {
        name.removesuffix(".回执.json"): [(p["message_zh"], p["fix"]) for p in facts["problems"]]
        for name, facts in receipts_of(settings).items()
        if name.startswith("清单")
    }
    not_empty = "确认文件大小不是0字节后重新报送"
    assert fixes == {
        "清单.csv": [
            ("文件为空（0字节）", f"请从原表格重新导出CSV文件（或另存为Excel工作簿（.xlsx）），{not_empty}")
        ],
        "清单.xlsx": [("文件为空（0字节）", f"请在Excel中打开原表格重新保存，{not_empty}")],
        "清单.xls": [("文件为空（0字节）", f"请在Excel中打开原表格重新保存，{not_empty}")],
    }
    html = (settings.receipts / "枣林街道办事处" / "清单.csv.回执.html").read_text(encoding="utf-8")
    assert "重新导出CSV文件" in html and "用Excel另存为Excel工作簿" not in html


def test_a_csv_its_reader_gives_up_on_is_told_to_save_it_again_as_a_csv(registry, monkeypatch):
    import pipeline.reader as reader_module

    def broken(*args, **kwargs):
        raise ValueError("the parser's own failure")

    monkeypatch.setattr(reader_module, "read_csv", broken)
    [problem] = parse_file(COMPOUNDS_V1.encode(), "枣林街道办事处/清单.csv", registry).problems
    issue = ReceiptIssue.of(problem)

    assert (issue.message_zh, issue.fix) == (
        "CSV文件格式异常，无法读取",
        "请在Excel或WPS中打开该文件核对后，另存为CSV文件（或Excel工作簿（.xlsx））重新报送",
    )


def test_the_instruction_a_message_ends_with_is_its_fix():
    fix = ReceiptIssue.of(Problem(Severity.ERROR, "unreadable", PASSWORD)).fix
    assert fix.startswith("请取消密码后重新报送") and PASSWORD.endswith(f"，{fix}")
    [refused] = unreadable_file("枣林街道办事处/a.xlsx", "没有读取权限").problems
    assert ReceiptIssue.of(refused).fix == "请重新报送该文件，或请管理员检查收件箱中该文件的权限"
    # `申请` is not an instruction: the rule's own fix is given.
    assert ReceiptIssue.of(Problem(Severity.ERROR, "empty", "申请表为空")).fix.startswith("请在统一下发")
    # A fix of its own is kept.
    assert ReceiptIssue.of(Problem(Severity.ERROR, "empty", "表为空，请补", fix="请补数据")).fix == "请补数据"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("空文件.xlsx", b""),
        ("坏文件.xlsx", b"not a workbook"),
        ("坏压缩包.xlsx", b"PK\x03\x04" + bytes(range(256)) * 4),
        ("说明.txt", "请查收附件".encode()),
        ("只有标题.csv", "2022年清单\n填报单位：枣林街道办事处\n".encode()),
        ("清单.csv", COMPOUNDS_V1.replace("填报单位：枣林街道办事处\n", "").replace("2022年", "").encode()),
    ],
)
def test_a_file_that_cannot_be_taken_in_gets_a_fix_for_every_problem(settings, registry, name, content):
    [facts] = check_contents([(name, content)], settings, registry)

    assert facts.status == "rejected" and facts.issues
    assert all(i.fix for i in facts.issues), [(i.rule, i.message_zh) for i in facts.issues if not i.fix]


# Where each kind of call names its rule: the argument's position, else the keyword `rule`.
_RULE_POSITION = {"fail": 0, "cell_problem": 0, "CellError": 0, "Noted": 1, "Problem": 1}


def _rules_made() -> dict[str, str]:
    """Find every rule the pipeline's code and the expectation suites can put on a receipt, and where."""
    found: dict[str, str] = {}
    for path, node, name, keywords in _pipeline_calls():
        position = _RULE_POSITION.get(name)
        rule = keywords.get("rule")
        if rule is None and position is not None and len(node.args) > position:
            rule = node.args[position]
        if rule is None or any(isinstance(n, ast.Call | ast.Subscript) for n in ast.walk(rule)):
            continue  # a rule looked up (`meta["rule"]`) is data: the suites' rules are read below
        for constant in ast.walk(rule):
            if isinstance(constant, ast.Constant) and isinstance(constant.value, str) and constant.value:
                found.setdefault(constant.value, f"{path.name}:{node.lineno}")
    for suite in sorted((Path(pipeline.__file__).parent.parent / "expectations").glob("*.json")):
        for rule in re.findall(r'"rule":\s*"([^"]+)"', suite.read_text(encoding="utf-8")):
            found.setdefault(rule, suite.name)
    return found


def test_every_rule_a_receipt_can_carry_has_its_chinese_title():
    made = _rules_made()
    assert {
        "unreadable",
        "type",
        "indicator_value",
        "unit_assumed",
        "score_above_points",
        "rate_mismatch",
    } <= made.keys()
    # A suite's own rule is titled by its suite (meta.rule_zh), the pipeline's by RULE_ZH.
    assert {rule: where for rule, where in made.items() if rule not in rule_titles()} == {}


def _writer_processes(monkeypatch, settings, broken: bool = False):
    """Have `ingest` write archive copies and receipts from processes beside the loader, for any number of
    files; `broken`: processes that have died before the first file. Return the pools made."""
    from dataclasses import replace

    import pipeline.intake
    from pipeline import forked, pools

    monkeypatch.setattr(forked, "usable", lambda: True)  # even on a one-CPU machine
    monkeypatch.setattr(pipeline.intake, "PARALLEL_FROM", 1)
    made = []
    writers = pools.writers

    def recorded(threads, name, process=False):
        pool = writers(threads, name, process)
        if broken and isinstance(pool, ProcessPoolExecutor):
            with pytest.raises(BrokenProcessPool):
                pool.submit(os._exit, 9).result()
        made.append((name, type(pool).__name__))
        return pool

    monkeypatch.setattr(pools, "writers", recorded)
    return replace(settings, workers=2), made


def test_receipts_written_from_a_process_beside_the_loader_say_what_the_run_left(
    settings, registry, register, monkeypatch
):

    settings, made = _writer_processes(monkeypatch, settings)
    monkeypatch.setattr(
        cutting, "FILES_PER_BATCH", 1
    )  # early receipts, then rewritten where the run changed them
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=2 * 10**18)
    drop(settings, "枣林街道办事处/清单（重发）.csv", COMPOUNDS_V1, mtime=3 * 10**18)

    ingest(settings, registry, progress=False)

    assert made == [("receipts", "ProcessPoolExecutor")]
    statuses = {name: facts["status_zh"] for name, facts in receipts_of(settings).items()}
    assert statuses == {
        "项目基本信息.csv.回执.json": "已接收",
        "清单.csv.回执.json": "已被更正版本替代",
        "清单（更正）.csv.回执.json": "已接收",
        "清单（重发）.csv.回执.json": "重复提交",
    }
    recorded = query(settings, "select receipt_path, receipt_status = status from ops.submissions order by 1")
    assert all(fresh for _, fresh in recorded)
    assert sorted(str(p) for p in settings.receipts.rglob("*.html")) == [path for path, _ in recorded]


def test_a_receipt_process_that_died_leaves_its_receipts_to_the_loader_with_one_warning(
    settings, registry, register, monkeypatch, caplog
):
    settings, made = _writer_processes(monkeypatch, settings, broken=True)
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=2 * 10**18)

    report = ingest(settings, registry, progress=False)

    assert [o.status for o in report.outcomes] == ["accepted", "accepted"]
    assert made == [("receipts", "ProcessPoolExecutor")]
    recorded = query(
        settings,
        "select archive_path, receipt_path, receipt_status = status, receipt_error from ops.submissions",
    )
    assert len(recorded) == 3 and all(fresh and error is None for *_, fresh, error in recorded)
    assert all((settings.archive / archived).is_file() for archived, *_ in recorded)
    assert all(Path(path).is_file() and Path(path).with_suffix(".json").is_file() for _, path, *_ in recorded)
    assert caplog.text.count("写出文件的子进程已退出") == 1


def test_a_receipt_whose_process_died_under_it_is_written_here(tmp_path, monkeypatch):
    from pipeline import receipts

    facts = _forged_facts()
    paths = (tmp_path / "r.回执.html", tmp_path / "r.回执.json")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) as pool:
        pool.submit(os._exit, 9)
        job = receipts._start_writing(pool, paths, facts, None)  # queued behind the exit, or refused at once

        assert receipts._settled(job, paths, facts).result() == paths[0]
    assert paths[0].read_text(encoding="utf-8") == render_html(facts)
    assert json.loads(paths[1].read_text(encoding="utf-8"))["sha256"] == facts.sha256
