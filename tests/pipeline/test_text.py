from __future__ import annotations

import unicodedata

import pytest

from pipeline.text import (
    clean_name,
    clean_text,
    first_said,
    header_year,
    item_key,
    month_named,
    months_named,
    months_so_far,
    nfkc,
    outline_level,
    printable,
    split_header,
    squash,
)

# Every character that can move the cursor, end a line or turn text around, from Unicode rather than a list:
# controls (C0, DEL, C1), line and paragraph separators, the explicit bidi embeddings, overrides and isolates,
# and the implicit marks (Bidi_Control, though their bidi classes are L, R and AL).
_EXPLICIT_BIDI = {"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"}
HOSTILE = [
    chr(code)
    for code in range(0x3000)
    if unicodedata.category(chr(code)) in ("Cc", "Zl", "Zp")
    or unicodedata.bidirectional(chr(code)) in _EXPLICIT_BIDI
] + ["\u200e", "\u200f", "\u061c"]


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("（万元）", "(万元)"),
        ("１２８０", "1280"),
        ("ＡＢＣ小区", "ABC小区"),
        ("填报单位：", "填报单位:"),
        ("棉纺厂\u200b东院", "棉纺厂东院"),
        ("\ufeff序号", "序号"),
    ],
)
def test_nfkc_folds_full_width_and_drops_invisible_characters(written, folded):
    assert nfkc(written) == folded


def test_squash_removes_every_space_and_line_break():
    assert squash(" 惠及 户数\n（户）\t ") == "惠及户数(户)"


@pytest.mark.parametrize(
    "written",
    [
        "棉纺厂东院",
        "棉纺厂东院 ",
        " 棉纺厂东院",
        "棉纺厂 东院",
        "棉纺厂　东院",  # ideographic space
        "棉纺厂东院\n",
        "棉纺厂东院*",
        "棉纺厂东院※",
        "棉纺厂东院（注：含1号楼）",
        "棉纺厂东院(备注：已验收)",
        "棉纺厂东院（说明）*",
    ],
)
def test_clean_name_normalises_hand_written_names(written):
    assert clean_name(written) == "棉纺厂东院"


def test_clean_name_folds_width_and_keeps_brackets_that_are_part_of_the_name():
    assert clean_name("ＡＢＣ小区（一期） ") == "ABC小区(一期)"


def test_clean_text_collapses_whitespace_but_keeps_single_spaces():
    assert clean_text("  屋面防水，\n  外墙保温  ") == "屋面防水, 外墙保温"


@pytest.mark.parametrize(
    ("written", "label", "unit"),
    [
        ("改造面积（万平方米）", "改造面积", "万平方米"),
        ("改造面积(万平方米)", "改造面积", "万平方米"),
        ("改造面积(㎡)", "改造面积", "m2"),
        ("改造面积（m²）", "改造面积", "m2"),
        ("改造面积（万㎡）", "改造面积", "万m2"),
        ("计划投资(万元)", "计划投资", "万元"),
        ("计划投资 （万元）", "计划投资", "万元"),
        ("惠及户数（户）", "惠及户数", "户"),
        ("惠及\n户数（户）", "惠及户数", "户"),
        ("完成率（%）", "完成率", "%"),
        ("*小区名称", "小区名称", None),
        ("小区名称*", "小区名称", None),
        ("惠及户数（户）*", "惠及户数", "户"),
        ("小区 名称", "小区名称", None),
        ("金额()", "金额", None),
        ("计划投资【万元】", "计划投资", "万元"),
        ("计划投资[万元]", "计划投资", "万元"),
        ("计划投资［元］", "计划投资", "元"),
    ],
)
def test_split_header_separates_label_and_unit_in_full_or_half_width_brackets(written, label, unit):
    assert split_header(written) == (label, unit)


@pytest.mark.parametrize(
    ("written", "label", "unit"),
    [
        ("计划投资/万元", "计划投资", "万元"),
        ("计划投资 / 万元", "计划投资", "万元"),
        ("计划投资 万元", "计划投资", "万元"),
        ("计划投资\u3000万元", "计划投资", "万元"),
        ("改造面积\n万平方米", "改造面积", "万平方米"),
        ("改造面积／㎡", "改造面积", "m2"),
        ("惠及户数/户", "惠及户数", "户"),
        ("完成率/%", "完成率", "%"),
        ("*计划投资/万元", "计划投资", "万元"),
        ("1-6月执行数/万元", "1-N月执行数", "万元"),
        # Not a known unit after the slash or space: one header, as written.
        ("文号/凭证号", "文号/凭证号", None),
        ("到位/计划", "到位/计划", None),
        ("小区 名称", "小区名称", None),
        ("惠及\n户数", "惠及户数", None),
        # A slash left in the label would leave it in two minds (单价 in 元/平方米, or 单价/元 in 平方米).
        ("单价/元/平方米", "单价/元/平方米", None),
        ("/万元", "/万元", None),
    ],
)
def test_split_header_takes_a_known_unit_after_a_slash_or_a_space(written, label, unit):
    assert split_header(written) == (label, unit)


def test_split_header_only_takes_the_trailing_brackets_as_unit():
    assert split_header("中央预算内投资（发改资金）金额") == ("中央预算内投资(发改资金)金额", None)


def test_one_line_printable_shows_every_control_separator_and_bidi_character_as_a_stand_in():
    assert len(HOSTILE) > 70  # C0, DEL and C1 alone are 66
    for char in HOSTILE:
        shown = printable(f"a{char}b", one_line=True)
        assert len(shown) == 3 and char not in shown and shown.isprintable(), hex(ord(char))
        assert len(shown.splitlines()) == 1, hex(ord(char))


def test_a_line_feed_in_a_file_name_cannot_forge_a_line_of_its_own():
    forged = "B\nfake line [已接收] 伪造.xlsx"

    assert printable(forged, one_line=True) == "B\u240afake line [已接收] 伪造.xlsx"
    assert printable("D\r[已接收] 覆盖.xlsx") == "D\u240d[已接收] 覆盖.xlsx"


def test_text_of_many_lines_keeps_its_line_feeds_and_tabs_but_shows_every_other_control():
    assert printable("序号\t名称\n1\t棉纺厂东院") == "序号\t名称\n1\t棉纺厂东院"
    for char in set(HOSTILE) - {"\n", "\t"}:
        shown = printable(f"a{char}b")
        assert char not in shown and len(shown.splitlines()) == 1, hex(ord(char))


def test_every_other_character_is_printed_as_it_is_in_either_mode():
    others = "".join(
        chr(code) for code in range(0x110000) if not 0xD800 <= code < 0xE000 and chr(code) not in HOSTILE
    )
    # Spaces of every width, format characters such as the zero-width joiner, private use: none is a stand-in's.
    assert not others.isprintable()  # so the whole string goes through the replacing, not around it

    assert printable(others) == others
    assert printable(others, one_line=True) == others


@pytest.mark.parametrize(
    ("header", "months"),
    [
        ("1-7月执行数", 7),
        ("1至12月实际完成情况", 12),
        ("一至七月实际完成情况", 7),
        ("一至十二月执行数", 12),
        ("一至十月", 10),
        ("1-6月份执行数", 6),
        ("1至6月份实际完成情况", 6),
        ("1—6月份执行率", 6),
        ("1－6月份执行情况", 6),
        ("1月份-6月份执行数", 6),
        ("1―6月执行数", 6),
        ("一至六月份执行数", 6),
        ("1-6月底执行数", 6),
        ("1—9月末实际完成情况", 9),
        ("截至6月执行数", 6),
        ("截止到9月底实际完成情况", 9),
        ("截至十月末执行数", 10),
        ("截至7月31日执行数", 7),
        ("截至6月30日实际完成情况", 6),
        ("截止到2月28日执行数", 2),
        ("上半年执行数", 6),
        ("前三季度执行率", 9),
        # Quarters counted from January, as provinces' forms head them.
        ("1-3季度执行数", 9),
        ("一至三季度实际完成情况", 9),
        ("前两季度执行数", 6),
        ("第三季度末执行数", 9),
        ("三季度末实际完成情况", 9),
        ("截至第三季度末执行数", 9),
        ("截至三季度执行率", 9),
        ("第一季度末执行数", 3),
    ],
)
def test_the_months_a_header_covers_are_read_in_digits_or_chinese_numerals(header, months):
    assert months_so_far(header) == months
    label = split_header(header)[0]
    assert label.startswith("1-N月") and not label.startswith(
        "1-N月份"
    )  # 月份 is 月: the label is the template's


@pytest.mark.parametrize(
    ("line", "months"),
    [
        ("2022年一至九月监控表", 9),
        ("2022年一至十一月监控表", 11),
        ("2022年一至〇月监控表", None),
        ("一至两月", None),
        ("2022年上半年项目支出绩效运行监控表", 6),
    ],
)
def test_the_months_a_line_names_in_chinese_numerals_are_the_short_forms(line, months):
    assert months_named(line) == months


@pytest.mark.parametrize(
    "header", ["七月执行数", "第二季度执行数", "下半年执行数", "前一季度执行数", "三季度执行数"]
)
def test_a_header_of_one_month_covers_no_months_so_far(header):
    # 第二季度 and 下半年 are months not counted from January: never read as 1-N月; 前一季度 may be the quarter before.
    assert months_so_far(header) is None


@pytest.mark.parametrize(
    ("header", "months", "year"),
    [
        ("截至2022年6月30日执行数", 6, 2022),
        ("截止到2022年9月底实际完成情况", 9, 2022),
        ("截至2022年6月执行数", 6, 2022),
        ("2022年1-6月执行数", 6, 2022),
        ("2022年度1-7月实际完成情况", 7, 2022),
        ("2022年上半年执行数", 6, 2022),
        ("2022年前三季度执行率", 9, 2022),
        ("1-6月执行数", 6, None),
    ],
)
def test_a_header_naming_its_year_with_its_months_reads_both(header, months, year):
    assert (months_so_far(header), header_year(header)) == (months, year)
    assert split_header(header)[0].startswith("1-N月")


@pytest.mark.parametrize("header", ["金额（单位：元）", "金额(金额单位:元)", "金额（元）"])
def test_a_header_naming_its_unit_with_a_label_names_the_unit(header):
    assert split_header(header) == ("金额", "元")


def test_first_said_is_an_exceptions_first_line_or_its_type_when_it_says_nothing():
    assert first_said(OSError("IO Error: Could not set lock on file\n\nContext: writer.duckdb")) == (
        "IO Error: Could not set lock on file"
    )
    assert first_said(ValueError("")) == "ValueError"  # "".splitlines() has no first line
    assert first_said(ValueError("\nsecond")) == "ValueError"


@pytest.mark.parametrize(
    ("written", "item"),
    [
        ("发放津贴补贴", "发放津贴补贴"),
        ("发放 津贴补贴", "发放津贴补贴"),
        ("发放\n津贴补贴", "发放津贴补贴"),
        ("发放津贴补贴（春节慰问）", "发放津贴补贴"),
        ("发放津贴补贴(春节)(慰问)", "发放津贴补贴"),
        ("（待定）", "(待定)"),  # a note alone is the item
    ],
)
def test_an_item_is_held_against_a_list_without_spaces_widths_or_trailing_notes(written, item):
    assert item_key(written) == item


@pytest.mark.parametrize(
    ("line", "month"),
    [
        ("示范区双铺棚户区改造项目2022年6月投资完成情况", 6),
        ("2022年六月份投资完成情况月报", 6),
        ("2022年十二月月报", 12),
        ("2022年06月", 6),
        ("2022年1-6月投资完成情况", None),  # the months so far
        ("截至6月", None),
        ("2022年11-12月", None),  # a range
        ("2022年6月30日填报", None),  # a day
        ("5月、6月投资完成情况", None),  # several
        ("2022年投资完成情况", None),
    ],
)
def test_the_one_month_a_title_names_is_read_and_no_other(line, month):
    assert month_named(line) == month


@pytest.mark.parametrize("header", ["截至7月30日执行数", "截至6月31日执行数", "截至2月30日执行数"])
def test_a_header_up_to_a_day_short_of_its_months_end_covers_no_months_known(header):
    assert months_so_far(header) is None


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("一、工程费用", 0),
        ("十二．其他", 0),
        ("（二）工程建设其他费用", 1),
        ("(三)预备费", 1),
        ("1.征地费用", 2),
        ("12、拆迁补偿", 2),
        ("（1）设计费", 3),
        ("①监理费", 4),
        ("  2.勘察费", 2),
        ("1.5万元配套", None),  # a decimal, not a number of the outline
        ("10kV电力工程", None),
        ("工程费用", None),
    ],
)
def test_an_outline_number_gives_its_level(text, level):
    assert outline_level(text) == level
