"""A 运行监控表's own light milder or harsher than the one computed for its month, or stated for a month no 月报 lights:
a warning on its receipt, settled after each rebuild, on fixture rows in an in-memory warehouse and through the CLI."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from pipeline.problems import RULE_ZH
from pipeline.stated import settle_stated
from pipeline.stated_lights import HARSHER, LIGHT, LIGHTS_ZH, UNCOMPUTED
from tests.pipeline.test_indicators import YEAR, Warehouse, monitoring_lights_stated, progress, register


@pytest.fixture
def wh(registry):
    return Warehouse(registry)


def _told(wh: Warehouse) -> list[tuple]:
    return wh.rows(
        "select submission_id, sheet, excel_row, column_header, value, severity, message_zh, expected, fix "
        "from ops.validation_issues where rule = ? order by submission_id",
        [LIGHT],
    )


def _form(wh: Warehouse, month: int) -> int:
    return wh.one("select distinct submission_id from raw.performance_monitoring where month = ?", [month])


def test_a_light_milder_than_the_computed_one_is_told_on_the_forms_receipt(wh):
    # The unit that wrote 绿灯 beside a computed 红灯 was told nothing: only the report's 数据质量提示 named it.
    register(wh, "甲")
    # Plan 1,200: 5月 250 is 20.83 points behind 41.67 % (red); 6月 600 is on time (none); 4月 220 is yellow.
    progress(wh, "甲", "1200", {4: "220", 5: "250", 6: "600"})
    monitoring_lights_stated(wh, {4: ["蓝灯"], 5: ["绿灯", None, "绿灯"], 6: ["红灯"]})
    wh.con.execute(
        "insert into ops.sheet_columns select distinct submission_id, sheet, 'stated_light', '预警情况', 'K', null "
        "from raw.performance_monitoring"
    )
    wh.build()

    changed = settle_stated(wh.con)

    may, april = _form(wh, 5), _form(wh, 4)
    assert changed == {april, may, _form(wh, 6)}  # 6月's 红灯 is harsher: told under its own rule
    told = {row[0]: row for row in _told(wh)}
    sid, sheet, row, header, value, severity, message, expected, fix = told[may]
    assert (sheet, row, header, value, severity) == ("表1", 5, "预警情况", "绿灯", "warning")
    # Where, what was computed and from which figures and files, and what to do: the unit's light is kept.
    progress_files = wh.rows(
        "select original_name from ops.submissions where 'investment_progress' = any(templates) "
        "and submission_id in (select submission_id from raw.investment_progress where month = 5)"
    )
    assert f"《{progress_files[0][0]}》" in message
    assert "K列第5、7行" in message and "5月应为红灯" in message
    assert "累计完成投资250万元、年度计划投资1200万元" in message
    assert (
        "投资进度20.83%，时间进度41.67%（5/12），偏离度20.83个百分点（偏离度超过20个百分点为红灯）" in message
    )
    assert expected == "按投资完成情况月报计算的5月预警红灯（偏离度20.83个百分点）"
    assert "本表填报的预警照录" in fix and fix.startswith("请核对本表的预警情况")
    assert "项目资金执行率" not in message  # the table's light, not the block's
    assert "偏离度超过10个百分点为黄灯" in told[april][6] and told[april][4] == LIGHTS_ZH["blue"]
    assert RULE_ZH[LIGHT]
    assert wh.one("select warning_count from ops.submissions where submission_id = ?", [may]) == 1
    assert wh.one("select receipt_status from ops.submissions where submission_id = ?", [may]) is None

    # Settled again with nothing changed, nothing is rewritten.
    assert settle_stated(wh.con) == set()


def test_a_warning_is_withdrawn_once_the_progress_bears_the_light_out(wh):
    register(wh, "甲")
    progress(wh, "甲", "1200", {5: "250"})
    monitoring_lights_stated(wh, {5: ["绿灯"]})
    wh.build()
    settle_stated(wh.con)
    may = _form(wh, 5)
    assert [row[0] for row in _told(wh)] == [may]

    # A corrected 月报 for 5月 (500 of 1,200: on time) arrives another night; the rebuilt marts light nothing.
    wh.con.execute(
        "update raw.investment_progress set cumulative_completed_wan = 500, monthly_completed_wan = 500"
    )
    wh.build()

    assert settle_stated(wh.con) == {may}
    assert _told(wh) == []
    assert wh.one("select warning_count from ops.submissions where submission_id = ?", [may]) == 0


def test_the_funds_blocks_light_is_told_at_its_own_cell(wh):
    register(wh, "甲")
    progress(wh, "甲", "1200", {5: "250"})
    monitoring_lights_stated(wh, {5: [None, None]}, block={5: "蓝灯"})
    may = _form(wh, 5)
    wh.con.execute(
        "insert into ops.sheet_fields values (?, '表1', 'budget_stated_light', '年度资金总额·预警情况', 3, 'H')",
        [may],
    )
    wh.build()

    settle_stated(wh.con)

    [(_, _, row, header, value, *_rest)] = _told(wh)
    assert (row, header, value) == (3, "年度资金总额·预警情况", "蓝灯")
    assert "H列第3行" in _rest[1]
    assert "规则未规定按项目资金执行率计算的预警" in _rest[1]


def test_a_harsher_light_and_one_no_month_lights_are_told_too_and_withdrawn_once_the_month_bears_them_out(wh):
    # 6月's 红灯 beside a computed 无, and 7月's 黄灯 with no 7月 月报, reached the report's 数据质量提示 only.
    register(wh, "甲")
    progress(wh, "甲", "1200", {5: "250", 6: "600"})
    monitoring_lights_stated(wh, {6: ["红灯"], 7: ["黄灯"], 8: ["绿灯"]})
    wh.build()

    june, july = _form(wh, 6), _form(wh, 7)
    assert settle_stated(wh.con) == {june, july}  # 8月's 绿灯 with nothing to hold it to asks for nothing
    told = {row[0]: row for row in _told_any(wh)}
    assert (
        told[june][1] == HARSHER
        and "6月应为绿灯" in told[june][2]
        and "本表填报的预警重于计算的预警" in told[june][2]
    )
    # What the 月报 give beside what the unit's light takes.
    assert (
        "偏离度-0.00个百分点" not in told[june][2]
        and "偏离度0个百分点（为绿灯，超过20个百分点才为红灯）" in told[june][2]
    )
    assert told[july][1] == UNCOMPUTED
    assert "已入库的月报截至6月，没有7月的投资完成情况月报可据以计算7月的预警" in told[july][2]
    assert told[july][3].startswith(f"请报送该项目{YEAR}年1-7月（截至7月）的投资完成情况月报")
    assert RULE_ZH[HARSHER] and RULE_ZH[UNCOMPUTED]

    # 7月's 月报 arrives, 540 of 1,200 by July: 13.33 points behind, 黄灯 as stated. 6月's is corrected to 250: 红灯.
    progress(wh, "甲", "1200", {6: "250", 7: "540"})
    wh.build()

    assert settle_stated(wh.con) == {june, july}
    assert _told_any(wh) == []
    assert (
        wh.one("select sum(warning_count) from ops.submissions where submission_id in (?, ?)", [june, july])
        == 0
    )


def _told_any(wh: Warehouse) -> list[tuple]:
    return wh.rows(
        "select submission_id, rule, message_zh, fix from ops.validation_issues where rule in (?, ?, ?) "
        "order by submission_id",
        [LIGHT, HARSHER, UNCOMPUTED],
    )


def _monitoring(month: int, light: str) -> bytes:
    """A 1–N月 运行监控表 of 枣林's project whose indicator rows end in a 预警情况 column stating `light`."""
    from tests.pipeline.test_national_forms import MONITORING, _row_with
    from tests.pipeline.workbooks import national_monitoring, xlsx

    rows, merges = national_monitoring(MONITORING[:2], months=month)
    at = _row_with(rows, "原因说明")
    rows[at - 1].append("预警情况")
    for row in rows[at : at + 2]:
        row.append(light)
    return xlsx({"监控表": rows}, merges={"监控表": merges})


def _progress_csv(project: str, unit: str, cumulative: list[str]) -> str:
    """A 投资完成情况月报 planning 1,200万元, one row a month from January, each 累计 as given."""
    before = ["0", *cumulative]
    rows = [f"{project},{YEAR},{m},1200,{D(c) - D(before[m - 1])},{c}" for m, c in enumerate(cumulative, 1)]
    header = "项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）"
    return "\n".join([f"{project}{YEAR}年投资完成情况月报", f"填报单位：{unit}", header, *rows]) + "\n"


@pytest.mark.slow  # two nights and two reports through the CLI
def test_the_clerk_and_the_reader_are_told_alike_of_a_harsher_light_and_one_no_month_lights(
    settings, monkeypatch, registry
):
    from pipeline.cli import main
    from tests.pipeline.test_open_warnings import notes
    from tests.pipeline.test_projects import BUREAU, register_csv
    from tests.pipeline.test_report_world import cli_night

    project, unit = "枣林街道办事处改造老旧小区", "枣林街道办事处"
    monkeypatch.setenv("PIPELINE_SETTLE_SECONDS", "0")
    assert main(["init"]) == 0

    def night(*files: tuple[str, str | bytes]) -> list[str]:
        return notes(cli_night(settings, YEAR, *files).page)

    def receipt(name: str) -> str:
        return (settings.receipts / unit / f"{name}.回执.html").read_text(encoding="utf-8")

    # By June 600 of 1,200 is on time (无); the 6月 form states 红灯. No 月报 gives July, whose form states 黄灯.
    months = ["100", "200", "250", "350", "500", "600"]
    said = night(
        (f"{BUREAU}/项目基本信息表.csv", register_csv(("ZL-01", project, unit))),
        (f"{unit}/月报.csv", _progress_csv(project, unit, months)),
        (f"{unit}/监控表6月.xlsx", _monitoring(6, "红灯")),
        (f"{unit}/监控表7月.xlsx", _monitoring(7, "黄灯")),
    )
    form = registry.templates["performance_monitoring"].name_zh
    harsher = f"数据质量提示：{project}{YEAR}年度的{form}（1-6月）自报预警为红灯，重于按投资完成情况月报计算的6月预警"
    uncomputed = f"数据质量提示：{project}{YEAR}年度的{form}（1-7月）自报预警为黄灯，报告没有7月按投资完成情况月报计算的预警"
    assert [n for n in said if n.startswith(harsher)] and [n for n in said if n.startswith(uncomputed)]
    june, july = receipt("监控表6月.xlsx"), receipt("监控表7月.xlsx")
    assert RULE_ZH[HARSHER] in june and "6月应为绿灯" in june and "超过20个百分点才为红灯" in june
    assert "《月报.csv》" in june  # the 月报 the light was computed from
    assert RULE_ZH[UNCOMPUTED] in july and "已入库的月报截至6月，没有7月的投资完成情况月报" in july
    assert f"请报送该项目{YEAR}年1-7月（截至7月）的投资完成情况月报" in july

    # The 月报 through July arrives: 620 by July is 6.67 points behind, 蓝灯, so July's 黄灯 is harsher now.
    said = night((f"{unit}/月报（1-7月）.csv", _progress_csv(project, unit, [*months, "620"])))
    assert not [n for n in said if n.startswith(uncomputed)]
    assert f"数据质量提示：{project}{YEAR}年度的{form}（1-7月）自报预警为黄灯，重于" in "".join(said)
    july = receipt("监控表7月.xlsx")
    assert RULE_ZH[UNCOMPUTED] not in july and "7月应为蓝灯" in july
    assert RULE_ZH[HARSHER] in receipt("监控表6月.xlsx")
