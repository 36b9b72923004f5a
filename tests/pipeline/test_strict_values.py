"""Numbers you can defend, through a whole ingest: no value is guessed, and a reading chosen is said on the receipt."""

from __future__ import annotations

import json
from decimal import Decimal

import duckdb
import pytest

from pipeline.indicators import build_indicators
from pipeline.intake import ingest
from pipeline.problems import RULE_ZH
from tests.pipeline.test_intake import drop, query
from tests.pipeline.workbooks import csv_bytes, csv_text, xlsx

UNIT = "枣林街道办事处"
PROJECT = "枣林街道办事处改造老旧小区"
LEDGER_HEADER = ["日期", "项目名称", "资金来源", "类型", "金额（万元）", "支出用途"]


def ledger_rows(*entries: tuple[object, str, str]) -> list[list[object]]:
    """Return 枣林's fund ledger for 2022: a 填报单位 line, the header, one row per (date, type, amount)."""
    rows: list[list[object]] = [[f"填报单位：{UNIT}"], LEDGER_HEADER]
    for day, kind, amount in entries:
        rows.append([day, PROJECT, "中央补助资金", kind, amount, "工程款" if kind != "到位" else None])
    return rows


def issues(settings, submission_id: int) -> list[tuple]:
    return query(
        settings,
        "select severity, rule, sheet, excel_row, column_header, value, expected, fix, message_zh "
        "from ops.validation_issues where submission_id = ? order by excel_row",
        [submission_id],
    )


def receipt_problems(settings, outcome) -> list[dict]:
    receipt = settings.receipts / UNIT / f"{outcome.inbox_path.rsplit('/', 1)[1]}.回执.json"
    return json.loads(receipt.read_text(encoding="utf-8"))["problems"]


def test_a_ledger_saying_bofu_is_rejected_and_the_offices_earlier_ledger_stays_current(
    settings, registry, register
):
    first = ledger_rows(("2022-03-10", "到位", "500"), ("2022-04-12", "支付", "120"))
    drop(settings, f"{UNIT}/资金台账.xlsx", xlsx({"台账": first}), mtime=10**18)
    [accepted] = ingest(settings, registry, progress=False).outcomes
    assert accepted.status == "accepted"
    # The same slice sent again, its payment now written 拨付, which could as well mean money received.
    second = ledger_rows(
        ("2022-03-10", "到位", "500"), ("2022-04-12", "拨付", "120"), ("2022-05-20", "支付", "80")
    )
    drop(settings, f"{UNIT}/资金台账（更正）.xlsx", xlsx({"台账": second}), mtime=2 * 10**18)

    [rejected] = ingest(settings, registry, progress=False).outcomes

    assert rejected.status == "rejected"
    assert query(settings, "select original_name, status from ops.submissions order by submission_id") == [
        ("项目基本信息.csv", "accepted"),
        ("资金台账.xlsx", "accepted"),
        ("资金台账（更正）.xlsx", "rejected"),
    ]
    assert query(
        settings, "select submission_id, entry_type, amount_wan from staging.fund_ledger order by excel_row"
    ) == [(accepted.submission_id, "到位", Decimal(500)), (accepted.submission_id, "支付", Decimal(120))]
    why = "在财政用语中“拨付”既可指上级资金拨付到位，也可指向施工等单位对外支付"
    assert issues(settings, rejected.submission_id) == [
        (
            "error",
            "enum_ambiguous",
            "台账",
            4,
            "类型",
            "拨付",
            f"应为以下之一：到位、支付；{why}，无法确定是哪一个",
            "请按实际情况改填“到位”或“支付”",
            f"第4行「类型」填写为“拨付”，应为以下之一：到位、支付；{why}，无法确定是哪一个，"
            "请按实际情况改填“到位”或“支付”。",
        )
    ]
    [problem] = receipt_problems(settings, rejected)
    assert (problem["rule_zh"], problem["value"]) == (RULE_ZH["enum_ambiguous"], "拨付")


def test_a_ledger_date_typed_as_the_number_2022_1_is_rejected_asking_for_a_real_date(
    settings, registry, register
):
    rows = ledger_rows(("2022-03-10", "到位", "500"), (2022.10, "支付", "120"))
    drop(settings, f"{UNIT}/资金台账.xlsx", xlsx({"台账": rows}))

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.status == "rejected"
    [(severity, rule, sheet, excel_row, header, value, expected, fix, _)] = issues(
        settings, outcome.submission_id
    )
    assert (severity, rule, sheet, excel_row, header, value) == ("error", "type", "台账", 4, "日期", "2022.1")
    assert "2022.1与2022.10是同一个数" in expected and "2022-10-01" in fix
    assert query(settings, "select count(*) from raw.fund_ledger") == [(0,)]


def test_a_csv_ledger_dated_2022_1_is_rejected_asking_for_january_or_october(settings, registry, register):
    # Excel saves 2022.10 shown in the General format as `2022.1` in a CSV; nothing in the file tells which.
    rows = ledger_rows(("2022-03-10", "到位", "500"), ("2022.1", "支付", "120"), ("2022.10", "支付", "80"))
    drop(settings, f"{UNIT}/资金台账.csv", csv_bytes(rows, "gb18030"), mtime=10**18)

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.status == "rejected"
    [(severity, rule, sheet, excel_row, header, value, _, fix, message)] = issues(
        settings, outcome.submission_id
    )
    assert (severity, rule, sheet, excel_row, header, value) == (
        "error",
        "type",
        "资金台账",
        4,
        "日期",
        "2022.1",
    )
    assert fix == "请改写为2022-01或2022-10（或2022年1月、2022年10月）"
    assert message.startswith(
        "第4行「日期」填写为“2022.1”，应为日期；CSV文件中的“2022.1”也可能是Excel把2022.10（10月）"
    )
    [problem] = receipt_problems(settings, outcome)
    assert (problem["rule_zh"], problem["excel_row"], problem["value"]) == (RULE_ZH["type"], 4, "2022.1")
    assert query(settings, "select count(*) from raw.fund_ledger") == [(0,)]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_a_csv_ledger_cut_mid_figure_with_an_old_mtime_is_returned_whole(
    settings, registry, register, encoding
):
    # Unzipped or copied with `cp -p`, a copy cut off in transfer carries an old mtime: the settle window lets it by.
    rows = ledger_rows(
        ("2022-03-10", "到位", "500"), ("2022-04-12", "支付", "120"), ("2022-05-20", "支付", "12345.6")
    )
    text = csv_text(rows)
    drop(settings, f"{UNIT}/资金台账.csv", text[: text.rindex("12345.6") + 3].encode(encoding), mtime=10**9)

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.status == "rejected"
    message = (
        "末行不完整，文件可能未传完：第5行只有5列，少于表头（第2行）的6列，且其后没有换行，最后一格为“123”，"
        "该行的数值可能已被截断，其后的行也可能已丢失，整个文件未入库。请重新导出后再报送。"
    )
    assert [(i[0], i[1], i[2], i[3], i[8]) for i in issues(settings, outcome.submission_id)] == [
        ("error", "truncated", "资金台账", 5, message)
    ]
    [problem] = receipt_problems(settings, outcome)
    assert (problem["rule_zh"], problem["message_zh"]) == (RULE_ZH["truncated"], message)
    receipt = settings.receipts / UNIT / "资金台账.csv.回执.html"
    assert message in receipt.read_text(encoding="utf-8")
    assert query(settings, "select count(*) from raw.fund_ledger") == [(0,)]

    # The same ledger whole, only without a final line break, as hand-made CSVs often end: taken in.
    drop(settings, f"{UNIT}/资金台账.csv", text.removesuffix("\r\n").encode(encoding), mtime=2 * 10**9)
    [outcome] = ingest(settings, registry, progress=False).outcomes
    assert outcome.status == "accepted"
    assert query(settings, "select amount_wan from staging.fund_ledger order by excel_row") == [
        (Decimal(500),),
        (Decimal(120),),
        (Decimal("12345.6"),),
    ]


def test_percentages_reported_in_any_form_score_as_meant_and_a_bare_1_is_a_warning_on_the_receipt(
    settings, registry, register
):
    rows = [
        [f"填报单位：{UNIT}"],
        [f"项目名称：{PROJECT}"],
        ["年度：2022"],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"],
        ["产出指标", "质量指标", "工程验收合格率", "100%", 1, 30],
        ["产出指标", "时效指标", "按期开工率", "≥95%", 0.95, 30],
        ["产出指标", "时效指标", "按期完工率", "≥90%", "93", 30],
    ]
    drop(settings, f"{UNIT}/绩效目标自评表.xlsx", xlsx({"自评表": rows}))

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.status == "accepted"
    [(severity, rule, sheet, excel_row, header, value, expected, fix, message)] = issues(
        settings, outcome.submission_id
    )
    assert (severity, rule, sheet, excel_row, header, value) == (
        "warning",
        "percent_ambiguous",
        "自评表",
        5,
        "实际完成值",
        "1",
    )
    assert message == (
        "第5行「实际完成值」填写为“1”，既可读作1%也可读作100%，对照年度指标值“100%”，已按100%计算，"
        "请填写带百分号的数值，如实为1%请改为“1%”。"
    )
    [problem] = receipt_problems(settings, outcome)
    assert (problem["severity"], problem["rule_zh"]) == ("warning", RULE_ZH["percent_ambiguous"])

    build_indicators(settings, registry)

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        scored = con.execute(
            "select level3, reported_value, actual_value, score from mart.self_evaluation "
            "where project_name = ? and position > 0 order by position",
            [PROJECT],
        ).fetchall()
    assert scored == [
        ("工程验收合格率", "1", Decimal(1), Decimal(30)),
        ("按期开工率", "0.95", Decimal("0.95"), Decimal(30)),
        ("按期完工率", "93", Decimal("0.93"), Decimal(30)),
    ]
