"""A column's numbers read in the unit its header, its `单位：` line or the cell itself names, 万 or 亿 alone included."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.parse import parse_file
from pipeline.problems import FIGURE_WARNINGS
from tests.pipeline.workbooks import csv_bytes, saved_as_csv, xlsx

UNIT = "枣林街道办事处"
SHUANGPU_UNIT = "南阳市城乡一体化示范区建设实业有限公司"
PROJECT = "示范区双铺棚户区改造项目"
LEDGER = ["日期", "项目名称", "资金来源", "类型"]


def parsed(registry, rows, folder: str, suffix: str):
    content = csv_bytes(rows) if suffix == "csv" else xlsx({"表1": rows})
    return parse_file(content, f"{folder}/表1.{suffix}", registry)


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("header", ["金额（万元）", "金额（元）", "金额（亿元）", "金额"])
def test_an_amount_written_with_wan_is_in_wan_yuan_whatever_the_headers_unit(registry, suffix, header):
    amounts = ["1,260.50万", "1,260.50万元", "0.000001万"]
    rows = [[*LEDGER, header], *(["2022-03-01", PROJECT, "中央补助资金", "到位", a] for a in amounts)]

    file = parsed(registry, rows, SHUANGPU_UNIT, suffix)

    # Exactly as the same figure written with its full unit: 12,605,000 元 is 1260.50 万元, stored as a Decimal.
    stored = [record["amount_wan"] for record in file.sheets[0].records]
    assert stored == [Decimal("1260.50"), Decimal("1260.50"), Decimal("0.000001")]
    assert all(type(value) is Decimal for value in stored)
    # Every cell names its unit: nothing was assumed of the bare header, nor is any cell's 万 told apart from 万元.
    # Under a header in another unit each is read in its own, and the clerk asked to check a column in two units.
    told = [] if header in ("金额（万元）", "金额") else [("unit_in_cell", row, header) for row in (2, 3, 4)]
    assert [(p.rule, p.excel_row, p.column_header) for p in file.all_problems] == told


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_wan_amount_with_more_places_than_a_fen_is_an_error_naming_the_cell(registry, suffix):
    rows = [[*LEDGER, "金额（元）"], ["2022-03-01", PROJECT, "中央补助资金", "到位", "1.1234567万"]]

    [error] = parsed(registry, rows, SHUANGPU_UNIT, suffix).errors

    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "precision",
        2,
        "金额（元）",
        "1.1234567万",
    )


COMPOUND = ["小区名称", "惠及户数（户）", "计划投资（万元）"]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    "area_header", ["改造面积（㎡）", "改造面积（平方米）", "改造面积（万㎡）", "改造面积"]
)
def test_an_area_written_with_wan_is_in_wan_square_metres_whatever_the_headers_unit(
    registry, suffix, area_header
):
    areas = ["2.4万", "2.4万㎡", "2.4万平方米", "2.4 万"]
    rows = [
        ["年度：2022"],
        [*COMPOUND, area_header],
        *([f"小区{n}", 100, 50, area] for n, area in enumerate(areas)),
    ]

    file = parsed(registry, rows, UNIT, suffix)

    assert [record["area_m2"] for record in file.sheets[0].records] == [Decimal(24000)] * len(areas)
    told = (
        []
        if area_header in ("改造面积（万㎡）", "改造面积")
        else [("unit_in_cell", row) for row in (3, 4, 5, 6)]
    )
    assert [(p.rule, p.excel_row) for p in file.all_problems] == told


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_bare_area_header_tells_the_bare_numbers_assumed_and_quotes_a_wan_cell_as_read_in_its_unit(
    registry, suffix
):
    rows = [["年度：2022"], [*COMPOUND, "改造面积"], ["小区1", 100, 50, "2.4万"], ["小区2", 100, 50, "3000"]]

    file = parsed(registry, rows, UNIT, suffix)

    assert [record["area_m2"] for record in file.sheets[0].records] == [Decimal(24000), Decimal(3000)]
    [warning] = file.all_problems
    assert (warning.rule, warning.expected) == (
        "unit_assumed",
        "表头未注明单位，本列未写单位的数值已按平方米读取，写明单位的（如“2.4万”）按其单位读取",
    )


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("header", ["惠及户数（户）", "惠及户数（万户）", "惠及户数"])
def test_households_written_with_wan_are_counted_in_ones_and_a_fraction_of_one_is_an_error(
    registry, suffix, header
):
    rows = [
        ["年度：2022"],
        ["小区名称", "改造面积（㎡）", "计划投资（万元）", header],
        ["小区1", 100, 50, "0.3万"],
        ["小区2", 100, 50, "0.3万户"],
        ["小区3", 100, 50, "0.31234万户"],
        ["小区4", 100, 50, "0.31234万"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    households = {record["excel_row"]: record["households"] for record in file.sheets[0].records}
    assert (households[3], households[4]) == (3000, 3000)
    # 3123.4 households: told, never rounded to 3123.
    assert [(e.rule, e.excel_row, e.value) for e in file.errors] == [
        ("type", 5, "0.31234万户"),
        ("type", 6, "0.31234万"),
    ]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("header", "bare"),
    [
        ("金额（万）", Decimal("12.5")),
        ("金额(万)", Decimal("12.5")),
        ("金额（ 万 ）", Decimal("12.5")),
        ("金额（亿）", Decimal(125000)),
        ("金额（万元）", Decimal("12.5")),
    ],
)
def test_a_header_writing_wan_or_yi_alone_names_money_in_wan_or_yi_yuan(registry, suffix, header, bare):
    amounts = ["12.5", "1.5亿", "0.00000001亿", "3000元"]
    rows = [[*LEDGER, header], *(["2022-03-01", PROJECT, "中央补助资金", "到位", a] for a in amounts)]

    file = parsed(registry, rows, SHUANGPU_UNIT, suffix)

    # 1.5亿 is 15,000 万元 under any header, as 1.5亿元 is; one 元 written in 亿 is exactly 0.0001 万元.
    stored = [record["amount_wan"] for record in file.sheets[0].records]
    assert stored == [bare, Decimal(15000), Decimal("0.0001"), Decimal("0.3")]
    assert all(type(value) is Decimal for value in stored)
    # Each cell in another unit than its header's is read in its own, and the clerk asked to check it.
    told = (5,) if "亿" in header else (3, 4, 5)
    assert [(p.rule, p.excel_row) for p in file.all_problems] == [("unit_in_cell", row) for row in told]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_wan_header_is_told_where_the_unit_line_names_another_unit(registry, suffix):
    rows = [["单位：元"], [*LEDGER, "金额（万）"], ["2022-03-01", PROJECT, "中央补助资金", "到位", "12.5"]]

    file = parsed(registry, rows, SHUANGPU_UNIT, suffix)

    # The header, nearer the figures, is taken as 万元, and the clerk told which of the two was.
    assert [record["amount_wan"] for record in file.sheets[0].records] == [Decimal("12.5")]
    [warning] = file.all_problems
    assert (warning.rule, warning.excel_row, warning.expected) == (
        "unit_conflict",
        2,
        "表头单位与表上方的“单位：元”不一致，已按表头的万元读取本列数值",
    )


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_an_area_header_writing_wan_alone_names_wan_square_metres_and_yi_no_area_unit(registry, suffix):
    rows = [
        ["年度：2022"],
        [*COMPOUND, "改造面积（万）"],
        ["小区1", 100, 50, "2.4"],
        ["小区2", 100, 50, "3000㎡"],
        ["小区3", 100, 50, "1.5亿"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    areas = {record["excel_row"]: record["area_m2"] for record in file.sheets[0].records}
    assert (areas[3], areas[4]) == (Decimal(24000), Decimal(3000))
    # No area is kept in 亿平方米: the clerk says what 1.5亿 is.
    assert [(e.rule, e.excel_row, e.value, e.expected) for e in file.errors] == [
        ("type", 5, "1.5亿", "应为数字（单位万平方米）")
    ]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(("column", "header"), [(3, "改造面积（亿）"), (2, "计划投资（千）")])
def test_a_header_writing_a_magnitude_its_measure_has_no_unit_of_is_an_error(
    registry, suffix, column, header
):
    headers = ["小区名称", "惠及户数（户）", "计划投资（万元）", "改造面积（㎡）"]
    headers[column] = header
    rows = [["年度：2022"], headers, ["小区1", 100, 50, "2.4"]]

    file = parsed(registry, rows, UNIT, suffix)

    measure = "area" if column == 3 else "money"
    listed = "、".join(registry.units.measures[measure].units)
    assert [(e.rule, e.excel_row, e.column_header, e.value, e.expected) for e in file.errors] == [
        ("unit", 2, header, header[-2], f"单位应为{listed}之一")
    ]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_count_header_writing_wan_alone_counts_in_ten_thousands(registry, suffix):
    rows = [
        ["年度：2022"],
        ["小区名称", "改造面积（㎡）", "计划投资（万元）", "惠及户数（万）"],
        ["小区1", 100, 50, "0.3"],
        ["小区2", 100, 50, "370户"],
        ["小区3", 100, 50, "0.31234"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    households = {record["excel_row"]: record["households"] for record in file.sheets[0].records}
    assert (households[3], households[4]) == (3000, 370)
    # 3123.4 households: told, never rounded.
    assert [(e.rule, e.excel_row, e.value) for e in file.errors] == [("type", 5, "0.31234")]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_count_header_writing_yi_is_an_error_not_read_as_ones(registry, suffix):
    rows = [
        ["年度：2022"],
        ["小区名称", "改造面积（㎡）", "计划投资（万元）", "惠及户数（亿）"],
        ["小区1", 100, 50, "3"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # 3 under （亿） is no 3 households: no count is kept in 亿, so the clerk says which unit is meant.
    assert [(e.rule, e.excel_row, e.value, e.expected) for e in file.errors] == [
        ("unit", 2, "亿", "表头的单位“亿”不是数目的单位")
    ]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("header", ["惠及户数（千户）", "惠及户数（十万户）", "惠及户数（百户）"])
def test_a_count_header_writing_a_size_no_count_is_kept_in_is_an_error_not_read_as_ones(
    registry, suffix, header
):
    rows = [
        ["年度：2022"],
        ["小区名称", "改造面积（㎡）", "计划投资（万元）", header],
        ["小区1", 100, 50, "3"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # Unread, the header's 千 was dropped: 3 stored as 3 households, a thousandth of what the clerk meant.
    unit = header[5:-1]
    assert [(e.rule, e.excel_row, e.value, e.expected) for e in file.errors] == [
        ("unit", 2, unit, f"表头的单位“{unit}”无法识别，惠及户数应以“户”或“万户”计")
    ]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("惠及户数（居民）", "表头的单位“居民”无法识别，惠及户数应以“户”或“万户”计"),
        ("惠及户数（人次）", "表头的单位“人次”计的是另一种数目，惠及户数应以“户”计"),  # visits (units.yaml)
        ("惠及户数（户数）", None),  # starting with 户, it counts households
    ],
)
def test_a_count_header_in_a_unit_of_another_kind_listed_or_not_is_an_error_not_read_as_ones(
    registry, suffix, header, said
):
    rows = [
        ["年度：2022"],
        ["小区名称", "改造面积（㎡）", "计划投资（万元）", header],
        ["小区1", 100, 50, "200"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # 惠及户数（人次）: 200 visits of people were stored as 200 households, untold.
    unit = header[5:-1]
    told = [("unit", 2, unit, said)] if said else []
    assert [(e.rule, e.excel_row, e.value, e.expected) for e in file.errors] == told
    assert [r["households"] for r in file.sheets[0].records] == [200]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_survey_count_in_visits_is_read_in_ones_one_questionnaire_each_and_asked_on_its_header(
    registry, suffix
):
    heads = ["有效问卷（人次）", "满意（人次）", "不满意（人次）"]
    rows = [["年度：2022"], ["项目名称", "小区名称", *heads], [PROJECT, "小区1", "100", "90", "10"]]

    file = parsed(registry, rows, UNIT, suffix)

    [record] = file.sheets[0].records
    assert (record["valid_responses"], record["satisfied"], file.errors) == (100, 90, [])
    # Questionnaires are counted in 份 (test_count_words): each header is asked once, no cell under it.
    assert [(p.rule, p.excel_row, p.column_header) for p in file.all_problems] == [
        ("count_word", 2, head) for head in heads
    ]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_survey_count_header_in_ten_thousands_of_its_kind_is_read_so(registry, suffix):
    rows = [
        ["年度：2022"],
        ["项目名称", "小区名称", "有效问卷（万份）", "满意（万份）", "不满意（万份）"],
        [PROJECT, "小区1", "2", "1.5", "0.5"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # 万份 was no unit the registry knew, and 2 was stored as 2 questionnaires without a word.
    [record] = file.sheets[0].records
    assert (record["valid_responses"], record["satisfied"], record["dissatisfied"]) == (20000, 15000, 5000)
    assert file.errors == []


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(("percent", "shown"), [("%", "%"), ("％", "%"), ("百分比", "百分比")])
def test_a_survey_count_headed_in_percent_is_told_a_share_is_no_count(registry, suffix, percent, shown):
    heads = [f"满意（{percent}）", f"不满意（{percent}）"]
    rows = [
        ["年度：2022"],
        ["项目名称", "小区名称", "有效问卷（份）", *heads],
        [PROJECT, "小区1", "100", "90", "10"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # Told only that `%` could not be read and to note 满意's unit, the clerk was not told a share never does.
    assert [(e.rule, e.excel_row, e.column_header, e.expected) for e in file.errors] == [
        (
            "unit",
            2,
            head,
            f"表头的单位“{shown}”是百分比，{head[: -len(percent) - 2]}应填写数目（以“份”计），不能填写百分比",
        )
        for head in heads
    ]
    assert "请改填满意的份数（百分比由数目计算），并将表头改为「满意（份）」" in file.errors[0].message_zh


PROGRESS = ["项目名称", "年度", "月份"]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_group_header_writing_wan_alone_is_in_wan_yuan_for_the_columns_under_it(registry, suffix):
    # `投资（万）` over `本月完成投资（元）`: one of the two is wrong, as with `投资（万元）`; the nearer is taken.
    rows = [
        [*PROGRESS, "投资（万）", None, None],
        [None, None, None, "年度计划投资", "本月完成投资（元）", "累计完成投资"],
        ["甲项目", 2022, 1, "1570", "1000000", "100"],
    ]
    merges = ["A1:A2", "B1:B2", "C1:C2", "D1:F1"]
    content = saved_as_csv(rows, merges) if suffix == "csv" else xlsx({"表1": rows}, merges={"表1": merges})

    file = parse_file(content, f"{SHUANGPU_UNIT}/表1.{suffix}", registry)

    [record] = file.sheets[0].records
    assert (
        record["annual_planned_investment_wan"],
        record["monthly_completed_wan"],
        record["cumulative_completed_wan"],
    ) == (
        Decimal(1570),
        Decimal(100),
        Decimal(100),
    )
    assert [(p.rule, p.excel_row, p.column_header) for p in file.all_problems] == [
        ("unit_conflict", 2, "本月完成投资（元）")
    ]


LINE_SHEETS = {
    "fund_ledger": (
        SHUANGPU_UNIT,
        [*LEDGER, "金额"],
        ["2022-03-01", PROJECT, "中央补助资金", "到位", "12.5"],
    ),
    "investment_progress": (
        SHUANGPU_UNIT,
        [*PROGRESS, "年度计划投资", "本月完成投资", "累计完成投资"],
        ["甲项目", 2022, 1, "1570", "12.5", "12.5"],
    ),
}


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("source", sorted(LINE_SHEETS))
@pytest.mark.parametrize(("line", "factor"), [("单位：万", 1), ("单位：亿", 10000), ("单位：万元", 1)])
def test_a_unit_line_writing_a_magnitude_over_amounts_only_is_their_unit_of_that_size(
    registry, suffix, source, line, factor
):
    folder, header, row = LINE_SHEETS[source]
    file = parsed(registry, [[line], header, row], folder, suffix)

    [record] = file.sheets[0].records
    money = [c.name for c in registry.templates[source].columns if c.type == "money"]
    written = [Decimal(str(value)) for value in row[-len(money) :]]
    assert [record[name] for name in money] == [value * factor for value in written]
    # Every amount is of one measure: the line's 万 is 万元 as surely as `单位：万元` is, and nothing is assumed.
    assert file.all_problems == []


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_unit_line_writing_wan_over_amounts_and_areas_is_asked_of_a_bare_area(registry, suffix):
    rows = [
        ["年度：2022"],
        ["单位：万"],
        ["小区名称", "惠及户数（户）", "计划投资", "改造面积"],
        ["小区1", 100, "50", "2.4"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # 2.4 under it is 2.4 万平方米 or, the line being money's, 2.4 平方米: the clerk says which.
    [error] = file.errors
    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "unit",
        2,
        "改造面积",
        "单位：万",
    )
    assert error.expected == "“单位：万”可指万元（计划投资）或万平方米（改造面积），无法确定本列按哪一种读取"
    assert error.fix == "请在表头注明单位，如「改造面积（万平方米）」或「改造面积（平方米）」"
    # 50 under it is 50 万元 either way: read, and the clerk told why.
    [warning] = file.warnings
    assert (warning.rule, warning.excel_row, warning.column_header) == ("unit_assumed", 3, "计划投资")
    said = (
        "表上方第2行“单位：万”可指万元（计划投资）或万平方米（改造面积），本列两种读法数值相同，已按万元读取"
    )
    assert said in warning.expected


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("money", "area", "asked"),
    [
        # The line may restate the header's 万元, or be the area's.
        ("计划投资（万元）", "改造面积", ["改造面积"]),
        ("计划投资", "改造面积（㎡）", []),
        ("计划投资（万元）", "改造面积（㎡）", []),
    ],
)
def test_a_wan_line_over_two_measures_is_asked_only_of_an_area_whose_header_names_no_unit(
    registry, suffix, money, area, asked
):
    rows = [
        ["年度：2022"],
        ["单位：万"],
        ["小区名称", "惠及户数（户）", money, area],
        ["小区1", 100, "50", "2.4"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    assert [(e.rule, e.column_header) for e in file.errors] == [("unit", header) for header in asked]
    [record] = file.sheets[0].records
    assert record["planned_investment_wan"] == Decimal(50)


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_wan_line_over_areas_each_written_with_its_unit_asks_nothing_of_them(registry, suffix):
    rows = [
        ["年度：2022"],
        ["单位：万"],
        ["小区名称", "惠及户数（户）", "计划投资（万元）", "改造面积"],
        ["小区1", 100, "50", "2.4万㎡"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    assert [record["area_m2"] for record in file.sheets[0].records] == [Decimal(24000)]
    assert file.all_problems == []


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_yi_line_over_amounts_and_areas_is_yi_yuan_as_no_area_is_kept_in_yi(registry, suffix):
    rows = [
        ["年度：2022"],
        ["单位：亿"],
        ["小区名称", "惠及户数（户）", "计划投资", "改造面积"],
        ["小区1", 100, "0.5", "2400"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    [record] = file.sheets[0].records
    assert (record["planned_investment_wan"], record["area_m2"]) == (Decimal(5000), Decimal(2400))
    base = registry.units.measures["area"].base
    assert [(p.rule, p.column_header, p.expected) for p in file.all_problems] == [
        ("unit_assumed", "改造面积", f"表头未注明单位，已按{base}读取本列数值")
    ]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_line_writing_a_magnitude_no_measure_has_a_unit_of_is_refused_as_an_unknown_unit(registry, suffix):
    rows = [["单位：千"], [*LEDGER, "金额"], ["2022-03-01", PROJECT, "中央补助资金", "到位", "12.5"]]

    file = parsed(registry, rows, SHUANGPU_UNIT, suffix)

    # 12.5 千元 read as 12.5 万元 would be ten times each figure.
    listed = "、".join(registry.units.measures["money"].units)
    assert [(e.rule, e.excel_row, e.value, e.expected) for e in file.errors] == [
        ("unit", 1, "千", f"单位应为{listed}之一")
    ]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_wan_line_over_a_header_writing_another_unit_of_money_is_told_as_a_conflict(registry, suffix):
    rows = [["单位：万"], [*LEDGER, "金额（元）"], ["2022-03-01", PROJECT, "中央补助资金", "到位", "15000"]]

    file = parsed(registry, rows, SHUANGPU_UNIT, suffix)

    assert [record["amount_wan"] for record in file.sheets[0].records] == [Decimal("1.5")]
    [warning] = file.all_problems
    assert (warning.rule, warning.expected) == (
        "unit_conflict",
        "表头单位与表上方的“单位：万”不一致，已按表头的元读取本列数值",
    )


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("line", ["单位：万元、万", "单位：万元/万", "单位：万，万元"])
def test_a_wan_listed_beside_money_is_the_areas_where_the_counts_name_their_unit(registry, suffix, line):
    rows = [
        ["年度：2022"],
        [line],
        ["小区名称", "惠及户数（户）", "计划投资", "改造面积"],
        ["小区1", 100, "50", "2.4"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # 万元 is money's; the 万 beside it can only be the area's: 2.4 万平方米, as `单位：万元、万平方米` says.
    [record] = file.sheets[0].records
    factor = registry.units.find("万平方米")[1]
    assert (record["planned_investment_wan"], record["area_m2"]) == (Decimal(50), Decimal("2.4") * factor)
    assert file.all_problems == []


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_wan_listed_beside_money_over_a_bare_count_and_a_bare_area_is_asked_of_both(registry, suffix):
    rows = [
        ["年度：2022"],
        ["单位：万元、万"],
        ["小区名称", "惠及户数", "计划投资", "改造面积"],
        ["小区1", 100, "50", "2.4"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    said = "“单位：万元、万”中的“万”可指万户（惠及户数）或万平方米（改造面积），无法确定本列按哪一种读取"
    assert [(e.rule, e.excel_row, e.column_header, e.value, e.expected) for e in file.errors] == [
        ("unit", 2, "惠及户数", "单位：万元、万", said),
        ("unit", 2, "改造面积", "单位：万元、万", said),
    ]
    assert file.errors[0].fix == "请在表头注明单位，如「惠及户数（万户）」或「惠及户数（户）」"
    # The amount's unit the line names outright.
    assert [record["planned_investment_wan"] for record in file.sheets[0].records] == [Decimal(50)]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    "line", ["单位：万元、户", "单位：户", "单位：万元、个", "单位：万元、万户", "单位：万户"]
)
def test_a_count_unit_a_line_lists_is_the_unit_of_a_bare_count_column_of_its_kind(registry, suffix, line):
    rows = [
        ["年度：2022"],
        [line],
        ["小区名称", "惠及户数", "计划投资（万元）", "改造面积（㎡）"],
        ["小区1", "120", "50", "2400"],
        ["小区2", "80户", "30", "1600"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # A bare 120 is in the line's unit, as under a header naming it; `80户` names its own, and under a line of 万户
    # is asked of as a cell in another unit than its column's.
    factor = registry.units.find(line.split("、")[-1].removeprefix("单位："))[1]
    assert [record["households"] for record in file.sheets[0].records] == [120 * factor, 80]
    told = [("unit_in_cell", 5, "惠及户数", "80户")] if factor != 1 else []
    assert [(p.rule, p.excel_row, p.column_header, p.value) for p in file.all_problems] == told


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # The line's 万 may be the amount's 万元 or the households' 万户: 3 households or 30,000.
        (
            "单位：万",
            "“单位：万”可指万户（惠及户数）、万元（计划投资）或万平方米（改造面积），无法确定本列按哪一种读取",
        ),
        ("单位：户、万户", "第2行写了户、万户两种单位，无法确定本列按哪一种读取"),
        ("单位：万人", "表上方的“单位：万人”计的是另一种数目，惠及户数应以“户”计"),
        ("单位：千", "“单位：千”不是数目的单位"),
    ],
)
def test_a_line_over_a_bare_count_that_may_not_be_in_ones_is_asked(registry, suffix, line, expected):
    rows = [
        ["年度：2022"],
        [line],
        ["小区名称", "惠及户数", "计划投资", "改造面积（㎡）"],
        ["小区1", "3", "50", "2400"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    [error] = [e for e in file.errors if e.column_header == "惠及户数"]
    assert (error.rule, error.excel_row, error.value, error.expected) == ("unit", 2, line, expected)


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_wan_line_over_counts_only_is_their_ten_thousands(registry, suffix):
    rows = [
        ["年度：2022"],
        ["单位：万"],
        ["项目名称", "小区名称", "有效问卷", "满意", "不满意"],
        [PROJECT, "小区1", "0.2", "0.15", "0.05"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # No other measure could take the 万: the counts are in it, as under `有效问卷（万）`.
    [record] = file.sheets[0].records
    assert (record["valid_responses"], record["satisfied"], record["dissatisfied"]) == (2000, 1500, 500)
    assert [p for p in file.all_problems if p.rule.startswith("unit")] == []


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("line", "header", "written", "taken"),
    [
        ("单位：万户", "惠及户数（户）", "万户", "户"),
        ("单位：万元、万户", "惠及户数（户）", "万户", "户"),
        ("单位：户", "惠及户数（万户）", "户", "万户"),
        ("单位：个", "惠及户数（万）", "个", "万户"),
    ],
)
def test_a_count_header_naming_another_unit_than_the_line_is_read_by_the_header_and_told(
    registry, suffix, line, header, written, taken
):
    rows = [
        ["年度：2022"],
        [line],
        ["小区名称", header, "计划投资（万元）", "改造面积（㎡）"],
        ["小区1", "3", "50", "2400"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # The header, nearer the figures, is read, as an amount's is; the clerk is told the line says otherwise.
    [record] = file.sheets[0].records
    assert record["households"] == 3 * registry.units.find(taken)[1]
    assert [(p.severity, p.rule, p.excel_row, p.column_header, p.expected) for p in file.all_problems] == [
        (
            "warning",
            "unit_conflict",
            3,
            header,
            f"表头单位与表上方的“单位：{written}”不一致，已按表头的{taken}读取本列数值",
        )
    ]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("line", ["单位：户", "单位：万元、户", "单位：万人", "单位：万元、万人"])
def test_a_count_header_under_a_line_of_its_unit_or_of_another_kind_is_told_nothing(registry, suffix, line):
    rows = [
        ["年度：2022"],
        [line],
        ["小区名称", "惠及户数（户）", "计划投资（万元）", "改造面积（㎡）"],
        ["小区1", "3", "50", "2400"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # 万人 counts people: another column's unit, no word on this one's households.
    assert [record["households"] for record in file.sheets[0].records] == [3]
    assert file.all_problems == []


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(("line", "told"), [("单位：万", True), ("单位：万人", False), ("单位：份", False)])
def test_a_survey_count_header_is_told_of_a_line_counting_its_kind_in_another_unit(
    registry, suffix, line, told
):
    rows = [
        ["年度：2022"],
        [line],
        ["项目名称", "小区名称", "有效问卷（份）", "满意（份）", "不满意（份）"],
        [PROJECT, "小区1", "2", "1", "1"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # The line's 万 is 万个, which counts questionnaires too; 万人 counts people, no unit of these columns.
    [record] = file.sheets[0].records
    assert (record["valid_responses"], record["satisfied"], record["dissatisfied"]) == (2, 1, 1)
    expected = f"表头单位与表上方的“{line}”不一致，已按表头的份读取本列数值"
    assert [(p.rule, p.column_header, p.expected) for p in file.all_problems] == [
        ("unit_conflict", header, expected)
        for header in ("有效问卷（份）", "满意（份）", "不满意（份）")
        if told
    ]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("footer", "unit"), [("单位：万户", "万户"), ("单位：万元、万户", "万户"), ("单位：个", None)]
)
def test_a_count_unit_line_below_the_table_is_an_error_on_a_bare_count_read_in_another(
    registry, suffix, footer, unit
):
    rows = [
        ["年度：2022"],
        ["小区名称", "惠及户数", "计划投资（万元）", "改造面积（㎡）"],
        ["小区1", "3", "50", "2400"],
        ["填表人：张三"],
        [footer],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # 3 under it may be 30,000 households: the line was never read, as an amount's below the table is not.
    assert [record["households"] for record in file.sheets[0].records] == [3]
    below = [(e.rule, e.excel_row, e.column_header, e.value) for e in file.errors]
    assert below == ([("unit_below_table", 5, "惠及户数", footer)] if unit else [])
    if unit:
        assert file.errors[0].expected.startswith("单位写在表格下方，未用于读取本列，本列已按户读取")
        assert file.errors[0].fix == f"请把“{footer}”移到表格上方，或在表头注明单位，如「惠及户数（{unit}）」"


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_wan_line_below_counts_only_is_an_error_on_each(registry, suffix):
    rows = [
        ["年度：2022"],
        ["项目名称", "小区名称", "有效问卷", "满意", "不满意"],
        [PROJECT, "小区1", "2", "1", "1"],
        ["单位：万"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # Above the table it would be their 万 (test_a_wan_line_over_counts_only_is_their_ten_thousands).
    assert [(e.rule, e.excel_row, e.column_header) for e in file.errors] == [
        ("unit_below_table", 4, header) for header in ("有效问卷", "满意", "不满意")
    ]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("line", "header", "cell", "stored", "said"),
    [
        # The line's 万元 over a bare header, a cell in 元: read in 元, and asked, naming the line's cell (the clerk
        # corrects it or the figure).
        (
            "单位：万元",
            "计划投资",
            "5000元",
            Decimal("0.5"),
            "按单元格注明的“元”换算为0.5万元，与表上方A1单元格“单位：万元”注明的本列单位“万元”不同",
        ),
        (
            "单位：万元",
            "计划投资",
            "5,000.00元",
            Decimal("0.5"),
            "按单元格注明的“元”换算为0.5万元，与表上方A1单元格“单位：万元”注明的本列单位“万元”不同",
        ),
        # The reverse: a 万元 cell under （元）, the header's cell named.
        (
            None,
            "计划投资（元）",
            "0.5万元",
            Decimal("0.5"),
            "按单元格注明的“万元”换算为0.5万元，与表头D2单元格「计划投资（元）」注明的本列单位“元”不同",
        ),
        # An area in 万㎡ under （㎡）, and in ㎡ under （万平方米）.
        (
            None,
            "改造面积（㎡）",
            "1.2万㎡",
            Decimal(12000),
            "按单元格注明的“万平方米”换算为12000平方米，与表头D2单元格「改造面积（㎡）」注明的本列单位“平方米”不同",
        ),
        (
            None,
            "改造面积（万平方米）",
            "500m²",
            Decimal(500),
            "按单元格注明的“平方米”换算为500平方米，与表头D2单元格「改造面积（万平方米）」注明的本列单位“万平方米”不同",
        ),
    ],
)
def test_a_cell_written_in_another_unit_than_its_column_is_read_in_its_own_and_asked(
    registry, suffix, line, header, cell, stored, said
):
    name = "planned_investment_wan" if "投资" in header else "area_m2"
    others = ["改造面积（㎡）", "计划投资（万元）"]
    columns = ["小区名称", "惠及户数（户）", *(h for h in others if h[:2] != header[:2]), header]
    bare = 100 if name == "area_m2" else 30
    rows = [
        *([[line]] if line else []),
        ["年度：2022"],
        columns,
        ["小区1", 100, 8000, cell],
        ["小区2", 100, 8000, bare],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    assert [record[name] for record in file.sheets[0].records][0] == stored
    [told] = [p for p in file.all_problems if p.rule == "unit_in_cell"]
    row = len(rows) - 1
    assert (told.severity, told.sheet, told.excel_row, told.column_header, told.value, told.expected) == (
        "warning",
        "表1",
        row,
        header,
        cell,
        said,
    )
    assert told.fix.startswith("请核对")
    # Flagged: the report's 数据质量提示 names the project while the file is in force.
    assert FIGURE_WARNINGS["unit_in_cell"] == "reading"


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("header", "cell", "said"),
    [
        (
            "惠及户数（户）",
            "0.037万户",
            "按单元格注明的“万户”换算为370户，与表头D2单元格「惠及户数（户）」注明的本列单位“户”不同",
        ),
        (
            "惠及户数（户）",
            "0.037万",
            "按单元格注明的“万户”换算为370户，与表头D2单元格「惠及户数（户）」注明的本列单位“户”不同",
        ),
        (
            "惠及户数（万户）",
            "370户",
            "按单元格注明的“户”换算为370户，与表头D2单元格「惠及户数（万户）」注明的本列单位“万户”不同",
        ),
    ],
)
def test_a_count_written_in_another_unit_than_its_column_is_read_in_its_own_and_asked(
    registry, suffix, header, cell, said
):
    rows = [
        ["年度：2022"],
        ["小区名称", "改造面积（㎡）", "计划投资（万元）", header],
        ["小区1", 8000, 50, cell],
        ["小区2", 8000, 50, "0.012万户" if "万" in header else 120],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    assert [record["households"] for record in file.sheets[0].records] == [370, 120]
    [told] = file.all_problems
    assert (told.rule, told.excel_row, told.column_header, told.value, told.expected) == (
        "unit_in_cell",
        3,
        header,
        cell,
        said,
    )


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("line", ["单位：万 元", "单位：万\u3000元"])
def test_a_unit_line_writing_wan_apart_from_yuan_is_wan_yuan_of_the_amounts_only(registry, suffix, line):
    rows = [
        [line],
        ["年度：2022"],
        ["小区名称", "惠及户数（户）", "改造面积", "计划投资"],
        ["小区1", 100, 8000, 20],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # Read as a list it was 20 元 of investment and 8000 万平方米 of area, unasked.
    [record] = file.sheets[0].records
    assert (record["planned_investment_wan"], record["area_m2"]) == (Decimal(20), Decimal(8000))
    assert [(p.rule, p.column_header) for p in file.all_problems] == [("unit_assumed", "改造面积")]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("header", ["金额【元】", "金额[元]", "金额/元", "金额 元", "金额\n元"])
def test_a_unit_after_a_slash_a_space_or_in_square_brackets_is_the_headers_unit(registry, suffix, header):
    rows = [[*LEDGER, header], ["2022-03-01", PROJECT, "中央补助资金", "到位", "12605000"]]

    file = parsed(registry, rows, SHUANGPU_UNIT, suffix)

    # Read as under 金额（元）: the column is found, its 元 converted to the 万元 stored, nothing asked.
    assert [record["amount_wan"] for record in file.sheets[0].records] == [Decimal("1260.5")]
    assert file.all_problems == []


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_an_area_line_in_a_unit_no_factor_converts_is_an_error_on_the_line_for_a_bare_area(registry, suffix):
    rows = [
        ["年度：2022"],
        ["单位：万元、亩"],
        ["小区名称", "惠及户数（户）", "改造面积", "计划投资"],
        ["小区1", 200, "36", "300"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # 36 亩 was stored as 36 平方米; the amounts' 万元 is still read.
    assert [(e.rule, e.excel_row, e.column_header, e.value) for e in file.errors] == [
        ("unit", 2, "改造面积", "亩")
    ]
    assert [r["planned_investment_wan"] for r in file.sheets[0].records] == [Decimal(300)]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("unit", ["公顷", "平方公里", "千平方米"])
@pytest.mark.parametrize("where", ["header", "line", "cell"])
def test_an_area_in_a_unit_of_an_exact_factor_is_converted_exactly_wherever_written(
    registry, suffix, unit, where
):
    factor = registry.units.find(unit)[1]
    assert factor == factor.to_integral_value()  # exact, unlike 亩 (refused)
    rows = [
        ["年度：2022"],
        [f"单位：万元、{unit}" if where == "line" else "单位：万元"],
        [
            "小区名称",
            "惠及户数（户）",
            "计划投资",
            f"改造面积（{unit}）" if where == "header" else "改造面积",
        ],
        ["小区1", 200, "300", f"1.2345{unit}" if where == "cell" else "1.2345"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # Each was refused as 亩 is: `1.2公顷` is 12,000 ㎡ exactly, as `1.2万㎡` is read.
    [record] = file.sheets[0].records
    assert record["area_m2"] == Decimal("1.2345") * factor
    assert type(record["area_m2"]) is Decimal
    assert file.errors == []
    # As a header's or a line's 万平方米 is, read without a word; a cell's own unit under a bare header too.
    assert file.all_problems == []


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("line", "header", "cell", "row"),
    [
        ("单位：万元、亩", "改造面积", "36", 2),
        (None, "改造面积（亩）", "36", 3),
        (None, "改造面积（㎡）", "36亩", 4),
    ],
)
def test_an_area_in_mu_is_refused_saying_why_and_what_to_write(registry, suffix, line, header, cell, row):
    rows = [
        ["年度：2022"],
        [line or "单位：万元"],
        ["小区名称", "惠及户数（户）", "计划投资", header],
        ["小区1", 200, "300", cell],
    ]

    [error] = parsed(registry, rows, UNIT, suffix).errors

    # `36亩` was told 请只填写数字, and the 36 a clerk then wrote read as 36 平方米.
    note = registry.units.measures["area"].refused_note("亩")
    assert (error.excel_row, error.column_header) == (row, header)
    assert error.expected == f"“亩”不能确切换算为平方米（{note}）"
    assert error.fix.startswith("请换算为平方米后")


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_thousand_line_over_amounts_and_areas_stays_refused_for_the_amounts(registry, suffix):
    rows = [
        ["年度：2022"],
        ["单位：千"],
        ["小区名称", "惠及户数（户）", "计划投资", "改造面积"],
        ["小区1", 200, "300", "12"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # 千平方米 is converted; a 千 alone is not it (magnitude_alone), or the amounts were assumed in 万元, no longer asked.
    assert registry.units.find("千平方米") is not None
    assert ("unit", 2, "计划投资", "千") in [
        (e.rule, e.excel_row, e.column_header, e.value) for e in file.errors
    ]
