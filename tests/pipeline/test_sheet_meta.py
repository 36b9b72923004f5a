from __future__ import annotations

import datetime as dt

import pytest

from pipeline.sheet_meta import read_meta, row_text
from tests.pipeline.test_layout import parse_rows
from tests.pipeline.workbooks import COMPOUND_HEADER

# --- metadata lines ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [
        ["填报单位：枣林街道办事处（盖章）   填报日期：2023年1月5日   单位：万元"],
        ["填报单位:枣林街道办事处(盖章) 填报日期:2023年1月5日 单位:万元"],
        [row_text(["填报单位：", "枣林街道办事处", None, "填报日期：", "2023年1月5日", "单位：", "万元"])],
        [row_text(["填报单位：", "枣林街道办事处", "（盖章）"]), row_text([None, "单位：万元"])],
        ["填报单位：枣林街道办事处      截至：2022年12月31日   单位：万元"],
        ["填报单位：枣林街道办事处截至：2022年12月31日 单位：万元"],
        [
            row_text(
                ["填报单位：", "枣林街道办事处", "调查时间：", "2022年12月", "联系人：王芳", "单位：万元"]
            )
        ],
        ["填报单位：枣林街道办事处（区住建局代报）  单位：万元"],
        ["填报单位（盖章）：枣林街道办事处   单位：万元"],
        [row_text(["填报单位(章):", "枣林街道办事处", "单位：万元"])],
    ],
    ids=[
        "one-cell",
        "half-width",
        "spread-over-cells",
        "two-lines",
        "a-field-after-a-gap",
        "a-label-right-after",
        "labels-in-later-cells",
        "a-note-after-the-name",
        "a-seal-note-before-the-colon",
        "a-seal-note-half-width",
    ],
)
def test_read_meta_reads_unit_and_money_unit_in_one_cell_or_spread_over_cells(lines):
    meta = read_meta(lines)
    assert (meta.unit, meta.money_unit) == ("枣林街道办事处", "万元")


def test_read_meta_reads_project_year_and_title_year():
    meta = read_meta(
        ["枣林街道办事处2022年老旧小区改造项目清单", "项目名称：枣林街道办事处改造老旧小区 ", "年度：2021年"]
    )
    assert (meta.project, meta.year, meta.title_year) == ("枣林街道办事处改造老旧小区", 2021, 2022)


def test_read_meta_does_not_take_a_filing_date_for_the_year():
    meta = read_meta(["填报日期：2023年1月5日"])
    assert (meta.year, meta.title_year) == (None, None)


@pytest.mark.parametrize(
    ("line", "filed"),
    [
        ("填报日期：2023年1月5日", dt.date(2023, 1, 5)),
        ("填报单位：枣林街道办事处    填表日期：2022/7/5    单位：万元", dt.date(2022, 7, 5)),
        ("填报日期：2022年7月", dt.date(2022, 7, 1)),  # a month alone: the month is what counts
        ("填报日期：    年  月  日", None),  # the printed blank, left unfilled
    ],
)
def test_read_meta_reads_the_day_a_sheet_was_filed(line, filed):
    meta = read_meta([line])
    assert meta.filed == filed
    assert meta.filed_row == 1


def test_a_year_in_a_national_forms_prose_below_its_title_is_no_title_year():
    meta = read_meta(
        [
            "附件2",
            "项目支出绩效自评表",
            "（    年度）",
            "项目名称 枣林街道办事处改造老旧小区",
            "年度总体目标 预期目标 完成16个老旧小区改造。 实际完成情况 16个小区已于2023年1月全部通过竣工验收。",
        ]
    )
    assert meta.title_years == ()


def test_metadata_spread_over_cells_above_the_header_is_read(registry):
    rows = [
        ["填报单位：", "枣林街道办事处", None, "单位：", "万元"],
        ["项目名称：", "枣林街道办事处改造老旧小区", None, "年度：", 2022],
        COMPOUND_HEADER,
        [1, "市委小区", "1.932", "249", "725.58", "在建"],
    ]
    sheet = parse_rows(registry, rows)
    assert (sheet.meta.unit, sheet.meta.project, sheet.meta.year, sheet.meta.money_unit) == (
        "枣林街道办事处",
        "枣林街道办事处改造老旧小区",
        2022,
        "万元",
    )


def test_row_text_joins_non_empty_cells_as_shown():
    assert row_text(["年度：", None, 2022.0, "—", " 单位：万元 "]) == "年度：  2022  单位：万元"


@pytest.mark.parametrize(
    ("lines", "year", "unit"),
    [
        (["枣林街道办事处2022年老旧小区改造项目清单（单位：万元）"], 2022, "万元"),
        (["（2022年度）          单位：万元"], 2022, "万元"),
        ([row_text(["（2022年度）", None, "单位：万元"])], 2022, "万元"),
    ],
)
def test_a_title_stating_a_field_after_its_name_still_names_the_year(lines, year, unit):
    meta = read_meta(lines)
    assert (meta.title_year, meta.money_unit) == (year, unit)


@pytest.mark.parametrize(
    "lines",
    [
        ["（单位：元）"],
        ["单位：元（人民币）"],
        ["金额单位：人民币元"],
        ["填报单位：枣林街道办事处", "主管单位：区住房和城乡建设局", "单位：元"],
        ["建设单位：示范区建设实业有限公司   单位：元"],
        ["货币单位：元"],
    ],
)
def test_the_money_unit_is_read_from_the_words_around_it_and_never_from_an_office_line(lines):
    assert read_meta(lines).money_unit == "元"


@pytest.mark.parametrize(
    ("line", "unit"),
    [
        ("单位：万 元", "万元"),
        ("单位：万\u3000元", "万元"),
        ("填报单位：枣林街道办事处   单位：万  元", "万元"),
        ("单位：万 元 万 平方米", "万元、万平方米"),
        # Words apart still list a unit per measure, and a magnitude beside a unit of its own stays one of them.
        ("单位：元 万平方米", "元、万平方米"),
        ("单位：万元 万", "万元、万"),
        ("单位：万 万元", "万、万元"),
    ],
)
def test_a_magnitude_written_apart_from_its_unit_is_that_one_unit(line, unit):
    # `单位：万 元` read as a list was 元 for the amounts and 万平方米 for the areas: each ten thousand times off.
    assert read_meta([line]).money_unit == unit


# Printed forms name the sending office by other labels too. Left unread, a file whose line named another office was
# credited to its folder's without a word, and `单位（盖章）：…` was read as the money unit.
@pytest.mark.parametrize(
    "lines",
    [
        ["单位名称：枣林街道办事处   单位：万元"],
        ["单位名称（盖章）：枣林街道办事处   单位：万元"],
        ["填报单位名称：枣林街道办事处", "单位：万元"],
        ["报送单位名称（公章）：枣林街道办事处   单位：万元"],
        ["上报单位：枣林街道办事处   单位：万元"],
        ["单位（盖章）：枣林街道办事处   单位：万元"],
        ["填报单位【盖章】：枣林街道办事处   单位：万元"],
        [row_text(["单位名称", "枣林街道办事处", "单位：万元"])],
        [row_text(["单位（盖章）", "枣林街道办事处", "单位：万元"])],
        [row_text(["报送单位", "枣林街道办事处", "单位：万元"])],
        # The seal note standing for the colon, the name typed after it in the same cell.
        ["填报单位（盖章）  枣林街道办事处   单位：万元"],
        ["单位（盖章） 枣林街道办事处   单位：万元"],
    ],
)
def test_other_labels_of_the_sending_office_name_it_and_never_the_money_unit(lines):
    meta = read_meta(lines)
    assert (meta.unit, meta.money_unit) == ("枣林街道办事处", "万元")


@pytest.mark.parametrize("line", ["主管单位名称：区住房和城乡建设局", "建设单位名称：示范区建设实业有限公司"])
def test_another_offices_name_line_names_no_sender(line):
    assert read_meta([line]).unit is None


@pytest.mark.parametrize("other", ["主管单位", "编制单位", "建设单位"])
def test_an_office_line_ends_the_field_before_it(other):
    meta = read_meta([f"填报单位：枣林街道办事处 {other}：区住房和城乡建设局"])
    assert (meta.unit, meta.money_unit) == ("枣林街道办事处", None)


# A national form's 项目名称 row with another label and value beside the name, each in a cell of its own: the name
# ran on into `枣林街道办事处改造老旧小区项目编码ZL-2022-001`, a project no register lists, and the form was returned.
@pytest.mark.parametrize(
    ("label", "value"),
    [
        ("项目编码", "ZL-2022-001"),
        ("项目类型", "老旧小区改造"),
        ("项目负责人", "张三"),
        ("联系电话", "0377-6000000"),
        # A sheet's 填报人 beside the name ran it on into `…改造老旧小区填报人张三` (/tmp/s65/h2/repro_project_line_cells.py).
        ("填报人", "张三"),
        ("填表人", "张三"),
        ("联系人", "李四"),
    ],
)
def test_a_labelled_cell_beside_the_project_name_ends_it(label, value):
    line = row_text(["项目名称", "枣林街道办事处改造老旧小区", None, None, label, value])
    assert read_meta([line]).project == "枣林街道办事处改造老旧小区"


@pytest.mark.parametrize(
    "line",
    ["报送日期：2023年1月5日", "制表日期：2023-01-05", "编制时间：2023年1月", "制表：2023年1月5日 张三"],
)
def test_a_dated_line_above_the_table_is_no_title_and_names_no_year(line):
    # A 2022 list stamped on 2023-01-05 would otherwise be filed as 2023 by its “title”.
    meta = read_meta([line, "填报单位：枣林街道办事处"])
    assert meta.title_years == () and meta.year is None
    assert meta.unit == "枣林街道办事处"
    # A title naming a field after it still names its year.
    assert read_meta(["枣林街道办事处2022年老旧小区改造项目清单  报送日期：2023年1月5日"]).title_years == (
        2022,
    )


@pytest.mark.parametrize(
    ("title", "years"),
    [
        ("2022年老旧小区改造项目清单（截至2023年1月5日）", (2022,)),
        ("2022年老旧小区改造项目清单（2023年1月5日）", (2022,)),
        ("2023年老旧小区改造项目清单（截至2023年1月5日）", (2023,)),
        # Two years named otherwise than in a date still leave the year to the clerk.
        ("2022—2023年老旧小区改造项目清单（截至2023年1月5日）", (2022, 2023)),
    ],
)
def test_a_year_written_only_in_a_date_is_not_one_more_year_of_the_title(title, years):
    assert read_meta([title]).title_years == years


def test_labels_spaced_out_to_line_up_are_read_closed_up():
    # `单  位：元` unread, 元 amounts were read as 万元; `年    度：` unread, the year fell to the title or was lost.
    meta = read_meta(
        ["填 报 单 位：枣林街道办事处   单  位：元", "年    度：2022", "项　目　名　称：老旧小区改造"]
    )
    assert (meta.unit, meta.money_unit, meta.year, meta.project) == (
        "枣林街道办事处",
        "元",
        2022,
        "老旧小区改造",
    )
    # A value's last characters never join a label after it.
    assert read_meta(["填报单位：枣林街道办事处 单位：元"]).unit == "枣林街道办事处"


@pytest.mark.parametrize(
    ("title", "years"),
    [
        ("满意度调查汇总表（共回收问卷2023份）", ()),
        ("老旧小区改造项目清单（惠及2050户，计划投资2040万元）", ()),
        ("项目支出绩效自评表（财预〔2020〕10号附件2）（2022年度）", (2022,)),
        ("枣林街道2022老旧小区改造项目清单（回收问卷2023份）", (2022,)),
        ("枣林街道2022项目清单（完成2021项整改）", (2022,)),
        ("双铺2022台账（新增2023台设备）", (2022,)),
    ],
)
def test_a_count_or_a_documents_number_in_a_title_names_no_year(title, years):
    # `共回收问卷2023份` filed a survey under 2023 with no word to its clerk.
    assert read_meta([title]).title_years == years


@pytest.mark.parametrize(
    ("title", "short"),
    [
        ("22年老旧小区改造项目清单", (2022, "22年")),
        ("七里园街道22年满意度调查汇总表", (2022, "22年")),
        ("项目支出绩效自评表（22年度）", (2022, "22年度")),
        ("枣林街道办事处改造老旧小区22年群众满意度调查汇总表", (2022, "22年")),
        ("建成超过20年老旧小区改造项目清单", None),
        ("房龄超过20年的老旧小区改造项目清单", None),
        ("20年以上房龄小区改造项目清单", None),
        ("2022年老旧小区改造项目清单", None),
    ],
)
def test_a_two_digit_year_is_read_only_where_a_title_names_its_year(title, short):
    meta = read_meta([title])
    assert meta.title_short_year == short
    assert meta.title_years == ((2022,) if title.startswith("2022") else ())


@pytest.mark.parametrize(
    ("lines", "year"),
    [
        (["年份：2022"], 2022),
        (["年 份：2022年"], 2022),
        (["填报单位：枣林街道办事处  年份：2022"], 2022),
        ([row_text(["年份", "2022"])], 2022),
        (["建成年份：1985"], None),  # a compound's, not the sheet's
    ],
)
def test_a_year_line_labelled_nian_fen_is_the_year_line(lines, year):
    # Unread, `年份：2022` in 满意度调查汇总2023.csv was passed over and the file filed as 2023 with no word.
    assert read_meta(lines).year == year
