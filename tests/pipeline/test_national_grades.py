"""The 自评等级 a national 自评表 states: read where units write it, kept beside the computed grade, and told on its
cell where the rules grade the computed 总分 otherwise."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipeline.indicators import build_indicators
from pipeline.parse import parse_file
from pipeline.stated_grades import GRADE
from tests.pipeline.test_national_forms import (
    GOALS,
    PROJECT,
    UNIT,
    _home,
    _night,
    as_national,
    national_inbox,
)
from tests.pipeline.test_registry import refusal, template_yaml
from tests.pipeline.workbooks import csv_bytes, national_self_evaluation, saved_as_csv, xls, xlsx

NAME = "2022年度项目支出绩效自评表"


def _graded(demo, where: str, written: str = "良") -> tuple[list[list[object]], list[str], int]:
    """Return a filled 自评表 stating its grade `where` units write it, and the Excel row it is on."""
    rows, merges = national_self_evaluation(as_national(demo.TARGETS), goals=GOALS)
    total = next(n for n, row in enumerate(rows) if row[0] == "总分")
    blank = [None] * len(rows[0])
    if where == "row":  # a row of its own under the 总分 row: `自评等级 | 良`
        rows.insert(total + 1, ["自评等级", written, *blank[2:]])
        return rows, merges, total + 2
    if where == "line":  # a line of its own: `自评等级：良`
        rows.insert(total + 1, [f"自评等级：{written}", *blank[1:]])
        return rows, merges, total + 2
    if where == "total":  # the 总分 row's spare cell, under 偏差原因分析及改进措施
        rows[total][-1] = f"评价等级：{written}"
        return rows, merges, total + 1
    # `评价等级` beside its value, past blank cells, under the 得分 column
    rows.insert(total + 1, ["评价等级", *blank[1:-2], written, None])
    return rows, merges, total + 2


def _written(kind: str, rows, merges) -> tuple[bytes, str]:
    if kind == "csv":
        return csv_bytes(rows, "gb18030"), "csv"
    if kind == "csv-saved":  # as Excel saves the merged form: merged cells' text in their first cell only
        return saved_as_csv(rows, merges, "gb18030"), "csv"
    write = xlsx if kind == "xlsx" else xls
    return write({"自评表": rows}, merges={"自评表": merges}), kind


@pytest.mark.parametrize("kind", ["xlsx", "xls", "csv", "csv-saved"])
@pytest.mark.parametrize("where", ["row", "line", "total", "beside"])
def test_the_forms_own_grade_is_read_with_its_cell(registry, demo, where, kind):
    rows, merges, excel_row = _graded(demo, where)
    content, ext = _written(kind, rows, merges)

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", registry)

    assert parsed.errors == []
    assert {p.rule for p in parsed.warnings} <= {"merges_carried"}  # a CSV says it keeps no merges
    [sheet] = parsed.sheets
    assert {r["reported_grade"] for r in sheet.records} == {"良"}
    [(row, _, _)] = sheet.field_cells["reported_grade"]
    assert row == excel_row


@pytest.mark.parametrize("kind", ["xlsx", "xls", "csv"])
@pytest.mark.parametrize("written", ["100（优）", "100分(优)", "100 优", "100分，优"])
def test_a_total_written_with_its_grade_gives_both(registry, demo, written, kind):
    # `100（优）` in the 总分 row's 得分 was refused as no number (type), the form sent back.
    rows, merges = national_self_evaluation(as_national(demo.TARGETS), goals=GOALS)
    total = next(n for n, row in enumerate(rows) if row[0] == "总分")
    rows[total][7] = written
    content, ext = _written(kind, rows, merges)

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", registry)

    assert parsed.errors == [] and {p.rule for p in parsed.warnings} <= {"merges_carried"}
    [sheet] = parsed.sheets
    assert (sheet.records[0]["reported_total_score"], sheet.records[0]["reported_grade"]) == (100, "优")
    assert (
        sheet.field_cells["reported_grade"]
        == sheet.field_cells["reported_total_score"]
        == [(total + 1, "H", "总分·得分")]
    )


def _total_written(demo, written: str, kind: str = "xlsx") -> tuple[bytes, str, int]:
    """Return a filled 自评表 whose 总分 row's 得分 cell (H) writes `written`, and the Excel row it is on."""
    rows, merges = national_self_evaluation(as_national(demo.TARGETS), goals=GOALS)
    total = next(n for n, row in enumerate(rows) if row[0] == "总分")
    rows[total][7] = written
    return *_written(kind, rows, merges), total + 1


def _strict(registry):
    """Return the registry with the 自评表's 自评等级 a field figures might read (`compared_only` off)."""
    fields = registry.templates["performance_targets"].fields
    at = next(n for n, f in enumerate(fields) if f.name == "reported_grade")
    strict = registry.templates["performance_targets"].model_copy(
        update={
            "fields": (
                *fields[:at],
                fields[at].model_copy(update={"compared_only": False}),
                *fields[at + 1 :],
            )
        }
    )
    return registry.model_copy(update={"templates": {**registry.templates, "performance_targets": strict}})


@pytest.mark.parametrize("kind", ["xlsx", "xls", "csv"])
@pytest.mark.parametrize(
    ("written", "total", "word"),
    [
        ("95（合格）", 95, "合格"),
        ("95分 合格", 95, "合格"),
        ("100（满分）", 100, "满分"),
        ("88（自评）", 88, "自评"),
        # A grade of the form's scale with 以上 (good or better) bounds the grade, not the number.
        ("95（良好以上）", 95, "良好以上"),
        ("95（良及以上）", 95, "良及以上"),
        ("95分 中等以上", 95, "中等以上"),
    ],
)
def test_a_total_written_with_another_word_is_read_and_the_word_asked_about(
    registry, demo, kind, written, total, word
):
    # `95（合格）` in the 总分 cell was refused as no number (type), the whole form sent back, where `合格` in a
    # 自评等级 cell of its own is only asked about. 满分 says no grade either: the clerk is told, the 100 read.
    content, ext, excel_row = _total_written(demo, written, kind)

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", registry)

    assert parsed.errors == []
    [warning] = [p for p in parsed.warnings if p.rule not in {"merges_carried", "total_score_mismatch"}]
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "compared_unread", excel_row, "总分·得分（H列）", written
    )  # fmt: skip
    # The number read is checked against the form's scores as any 总分 is (they add up to 100): the word told on its
    # cell left a 95 off them unsaid.
    summed = [p.excel_row for p in parsed.warnings if p.rule == "total_score_mismatch"]
    assert summed == ([] if total == 100 else [excel_row])
    number = written.split("（")[0].split(" ")[0]
    assert f"填写为“{written}”，数字已按“{number}”读取，其后的“{word}”不是自评等级" in warning.message_zh
    assert "优、良、中、差" in warning.message_zh and "已按未填写处理" in warning.message_zh
    assert warning.fix == (
        f"请把“{word}”改为自评等级（优、良、中、差之一）或删去；若“{word}”是对“{number}”的说明（如并非确切的数），"
        f"请改正“{number}”"
    )
    [sheet] = parsed.sheets
    assert (sheet.records[0]["reported_total_score"], sheet.records[0]["reported_grade"]) == (total, None)
    assert sheet.field_cells["reported_total_score"] == [(excel_row, "H", "总分·得分")]


@pytest.mark.parametrize(
    "written",
    [
        "95（约）",
        "95（左右）",
        "90分（以上）",
        "95 大约",
        "95以上",
        "约95",
        "95左右",
        "95（及以上）",
        # 以上 after a word that is no grade of the form's scale, or beside a hedge, is the number's.
        "95（合格以上）",
        "95（约良好以上）",
        "95（良好左右）",
    ],
)
def test_a_total_with_a_word_saying_it_is_not_exact_is_still_refused(registry, demo, written):
    # `约` is the number's, not a grade: read as 95 it would print a figure the unit did not state exactly.
    content, ext, excel_row = _total_written(demo, written)

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.value) == ("type", excel_row, written)


@pytest.mark.parametrize("written", ["95（合格）", "100（满分）"])
def test_a_total_with_a_word_the_grade_of_a_field_not_only_compared_refuses_stays_refused(
    registry, demo, written
):
    content, ext, excel_row = _total_written(demo, written)

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", _strict(registry))

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.value) == ("type", excel_row, written)


def _total_and_grade(demo, written: str, grade: str, where: str = "row", kind: str = "xlsx"):
    """Return a filled 自评表 whose 总分 cell (H) writes `written` and whose own 自评等级 cell `grade`, the Excel rows of
    both and the grade cell's address."""
    rows, merges, grade_row = _graded(demo, where, grade)
    total = next(n for n, row in enumerate(rows) if row[0] == "总分")
    rows[total][7] = written
    column = {"row": "B", "line": "A", "beside": "H", "total": "I"}[where]
    return *_written(kind, rows, merges), total + 1, grade_row, f"{column}{grade_row}"


@pytest.mark.parametrize("kind", ["xlsx", "xls", "csv"])
@pytest.mark.parametrize("where", ["row", "line", "beside", "total"])
@pytest.mark.parametrize(
    ("written", "grade"), [("100（优）", "优"), ("100分 优秀", "优"), ("100（优秀）", "优秀")]
)
def test_a_total_with_the_grade_its_own_cell_states_reads_both_and_says_nothing(
    registry, demo, written, grade, where, kind
):
    # `100（优）` beside a 自评等级 cell of its own was refused as no number (type), the whole form sent back.
    content, ext, total_row, grade_row, _ = _total_and_grade(demo, written, grade, where, kind)

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", registry)

    assert parsed.errors == [] and {p.rule for p in parsed.warnings} <= {"merges_carried"}
    [sheet] = parsed.sheets
    assert (sheet.records[0]["reported_total_score"], sheet.records[0]["reported_grade"]) == (100, "优")
    assert sheet.field_cells["reported_total_score"] == [(total_row, "H", "总分·得分")]
    [(row, _, _)] = sheet.field_cells["reported_grade"]
    assert row == grade_row  # the grade's lineage is its own cell


@pytest.mark.parametrize("kind", ["xlsx", "xls", "csv"])
@pytest.mark.parametrize("where", ["row", "line", "total"])
def test_a_total_with_another_grade_than_its_own_cell_is_read_and_both_cells_named(
    registry, demo, where, kind
):
    content, ext, total_row, grade_row, grade_at = _total_and_grade(demo, "100（良）", "优", where, kind)

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", registry)

    assert parsed.errors == []
    [warning] = [p for p in parsed.warnings if p.rule != "merges_carried"]
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "carried_differs", total_row, "总分·得分（H列）", "100（良）"
    )  # fmt: skip
    assert (
        f"数字已按“100”读取；其后的自评等级“良”与{grade_at}单元格填写的自评等级“优”不一致，"
        f"自评等级已按{grade_at}单元格的“优”核对"
    ) in warning.message_zh
    assert warning.fix == f"请统一两处的自评等级：删去H{total_row}单元格中的“良”，或改正{grade_at}单元格"
    [sheet] = parsed.sheets
    assert (sheet.records[0]["reported_total_score"], sheet.records[0]["reported_grade"]) == (100, "优")
    [(row, _, _)] = sheet.field_cells["reported_grade"]
    assert row == grade_row


@pytest.mark.parametrize(
    ("written", "word"), [("100（合格）", "合格"), ("100（满分）", "满分"), ("100（良好以上）", "良好以上")]
)
def test_a_total_with_a_word_that_is_no_grade_beside_its_own_grade_cell_is_asked_about(
    registry, demo, written, word
):
    content, ext, total_row, _, grade_at = _total_and_grade(demo, written, "良")

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", registry)

    assert parsed.errors == []
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.value) == ("compared_unread", total_row, written)
    number = written.split("（")[0]
    assert (
        f"其后的“{word}”不是自评等级（应为优、良、中、差之一），本表在{grade_at}单元格另填有自评等级“良”，"
        f"自评等级已按{grade_at}单元格的“良”核对"
    ) in warning.message_zh
    assert f"请删去H{total_row}单元格中的“{word}”" in warning.fix
    [sheet] = parsed.sheets
    assert (sheet.records[0]["reported_total_score"], sheet.records[0]["reported_grade"]) == (
        int(number),
        "良",
    )


def test_a_total_with_a_grade_beside_an_unreadable_grade_cell_names_both(registry, demo):
    # Two warnings, one a cell: the grade cell's `合格` asked about on it, the 总分's `优` that nothing checks it by.
    content, ext, total_row, grade_row, grade_at = _total_and_grade(demo, "100（优）", "合格")

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", registry)

    assert parsed.errors == []
    assert sorted((p.rule, p.excel_row) for p in parsed.warnings) == [
        ("carried_differs", total_row), ("compared_unread", grade_row)
    ]  # fmt: skip
    [told] = [p for p in parsed.warnings if p.rule == "carried_differs"]
    assert f"{grade_at}单元格的自评等级未能读取，未作核对" in told.message_zh
    assert parsed.sheets[0].records[0]["reported_grade"] is None


def test_a_total_with_a_grade_beside_a_blank_grade_cell_gives_the_grade(registry, demo):
    # `自评等级 | ` left blank: the grade after the 总分 is the form's, as where the form has no such row.
    content, ext, total_row, _, _ = _total_and_grade(demo, "100（优）", None)

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", registry)

    assert parsed.all_problems == []
    [sheet] = parsed.sheets
    assert (sheet.records[0]["reported_total_score"], sheet.records[0]["reported_grade"]) == (100, "优")
    assert sheet.field_cells["reported_grade"] == [(total_row, "H", "总分·得分")]


@pytest.mark.parametrize("written", ["95（约）", "95（以上）", "95 左右"])
def test_a_total_not_exact_beside_its_own_grade_cell_is_still_refused(registry, demo, written):
    content, ext, total_row, _, _ = _total_and_grade(demo, written, "良")

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.value) == ("type", total_row, written)


@pytest.mark.parametrize(("written", "rule"), [("95（优）", "carried_differs"), ("95（合格）", "type")])
def test_a_total_beside_its_own_grade_cell_of_a_field_not_only_compared_is_refused(
    registry, demo, written, rule
):
    # Of a field a figure might read, two values for it on one form send it back; a word none of them, as before.
    content, ext, total_row, _, _ = _total_and_grade(demo, written, "良")

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", _strict(registry))

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.value) == (rule, total_row, written)


@pytest.mark.parametrize(
    ("written", "read"), [("优秀", "优"), ("良好", "良"), ("中等", "中"), ("较差", "差")]
)
def test_a_grade_written_in_full_is_read_as_its_grade(registry, demo, written, read):
    rows, merges, _ = _graded(demo, "row", written)

    parsed = parse_file(xlsx({"自评表": rows}, merges={"自评表": merges}), f"{UNIT}/{NAME}.xlsx", registry)

    assert parsed.all_problems == []
    assert parsed.sheets[0].records[0]["reported_grade"] == read


def test_a_grade_the_rules_do_not_name_is_asked_about_on_its_cell(registry, demo):
    # 合格 could be 中 or 良: the clerk is asked, never guessed for. The grade is only compared (`compared_only`), so
    # it is a warning: before, an error that sent back the whole form and every figure on it.
    rows, merges, excel_row = _graded(demo, "row", "合格")

    parsed = parse_file(xlsx({"自评表": rows}, merges={"自评表": merges}), f"{UNIT}/{NAME}.xlsx", registry)

    assert parsed.errors == []
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.value) == ("compared_unread", excel_row, "合格")
    assert "优、良、中、差" in warning.message_zh and "未能读取，已按未填写处理" in warning.message_zh
    [sheet] = parsed.sheets
    assert {r["reported_grade"] for r in sheet.records} == {None}
    assert sheet.records and all(r["target_text"] for r in sheet.records)


def test_a_field_not_only_compared_still_refuses_what_it_cannot_read(registry, demo):
    # The same cell under a field a figure might read: the error stands.
    rows, merges, excel_row = _graded(demo, "row", "合格")
    registry = _strict(registry)

    parsed = parse_file(xlsx({"自评表": rows}, merges={"自评表": merges}), f"{UNIT}/{NAME}.xlsx", registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.value) == ("enum", excel_row, "合格")


def test_a_form_stating_no_grade_keeps_none(registry, demo):
    rows, merges = national_self_evaluation(as_national(demo.TARGETS), goals=GOALS)

    parsed = parse_file(xlsx({"自评表": rows}, merges={"自评表": merges}), f"{UNIT}/{NAME}.xlsx", registry)

    assert parsed.all_problems == []
    assert parsed.sheets[0].records[0]["reported_grade"] is None


@pytest.fixture(scope="module")
def graded_night(tmp_path_factory, registry, demo):
    """The demo night with 枣林's 自评表 sent as the national form, stating 总分 100 and 自评等级 良."""
    settings = _home(tmp_path_factory, "graded")
    rows, merges, excel_row = _graded(demo, "row")
    form = xlsx({"自评表": rows}, merges={"自评表": merges})
    _night(settings, registry, national_inbox(settings, demo, {f"{NAME}.xlsx": form}))
    build_indicators(settings, registry)
    return settings, excel_row


@pytest.mark.slow
def test_a_grade_other_than_the_computed_ones_is_kept_and_told_on_the_forms_receipt(graded_night):
    settings, excel_row = graded_night

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        stated = con.execute(
            "select distinct reported_grade from staging.performance_targets where project_name = ?",
            [PROJECT],
        ).fetchall()
        cell = con.execute(
            "select excel_row, field_header from ops.sheet_fields where field_name = 'reported_grade'"
        ).fetchall()
        grade = con.execute(
            "select grade from mart.project_year where project_name = ? and year = 2022", [PROJECT]
        ).fetchone()
    assert stated == [("良",)] and cell == [(excel_row, "自评等级")]
    assert grade == ("优",)  # the computed one stays: 95.18分
    receipt = settings.receipts / UNIT / f"{NAME}.xlsx.回执.json"
    facts = json.loads(receipt.read_text(encoding="utf-8"))
    [told] = [p for p in facts["problems"] if p["rule"] == GRADE]
    assert (told["excel_row"], told["value"]) == (excel_row, "良")
    assert (
        "「自评等级」填报为良（本表总分100分），按评分规则由已入库的数据计算的总分为95.18分，评定为优"
        in told["message_zh"]
    )
    assert "填报的“良”对应80分以上不足90分" in told["message_zh"]


def test_carries_must_name_an_enum_field(tmp_path):
    fields = "fields:\n  - {name: total, header: 总分, type: decimal, carries: households}\n"

    said = refusal(tmp_path, template_yaml(extra=fields))

    assert "fields.0.carries（列 'total'）: `carries` 须指向本模板的一个 enum 字段，'households' 不是" in said
    assert "（`carries` must name an enum field of this template）" in said


def test_a_total_off_its_scores_with_a_word_told_on_its_cell_is_still_checked_against_them(registry, demo):
    # The grade word's warning on the 总分 cell kept the 总分 from its sum check: a 95 beside scores adding up to 100
    # went unsaid.
    content, ext, total_row, _, _ = _total_and_grade(demo, "95（良）", "优")

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", registry)

    assert sorted((p.rule, p.excel_row) for p in parsed.warnings) == [
        ("carried_differs", total_row), ("total_score_mismatch", total_row)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("written", "second"), [("100/100", "100"), ("100（100分）", "100分"), ("100 100", "100")]
)
def test_a_total_written_with_a_second_number_reads_the_first_and_names_the_second(
    registry, demo, written, second
):
    # `100/100` was told `其后的“100”不是自评等级…若“100”是对“100”的说明…`, as if the full marks were a grade gone wrong.
    content, ext, excel_row = _total_written(demo, written)

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", registry)

    assert parsed.errors == []
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.value) == ("compared_unread", excel_row, written)
    assert f"数字已按“100”读取，其后的“{second}”是另一个数（如满分），不是自评等级" in warning.message_zh
    assert warning.fix == f"请只填写一个数，删去“{second}”；若“100”不是本项的分数，请改正"
    assert parsed.sheets[0].records[0]["reported_total_score"] == 100


def test_a_total_with_a_second_number_beside_its_own_grade_cell_names_the_grade_cell(registry, demo):
    content, ext, excel_row, _, grade_at = _total_and_grade(demo, "100/100", "优")

    parsed = parse_file(content, f"{UNIT}/{NAME}.{ext}", registry)

    [warning] = parsed.all_problems
    assert (warning.rule, warning.excel_row) == ("compared_unread", excel_row)
    assert (
        f"其后的“100”是另一个数（如满分），不是自评等级；本表在{grade_at}单元格另填有自评等级“优”，"
        f"自评等级已按{grade_at}单元格的“优”核对"
    ) in warning.message_zh
    assert parsed.sheets[0].records[0]["reported_grade"] == "优"
