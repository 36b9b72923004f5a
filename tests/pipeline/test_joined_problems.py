from __future__ import annotations

import pytest

from pipeline.intake import ingest
from tests.conftest import REGISTER_CSV
from tests.pipeline.test_intake import drop, query

UNIT = "枣林街道办事处"
PROJECT = "枣林街道办事处改造老旧小区"


def progress_csv(*months: tuple[int, str, str]) -> bytes:
    """A 月报 as offices send it, GB18030: rows of (month, 本月, 累计), a blank 本月 written as ''."""
    rows = "".join(
        f"{PROJECT},2022,{m},1570.00,{monthly},{cumulative}\r\n" for m, monthly, cumulative in months
    )
    return (
        f"{PROJECT}2022年投资完成情况月报\r\n填报单位：{UNIT}\r\n"
        f"项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）\r\n{rows}"
    ).encode("gb18030")


@pytest.mark.slow
def test_a_blank_monthly_figure_is_one_error_saying_the_figure_and_the_earlier_nights_file_it_comes_from(
    settings, registry
):
    drop(settings, "区财政局/项目基本信息表.csv", REGISTER_CSV)
    drop(settings, f"{UNIT}/月报1-2月.csv", progress_csv((1, "135.20", "135.20"), (2, "133.25", "268.45")))
    [first] = [
        o for o in ingest(settings, registry, progress=False).outcomes if o.inbox_path.endswith("1-2月.csv")
    ]
    drop(settings, f"{UNIT}/月报3月.csv", progress_csv((3, "", "402.10")))

    [outcome] = ingest(settings, registry, progress=False).outcomes
    [(night,)] = query(
        settings, f"select read_on from ops.submissions where submission_id = {first.submission_id}"
    )

    # Before, two entries: the worked-back warning first on the terminal, and after every error in the receipt.
    assert outcome.status == "rejected"
    [told] = outcome.problems
    assert (told.rule, told.severity, told.excel_row, told.column_header) == (
        "required",
        "error",
        4,
        "本月完成投资（万元）",
    )
    # Before, the months of the earlier night were added in unnamed: the clerk could not tell which file gave them.
    assert told.expected == (
        "此项为必填项；按第4行累计完成投资402.1减去1至2月本月完成投资之和268.45"
        f"（其中1、2月取自{night:%Y年%-m月%-d日}入库的第{first.submission_id}号提交“月报1-2月.csv”）"
        "推算应为133.65；为免误算，未代为填入"
    )
    assert told.fix == "请核对后在该单元格填写本月完成投资（如本月确无完成投资，请填0）"
    assert told.message_zh == f"第4行「本月完成投资（万元）」未填写，{told.expected}，{told.fix}。"
