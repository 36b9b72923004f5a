"""The official 运行监控表's tick columns: 偏差原因分析 (and some provinces' 完成目标可能性) as a √ under each value."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from pipeline.check import check_contents
from pipeline.enum_values import parse_enum
from pipeline.generated_suite import generated_expectations
from pipeline.parse import parse_file
from pipeline.registry import RegistryError, load_registry
from pipeline.ticks import is_mark
from pipeline.values import CellError
from tests.pipeline.workbooks import _vertical_runs, csv_bytes, national_monitoring, xls, xlsx

UNIT = "枣林街道办事处"
PROJECT = "枣林街道办事处改造老旧小区"
CAUSES = ("经费保障", "制度保障", "人员保障", "硬件条件保障", "其他")
LIKELIHOODS = ("确定能", "有可能", "完全不可能")
REASON = "雨季延误两个小区外墙施工，计划四季度赶工"
# (一级, 二级, 三级, 年度指标值, 1-7月实际完成情况, 全年预计完成情况, 偏差原因分析, 完成目标可能性, 原因说明)
MONITORING = [
    ("产出指标", "数量指标", "改造小区数量", "=16个", "9个", "16个", None, "确定能", None),
    ("产出指标", "时效指标", "年度计划投资完成率", "≥100%", "51%", "100%", "经费保障", "确定能", None),
    ("效益指标", "社会效益指标", "居民居住条件改善", "按期完成", "部分完成", "基本完成", "其他", "有可能", REASON),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "—", "93%", None, "确定能", None),
]  # fmt: skip
HEADER_ROW = (
    9  # 绩效指标 | 一级指标 | … | 偏差原因分析 (over its five sub-headers) | 完成目标可能性 | 原因说明
)
FIRST_DATA_ROW = 11


def _ticks(chosen: object, options: tuple[str, ...]) -> list[object]:
    """Return the tick cells of one row: √ under each chosen option (one, several as a tuple, or none)."""
    picked = {chosen} if isinstance(chosen, str) else set(chosen or ())
    return ["√" if option in picked else None for option in options]


def ticked_monitoring(indicators, *, likelihood_ticks: bool = False) -> tuple[list[list[object]], list[str]]:
    """Return the rows and merges of the official 1–7月 运行监控表: 偏差原因分析 merged over five tick columns.

    The title, 项目名称/主管部门/实施单位 rows, 项目资金（万元） block and goals are the one-column form's; the
    indicator table's headers are merged down over the sub-header row, and 绩效指标 down the table's left edge.
    """
    form, form_merges = national_monitoring(indicators)
    above = [list(row) for row in form[: HEADER_ROW - 1]]
    merges = [m for m in form_merges if int(m.split(":")[1][1:]) < HEADER_ROW]
    likelihood = list(LIKELIHOODS) if likelihood_ticks else [None]
    header = [
        "绩效指标",
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "1-7月实际完成情况",
        "全年预计完成情况",
    ]
    header += ["偏差原因分析", *[None] * 4, "完成目标可能性", *[None] * (len(likelihood) - 1), "原因说明"]
    sub = [None] * 7 + list(CAUSES) + (list(LIKELIHOODS) if likelihood_ticks else [None]) + [None]
    width = len(header)
    rows = [row + [None] * (width - len(row)) for row in above] + [header, sub]
    for one, two, three, target, progress, expected, cause, likely, reason in indicators:
        says = _ticks(likely, LIKELIHOODS) if likelihood_ticks else [likely]
        target = target.replace(
            "=", "＝", 1
        )  # as a clerk types it: openpyxl would take `=16个` for a formula
        rows.append(
            [None, one, two, three, target, progress, expected, *_ticks(cause, CAUSES), *says, reason]
        )
    last = len(rows)
    letters = [chr(ord("A") + i) for i in range(width)]
    merges += [f"{c}{HEADER_ROW}:{c}{HEADER_ROW + 1}" for c in letters[1:7]]  # 一级指标 … 全年预计完成情况
    merges += [f"H{HEADER_ROW}:L{HEADER_ROW}", f"A{HEADER_ROW}:A{last}"]
    tail = letters[12:]  # 完成目标可能性 (one column, or three tick columns), 原因说明
    if likelihood_ticks:
        merges += [
            f"{tail[0]}{HEADER_ROW}:{tail[2]}{HEADER_ROW}",
            f"{tail[3]}{HEADER_ROW}:{tail[3]}{HEADER_ROW + 1}",
        ]
    else:
        merges += [f"{c}{HEADER_ROW}:{c}{HEADER_ROW + 1}" for c in tail]
    merges += _vertical_runs([i[0] for i in indicators], "B", FIRST_DATA_ROW)
    rows.append(["填报人：张三", None, None, "联系电话：0377-12345678", None, None, "填报日期：2022年8月5日"])
    return rows, merges


def _parse(registry, rows_and_merges, write=xlsx):
    rows, merges = rows_and_merges
    content = write({"监控表": rows}, merges={"监控表": merges})
    return parse_file(content, f"{UNIT}/监控表.{write.__name__}", registry)


def _table(parsed) -> list[dict]:
    """Return each record without its lineage row (the tick layout's rows sit one lower)."""
    return [{k: v for k, v in r.items() if k != "excel_row"} for r in parsed.sheets[0].records]


def _cell(rows: list[list[object]], excel_row: int, header: str) -> tuple[int, int]:
    """Return the (row, column) index of a tick cell by its Excel row and sub-header."""
    return excel_row - 1, rows[HEADER_ROW].index(header)


@pytest.mark.parametrize("write", [xlsx, xls], ids=["xlsx", "xls"])
def test_the_tick_layout_reads_as_the_one_column_form(registry, write):
    ticked = _parse(registry, ticked_monitoring(MONITORING), write)
    one_column = _parse(registry, national_monitoring(MONITORING))

    assert ticked.all_problems == [] and one_column.all_problems == []
    [sheet] = ticked.sheets
    assert sheet.template.id == "performance_monitoring"
    assert sheet.header_rows == (HEADER_ROW, HEADER_ROW + 1)  # the sub-header row is header, not data
    assert [r["excel_row"] for r in sheet.records] == list(range(FIRST_DATA_ROW, FIRST_DATA_ROW + 4))
    assert _table(ticked) == _table(one_column)
    assert [r["deviation_cause"] for r in sheet.records] == [None, "经费保障", "其他", None]
    [cause] = [b for b in sheet.bindings if b.column.name == "deviation_cause"]
    assert (cause.header, cause.letter, [t.header for t in cause.ticks]) == (
        "偏差原因分析",
        "H:L",
        list(CAUSES),
    )


def test_two_ticks_are_both_causes_in_the_registrys_order(registry):
    indicators = [list(i) for i in MONITORING]
    indicators[2][6] = ("其他", "经费保障", "制度保障")

    parsed = _parse(registry, ticked_monitoring(indicators))

    assert parsed.all_problems == []
    assert parsed.sheets[0].records[2]["deviation_cause"] == "经费保障、制度保障、其他"


@pytest.mark.parametrize(
    "mark", ["✓", "✔", "✔\ufe0f", "☑", "✅", "V", "ｖ", "Y", "y", "是", "1", 1, "●", True, "TRUE"]
)
def test_every_mark_is_a_tick(registry, mark):
    rows, merges = ticked_monitoring(MONITORING)
    r, c = _cell(rows, FIRST_DATA_ROW, "人员保障")
    rows[r][c] = mark

    parsed = _parse(registry, (rows, merges))

    assert parsed.all_problems == []
    assert parsed.sheets[0].records[0]["deviation_cause"] == "人员保障"


@pytest.mark.parametrize("unmarked", ["×", "✗", "否", "无", "-", "—", "/", "0", 0, " ", False, "FALSE"])
def test_every_unmarked_cell_is_no_tick(registry, unmarked):
    rows, merges = ticked_monitoring(MONITORING)
    r, c = _cell(rows, FIRST_DATA_ROW + 1, "制度保障")  # beside the √ under 经费保障
    rows[r][c] = unmarked

    parsed = _parse(registry, (rows, merges))

    assert parsed.all_problems == []
    assert parsed.sheets[0].records[1]["deviation_cause"] == "经费保障"


def test_an_unknown_mark_is_an_error_naming_its_row_and_sub_header(registry):
    rows, merges = ticked_monitoring(MONITORING)
    r, c = _cell(rows, FIRST_DATA_ROW + 1, "制度保障")
    rows[r][c] = "有"

    parsed = _parse(registry, (rows, merges))

    [error] = parsed.errors
    assert (error.rule, error.sheet, error.excel_row, error.column_header, error.value) == (
        "tick_mark", "监控表", FIRST_DATA_ROW + 1, "制度保障", "有"
    )  # fmt: skip
    assert error.message_zh.startswith(f"第{FIRST_DATA_ROW + 1}行「制度保障」填写为“有”")
    assert error.fix == "请在符合的一列打“√”，其余留空"
    assert parsed.sheets[0].records[1]["deviation_cause"] is None  # never guessed from the √ beside it


def test_a_columns_own_word_in_its_own_column_is_its_tick(registry):
    # Some clerks write the sub-header's word (`有可能` under 有可能) where the form asks for √.
    rows, merges = ticked_monitoring(MONITORING, likelihood_ticks=True)
    sub = rows[HEADER_ROW]
    for r in range(FIRST_DATA_ROW - 1, FIRST_DATA_ROW - 1 + len(MONITORING)):
        rows[r] = [sub[c] if cell == "√" else cell for c, cell in enumerate(rows[r])]
    r, c = _cell(rows, FIRST_DATA_ROW + 2, "其他")
    rows[r][c] = "其它"  # the value's alias, spelled as offices spell it, is the same word

    parsed = _parse(registry, (rows, merges))

    assert parsed.all_problems == []
    assert _table(parsed) == _table(_parse(registry, ticked_monitoring(MONITORING, likelihood_ticks=True)))


def test_another_columns_word_in_a_tick_column_stays_an_error(registry):
    rows, merges = ticked_monitoring(MONITORING, likelihood_ticks=True)
    r, c = _cell(rows, FIRST_DATA_ROW, "确定能")
    rows[r][c] = "有可能"  # under 确定能: the cell contradicts its column

    parsed = _parse(registry, (rows, merges))

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "tick_mark", FIRST_DATA_ROW, "确定能", "有可能"
    )  # fmt: skip
    assert parsed.sheets[0].records[0]["likelihood"] is None


def test_two_ticks_on_a_single_valued_likelihood_are_an_error_naming_both(registry):
    indicators = [list(i) for i in MONITORING]
    indicators[2][7] = ("确定能", "有可能")

    parsed = _parse(registry, ticked_monitoring(indicators, likelihood_ticks=True))

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "tick_several", FIRST_DATA_ROW + 2, "完成目标可能性", "确定能、有可能"
    )  # fmt: skip
    assert "只能勾选一项，现同时勾选了“确定能”“有可能”" in error.message_zh
    assert parsed.sheets[0].records[2]["likelihood"] is None


def test_likelihood_ticks_read_as_its_words(registry):
    ticked = _parse(registry, ticked_monitoring(MONITORING, likelihood_ticks=True))

    assert ticked.all_problems == []
    assert _table(ticked) == _table(_parse(registry, national_monitoring(MONITORING)))
    [likelihood] = [b for b in ticked.sheets[0].bindings if b.column.name == "likelihood"]
    assert likelihood.letter == "M:O"


def test_a_likelihood_group_with_no_tick_is_its_required_error(registry):
    indicators = [list(i) for i in MONITORING]
    indicators[0][7] = None

    parsed = _parse(registry, ticked_monitoring(indicators, likelihood_ticks=True))

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header) == (
        "required",
        FIRST_DATA_ROW,
        "完成目标可能性",
    )
    assert error.fix == "请在“确定能”“有可能”“完全不可能”中勾选一项"


@pytest.mark.parametrize(("official", "written"), [("其他", "其它"), ("硬件条件保障", "硬件保障")])
def test_a_sub_header_may_be_spelled_as_offices_spell_it(registry, official, written):
    rows, merges = ticked_monitoring(MONITORING)
    sub = rows[HEADER_ROW]
    sub[sub.index(official)] = written

    parsed = _parse(registry, (rows, merges))

    assert parsed.all_problems == []
    assert _table(parsed) == _table(_parse(registry, ticked_monitoring(MONITORING)))


@pytest.mark.parametrize("likelihood_ticks", [False, True])
def test_the_136_forms_1_to_7_execution_heading_is_read_as_the_progress_column(registry, likelihood_ticks):
    # 财预〔2019〕136号's 运行监控表 heads the indicators' progress `1-7月执行情况`.
    rows, merges = ticked_monitoring(MONITORING, likelihood_ticks=likelihood_ticks)
    header = rows[HEADER_ROW - 1]
    header[header.index("1-7月实际完成情况")] = "1-7月执行情况"

    parsed = _parse(registry, (rows, merges))

    assert parsed.all_problems == []
    assert [r["progress_value"] for r in parsed.sheets[0].records] == [
        "9个",
        "51%",
        "部分完成",
        None,
    ]  # — is blank
    assert _table(parsed) == _table(
        _parse(registry, ticked_monitoring(MONITORING, likelihood_ticks=likelihood_ticks))
    )


def test_ticks_in_a_two_row_header_are_read_beside_its_other_sub_headers(registry):
    # A province's form groups 1-7月实际完成情况 and 全年预计完成情况 under 1-7月执行情况: two header rows anyway.
    rows, merges = ticked_monitoring(MONITORING)
    header, sub = rows[HEADER_ROW - 1], rows[HEADER_ROW]
    header[5:7], sub[5:7] = ["1-7月执行情况", None], ["1-7月实际完成情况", "全年预计完成情况"]
    merges = [m for m in merges if m not in ("F9:F10", "G9:G10")] + ["F9:G9"]

    parsed = _parse(registry, (rows, merges))

    assert parsed.all_problems == []
    assert parsed.sheets[0].header_rows == (HEADER_ROW, HEADER_ROW + 1)
    assert _table(parsed) == _table(_parse(registry, national_monitoring(MONITORING)))


def test_a_multiple_enum_is_checked_by_a_pattern_of_its_values(registry):
    template = registry.template("performance_monitoring")
    [check] = [
        e
        for e in generated_expectations(template)
        if e["kwargs"]["column"] == "deviation_cause" and e["meta"]["rule"] == "enum"
    ]

    assert check["type"] == "expect_column_values_to_match_regex"
    assert set(check["meta"]) == {"severity", "rule", "reason", "expected_zh", "fix_zh"}
    pattern = re.compile(check["kwargs"]["regex"])
    assert all(pattern.search(v) for v in ("其他", "经费保障、制度保障", "经费保障、人员保障、其他"))
    assert not any(pattern.search(v) for v in ("天气", "经费保障、", "经费保障，制度保障", "经费保障、天气"))
    [single] = [e for e in generated_expectations(template) if e["kwargs"]["column"] == "likelihood"][-1:]
    assert single["type"] == "expect_column_values_to_be_in_set"


def test_a_csv_with_an_unmerged_group_header_row_reads_its_ticks(registry):
    header = ["一级指标", "二级指标", "三级指标", "年度指标值", "1-7月实际完成情况", "全年预计完成情况"]
    header += ["偏差原因分析", None, None, None, None, "完成目标可能性", "原因说明"]
    rows = [["项目支出绩效运行监控表"], [f"项目名称：{PROJECT}"], ["年度：2022"], header]
    rows.append([None] * 6 + list(CAUSES) + [None, None])
    for one, two, three, target, progress, expected, cause, likely, reason in MONITORING:
        rows.append([one, two, three, target, progress, expected, *_ticks(cause, CAUSES), likely, reason])

    parsed = parse_file(csv_bytes(rows), f"{UNIT}/2022年1-7月运行监控表.csv", registry)

    assert parsed.all_problems == []
    [sheet] = parsed.sheets
    assert sheet.header_rows == (4, 5)
    assert [(r["excel_row"], r["deviation_cause"]) for r in sheet.records] == [
        (6, None), (7, "经费保障"), (8, "其他"), (9, None)
    ]  # fmt: skip
    assert {r["month"] for r in sheet.records} == {7}


def test_a_data_row_of_enum_words_below_a_one_column_header_stays_data(registry):
    # Under a one-column 偏差原因分析, the first data row's word is a value, not a sub-header.
    header = ["一级指标", "二级指标", "三级指标", "年度指标值", "1-7月实际完成情况", "全年预计完成情况"]
    rows = [[f"项目名称：{PROJECT}"], ["年度：2022"], [*header, "偏差原因分析", "完成目标可能性", "原因说明"]]
    rows += [list(i) for i in MONITORING]

    parsed = parse_file(csv_bytes(rows), f"{UNIT}/2022年1-7月运行监控表.csv", registry)

    assert parsed.all_problems == []
    assert parsed.sheets[0].header_rows == (3, 3)
    assert [r["deviation_cause"] for r in parsed.sheets[0].records] == [None, "经费保障", "其他", None]


def test_the_one_column_layout_takes_several_causes_in_one_cell(registry):
    indicators = [list(i) for i in MONITORING]
    indicators[2][6] = "制度保障，经费保障"

    parsed = _parse(registry, national_monitoring(indicators))

    assert parsed.all_problems == []
    assert parsed.sheets[0].records[2]["deviation_cause"] == "经费保障、制度保障"


def test_several_values_split_each_checked(registry):
    cause = registry.template("performance_monitoring").column("deviation_cause")
    likelihood = registry.template("performance_monitoring").column("likelihood")

    assert parse_enum("其他、经费保障、其他", cause) == "经费保障、其他"
    # A space, or a line break typed with Alt+Enter, parts two values as a 、 does; one word never splits.
    assert (
        parse_enum("经费保障 人员保障", cause)
        == parse_enum("经费保障\n人员保障", cause)
        == "经费保障、人员保障"
    )
    assert (
        parse_enum(" 硬件 条件保障 ", cause) == "硬件条件保障"
    )  # a stray space inside one value still reads
    with pytest.raises(CellError) as raised:
        parse_enum("经费保障、天气", cause)
    assert raised.value.rule == "enum" and "一项或多项" in raised.value.expected
    with pytest.raises(CellError):
        parse_enum("确定能、有可能", likelihood)  # single-valued: the whole cell is one word


def test_a_mark_is_read_strictly():
    assert [is_mark(v) for v in ("√", " Ｖ ", "是", 1.0, None, "", "  ", "否", "—", 0, False)] == [
        True, True, True, True, False, False, False, False, False, False, False
    ]  # fmt: skip
    assert [is_mark(v) for v in ("有", "x", "√√", 2, "确定能")] == [None] * 5


def test_a_box_form_reads_its_empty_boxes_as_unticked_and_asks_about_a_crossed_one():
    # WPS check-box forms print □ beside every choice and fill the chosen one: an empty box is no mark, not an error.
    assert [is_mark(v) for v in ("■", "☑", "□", "☐", "○", " □ ")] == [True, True, False, False, False, False]
    # ☒ is a tick on a Western form and a cross on a Chinese one: neither is assumed.
    assert is_mark("☒") is None


@pytest.mark.parametrize("write", [xlsx, xls], ids=["xlsx", "xls"])
def test_a_cell_listing_the_choices_behind_boxes_is_read_as_the_one_ticked(registry, write):
    # The printed form's choices in one cell, one box filled: they were refused as no likelihood or cause at all.
    indicators = [list(i) for i in MONITORING]
    indicators[0][7] = "☑确定能 □有可能 □完全不可能"
    indicators[1][7] = "■确定能□有可能□完全不可能"
    indicators[1][6] = "□经费保障 □制度保障 □人员保障 □硬件条件保障 □其他"  # printed, left as it is: no cause
    indicators[2][6] = "☑经费保障、□制度保障、□人员保障、□硬件条件保障、✔️其他"
    indicators[2][7] = "□确定能 √有可能 □完全不可能"
    indicators[3][7] = "确定能☑ 有可能□ 完全不可能□"

    parsed = _parse(registry, national_monitoring(indicators), write)

    assert parsed.all_problems == []
    records = parsed.sheets[0].records
    assert [r["likelihood"] for r in records] == ["确定能", "确定能", "有可能", "确定能"]
    assert [r["deviation_cause"] for r in records] == [None, None, "经费保障、其他", None]


@pytest.mark.parametrize(
    ("written", "rule", "said"),
    [
        ("☑确定能 ☑有可能 □完全不可能", "tick_several", "只能勾选一项，现同时勾选了“确定能”“有可能”"),
        ("☒确定能 □有可能 □完全不可能", "tick_mark", "无法确定是否选了“确定能”"),
        ("□确定能 □有可能 □完全不可能", "required", "所列各项均未勾选"),
    ],
)
def test_a_boxed_choice_that_is_not_one_tick_is_asked_about_on_its_cell(registry, written, rule, said):
    indicators = [list(i) for i in MONITORING]
    indicators[1][7] = written
    rows, merges = national_monitoring(indicators)
    excel_row = next(n for n, row in enumerate(rows, 1) if indicators[1][2] in row)

    parsed = _parse(registry, (rows, merges))

    [problem] = parsed.all_problems
    assert (problem.rule, problem.excel_row, problem.column_header, problem.value) == (
        rule,
        excel_row,
        "完成目标可能性",
        written,
    )
    assert said in problem.message_zh


def test_words_between_boxes_that_are_not_the_columns_values_are_its_enum_error(registry):
    likelihood = registry.template("performance_monitoring").column("likelihood")

    assert parse_enum("☑确定能完成 □有可能", likelihood) == "确定能"  # an alias behind its box
    assert parse_enum("√有可能", likelihood) == parse_enum("有可能√", likelihood) == "有可能"
    for written in ("☑确定能 □大概", "☑确定能 □确定能", "备注☑确定能 □有可能", "○有可能"):
        with pytest.raises(CellError) as raised:
            parse_enum(written, likelihood)
        assert raised.value.rule == "enum", written


def _registry_with(tmp_path: Path, edit) -> Path:
    """Copy the registry with performance_monitoring's entry edited by `edit`; return its directory."""
    source = Path(__file__).resolve().parents[2] / "registry"
    directory = tmp_path / "registry"
    (directory / "sources").mkdir(parents=True)
    for name in ("units.yaml", "offices.yaml"):
        if (source / name).is_file():
            (directory / name).write_text((source / name).read_text(encoding="utf-8"), encoding="utf-8")
    entry = yaml.safe_load((source / "sources" / "performance_monitoring.yaml").read_text(encoding="utf-8"))
    edit(entry)
    (directory / "sources" / "performance_monitoring.yaml").write_text(
        yaml.safe_dump(entry, allow_unicode=True), encoding="utf-8"
    )
    return directory


def test_the_registry_refuses_multiple_on_a_column_that_is_no_enum(tmp_path):
    def multiple_reason(entry):
        [reason] = [c for c in entry["columns"] if c["name"] == "reason"]
        reason["multiple"] = True

    with pytest.raises(
        RegistryError,
        match=r"（列 'reason'）: `multiple` 只用于 enum 列（`multiple` is only for enum columns），请删去 multiple，或改 type（第\d+行）",
    ):
        load_registry(_registry_with(tmp_path, multiple_reason))


def test_the_registry_refuses_a_multiple_enum_value_holding_a_separator(tmp_path):
    def slash_alias(entry):
        [cause] = [c for c in entry["columns"] if c["name"] == "deviation_cause"]
        cause["values"]["其他"] = ["其他/不可抗力"]

    with pytest.raises(RegistryError, match="取值和别名中不能含这些符号：其他/不可抗力"):
        load_registry(_registry_with(tmp_path, slash_alias))


@pytest.mark.slow
def test_a_tick_layout_file_reaches_the_warehouse_through_the_command_line(tmp_path, register, settings):
    indicators = [list(i) for i in MONITORING]
    indicators[2][6] = ("经费保障", "制度保障")
    rows, merges = ticked_monitoring(indicators)
    path = settings.inbox / UNIT / "2022年1-7月项目支出绩效运行监控表.xlsx"
    path.write_bytes(xlsx({"监控表": rows}, merges={"监控表": merges}))
    os.utime(path, ns=(1, 1))
    env = os.environ | {"PIPELINE_HOME": str(settings.home), "PIPELINE_INBOX": str(settings.inbox)}

    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "ingest"], env=env, capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        stored = con.execute(
            "select excel_row, level3, deviation_cause, likelihood from staging.performance_monitoring "
            "order by excel_row"
        ).fetchall()
        columns = con.execute(
            "select column_header, excel_column from ops.sheet_columns where column_name = 'deviation_cause'"
        ).fetchall()
    assert stored == [
        (11, "改造小区数量", None, "确定能"),
        (12, "年度计划投资完成率", "经费保障", "确定能"),
        (13, "居民居住条件改善", "经费保障、制度保障", "有可能"),
        (14, "群众满意度", None, "确定能"),
    ]
    assert columns == [("偏差原因分析", "H:L")]


def test_an_unknown_mark_in_a_required_group_is_one_error_on_its_receipt(register, settings, registry):
    rows, merges = ticked_monitoring(MONITORING, likelihood_ticks=True)
    r, c = _cell(rows, FIRST_DATA_ROW, "确定能")
    rows[r][c] = "有"
    content = xlsx({"监控表": rows}, merges={"监控表": merges})

    [facts] = check_contents([(f"{UNIT}/2022年1-7月运行监控表.xlsx", content)], settings, registry)

    assert [(i.rule, i.excel_row, i.column_header) for i in facts.issues] == [
        ("tick_mark", FIRST_DATA_ROW, "确定能"),
        # The next row ticks 经费保障 with no 原因说明: asked about, as any such row is.
        ("indicator_unexplained", FIRST_DATA_ROW + 1, "原因说明"),
    ]


def test_a_months_error_on_a_header_merged_down_both_rows_names_the_row_excel_shows_it_on(registry):
    rows, merges = ticked_monitoring(MONITORING)
    block = next(i for i, row in enumerate(rows) if "1-7月执行数" in row)
    rows[block] = [cell.replace("1-7月", "1-6月") if isinstance(cell, str) else cell for cell in rows[block]]

    [error] = _parse(registry, (rows, merges)).errors

    # 1-7月实际完成情况 is merged over rows 9 and 10: Excel shows it on row 9.
    assert (error.rule, error.excel_row, error.column_header) == (
        "months_mismatch",
        HEADER_ROW,
        "1-7月实际完成情况",
    )


LIGHTS = ("绿灯", "蓝灯", "黄灯", "红灯")


def test_a_light_ticked_under_the_four_lights_is_read_as_that_light(registry):
    # A local 运行监控表 lays the unit's own light out as ticks (● under 红灯); the column was left unread.
    rows, merges = ticked_monitoring(MONITORING)
    first = len(rows[HEADER_ROW - 1])
    rows[HEADER_ROW - 1] += ["预警情况", None, None, None]
    rows[HEADER_ROW] += list(LIGHTS)
    lights = ["绿灯", "黄灯", "红灯", "绿灯"]
    for row, light in zip(rows[FIRST_DATA_ROW - 1 : FIRST_DATA_ROW + 3], lights, strict=True):
        row += ["●" if option == light else None for option in LIGHTS]
    letters = [chr(ord("A") + first + i) for i in range(len(LIGHTS))]
    merges += [f"{letters[0]}{HEADER_ROW}:{letters[-1]}{HEADER_ROW}"]

    parsed = _parse(registry, (rows, merges))

    assert parsed.all_problems == []
    assert [r["stated_light"] for r in parsed.sheets[0].records] == lights
