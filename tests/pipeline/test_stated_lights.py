"""A 运行监控表's own light milder than the one computed for its month: a warning on its receipt, settled after each
rebuild, on fixture rows in an in-memory warehouse."""

from __future__ import annotations

import pytest

from pipeline.problems import RULE_ZH
from pipeline.stated import settle_stated
from pipeline.stated_lights import LIGHT, LIGHTS_ZH
from tests.pipeline.test_indicators import Warehouse, monitoring_lights_stated, progress, register


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
    assert changed == {april, may}  # 6月's 红灯 is harsher, not milder: nothing to tell its clerk
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
