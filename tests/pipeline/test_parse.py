from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from pipeline import settle_year
from pipeline.parse import parse_file, sending_folder_of
from pipeline.parsed_file import ParsedFile
from pipeline.problems import Severity, display
from pipeline.receipt_facts import ReceiptIssue
from pipeline.settle_year import latest_year
from tests.pipeline.workbooks import COMPOUND_HEADER, compound_sheet, csv_bytes, csv_text, xls, xlsx

UNIT = "枣林街道办事处"
SHUANGPU_UNIT = "南阳市城乡一体化示范区建设实业有限公司"
PROJECT = "示范区双铺棚户区改造项目"
LEDGER_HEADER = ["日期", "项目名称", "资金来源", "类型", "金额（万元）"]
# 年度 spaced as a clerk may type it: problems name a header as written.
PROGRESS_HEADER = [
    "项目名称",
    "年 度",
    "月份",
    "年度计划投资（万元）",
    "本月完成投资（万元）",
    "累计完成投资（万元）",
]

# One hand-filled compound list with most quirks at once: merged title, metadata spread over cells,
# text and numbers mixed, an Excel date, a blank row, a 合计 row and a footer.
COMPOUND_ROWS = [
    ["枣林街道办事处2022年老旧小区改造项目清单"],
    ["填报单位：", "枣林街道办事处（盖章）", None, "填报日期：2023年1月5日", None, "单位：万元"],
    [
        "序号",
        "小区名称",
        "改造面积（万平方米）",
        "惠及户数（户）",
        "计划投资（万元）",
        "改造内容",
        "开工日期",
        "改造状态",
    ],
    [1, "棉纺厂东院 ", 2.865, 370, "1,075.97", "屋面防水、外墙保温", dt.date(2022, 3, 1), "完工"],
    [],
    [2, "市委小区", "1.9320", "249户", 725.58, None, "2022年4月", "在建"],
    ["合计", None, 4.797, 619, 1801.55],
    ["填表人：张三    联系电话：0377-12345678    审核人：李四"],
]
COMPOUND_MERGES = {"清单": ["A1:H1"]}
COMPOUND_RECORDS = [
    {
        "seq": 1,
        "compound_name": "棉纺厂东院",
        "area_m2": Decimal(28650),
        "households": 370,
        "planned_investment_wan": Decimal("1075.97"),
        "renovation_content": "屋面防水、外墙保温",
        "start_date": dt.date(2022, 3, 1),
        "status": "已完工",
        "excel_row": 4,
        "unit": UNIT,
        "year": 2022,
        "project_name": None,
    },
    {
        "seq": 2,
        "compound_name": "市委小区",
        "area_m2": Decimal(19320),
        "households": 249,
        "planned_investment_wan": Decimal("725.58"),
        "renovation_content": None,
        "start_date": dt.date(2022, 4, 1),
        "status": "在建",
        "excel_row": 6,
        "unit": UNIT,
        "year": 2022,
        "project_name": None,
    },
]

DATA = [[1, "市委小区", "1.932", "249", "725.58", "在建"]]


def rules(parsed: ParsedFile) -> list[tuple[Severity, str]]:
    return [(p.severity, p.rule) for p in parsed.all_problems]


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        pytest.param(xlsx({"清单": COMPOUND_ROWS}, merges=COMPOUND_MERGES), "清单.xlsx", id="xlsx"),
        pytest.param(xlsx({"清单": COMPOUND_ROWS}, merges=COMPOUND_MERGES), "清单.xlsm", id="xlsm"),
        pytest.param(xls({"清单": COMPOUND_ROWS}, merges=COMPOUND_MERGES), "清单.xls", id="xls"),
        pytest.param(csv_bytes(COMPOUND_ROWS), "清单.csv", id="csv-utf8"),
        pytest.param(csv_bytes(COMPOUND_ROWS, "utf-8-sig"), "清单.csv", id="csv-utf8-bom"),
        pytest.param(csv_bytes(COMPOUND_ROWS, "gb18030"), "清单.csv", id="csv-gb18030"),
        pytest.param(
            xlsx({"清单": COMPOUND_ROWS}, merges=COMPOUND_MERGES), "清单.xls", id="xlsx-renamed-xls"
        ),
        pytest.param(
            xls({"清单": COMPOUND_ROWS}, merges=COMPOUND_MERGES), "清单.xlsx", id="xls-renamed-xlsx"
        ),
    ],
)
def test_every_format_gives_the_same_records(registry, content, filename):
    parsed = parse_file(content, f"{UNIT}/{filename}", registry)
    assert parsed.all_problems == []
    assert parsed.templates == ["compound_list"]
    assert (parsed.unit, parsed.years) == (UNIT, [2022])
    [sheet] = parsed.sheets
    assert sheet.header_rows == (3, 3)
    assert sheet.records == COMPOUND_RECORDS


# The compound list down to its second row, as a CSV ending in that row: Excel ends it with a line break.
CUT_ROWS = COMPOUND_ROWS[:6]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_csv_cut_in_its_last_row_is_returned_whole_naming_that_row(registry, encoding):
    text = csv_text(CUT_ROWS)
    cut = text[: text.rindex("725.58") + 2]  # a copy cut off in transfer: 725.58 would be stored as 72
    parsed = parse_file(cut.encode(encoding), f"{UNIT}/清单.csv", registry)
    assert rules(parsed) == [(Severity.ERROR, "truncated")]
    assert parsed.sheets == []
    [problem] = parsed.errors
    assert (problem.sheet, problem.excel_row) == ("清单", 6)
    assert problem.message_zh == (
        "末行不完整，文件可能未传完：第6行只有5列，少于表头（第3行）的8列，且其后没有换行，最后一格为“72”，"
        "该行的数值可能已被截断，其后的行也可能已丢失，整个文件未入库。请重新导出后再报送。"
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_csv_cut_inside_a_quoted_cell_is_returned_whole(registry, encoding):
    rows = [list(row) for row in CUT_ROWS]
    rows[5][5] = "屋面防水,外墙保温"  # quoted for its comma; the cut leaves the quote open, every field there
    text = csv_text(rows)
    cut = text[: text.rindex("外墙")]
    parsed = parse_file(cut.encode(encoding), f"{UNIT}/清单.csv", registry)
    assert rules(parsed) == [(Severity.ERROR, "truncated")]
    assert parsed.errors[0].message_zh.startswith(
        "末行不完整，文件可能未传完：第6行的引号没有闭合就到了文件末尾，最后一格为“屋面防水,”"
    )
    assert parsed.sheets == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_csv_cut_inside_a_chinese_character_is_said_to_be_cut_not_in_another_encoding(registry, encoding):
    # A copy cut mid-character is no valid text: it was told 文件编码无法识别, and the clerk saved the same again.
    rows = [list(row) for row in CUT_ROWS]
    rows[5][5] = "屋面防水"
    content = csv_bytes(rows, encoding)
    cut = content[: content.rindex("防".encode(encoding.removesuffix("-sig"))) + 1]
    parsed = parse_file(cut, f"{UNIT}/清单.csv", registry)
    assert rules(parsed) == [(Severity.ERROR, "truncated")]
    assert parsed.sheets == []
    assert parsed.errors[0].message_zh == (
        "文件未传完整：文件在第6行中断，最后一个字只剩半个，该行最后一格为“屋面”，该行的数值可能已被截断，"
        "其后的行也可能已丢失，整个文件未入库。请重新导出后再报送。"
    )


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_csv_cut_in_the_first_character_of_a_row_names_that_row(registry, encoding):
    rows = [*CUT_ROWS, ["枣林小区"]]
    content = csv_bytes(rows, encoding)
    cut = content[: content.rindex("枣林小区".encode(encoding)) + 1]
    [problem] = parse_file(cut, f"{UNIT}/清单.csv", registry).errors
    assert problem.message_zh.startswith("文件未传完整：文件在第7行中断，最后一个字只剩半个，该行的数值")


def test_a_csv_cut_inside_quotes_before_its_header_is_said_to_be_cut(registry):
    parsed = parse_file(
        '枣林街道办事处2022年老旧小区改造项目清单\r\n"填报单位：枣林'.encode(), f"{UNIT}/清单.csv", registry
    )
    assert rules(parsed) == [(Severity.ERROR, "truncated")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("pad", [True, False])
def test_a_hand_made_csv_whose_whole_last_row_has_no_line_break_is_read(registry, encoding, pad):
    rows = [list(row) for row in CUT_ROWS]
    rows[5][5] = "屋面防水,外墙保温"
    complete = parse_file(csv_bytes(rows, encoding, pad=pad), f"{UNIT}/清单.csv", registry)
    content = csv_text(rows, pad=pad).removesuffix("\r\n").encode(encoding)
    parsed = parse_file(content, f"{UNIT}/清单.csv", registry)
    assert parsed.all_problems == []
    assert [sheet.records for sheet in parsed.sheets] == [sheet.records for sheet in complete.sheets]
    assert len(parsed.sheets[0].records) == 2


def test_a_hand_made_csv_ending_in_a_short_footer_with_no_line_break_is_read(registry):
    # No data row follows a footer, so a short `填表人：…` line with no line break after it hides no cut row.
    rows = [*CUT_ROWS, ["填表人：张三    联系电话：0377-1234"]]
    content = csv_text(rows, pad=False).removesuffix("\r\n").encode("gb18030")
    parsed = parse_file(content, f"{UNIT}/清单.csv", registry)
    assert parsed.all_problems == []
    assert len(parsed.sheets[0].records) == 2
    # The same short line under the last data row, with no footer word, is taken for a cut row.
    rows[-1] = ["3"]
    content = csv_text(rows, pad=False).removesuffix("\r\n").encode("gb18030")
    assert rules(parse_file(content, f"{UNIT}/清单.csv", registry)) == [(Severity.ERROR, "truncated")]


def test_households_headed_in_ten_thousands_are_stored_in_ones(registry):
    rows = [list(r) for r in COMPOUND_ROWS]
    rows[2][3] = "惠及户数（万户）"
    rows[3][3], rows[5][3], rows[6][3] = 0.037, "0.0249", 0.0619

    parsed = parse_file(xlsx({"清单": rows}, merges=COMPOUND_MERGES), f"{UNIT}/清单.xlsx", registry)

    assert parsed.all_problems == []
    assert [r["households"] for r in parsed.sheets[0].records] == [370, 249]


def test_parsed_file_remembers_the_original_name_and_folder(registry):
    parsed = parse_file(xlsx({"清单": compound_sheet(*DATA)}), "枣林/2022/清单（修改）.xlsx", registry)
    assert (parsed.original_name, parsed.sending_folder, parsed.unit) == ("清单（修改）.xlsx", "枣林", UNIT)


# --- sheets --------------------------------------------------------------------------------------


@pytest.mark.parametrize("write", [xlsx, xls], ids=["xlsx", "xls"])
def test_hidden_and_empty_sheets_are_ignored_and_a_hidden_table_is_asked_about(registry, write):
    # Hidden, a template's table is not read (submissions.md), but it may be the data meant: it was passed over
    # without a word. A hidden sheet holding no template's table, like a template's drop-down lists, says nothing.
    ledger = [LEDGER_HEADER, ["2023-03-01", PROJECT, "中央补助资金", "到位", "100"]]
    sheets = {"空白": [], "清单": compound_sheet(*DATA), "旧台账": ledger, "备注": [["已完工"], ["在建"]]}
    content = write(sheets, hidden=["旧台账", "备注"])
    parsed = parse_file(content, f"{UNIT}/清单.{write.__name__}", registry)
    assert [(p.severity, p.rule, p.sheet) for p in parsed.all_problems] == [
        (Severity.WARNING, "hidden_sheet", "旧台账")
    ]
    assert "取消隐藏" in parsed.warnings[0].message_zh
    assert [sheet.name for sheet in parsed.sheets] == ["清单"]
    assert parsed.templates == ["compound_list"]


def test_a_sheet_matching_no_template_is_a_warning_and_the_other_sheet_loads(registry):
    content = xlsx(
        {"备注": [["备注：请按模板填写"], ["1. 面积单位为万平方米"]], "清单": compound_sheet(*DATA)}
    )
    parsed = parse_file(content, f"{UNIT}/清单.xlsx", registry)
    assert parsed.errors == []
    [warning] = parsed.warnings
    assert (warning.rule, warning.sheet) == ("unmatched_sheet", "备注")
    # The receipt puts the sheet before the message: the message does not name it again.
    assert warning.message_zh == "表头与任何报表模板都不符，已忽略该工作表。"
    assert [len(sheet.records) for sheet in parsed.sheets] == [1]


def test_the_templates_instructions_sheet_is_passed_over_without_a_remark(registry):
    content = xlsx(
        {"清单": compound_sheet(*DATA), "填表说明": [["填表说明：请按模板填写"], ["1. 面积单位为万平方米"]]}
    )
    parsed = parse_file(content, f"{UNIT}/清单.xlsx", registry)
    assert parsed.all_problems == []
    assert [len(sheet.records) for sheet in parsed.sheets] == [1]


def test_a_file_with_no_matching_sheet_is_rejected_as_unknown_template(registry):
    content = xlsx({"Sheet1": [["姓名", "电话"], ["张三", "0377-12345678"]], "Sheet2": [["备注"]]})
    parsed = parse_file(content, f"{UNIT}/通讯录.xlsx", registry)
    # Each sheet was also told as ignored (unmatched_sheet), the one fault told three times.
    assert rules(parsed) == [(Severity.ERROR, "unknown_template")]
    assert parsed.errors[0].message_zh == (
        "无法识别的报表模板：没有一个工作表（“Sheet1”、“Sheet2”）的表头与报表模板相符，请使用统一下发的模板。"
    )
    assert parsed.sheets == []


def test_a_file_whose_header_is_below_row_thirty_is_rejected_naming_the_row_it_is_on(registry):
    rows = [["说明"]] * 31 + compound_sheet(*DATA, title=None, unit_line=None)
    parsed = parse_file(csv_bytes(rows), f"{UNIT}/清单.csv", registry)
    [error] = parsed.errors
    assert error.rule == "unknown_template"
    # Told to use the template, the clerk would look for another form: the header is right, only too low.
    assert (error.sheet, error.excel_row) == ("清单", 32)
    assert "第32行的表头与模板《老旧小区改造项目清单》相符" in error.message_zh
    assert "请删除表头上方多余的说明行，使表头位于前30行内" in error.fix
    assert "请使用统一下发的模板" not in error.message_zh


def test_a_sheet_whose_header_is_below_row_thirty_beside_a_read_sheet_is_told_where_its_header_is(registry):
    low = [["说明"]] * 31 + compound_sheet(*DATA, title=None, unit_line=None)
    content = xlsx({"清单": compound_sheet(*DATA), "补充": low})
    parsed = parse_file(content, f"{UNIT}/清单.xlsx", registry)
    [warning] = parsed.warnings
    assert (warning.rule, warning.sheet, warning.excel_row) == ("unmatched_sheet", "补充", 32)
    assert warning.message_zh.startswith("第32行的表头与模板《老旧小区改造项目清单》相符")
    assert [sheet.name for sheet in parsed.sheets] == ["清单"]


def test_a_file_with_two_templates_loads_both(registry):
    ledger = [LEDGER_HEADER, ["2022-03-01", PROJECT, "发改资金", "到位", "100"]]
    content = xlsx({"台账": ledger, "清单": compound_sheet(*DATA)})
    parsed = parse_file(content, f"{UNIT}/汇总.xlsx", registry)
    assert parsed.all_problems == []
    assert parsed.templates == ["compound_list", "fund_ledger"]
    assert [sheet.template.id for sheet in parsed.sheets] == ["fund_ledger", "compound_list"]


@pytest.mark.parametrize(
    ("content", "filename", "rule", "message"),
    [
        (b"", "清单.xlsx", "unreadable", "文件为空（0字节）"),
        (b"\x00\x01garbage", "清单.xlsx", "unreadable", "文件已损坏或不是Excel文件，无法打开"),
        (b"%PDF-1.4\n", "清单.pdf", "unreadable", "不是电子表格文件（只接收 .xlsx、.xlsm、.xls、.csv）"),
        (xlsx({"Sheet1": [], "Sheet2": [[None]]}), "清单.xlsx", "empty", "文件中没有任何填写了内容的工作表"),
        # A template's header with nothing under it: no rows, and no year to file them under.
        (
            xlsx({"台账": [LEDGER_HEADER]}),
            "台账.xlsx",
            "no_rows",
            "表头下方没有填写任何数据行，文件中没有可入库的数据。",
        ),
    ],
)
def test_unreadable_or_empty_files_are_rejected_with_one_error(registry, content, filename, rule, message):
    parsed = parse_file(content, f"{UNIT}/{filename}", registry)
    assert [(p.severity, p.rule, p.message_zh) for p in parsed.all_problems] == [
        (Severity.ERROR, rule, message)
    ]


# --- who sent it ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inbox_path", "folder"),
    [
        ("枣林街道办事处/清单.xlsx", "枣林街道办事处"),
        ("枣林街道办事处/2022年/清单.xlsx", "枣林街道办事处"),
        ("枣林街道办事处 /清单.xlsx", "枣林街道办事处 "),
        ("清单.xlsx", None),
    ],
)
def test_the_sending_folder_is_the_first_folder_of_the_inbox_path_as_named_there(inbox_path, folder):
    assert sending_folder_of(inbox_path) == folder


def test_in_a_shared_intake_folder_the_filing_unit_line_decides(registry):
    rows = compound_sheet(*DATA, unit_line="填报单位：枣林街道（盖章）   填报日期：2023年1月5日")
    parsed = parse_file(xlsx({"清单": rows}), "公共收件/清单.xlsx", registry)
    assert (parsed.errors, parsed.unit, parsed.sending_folder) == ([], UNIT, "公共收件")
    assert [r["unit"] for r in parsed.sheets[0].records] == [UNIT]


def test_a_shared_intake_folder_without_a_filing_unit_line_is_rejected_as_unit_unknown(registry):
    parsed = parse_file(xlsx({"清单": compound_sheet(*DATA, unit_line=None)}), "公共收件/清单.xlsx", registry)
    assert rules(parsed) == [(Severity.ERROR, "unit_unknown")]
    assert "“公共收件”是共享收件文件夹" in parsed.errors[0].message_zh
    assert parsed.unit is None


@pytest.mark.parametrize(
    "line",
    [
        "填报单位：",
        "填报单位（盖章）：      填报日期：2023年1月5日",
        # The seal's place after the label, the name left out: it too was told as no line at all.
        "填报单位：（盖章）",
        "填报单位：                （盖章）",
        "填报单位：、",
    ],
)
def test_a_blank_filing_unit_line_in_a_shared_folder_is_told_as_blank_not_as_missing(registry, line):
    # The clerk was told to add a `填报单位：` line the sheet already has.
    rows = compound_sheet(*DATA, unit_line=line)
    line_row = next(n for n, row in enumerate(rows, start=1) if row and str(row[0]).startswith("填报单位"))

    parsed = parse_file(xlsx({"清单": rows}), "公共收件/清单.xlsx", registry)

    [error] = parsed.errors
    assert (error.rule, error.sheet, error.excel_row, error.column_header) == (
        "unit_unknown", "清单", line_row, "填报单位"
    )  # fmt: skip
    assert error.message_zh == (
        f"无法确定填报单位：第{line_row}行“填报单位：”后没有填写单位名称，“公共收件”是共享收件文件夹。"
        "请填写单位全称后重新报送。"
    )


def test_unit_falls_back_to_the_inbox_sub_folder(registry):
    parsed = parse_file(xlsx({"清单": compound_sheet(*DATA, unit_line=None)}), f"{UNIT}/清单.xlsx", registry)
    assert parsed.errors == []
    assert parsed.unit == UNIT
    assert [r["unit"] for r in parsed.sheets[0].records] == [UNIT]


def test_file_at_inbox_root_without_a_filing_unit_line_is_rejected_as_unit_unknown(registry):
    parsed = parse_file(xlsx({"清单": compound_sheet(*DATA, unit_line=None)}), "清单.xlsx", registry)
    assert rules(parsed) == [(Severity.ERROR, "unit_unknown")]
    assert parsed.errors[0].message_zh == (
        "无法确定填报单位：表格上方没有“填报单位：…”一行，文件也不在以单位命名的文件夹中。"
        "请补充“填报单位：…”后重新报送。"
    )
    assert parsed.unit is None


def test_file_at_inbox_root_with_a_filing_unit_line_is_accepted(registry):
    parsed = parse_file(xlsx({"清单": compound_sheet(*DATA)}), "清单.xlsx", registry)
    assert (parsed.errors, parsed.unit) == ([], UNIT)


def sent(registry, folder: str | None, unit_line: str | None) -> ParsedFile:
    """Parse a compound list with this `填报单位：` line (or none) dropped in this folder (or the inbox root)."""
    path = f"{folder}/清单.xlsx" if folder else "清单.xlsx"
    return parse_file(xlsx({"清单": compound_sheet(*DATA, unit_line=unit_line)}), path, registry)


@pytest.mark.parametrize(
    ("folder", "unit"),
    [
        pytest.param("枣林街道", UNIT, id="abbreviation"),
        pytest.param("示范区住建局", "示范区住房和城乡建设局", id="abbreviation-skipping-characters"),
        pytest.param("建设实业公司", SHUANGPU_UNIT, id="abbreviation-of-a-long-name"),
        pytest.param("ＺａｏＬｉｎ ", UNIT, id="alias-width-and-case-folded"),
        pytest.param("区住建局", "区住房和城乡建设局", id="alias-before-an-ambiguous-abbreviation"),
        pytest.param("某某社区", "某某社区", id="unlisted-folder-is-its-own-office"),
    ],
)
def test_a_folder_is_its_offices_by_name_alias_or_abbreviation(registry, folder, unit):
    parsed = sent(registry, folder, None)
    assert (parsed.errors, parsed.unit, parsed.sending_folder) == ([], unit, folder)
    assert [r["unit"] for r in parsed.sheets[0].records] == [unit]


@pytest.mark.parametrize(
    ("folder", "line"),
    [
        pytest.param("枣林街道", "枣林街道办事处", id="full-name-in-abbreviated-folder"),
        pytest.param(UNIT, "枣林街道", id="abbreviation-in-full-folder"),
        pytest.param("zaolin", "枣林", id="abbreviation-in-alias-folder"),
    ],
)
def test_a_filing_unit_line_naming_the_folders_office_gives_its_full_name(registry, folder, line):
    parsed = sent(registry, folder, f"填报单位：{line}（盖章）")
    assert (parsed.errors, parsed.unit) == ([], UNIT)


@pytest.mark.parametrize(
    ("folder", "line", "unit"),
    [
        pytest.param("区住房和城乡建设局", "枣林街道办事处", UNIT, id="listed"),
        pytest.param("区住建局", "枣林街道", UNIT, id="alias-folder-abbreviated-line"),
        pytest.param("示范区管委会", "建设实业公司", SHUANGPU_UNIT, id="abbreviated-folder-and-line"),
        pytest.param("区财政局", "示范区住建局", "示范区住房和城乡建设局", id="bureau-for-a-listed-office"),
        pytest.param("区财政局", "某某社区", "某某社区", id="bureau-for-an-unlisted-office"),
    ],
)
def test_an_office_may_submit_for_those_it_lists_and_the_unit_is_theirs(registry, folder, line, unit):
    parsed = sent(registry, folder, f"填报单位：{line}")
    assert (parsed.errors, parsed.unit, parsed.sending_folder) == ([], unit, folder)
    assert [r["unit"] for r in parsed.sheets[0].records] == [unit]


def test_a_filing_unit_line_naming_another_office_than_the_folders_is_rejected_saying_who_may_send(registry):
    parsed = sent(registry, "某某社区", "填报单位：枣林街道办事处（盖章）")
    assert rules(parsed) == [(Severity.ERROR, "unit_mismatch")]
    [problem] = parsed.errors
    assert (problem.sheet, problem.excel_row, problem.column_header, problem.value) == (
        "清单",
        2,
        "填报单位",
        "枣林街道办事处",
    )
    assert problem.expected == "应为某某社区"
    assert problem.fix == (
        "报送文件夹“某某社区”属于某某社区，只能报送本单位的数据；枣林街道办事处的数据可由枣林街道办事处、区财政局、"
        "区住房和城乡建设局报送，请将文件放入其中一个单位的文件夹，或改正“填报单位：”一行"
    )
    assert problem.message_zh.startswith("第2行「填报单位」填写为“枣林街道办事处”，应为某某社区，")
    # The sender is the folder: its office is the unit on record, whose receipt it is.
    assert (parsed.unit, parsed.sending_folder) == ("某某社区", "某某社区")


@pytest.mark.parametrize(
    "label", ["单位名称", "填报单位名称", "单位名称（盖章）", "单位（盖章）", "上报单位"]
)
def test_a_line_naming_another_office_by_another_label_is_rejected_as_the_filing_unit_line_is(
    registry, label
):
    # Unread, the file was credited to the folder's office though its line named another.
    parsed = sent(registry, "某某社区", f"{label}：枣林街道办事处")
    [problem] = parsed.errors
    written = label.removesuffix("（盖章）")
    assert (problem.rule, problem.excel_row, problem.column_header, problem.value) == (
        "unit_mismatch", 2, written, "枣林街道办事处"
    )  # fmt: skip
    assert problem.fix.endswith(f"或改正“{written}：”一行")


def test_a_sealed_label_without_its_colon_still_names_the_filing_unit(registry):
    # `填报单位（盖章）  枣林街道办事处` in one cell went unread: the file was credited to the folder's office.
    parsed = sent(registry, "某某社区", "填报单位（盖章）  枣林街道办事处")
    assert [(p.rule, p.excel_row, p.value) for p in parsed.errors] == [("unit_mismatch", 2, "枣林街道办事处")]
    assert sent(registry, "公共收件", "填报单位（盖章）  枣林街道办事处").unit == UNIT


def test_a_filing_unit_line_in_the_footer_is_reported_on_its_own_row(registry):
    rows = compound_sheet(*DATA, unit_line=None, footer=[["填表人：张三"], [], ["填报单位：某某社区"]])
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    assert [(p.rule, p.excel_row, p.value) for p in parsed.errors] == [("unit_mismatch", 6, "某某社区")]


def test_an_office_may_not_submit_for_one_it_does_not_list(registry):
    parsed = sent(registry, "区住建局", f"填报单位：{SHUANGPU_UNIT}")
    [problem] = parsed.errors
    assert (problem.rule, problem.expected) == (
        "unit_mismatch",
        "应为区住房和城乡建设局或其代报的枣林街道办事处",
    )
    assert "可报送本单位和枣林街道办事处（代报）的数据" in problem.fix
    assert (
        f"{SHUANGPU_UNIT}的数据可由{SHUANGPU_UNIT}、区财政局、南阳市城乡一体化示范区管理委员会报送"
        in problem.fix
    )


def test_a_folder_abbreviating_two_offices_is_rejected_as_ambiguous_never_guessed(registry):
    parsed = sent(registry, "住建局", None)
    assert rules(parsed) == [(Severity.ERROR, "unit_ambiguous")]
    [problem] = parsed.errors
    assert problem.value == "住建局"
    assert problem.message_zh.startswith(
        "报送文件夹“住建局”可以指区住房和城乡建设局、示范区住房和城乡建设局，无法确定报送单位。"
    )
    assert parsed.unit is None


@pytest.mark.parametrize("folder", ["公共收件", None])
def test_a_filing_unit_line_abbreviating_two_offices_is_rejected_as_ambiguous(registry, folder):
    parsed = sent(registry, folder, "填报单位：住建局")
    assert rules(parsed) == [(Severity.ERROR, "unit_ambiguous")]
    [problem] = parsed.errors
    assert (problem.excel_row, problem.column_header, problem.value, problem.fix) == (
        2,
        "填报单位",
        "住建局",
        "请填写单位全称",
    )
    assert parsed.unit is None


def test_an_abbreviated_line_in_its_own_offices_folder_is_that_office_even_if_it_fits_others(registry):
    # 区局 also fits 区住房和城乡建设局 and 示范区住房和城乡建设局, but the folder says who is writing.
    parsed = sent(registry, "区财政局", "填报单位：区局")
    assert (parsed.errors, parsed.unit) == ([], "区财政局")


@pytest.mark.parametrize(
    ("folder", "line", "named"),
    [
        pytest.param(
            "公共收件", "枣林街道办事处、七里园街道办事处", "枣林街道办事处、七里园街道办事处", id="shared"
        ),
        pytest.param(None, "枣林街道，区住建局", "枣林街道办事处、区住房和城乡建设局", id="root-short-forms"),
        pytest.param("公共收件", "枣林街道办事处/区财政局", "枣林街道办事处、区财政局", id="slash"),
        pytest.param(
            "公共收件", "枣林街道办事处和七里园街道办事处", "枣林街道办事处、七里园街道办事处", id="and"
        ),
        pytest.param("公共收件", "区财政局及区住建局", "区财政局、区住房和城乡建设局", id="ji"),
        pytest.param(
            UNIT, "枣林街道办事处、七里园街道办事处", "枣林街道办事处、七里园街道办事处", id="own-folder"
        ),
    ],
)
def test_a_filing_unit_line_naming_several_offices_is_rejected_not_stored_as_one_office(
    registry, folder, line, named
):
    # It was stored as a new office named by the whole line, its data counted as nobody's.
    parsed = sent(registry, folder, f"填报单位：{line}")
    [problem] = parsed.errors
    assert (problem.rule, problem.excel_row, problem.column_header, problem.value) == (
        "unit_several",
        2,
        "填报单位",
        line.replace("，", ","),
    )
    assert problem.expected == f"应只填写一个单位，本行写了{named}"
    assert problem.fix.startswith("一份文件只能由一个单位报送，请只填写报送本文件的单位全称")
    assert parsed.unit == (UNIT if folder == UNIT else None)


@pytest.mark.parametrize(
    ("folder", "line", "written", "named"),
    [
        # One space squashed was a new office 枣林街道办事处七里园街道办事处; a wide gap or a second cell kept the first.
        pytest.param("公共收件", ["填报单位：枣林街道办事处 七里园街道办事处"], None, None, id="space"),
        pytest.param("公共收件", ["填报单位：枣林街道办事处\u3000区财政局"], "枣林街道办事处 区财政局", "枣林街道办事处、区财政局", id="full-width-space"),
        pytest.param("公共收件", ["填报单位：枣林街道办事处    七里园街道办事处"], None, None, id="gap"),
        pytest.param("公共收件", ["填报单位：", "枣林街道办事处", "七里园街道办事处"], None, None, id="cells"),
        pytest.param(UNIT, ["填报单位：枣林街道办事处", "七里园街道办事处"], None, None, id="own-folder"),
        # Two offices' seals on one line: it was one new office, 枣林街道办事处(盖章)七里园街道办事处, credited the file.
        pytest.param("公共收件", ["填报单位：枣林街道办事处（盖章）七里园街道办事处（盖章）"], None, None, id="two-seals"),
        pytest.param(UNIT, ["填报单位：枣林街道办事处（盖章）七里园街道办事处"], None, None, id="two-seals-own-folder"),
        # Neither listed, apart by 、: two offices all the same, not one new office named by the whole line.
        pytest.param("公共收件", ["填报单位：甲街道办事处、乙街道办事处"], "甲街道办事处、乙街道办事处", "甲街道办事处、乙街道办事处", id="two-unlisted"),
    ],
)  # fmt: skip
def test_a_filing_unit_line_naming_offices_apart_by_spaces_or_in_cells_is_rejected(
    registry, folder, line, written, named
):
    rows = compound_sheet(*DATA, unit_line=None)
    rows.insert(1, line)
    parsed = parse_file(xlsx({"清单": rows}), f"{folder}/清单.xlsx", registry)
    [problem] = parsed.errors
    assert (problem.rule, problem.excel_row, problem.column_header, problem.value) == (
        "unit_several",
        2,
        "填报单位",
        written or "枣林街道办事处 七里园街道办事处",
    )
    assert problem.expected == f"应只填写一个单位，本行写了{named or '枣林街道办事处、七里园街道办事处'}"
    assert parsed.unit == (UNIT if folder == UNIT else None)


@pytest.mark.parametrize("folder", ["公共收件", UNIT])
@pytest.mark.parametrize(
    ("line", "rest"), [("枣林街道办事处 张三", "张三"), ("枣林街道办事处 2023年1月5日", "2023年1月5日")]
)
def test_words_one_space_after_the_filing_units_name_are_asked_about_not_a_new_office(
    registry, folder, line, rest
):
    # Run together it was a new office, 枣林街道办事处张三: in 公共收件 accepted under it, in 枣林's folder returned
    # as another office's data.
    parsed = sent(registry, folder, f"填报单位：{line}")
    [problem] = parsed.errors
    assert (problem.rule, problem.excel_row, problem.value, problem.expected) == (
        "unit_extra",
        2,
        line,
        f"应只填写单位全称，“枣林街道办事处”之后的“{rest}”不是单位名称",
    )
    assert parsed.unit == (UNIT if folder == UNIT else None)


@pytest.mark.parametrize("folder", ["公共收件", "区财政局", UNIT])
@pytest.mark.parametrize(
    ("line", "rest"),
    [("枣林街道办事处财务科", "财务科"), ("枣林街道办事处张三", "张三"), ("zaolin财务科", "财务科")],
)
def test_words_run_on_after_the_filing_units_name_are_asked_about_not_a_new_office(
    registry, folder, line, rest
):
    # Read whole, 枣林街道办事处财务科 was an office of its own: in 公共收件 or forwarded by the bureau its ledger was
    # accepted beside 枣林街道办事处's for the same project and year, and the report added the two up.
    parsed = sent(registry, folder, f"填报单位：{line}")
    [problem] = parsed.errors
    assert (problem.rule, problem.excel_row, problem.value, problem.expected) == (
        "unit_extra",
        2,
        line,
        f"应只填写单位全称，“枣林街道办事处”之后的“{rest}”不是单位名称",
    )
    assert "请删去单位名称之后的文字" in problem.fix


@pytest.mark.parametrize(
    "line", ["枣林街道办事处社区服务中心", "枣林街道办事处（盖章）", "枣林街道办事处（区财政局代报）"]
)
def test_an_office_named_after_a_listed_one_or_a_note_after_its_name_is_no_run_on(registry, line):
    parsed = sent(registry, "公共收件", f"填报单位：{line}")
    assert not [p for p in parsed.problems if p.rule == "unit_extra"]


# Words written before the name were told as written after it: “枣林街道办事处”之后的“张三”, 请删去单位名称之后的文字.
@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("张三 枣林街道办事处", "“枣林街道办事处”之前的“张三”"),
        ("区 枣林街道办事处 张三", "“枣林街道办事处”前后的“区 张三”"),
    ],
)
def test_words_before_the_filing_units_name_are_told_as_before_it(registry, line, said):
    parsed = sent(registry, UNIT, f"填报单位：{line}")
    [problem] = parsed.errors
    assert problem.rule == "unit_extra" and said in problem.expected
    assert "请删去单位名称" + said[said.index("”") + 1 : said.index("的")] + "的文字" in problem.fix


@pytest.mark.parametrize(
    ("line", "unit"),
    [
        # One unlisted office spaced, though 办事处 alone abbreviates a listed one.
        (["填报单位：七里园街道 办事处"], "七里园街道办事处"),
        (["填报单位：枣林街道 办事处"], UNIT),
        (["填报单位：枣林街道办事处 （盖章）"], UNIT),
        (["填报单位：枣林街道办事处", "2023年1月5日"], UNIT),
        (["填报单位：枣林街道办事处", "（盖章）"], UNIT),
    ],
)
def test_a_filing_unit_line_with_a_space_a_note_or_a_date_beside_it_names_one_office(registry, line, unit):
    rows = compound_sheet(*DATA, unit_line=None)
    rows.insert(1, line)
    parsed = parse_file(xlsx({"清单": rows}), "公共收件/清单.xlsx", registry)
    assert (parsed.errors, parsed.unit) == ([], unit)


@pytest.mark.parametrize(
    ("line", "unit"),
    [
        pytest.param("示范区住房和城乡建设局", "示范区住房和城乡建设局", id="a-name-holding-another-and-he"),
        pytest.param("区住房和城乡建设局", "区住房和城乡建设局", id="a-name-with-he"),
        pytest.param("某某区住房和城乡规划局", "某某区住房和城乡规划局", id="unlisted-name-with-he"),
        pytest.param("区住房和城乡规划局", "区住房和城乡规划局", id="unlisted-name-one-side-a-short-form"),
    ],
)
def test_a_filing_unit_line_naming_one_office_with_he_in_its_name_is_that_office(registry, line, unit):
    parsed = sent(registry, "公共收件", f"填报单位：{line}")
    assert ([p.rule for p in parsed.errors], parsed.unit) == ([], unit)


@pytest.mark.parametrize(
    "line",
    [
        "枣林街道办事处、",
        "：枣林街道办事处",
        "枣林街道办事处。",
        "枣林街道办事处；（盖章）",
        # A seal written without brackets, or before the name: it was a new office, 枣林街道办事处盖章.
        "枣林街道办事处盖章",
        "（盖章）枣林街道办事处",
    ],
)
@pytest.mark.parametrize("folder", ["公共收件", UNIT])
def test_a_mark_left_round_the_filing_units_name_is_no_part_of_it(registry, folder, line):
    # In a shared folder it was a new office, 枣林街道办事处、, its ledger added beside 枣林's own; in 枣林's folder the
    # file was returned as another office's.
    parsed = sent(registry, folder, f"填报单位：{line}")
    assert (parsed.errors, parsed.unit) == ([], UNIT)


def test_sheets_naming_two_different_offices_are_rejected(registry):
    zaolin = compound_sheet(*DATA)
    shuangpu = compound_sheet(*DATA, unit_line=f"填报单位：{SHUANGPU_UNIT}")
    parsed = parse_file(xlsx({"枣林": zaolin, "双铺": shuangpu}), "区财政局/清单.xlsx", registry)
    [problem] = parsed.errors
    assert (problem.rule, problem.sheet, problem.excel_row, problem.value) == (
        "unit_mismatch",
        "双铺",
        2,
        SHUANGPU_UNIT,
    )
    assert problem.expected == f"应与工作表“枣林”的填报单位{UNIT}一致"
    assert parsed.unit == UNIT


def test_an_unreadable_file_names_its_folders_office(registry):
    parsed = parse_file(b"", "枣林街道/清单.xlsx", registry)
    assert (parsed.unit, parsed.sending_folder) == (UNIT, "枣林街道")


# --- for which year ------------------------------------------------------------------------------


def records_years(parsed: ParsedFile) -> list:
    return [r["year"] for sheet in parsed.sheets for r in sheet.records]


def test_a_year_column_of_one_year_raises_nothing_and_its_blank_cells_fall_back_to_the_line(registry):
    rows = [
        ["年度：2022"],
        ["年度", "小区名称", "改造面积（㎡）", "惠及户数", "计划投资（万元）"],
        ["2022年", "市委小区", 19320, 249, 725.58],
        [2022, "石化小区", 24150, 312, 906.97],
        [None, "育源小区", 12680, 164, 476.21],
    ]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/2022年清单.xlsx", registry)
    assert parsed.all_problems == []
    assert records_years(parsed) == [2022, 2022, 2022]
    assert parsed.years == [2022]


def test_a_year_column_holding_two_years_is_rejected_as_year_span_naming_its_rows(registry):
    # A December report and a January one pasted into one sheet: one file, one 报表年度, never two slices.
    rows = [
        ["投资完成情况月报"],
        [f"填报单位：{SHUANGPU_UNIT}"],
        PROGRESS_HEADER,
        [PROJECT, 2026, 1, 6000, 100, 100],
        [PROJECT, "2025年", 12, 3000, 100, 1050],
        [PROJECT, 2026, 2, 6000, 100, 200],
    ]
    parsed = parse_file(xlsx({"月报": rows}), f"{SHUANGPU_UNIT}/跨年月报.xlsx", registry)
    [problem] = parsed.all_problems
    assert (problem.severity, problem.rule, problem.sheet) == (Severity.ERROR, "year_span", "月报")
    # The header as written, the first row of another year than the sheet's first, and the years found.
    assert (problem.excel_row, problem.column_header, problem.value) == (5, "年 度", "2025、2026")
    assert problem.fix == "一个文件只能报送一个年度的数据，请按年度分别报送"
    assert problem.message_zh == (
        "「年 度」列跨越了2025、2026多个年度（2025年：第5行；2026年：第4、6行），"
        "一个文件只能报送一个年度的数据，请按年度分别报送。"
    )


def test_a_year_column_of_one_year_beside_a_line_of_another_is_a_warning_not_a_span(registry):
    rows = [
        [f"填报单位：{SHUANGPU_UNIT}"],
        ["年度：2025"],
        PROGRESS_HEADER,
        [PROJECT, 2026, 2, 6000, 100, 100],
    ]
    parsed = parse_file(xlsx({"月报": rows}), f"{SHUANGPU_UNIT}/月报.xlsx", registry)
    assert (parsed.errors, records_years(parsed)) == ([], [2026])
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.value) == ("year_conflict", 2, "2025")
    assert "本表已按「年 度」列取2026年度" in warning.message_zh


def progress_file(registry, *rows, above=()) -> ParsedFile:
    """Parse a 投资完成情况月报 of these data rows (项目名称 filled in), under these lines."""
    written = [[f"填报单位：{SHUANGPU_UNIT}"], *above, PROGRESS_HEADER, *([PROJECT, *row] for row in rows)]
    return parse_file(xlsx({"月报": written}), f"{SHUANGPU_UNIT}/月报.xlsx", registry)


def months_read(parsed: ParsedFile) -> list:
    return [r["month"] for sheet in parsed.sheets for r in sheet.records]


def test_a_month_written_with_its_rows_year_is_that_month_without_a_remark(registry):
    parsed = progress_file(
        registry,
        *(
            [2022, month, 6000, 100, 100]
            for month in ["2022年4月", "2022-05", dt.datetime(2022, 6, 1), "2022/7"]
        ),
    )
    assert parsed.all_problems == []
    assert months_read(parsed) == [4, 5, 6, 7]


@pytest.mark.parametrize(
    ("written", "shown"), [("2021年4月", "2021年4月"), (dt.datetime(2021, 4, 1), "2021-04-01")]
)
def test_a_month_naming_another_year_than_its_rows_is_an_error_on_the_month(registry, written, shown):
    parsed = progress_file(registry, [2022, 3, 6000, 100, 100], [2022, written, 6000, 100, 200])
    [problem] = parsed.all_problems
    assert (problem.severity, problem.rule, problem.excel_row, problem.column_header, problem.value) == (
        Severity.ERROR,
        "month_year_mismatch",
        4,
        "月份",
        shown,
    )
    assert problem.message_zh == (
        f"第4行「月份」填写为“{shown}”，与本行「年 度」2022不一致，"
        "请核对：若是2022年4月，请把月份改填为“4”；否则请改正「年 度」。"
    )
    # On the sheet's problems, the month no longer read: validation reports neither its blank nor a duplicate.
    assert problem in parsed.sheets[0].problems
    assert months_read(parsed) == [3, None]


def test_a_month_naming_another_year_than_the_files_is_an_error_saying_where_that_year_was_read(registry):
    # No 年度 on the row (an error of its own): the month is held to the year the file is filed under.
    parsed = progress_file(registry, [None, "2021/6", 6000, 100, 100], above=[["年度：2022"]])
    assert rules(parsed) == [(Severity.ERROR, "required"), (Severity.ERROR, "month_year_mismatch")]
    problem = parsed.errors[1]
    assert problem.message_zh == (
        "第4行「月份」填写为“2021/6”，与报表年度2022不一致（第2行写的是“年度：2022”），"
        "请核对：若是2022年6月，请把月份改填为“6”；否则请改正“年度：”一行。"
    )
    assert records_years(parsed) == [2022]


def test_a_month_written_as_a_day_of_its_rows_year_is_that_month_with_a_warning(registry):
    parsed = progress_file(
        registry,
        [2022, "2022-04-01", 6000, 100, 100],
        [2022, "2022年5月20日", 6000, 100, 200],
        [2022, dt.datetime(2022, 6, 30), 6000, 100, 300],
    )
    assert parsed.errors == []
    assert [(w.rule, w.excel_row, w.value) for w in parsed.warnings] == [
        ("month_with_day", 4, "2022年5月20日"),
        ("month_with_day", 5, "2022-06-30"),
    ]
    assert parsed.warnings[0].message_zh == (
        "第4行「月份」填写为“2022年5月20日”，应为月份；该单元格是一个具体日期，已按其所在的2022年5月计，"
        "请核对：若这一行是5月的数据，改填为“5”即可；若20日是填报日期等其他日期，请改填为这一行所属的月份。"
    )
    # On the file's problems, not the sheet's: the month still counts in the checks across rows (月份重复).
    assert parsed.sheets[0].problems == []
    assert months_read(parsed) == [4, 5, 6]


def test_a_day_of_another_year_in_a_month_cell_is_only_the_year_error(registry):
    parsed = progress_file(registry, [2022, "2021-04-15", 6000, 100, 100])
    assert rules(parsed) == [(Severity.ERROR, "month_year_mismatch")]


def test_a_project_register_listing_projects_planned_in_different_years_is_one_years_register(registry):
    # The register has no 年度 column: its planned dates span years by nature and never state the year.
    rows = [
        ["年度：2022"],
        ["项目名称", "项目类型", "实施单位", "计划开工日期", "计划完工日期", "计划总投资（万元）"],
        [PROJECT, "棚户区改造", SHUANGPU_UNIT, dt.date(2021, 3, 1), dt.date(2024, 12, 31), 112774.31],
        ["枣林老旧小区改造", "老旧小区改造", UNIT, dt.date(2023, 4, 1), dt.date(2023, 11, 30), 9163.6],
    ]
    parsed = parse_file(xlsx({"登记": rows}), "区财政局/项目基本信息表.xlsx", registry)
    assert parsed.templates == ["project_register"]
    assert (parsed.errors, records_years(parsed)) == ([], [2022, 2022])


@pytest.mark.parametrize(
    ("above", "filename", "year"),
    [
        pytest.param(
            [["枣林街道办事处2022年老旧小区改造项目清单"], ["年度：2021"]], "2023年清单.xlsx", 2021, id="line"
        ),
        pytest.param([["年度：", "2021年度"]], "2023年清单.xlsx", 2021, id="line-spread"),
        pytest.param([["枣林街道办事处2022年老旧小区改造项目清单"]], "2023年清单.xlsx", 2022, id="title"),
        pytest.param([["老旧小区改造项目清单"]], "清单_2023.xlsx", 2023, id="filename"),
        pytest.param([["填报日期：2024年1月5日"]], "2023年清单.xlsx", 2023, id="filing-date-is-not-the-year"),
        # Unread, a title's year in Chinese digits left the file name's to file the list under 2023 without a word.
        pytest.param(
            [["二〇二二年老旧小区改造项目清单"]], "2023年清单.xlsx", 2022, id="title-in-chinese-digits"
        ),
        pytest.param([["二零二二年度老旧小区改造项目清单"]], "2023年清单.xlsx", 2022, id="title-with-零"),
        pytest.param([["贰零贰贰年度老旧小区改造项目清单"]], "2023年清单.xlsx", 2022, id="title-in-capitals"),
        pytest.param(
            [["贰〇贰贰年老旧小区改造项目清单"]], "2023年清单.xlsx", 2022, id="title-in-capitals-with-〇"
        ),
        pytest.param(
            [["老旧小区改造项目清单"]], "清单（二○二二年）.xlsx", 2022, id="filename-in-chinese-digits"
        ),
        pytest.param([["老旧小区改造项目清单"]], "清单（贰零贰贰年）.xlsx", 2022, id="filename-in-capitals"),
        # The day it was filled, in the next year: the title was returned as naming two years.
        pytest.param(
            [["2022年老旧小区改造项目清单（截至2023年1月5日）"]],
            "清单.xlsx",
            2022,
            id="title-year-beside-a-later-day",
        ),
        pytest.param(
            [["2022年老旧小区改造项目清单（2023年1月填报）"]],
            "清单.xlsx",
            2022,
            id="title-year-beside-a-filing-month",
        ),
    ],
)
def test_year_comes_from_line_then_title_then_file_name(registry, above, filename, year):
    rows = [*above, *compound_sheet(*DATA, title=None, unit_line=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/{filename}", registry)
    assert parsed.errors == []
    assert records_years(parsed) == [year]


def test_a_title_year_in_chinese_digits_is_told_against_the_file_names(registry):
    rows = compound_sheet(*DATA, title="枣林街道办事处二〇二二年老旧小区改造项目清单")
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/老旧小区清单（2023年1月报）.xlsx", registry)
    assert records_years(parsed) == [2022]
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "year_conflict", 1, "文件名", "2023"
    )  # fmt: skip
    assert "第1行的标题写的是2022年" in warning.message_zh


@pytest.mark.parametrize(
    ("title", "written"),
    [
        ("22年老旧小区改造项目清单", "22年"),
        ("枣林街道办事处22年老旧小区改造项目清单", "22年"),
        ("老旧小区改造项目清单（22年度）", "22年度"),
    ],
)
def test_a_two_digit_title_year_is_told_against_the_file_names_and_never_taken(registry, title, written):
    # Unread, `22年…清单` in `老旧小区清单2023.xlsx` was filed as 2023 with no word to its clerk.
    rows = compound_sheet(*DATA, title=title)
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/老旧小区清单2023.xlsx", registry)
    assert records_years(parsed) == [2023]
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "year_conflict", 1, "标题", "2022"
    )  # fmt: skip
    assert (
        f"第1行的标题写的是“{written}”（2022年），而文件名“老旧小区清单2023.xlsx”写的是2023年"
        in warning.message_zh
    )

    # Agreeing with the year taken, it says nothing; alone, it decides nothing: the clerk is asked for the year.
    agreeing = parse_file(xlsx({"清单": rows}), f"{UNIT}/老旧小区清单2022.xlsx", registry)
    assert (records_years(agreeing), agreeing.problems) == ([2022], [])
    alone = parse_file(xlsx({"清单": rows}), f"{UNIT}/老旧小区清单.xlsx", registry)
    [error] = alone.errors
    assert (error.rule, error.excel_row) == ("year_unknown", 1)
    assert f"标题写的是“{written}”，两位数的年份不作为报表年度" in error.message_zh
    assert "请在表格上方加一行“年度：2022”" in error.message_zh


@pytest.mark.parametrize(
    ("filename", "written"),
    [
        ("22年老旧小区清单.xlsx", "22年"),
        ("'22年老旧小区清单.xlsx", "22年"),
        ("‘22年清单.xlsx", "22年"),
        ("枣林街道办事处22年清单.xlsx", "22年"),
        ("清单（22年度）.xlsx", "22年度"),
    ],
)
def test_a_two_digit_file_name_year_is_told_against_the_titles_and_never_taken(registry, filename, written):
    # Unread, `22年…清单.xlsx` under a title of 2023 was filed as 2023 with no word to its clerk.
    rows = compound_sheet(*DATA, title="2023年老旧小区改造项目清单")
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/{filename}", registry)
    assert records_years(parsed) == [2023]
    [warning] = parsed.warnings
    assert (warning.rule, warning.column_header, warning.value) == ("year_conflict", "文件名", "2022")
    assert f"文件名“{filename}”写的是“{written}”（2022年），而第1行的标题写的是2023年" in warning.message_zh

    # Agreeing with the year taken, it says nothing; alone, it decides nothing: the clerk is asked for the year.
    agreeing = parse_file(
        xlsx({"清单": compound_sheet(*DATA, title="2022年老旧小区改造项目清单")}),
        f"{UNIT}/{filename}",
        registry,
    )
    assert (records_years(agreeing), agreeing.problems) == ([2022], [])
    alone = parse_file(
        xlsx({"清单": compound_sheet(*DATA, title="老旧小区改造项目清单")}), f"{UNIT}/{filename}", registry
    )
    [error] = alone.errors
    assert error.rule == "year_unknown"
    assert f"文件名“{filename}”写的是“{written}”，两位数的年份不作为报表年度" in error.message_zh
    assert "请在表格上方加一行“年度：2022”" in error.message_zh


def test_a_nian_fen_line_decides_the_year_against_the_file_names(registry):
    rows = [["老旧小区改造项目清单"], ["年份：2022"], *compound_sheet(*DATA, title=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单2023.xlsx", registry)
    assert records_years(parsed) == [2022]
    assert [(w.rule, w.value) for w in parsed.warnings] == [("year_conflict", "2023")]


def test_a_two_digit_title_year_is_told_against_a_year_line(registry):
    rows = [["22年老旧小区改造项目清单"], ["年度：2023"], *compound_sheet(*DATA, title=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    assert records_years(parsed) == [2023]
    assert [(w.rule, w.value) for w in parsed.warnings] == [("year_conflict", "2022")]


@pytest.mark.parametrize(
    ("title", "filename", "dated"),
    [
        pytest.param("老旧小区改造项目清单（截至2023年1月）", "清单.xlsx", "截至2023年1月", id="title-as-of"),
        pytest.param("老旧小区改造项目清单", "2023.1.5清单.xlsx", "2023.1.5", id="filename-day"),
        pytest.param("老旧小区改造项目清单（2023年1月5日）", "清单.xlsx", "2023年1月5日", id="title-day"),
        # The month a form was filled in, `2023年1月填报`, filed it under 2023 unasked, as if a period of 2023.
        pytest.param("老旧小区改造项目清单（2023年1月填报）", "清单.xlsx", "2023年1月", id="title-filled"),
        pytest.param(
            "老旧小区改造项目清单（截至二〇二三年1月）",
            "清单.xlsx",
            "截至二〇二三年1月",
            id="title-as-of-chinese-digits",
        ),
    ],
)
def test_a_year_written_only_in_a_date_decides_with_a_warning_naming_the_date(
    registry, title, filename, dated
):
    # The day a list was filled, or runs to, is often in the year after the one it reports: asked, not assumed.
    rows = compound_sheet(*DATA, title=title)
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/{filename}", registry)
    assert rules(parsed) == [(Severity.WARNING, "year_from_date")]
    problem = parsed.warnings[0]
    assert (problem.value, problem.column_header) == (dated, "标题" if "清单（" in title else "文件名")
    assert "已按2023年度读取" in problem.message_zh and "年度：2022" in problem.message_zh
    assert records_years(parsed) == [2023]


@pytest.mark.parametrize(
    ("title", "filename"),
    [
        pytest.param("2022年3月老旧小区改造项目清单", "清单.xlsx", id="a-month-is-a-period"),
        pytest.param("老旧小区改造项目清单（截至2023年底）", "清单.xlsx", id="year-end"),
        pytest.param("2023年老旧小区改造项目清单（截至2023年1月）", "清单.xlsx", id="named-also-as-a-year"),
        pytest.param("老旧小区改造项目清单", "2023年清单.xlsx", id="filename-year"),
    ],
)
def test_a_year_written_as_a_year_is_read_without_a_warning(registry, title, filename):
    rows = compound_sheet(*DATA, title=title)
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/{filename}", registry)
    assert rules(parsed) == []


def test_a_count_in_a_file_name_is_no_year_and_the_file_is_returned_as_year_unknown(registry):
    # `回收问卷2022份` filed the survey under 2022 and replaced that year's survey in force.
    rows = compound_sheet(*DATA, title="老旧小区改造项目清单")
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单（共2022户）.xlsx", registry)
    assert rules(parsed) == [(Severity.ERROR, "year_unknown")]


def test_a_year_that_cannot_be_determined_is_rejected_as_year_unknown(registry):
    rows = compound_sheet(*DATA, title="老旧小区改造项目清单")
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    assert rules(parsed) == [(Severity.ERROR, "year_unknown")]
    problem = parsed.errors[0]
    assert problem.sheet == "清单"
    assert problem.message_zh == "报表年度无法确定：请在表格上方加一行“年度：2022”，或在标题中写明年度。"
    assert parsed.years == []


def test_rows_left_blank_in_a_year_column_are_named_when_nothing_else_states_the_year(registry):
    # The column said 2022 on rows 4 and 6: 报表年度无法确定 with 请在表格上方加一行 named no blank cell.
    header = [*COMPOUND_HEADER, "年度"]
    rows = compound_sheet(
        [1, "甲小区", 1, 10, 5, None, 2022],
        [2, "乙小区", 1, 10, 5, None, None],
        [3, "丙小区", 1, 10, 5, None, 2022],
        title="老旧小区改造项目清单",
        header=header,
    )
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    assert [(p.rule, p.excel_row, p.message_zh) for p in parsed.errors] == [
        ("year_unknown", 5, "「年度」列第5行未填写，这些行的报表年度无法确定：请在这些行填写年度。")
    ]


@pytest.mark.parametrize("line", ["年度：", "年    度：", "年度：      填表日期：2023年1月5日"])
def test_a_blank_year_line_is_told_as_blank_not_as_missing(registry, line):
    # The clerk was told to add a `年度：` line the sheet already has, left blank.
    rows = compound_sheet(*DATA, title="老旧小区改造项目清单")
    rows.insert(2, [line])
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    [problem] = parsed.errors
    assert (problem.rule, problem.sheet, problem.excel_row, problem.column_header) == (
        "year_unknown",
        "清单",
        3,
        "年度",
    )
    assert (
        problem.message_zh
        == "报表年度无法确定：第3行“年度：”后没有填写年度，请填写四位年份，如“年度：2022”。"
    )


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (["年度：", "=YEAR(TODAY())-1"], "报表年度无法确定：第3行“年度：”后是公式"),
        (["填报单位：", "=Sheet2!A1"], "无法确定填报单位：第3行“填报单位：”后是公式"),
    ],
)
def test_a_line_whose_value_is_a_formula_saved_without_its_result_is_told_so_not_as_blank(
    registry, line, said
):
    # A program's file (openpyxl writes no results): the clerk sees 2022 there, and was told nothing was written.
    rows = compound_sheet(*DATA, title="枣林街道办事处2022年老旧小区改造项目清单", unit_line=None)
    rows.insert(1, ["填报单位：枣林街道办事处"] if line[0] != "填报单位：" else ["说明"])
    rows.insert(2, line)
    if line[0] == "年度：":
        rows[0] = ["老旧小区改造项目清单"]
    parsed = parse_file(xlsx({"清单": rows}), "公共收件/清单.xlsx", registry)
    [problem] = [p for p in parsed.errors if p.rule.endswith("_unknown")]
    assert problem.message_zh.startswith(said), problem.message_zh
    assert (
        "没有保存公式的计算结果" in problem.message_zh
        and "请在Excel或WPS中打开该文件并保存后重新报送" in problem.message_zh
    )


def test_a_project_line_whose_value_is_a_formula_saved_without_its_result_is_told_so(registry):
    rows = [
        ["填报单位：枣林街道办事处"],
        ["项目名称：", "=Sheet2!A1"],
        ["年度：2022"],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"],
        ["产出指标", "数量指标", "改造小区数量", "≥16个", "16个", 90],
    ]
    parsed = parse_file(xlsx({"自评": rows}), f"{UNIT}/自评.xlsx", registry)
    [problem] = parsed.errors
    assert problem.message_zh == (
        "所属项目无法确定：第2行“项目名称：”后是公式，但文件中没有保存公式的计算结果（由程序生成或未重新计算），读取时为空，"
        "请在Excel或WPS中打开该文件并保存后重新报送，或直接填写项目基本信息表中登记的项目名称。"
    )


def ledger_rows(*dates, above=()) -> list[list]:
    return [*above, LEDGER_HEADER, *[[d, PROJECT, "中央补助资金", "到位", "100"] for d in dates]]


def test_fund_ledger_year_comes_from_its_line_before_its_dates_title_and_file_name(registry):
    # submissions.md: "a 年度 column or line; for templates with a 日期 column, the year of those dates; else …".
    rows = ledger_rows(dt.date(2022, 3, 1), "2022年12月31日", above=[["2021年资金台账"], ["年度：2021"]])
    parsed = parse_file(xlsx({"台账": rows}), "示范区建设实业有限公司/2023年台账.xlsx", registry)
    assert parsed.errors == []
    assert records_years(parsed) == [2021, 2021]
    assert [(w.rule, w.column_header) for w in parsed.warnings] == [
        ("year_conflict", "日期"),
        ("year_conflict", "文件名"),
    ]
    # Without a line, the dates decide, before the title and the file name.
    parsed = parse_file(
        xlsx({"台账": ledger_rows(dt.date(2022, 3, 1), above=[["2021年资金台账"]])}), "台账.xlsx", registry
    )
    assert records_years(parsed) == [2022]


def test_fund_ledger_dates_spanning_two_years_under_a_year_line_are_that_years_with_a_warning(registry):
    # A 2022 ledger's funds arriving in January 2023: the line says which 报表年度 they belong to.
    rows = ledger_rows("2022-12-28", "2023/1/5", above=[["年度：2022"]])
    parsed = parse_file(csv_bytes(rows), "示范区建设实业有限公司/台账.csv", registry)
    assert parsed.errors == []
    assert records_years(parsed) == [2022, 2022]
    [warning] = parsed.warnings
    assert (warning.rule, warning.column_header, warning.value) == ("year_conflict", "日期", "2022、2023")


def test_a_stale_year_line_against_every_date_title_and_file_name_is_an_error(registry):
    # Last year's template sent again with January's rows: filed as 2022 it would replace 2022's whole ledger.
    rows = ledger_rows("2023-01-05", "2023/1/20", above=[["2023年资金台账"], ["年度：2022"]])
    parsed = parse_file(xlsx({"台账": rows}), f"{SHUANGPU_UNIT}/2023年1月台账.xlsx", registry)
    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "year_conflict",
        2,
        "年度",
        "2022",
    )
    assert "「日期」列的日期（第4至5行）是2023年" in error.message_zh
    assert "请把“年度：”一行改正" in error.message_zh
    # A title naming the line's year says the dates are that year's funds arriving late: a warning, as before.
    rows = ledger_rows("2023-01-05", above=[["2022年度资金台账"], ["年度：2022"]])
    parsed = parse_file(xlsx({"台账": rows}), f"{SHUANGPU_UNIT}/台账.xlsx", registry)
    assert (parsed.errors, records_years(parsed)) == ([], [2022])
    assert [(w.rule, w.column_header) for w in parsed.warnings] == [("year_conflict", "日期")]


def test_fund_ledger_without_dates_falls_back_to_the_year_line(registry):
    rows = [["年度：2022"], LEDGER_HEADER, [None, PROJECT, "中央补助资金", "到位", "100"]]
    parsed = parse_file(xlsx({"台账": rows}), "示范区建设实业有限公司/台账.xlsx", registry)
    assert [p.rule for p in parsed.errors] == ["required"]
    assert records_years(parsed) == [2022]


def _without(header: list[str], name: str) -> list[int]:
    """Return the positions of a header's columns but the one headed `name` (spaces not meaningful)."""
    return [i for i, written in enumerate(header) if written.replace(" ", "") != name]


def test_a_year_line_stands_in_for_a_monthly_reports_year_column(registry):
    # submissions.md's year is "a 年度 column or line": the line states it for every row, so no column is missing.
    keep = _without(PROGRESS_HEADER, "年度")
    rows = [[f"填报单位：{SHUANGPU_UNIT}"], ["年度：2022"]]
    rows += [[r[i] for i in keep] for r in (PROGRESS_HEADER, [PROJECT, 2022, 3, 6000, 100, 100])]
    parsed = parse_file(xlsx({"月报": rows}), f"{SHUANGPU_UNIT}/月报.xlsx", registry)
    assert parsed.all_problems == []
    assert (records_years(parsed), months_read(parsed)) == ([2022], [3])


def test_a_yearly_plan_merged_down_the_months_is_each_months_plan(registry):
    # 年度计划投资 repeats on each month's row (adds_up: false): merged over the months it is no shared total.
    rows = [[f"填报单位：{SHUANGPU_UNIT}"], PROGRESS_HEADER]
    rows += [[PROJECT, 2022, month, 6000 if month == 1 else None, 100, 100 * month] for month in (1, 2, 3)]
    parsed = parse_file(
        xlsx({"月报": rows}, merges={"月报": ["D3:D5"]}), f"{SHUANGPU_UNIT}/月报.xlsx", registry
    )
    assert parsed.all_problems == []
    assert [r["annual_planned_investment_wan"] for r in parsed.sheets[0].records] == [6000] * 3
    # An amount that adds up keeps its figure in its first row: merged 本月 stays that of one month.
    rows = [[f"填报单位：{SHUANGPU_UNIT}"], PROGRESS_HEADER]
    rows += [[PROJECT, 2022, month, 6000, 100 if month == 1 else None, 100] for month in (1, 2)]
    parsed = parse_file(
        xlsx({"月报": rows}, merges={"月报": ["E3:E4"]}), f"{SHUANGPU_UNIT}/月报.xlsx", registry
    )
    assert [(p.rule, p.excel_row) for p in parsed.errors] == [("required", 4)]


def test_a_title_year_does_not_stand_in_for_a_monthly_reports_year_column(registry):
    # 年度* is required: only a `年度：` line states it; a title may name the month it was filed in.
    keep = _without(PROGRESS_HEADER, "年度")
    rows = [["2023年1月投资完成情况月报"], [f"填报单位：{SHUANGPU_UNIT}"]]
    rows += [[r[i] for i in keep] for r in (PROGRESS_HEADER, [PROJECT, 2022, 12, 6000, 100, 100])]
    parsed = parse_file(xlsx({"月报": rows}), f"{SHUANGPU_UNIT}/月报.xlsx", registry)
    assert [(p.rule, p.column_header) for p in parsed.errors] == [("missing_column", "年度")]


def test_an_unreadable_year_line_standing_for_the_column_is_its_own_error(registry):
    keep = _without(PROGRESS_HEADER, "年度")
    rows = [[f"填报单位：{SHUANGPU_UNIT}"], ["年度：二二"]]
    rows += [[r[i] for i in keep] for r in (PROGRESS_HEADER, [PROJECT, 2022, 3, 6000, 100, 100])]
    parsed = parse_file(xlsx({"月报": rows}), f"{SHUANGPU_UNIT}/月报.xlsx", registry)
    assert [(p.rule, p.excel_row, p.column_header, p.value) for p in parsed.errors] == [
        ("type", 2, "年度", "二二")
    ]


@pytest.mark.parametrize(
    "written", ["二〇二二", "二零二二", "二零二二年度", "二○二二", "贰零贰贰", "贰〇贰贰", "２０２２"]
)
def test_a_year_line_in_chinese_or_full_width_digits_is_read_as_its_year(registry, written):
    # Read as a type error, the file was returned though its line said the year plainly.
    keep = _without(PROGRESS_HEADER, "年度")
    rows = [[f"填报单位：{SHUANGPU_UNIT}"], [f"年度：{written}"]]
    rows += [[r[i] for i in keep] for r in (PROGRESS_HEADER, [PROJECT, 2022, 3, 6000, 100, 100])]
    parsed = parse_file(xlsx({"月报": rows}), f"{SHUANGPU_UNIT}/月报.xlsx", registry)
    assert (parsed.errors, records_years(parsed)) == ([], [2022])


def test_a_project_line_stands_in_for_a_ledgers_project_column(registry):
    keep = _without(LEDGER_HEADER, "项目名称")
    rows = [[f"项目名称：{PROJECT}"], *([r[i] for i in keep] for r in ledger_rows("2022-03-01", "2022/4/2"))]
    parsed = parse_file(xlsx({"台账": rows}), f"{SHUANGPU_UNIT}/台账.xlsx", registry)
    assert parsed.all_problems == []
    assert [r["project_name"] for r in parsed.sheets[0].records] == [PROJECT, PROJECT]
    # Without the line the column is missing, as before.
    parsed = parse_file(xlsx({"台账": rows[1:]}), f"{SHUANGPU_UNIT}/台账.xlsx", registry)
    assert ("missing_column", "项目名称") in [(p.rule, p.column_header) for p in parsed.errors]


@pytest.mark.parametrize("title", ["项目资金到位及支付台账（2022年度）", "项目资金使用情况台账2022年"])
def test_a_ledger_title_opening_as_a_national_forms_funds_row_does_names_its_year(registry, title):
    # Read as a national form's 项目资金 row, the blank template's own title with the year added named none, and a
    # 2022 ledger of payments all made in 2023 was filed as 2023's without a word.
    rows = ledger_rows(dt.date(2023, 1, 5), dt.date(2023, 2, 5), above=[[title]])
    parsed = parse_file(xlsx({"台账": rows}), f"{SHUANGPU_UNIT}/台账.xlsx", registry)
    assert (parsed.errors, records_years(parsed)) == ([], [2023, 2023])
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "year_conflict", 1, "标题", "2022"
    )  # fmt: skip


def test_a_ledger_whose_dates_decide_against_its_title_is_told_to_add_a_year_line_not_to_change_its_dates(
    registry,
):
    # The dates are when the money moved: told to correct them, the clerk of a 2022 ledger paid out in 2023 could not.
    rows = ledger_rows(dt.date(2023, 1, 5), dt.date(2023, 2, 5), above=[["2022年项目资金到位及支付台账"]])
    parsed = parse_file(xlsx({"台账": rows}), f"{SHUANGPU_UNIT}/台账.xlsx", registry)
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.column_header) == ("year_conflict", 1, "标题")
    assert warning.fix == (
        "本表已按「日期」列的日期取2023年度；若本表是2022年度的项目资金到位及支付台账（资金跨年到位或支付），"
        "请在表格上方加一行“年度：2022”后重新报送，否则请改正标题"
    )
    # As told, the line files it as 2022's.
    fixed = parse_file(xlsx({"台账": [["年度：2022"], *rows]}), f"{SHUANGPU_UNIT}/台账.xlsx", registry)
    assert (fixed.errors, records_years(fixed)) == ([], [2022, 2022])


def test_fund_ledger_dates_spanning_two_years_are_rejected_as_year_span(registry):
    rows = ledger_rows("2022-12-28", "2023/1/5", dt.date(2023, 2, 1))
    parsed = parse_file(csv_bytes(rows), "示范区建设实业有限公司/台账.csv", registry)
    assert (Severity.ERROR, "year_span") in rules(parsed)
    problem = next(p for p in parsed.errors if p.rule == "year_span")
    assert (problem.sheet, problem.excel_row, problem.column_header, problem.value) == (
        "台账",
        3,
        "日期",
        "2022、2023",
    )
    assert problem.message_zh == (
        "「日期」列的日期跨越了2022、2023多个年度（2022年：第2行；2023年：第3至4行），"
        "一个文件只能报送一个年度的数据，请按年度分别报送。"
    )


@pytest.mark.parametrize(
    ("above", "filename"),
    [
        pytest.param([["2022年项目资金到位及支付台账"]], "台账.xlsx", id="title"),
        pytest.param([], "2022年资金台账.xlsx", id="file-name"),
    ],
)
def test_ledger_dates_spanning_into_the_year_after_the_title_s_are_told_how_a_year_line_keeps_them(
    registry, above, filename
):
    # Told only to split the file by year, the clerk filed a 2022 fund's payment of January 2023 as 2023's.
    rows = ledger_rows(dt.date(2022, 5, 1), dt.date(2022, 9, 1), dt.date(2023, 1, 5), above=above)
    parsed = parse_file(xlsx({"台账": rows}), f"{SHUANGPU_UNIT}/{filename}", registry)
    [problem] = parsed.errors
    assert (problem.rule, problem.excel_row, problem.column_header, problem.value) == (
        "year_span", len(above) + 4, "日期", "2022、2023"
    )  # fmt: skip
    assert problem.fix == (
        "一个文件只能报送一个年度的数据：如2023年的几行也是2022年度的资金（跨年到位或支付），"
        "请在表格上方加一行“年度：2022”后重新报送，否则请按年度分别报送"
    )
    # And so it is: with the line the file is taken in, every row as 2022's.
    fixed = parse_file(xlsx({"台账": [["年度：2022"], *rows]}), f"{SHUANGPU_UNIT}/{filename}", registry)
    assert (fixed.errors, records_years(fixed)) == ([], [2022, 2022, 2022])


@pytest.mark.parametrize("written", ["22", "二二", "2021-2022"])
def test_a_year_line_that_cannot_be_read_is_an_error_on_its_row_not_passed_over_for_the_file_name(
    registry, written
):
    rows = [["老旧小区改造项目清单"], [f"年度：{written}"], *compound_sheet(*DATA, title=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单（2023年1月报）.xlsx", registry)
    [problem] = parsed.errors
    assert (problem.rule, problem.sheet, problem.excel_row, problem.column_header, problem.value) == (
        "type",
        "清单",
        2,
        "年度",
        written,
    )
    # Worded as an unreadable 年度 cell is, with what to write instead.
    assert problem.message_zh == (
        f"第2行「年度」填写为“{written}”，应为四位年份，如2022，请写成“年度：2022”这样的四位年份。"
    )
    assert records_years(parsed) == [None]


def test_a_year_line_is_read_up_to_the_next_field_written_in_its_cell(registry):
    rows = [["年度：2022年    联系电话：0377-12345678"], *compound_sheet(*DATA, title=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    assert (parsed.all_problems, records_years(parsed)) == ([], [2022])


def test_a_year_in_a_note_below_the_table_is_not_the_title_year(registry):
    footer = [["填表人：张三"], ["注：本表数据截至2023年1月5日"], ["填报单位：枣林街道办事处"]]
    rows = compound_sheet(*DATA, title="老旧小区改造项目清单", unit_line=None, footer=footer)
    parsed = parse_file(xlsx({"清单": rows}), "公共收件/2022年清单.xlsx", registry)
    assert (parsed.all_problems, records_years(parsed)) == ([], [2022])
    # A footer still says who filed it.
    assert parsed.unit == UNIT


def test_a_title_naming_two_years_is_an_error_on_its_row_when_it_decides(registry):
    rows = compound_sheet(*DATA, title="枣林街道办事处2021-2022年老旧小区改造项目清单")
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单2022.xlsx", registry)
    [problem] = parsed.errors
    assert (problem.rule, problem.sheet, problem.excel_row) == ("year_unknown", "清单", 1)
    assert problem.message_zh == (
        "第1行的标题写的是2021年、2022年，报表年度无法确定：请在表格上方加一行“年度：…”写明是哪一年度，"
        "如“年度：2022”。"
    )
    assert records_years(parsed) == [None]


YEAR_CONFLICTS = [
    pytest.param(
        "台账",
        [["项目资金到位及支付台账"], ["年度：2022"], *ledger_rows(dt.date(2021, 12, 30))],
        "台账.xlsx",
        2022,
        (4, "日期", "2021"),
        "「日期」列的日期（第4行）是2021年，而第2行写的是“年度：2022”，二者不一致。"
        "本表已按“年度：”一行取2022年度；若报表年度不是2022年，请改正“年度：”一行后重新报送，"
        "否则请改正「日期」列的日期。",
        id="line-and-dates",
    ),
    pytest.param(
        "清单",
        compound_sheet(*DATA),
        "2021年清单.xlsx",
        2022,
        (1, "文件名", "2021"),
        "文件名“2021年清单.xlsx”写的是2021年，而第1行的标题写的是2022年，二者不一致。"
        "本表已按标题取2022年度；若报表年度不是2022年，请改正标题后重新报送，否则请改正文件名。",
        id="title-and-file-name",
    ),
    pytest.param(
        "清单",
        [["枣林街道办事处2023年老旧小区改造项目清单"], ["年度：2022"], *compound_sheet(*DATA, title=None)],
        "清单.xlsx",
        2022,
        (1, "标题", "2023"),
        "第1行的标题写的是2023年，而第2行写的是“年度：2022”，二者不一致。"
        "本表已按“年度：”一行取2022年度；若报表年度不是2022年，请改正“年度：”一行后重新报送，否则请改正标题。",
        id="line-and-title",
    ),
    pytest.param(
        "清单",
        [
            ["枣林街道办事处2021-2022年老旧小区改造项目清单"],
            ["年度：2022"],
            *compound_sheet(*DATA, title=None),
        ],
        "清单.xlsx",
        2022,
        (1, "标题", "2021、2022"),
        "第1行的标题写的是2021年、2022年，而第2行写的是“年度：2022”，二者不一致。"
        "本表已按“年度：”一行取2022年度；若报表年度不是2022年，请改正“年度：”一行后重新报送，否则请改正标题。",
        id="line-and-two-year-title",
    ),
]


@pytest.mark.parametrize(("sheet", "rows", "filename", "year", "where", "message"), YEAR_CONFLICTS)
def test_a_year_stated_twice_differently_takes_the_first_source_and_warns_naming_both(
    registry, sheet, rows, filename, year, where, message
):
    folder = "示范区建设实业有限公司" if sheet == "台账" else UNIT
    parsed = parse_file(xlsx({sheet: rows}), f"{folder}/{filename}", registry)
    assert parsed.errors == []
    assert set(records_years(parsed)) == {year}
    [warning] = parsed.warnings
    assert (warning.rule, warning.sheet, (warning.excel_row, warning.column_header, warning.value)) == (
        "year_conflict",
        sheet,
        where,
    )
    assert warning.message_zh == message


def test_a_year_column_whose_blank_cells_take_another_year_from_the_line_is_a_span_and_a_warning(registry):
    rows = [
        ["年度：2022"],
        ["年度", "小区名称", "改造面积（㎡）", "惠及户数", "计划投资（万元）"],
        ["2021年", "市委小区", 19320, 249, 725.58],
        [None, "育源小区", 12680, 164, 476.21],
    ]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    assert records_years(parsed) == [2021, 2022]
    # Its rows would be filed under two years: rejected, naming the rows of each, and the two statements.
    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "year_span",
        4,
        "年度",
        "2021、2022",
    )
    assert "（2021年：第3行；2022年：第4行）" in error.message_zh and "空白处按" in error.message_zh
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.value) == ("year_conflict", 1, "2022")
    assert "而「年度」列（第3行）是2021年" in warning.message_zh


@pytest.mark.parametrize("filename", ["2023年1月报送-2022年度清单.xlsx", "2022年清单（2023.1.5）.xlsx"])
def test_a_file_name_naming_the_day_it_was_sent_beside_the_year_raises_no_warning(registry, filename):
    rows = [["枣林街道办事处2022年老旧小区改造项目清单"], *compound_sheet(*DATA, title=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/{filename}", registry)
    assert (parsed.all_problems, records_years(parsed)) == ([], [2022])


def test_statements_of_one_year_raise_no_warning(registry):
    rows = [
        ["枣林街道办事处2022年老旧小区改造项目清单"],
        ["年度：2022年度"],
        *compound_sheet(*DATA, title=None),
    ]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/2022年清单.xlsx", registry)
    assert (parsed.all_problems, records_years(parsed)) == ([], [2022])


NEXT_YEAR = latest_year()


def test_the_last_year_taken_is_next_year_as_the_clock_reads_in_shanghai(monkeypatch):
    class NewYearsEve(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            # 17:00 on New Year's Eve in UTC is already 1 January 2031 in Shanghai.
            return dt.datetime(2030, 12, 31, 17, tzinfo=dt.UTC).astimezone(tz)

    monkeypatch.setattr(settle_year, "dt", SimpleNamespace(datetime=NewYearsEve, date=dt.date))
    assert settle_year.latest_year() == 2032


@pytest.mark.parametrize(
    ("above", "filename", "row", "header", "value"),
    [
        pytest.param([["年度：2099"]], "清单.xlsx", 1, "年度", "2099", id="line-after-next-year"),
        pytest.param([["年度：", "1999年度"]], "清单.xlsx", 1, "年度", "1999", id="line-before-2000"),
        pytest.param(
            [["枣林街道办事处2099年老旧小区改造项目清单"]], "清单2022.xlsx", 1, "标题", "2099", id="title"
        ),
        pytest.param(
            [["老旧小区改造项目清单"]], "清单_2099.xlsx", None, "文件名", "清单_2099.xlsx", id="file-name"
        ),
    ],
)
def test_a_year_after_next_year_or_before_2000_is_rejected_where_it_was_found(
    registry, above, filename, row, header, value
):
    rows = [*above, *compound_sheet(*DATA, title=None, unit_line=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/{filename}", registry)
    assert rules(parsed) == [(Severity.ERROR, "year_range")]
    [problem] = parsed.errors
    assert (problem.sheet, problem.excel_row, problem.column_header, problem.value) == (
        "清单",
        row,
        header,
        value,
    )
    assert problem.expected == f"应为2000年至{NEXT_YEAR}年之间的年度"
    assert problem.fix


def test_next_year_is_taken_and_the_year_after_is_not(registry):
    def errors(year: int) -> list[str]:
        rows = [[f"年度：{year}"], *compound_sheet(*DATA, title=None, unit_line=None)]
        return [p.rule for p in parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry).errors]

    assert (errors(2000), errors(NEXT_YEAR), errors(NEXT_YEAR + 1)) == ([], [], ["year_range"])


def test_a_year_column_value_after_next_year_is_rejected_on_its_row(registry):
    rows = [
        ["年度", "小区名称", "改造面积（㎡）", "惠及户数", "计划投资（万元）"],
        [2022, "市委小区", 19320, 249, 725.58],
        ["2099年", "石化小区", 24150, 312, 906.97],
    ]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    assert [(p.rule, p.excel_row, p.column_header, p.value, p.fix) for p in parsed.errors] == [
        ("year_range", 3, "年度", "2099", "请核对填写的年度")
    ]


def test_fund_ledger_dates_before_2000_or_after_next_year_are_rejected_on_their_rows(registry):
    # An Excel date cell holding 1 shows 1900-01-01; a slip of the keyboard gives 2099.
    rows = ledger_rows(dt.date(2022, 3, 1), dt.date(1900, 1, 1), "2099-12-31", dt.date(2022, 5, 1))
    parsed = parse_file(xlsx({"台账": rows}), "示范区建设实业有限公司/台账.xlsx", registry)
    assert [(p.rule, p.sheet, p.excel_row, p.column_header, p.value) for p in parsed.errors] == [
        ("year_range", "台账", 3, "日期", "1900-01-01"),
        ("year_range", "台账", 4, "日期", "2099-12-31"),
    ]
    assert {(p.expected, p.fix) for p in parsed.errors} == {
        (f"应为2000年至{NEXT_YEAR}年之间的日期", "请核对日期中的年份")
    }
    # The mistyped dates are their rows' errors, not a second year the ledger spans.
    assert records_years(parsed) == [2022] * 4


def test_a_date_out_of_range_in_a_column_that_does_not_decide_the_year_is_rejected_on_its_row(registry):
    # 1900-01-01 is a date cell's 1 (a formula's); stored, a register's 计划开工日期 moved the project's span unasked.
    # A date some years after next year may be planned, and stays; 2099 (for "not yet known") or a slipped 2202 was
    # taken in silently and stretched the project's span to the end of the century.
    rows = [
        ["年度：2022"],
        ["项目名称", "项目类型", "实施单位", "计划开工日期", "计划完工日期", "计划总投资（万元）"],
        [PROJECT, "棚户区改造", SHUANGPU_UNIT, dt.datetime(1900, 1, 1), dt.date(2024, 12, 31), 112774.31],
        ["枣林老旧小区改造", "老旧小区改造", UNIT, "2022-04-01", f"{NEXT_YEAR + 10}-11-30", 9163.6],
        ["白河小区改造", "老旧小区改造", UNIT, "2022-04-01", "1999-11-30", 100],
        ["卧龙小区改造", "老旧小区改造", UNIT, "2022-04-01", dt.date(2099, 12, 31), 100],
        ["梅溪小区改造", "老旧小区改造", UNIT, f"{NEXT_YEAR + 11}-01-01", "2023-11-30", 100],
    ]
    parsed = parse_file(xlsx({"登记": rows}), "区财政局/项目基本信息表.xlsx", registry)
    allowed = f"应为2000年至{NEXT_YEAR + 10}年之间的日期"
    assert [(p.rule, p.excel_row, p.column_header, p.value, p.expected) for p in parsed.errors] == [
        ("year_range", 3, "计划开工日期", "1900-01-01", allowed),
        ("year_range", 5, "计划完工日期", "1999-11-30", allowed),
        ("year_range", 6, "计划完工日期", "2099-12-31", allowed),
        ("year_range", 7, "计划开工日期", f"{NEXT_YEAR + 11}-01-01", allowed),
    ]


def test_only_the_year_that_decides_is_checked(registry):
    rows = ledger_rows(dt.date(2022, 3, 1), above=[["2099年资金台账"], ["年度：2022"]])
    parsed = parse_file(xlsx({"台账": rows}), "示范区建设实业有限公司/2099年台账.xlsx", registry)
    assert (parsed.errors, records_years(parsed)) == ([], [2022])
    # The line decides: its year out of range is the error, whatever the dates say.
    rows = ledger_rows(dt.date(2022, 3, 1), above=[["年度：2099"]])
    parsed = parse_file(xlsx({"台账": rows}), "示范区建设实业有限公司/台账.xlsx", registry)
    assert [(p.rule, p.column_header) for p in parsed.errors] == [("year_range", "年度")]


# --- which project -------------------------------------------------------------------------------


def test_project_line_names_the_project_of_every_row(registry):
    rows = compound_sheet(*DATA, unit_line="项目名称：枣林街道办事处改造老旧小区 ")
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    assert [r["project_name"] for r in parsed.sheets[0].records] == ["枣林街道办事处改造老旧小区"]


def test_compound_list_without_project_leaves_it_to_the_register(registry):
    parsed = parse_file(xlsx({"清单": compound_sheet(*DATA)}), f"{UNIT}/清单.xlsx", registry)
    assert parsed.errors == []
    assert [r["project_name"] for r in parsed.sheets[0].records] == [None]


def test_performance_targets_without_project_line_is_rejected_as_project_unknown(registry):
    rows = [
        ["年度：2022"],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "分值"],
        ["产出指标", "数量指标", "改造小区数", "≥16个", 90],
    ]
    parsed = parse_file(xlsx({"绩效目标": rows}), "示范区建设实业有限公司/绩效.xlsx", registry)
    assert rules(parsed) == [(Severity.ERROR, "project_unknown")]
    assert parsed.errors[0].sheet == "绩效目标"


def test_performance_targets_with_a_blank_project_line_is_told_it_is_blank_not_missing(registry):
    # The clerk was told to add a `项目名称：` line the sheet already has, left blank.
    rows = [
        ["项目名称："],
        ["年度：2022"],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "分值"],
        ["产出指标", "数量指标", "改造小区数", "≥16个", 90],
    ]
    parsed = parse_file(xlsx({"绩效目标": rows}), "示范区建设实业有限公司/绩效.xlsx", registry)
    [problem] = parsed.errors
    assert (problem.rule, problem.sheet, problem.excel_row, problem.column_header) == (
        "project_unknown",
        "绩效目标",
        1,
        "项目名称",
    )
    assert problem.message_zh == (
        "所属项目无法确定：第1行“项目名称：”后没有填写项目名称，请填写项目基本信息表中登记的项目名称。"
    )


def test_performance_targets_with_project_and_year_lines(registry):
    rows = [
        [f"项目名称：{PROJECT}"],
        ["年度：2022"],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"],
        ["产出指标", "数量指标", "改造小区数", "≥16个", "16个", 90],
    ]
    parsed = parse_file(xlsx({"绩效目标": rows}), "示范区建设实业有限公司/绩效.xlsx", registry)
    assert parsed.errors == []
    [record] = parsed.sheets[0].records
    assert (record["project_name"], record["year"], record["target_text"], record["weight"]) == (
        PROJECT,
        2022,
        "≥16个",
        Decimal(90),
    )


# --- errors and warnings together --------------------------------------------------------------


def test_every_error_of_a_file_is_collected_not_just_the_first(registry):
    rows = compound_sheet(
        [1, "市委小区", "约1.9", "249", "725.58", "在建"],
        [2, "石化小区", "2.4150", "-312", "906.97", "停工"],
        [3, "", "1", "1", "1"],
        unit_line=None,
    )
    content = xlsx({"说明": [["说明"]], "清单": rows})
    parsed = parse_file(content, "清单.xlsx", registry)
    assert [(p.rule, p.excel_row) for p in parsed.errors] == [
        ("unit_unknown", None),
        ("type", 3),
        ("negative", 4),
        ("enum", 4),
        ("required", 5),
    ]
    assert [p.rule for p in parsed.warnings] == ["unmatched_sheet"]


def test_a_blank_cell_in_a_required_project_column_is_its_rows_error_alone(registry):
    from pipeline.frames import Context
    from pipeline.intake.settle import validate_files

    rows = ledger_rows(dt.date(2022, 3, 1), dt.date(2022, 4, 1), above=[["2022年资金台账"]])
    rows[-1][1] = None  # the second entry's 项目名称 left blank; the column is filled above it
    parsed = parse_file(xlsx({"台账": rows}), "示范区建设实业有限公司/台账.xlsx", registry)

    assert "project_unknown" not in {p.rule for p in parsed.all_problems}
    validate_files([parsed], registry, Context())
    assert [
        (p.rule, p.excel_row, p.column_header)
        for p in parsed.errors
        if p.rule in ("required", "project_unknown")
    ] == [("required", len(rows), "项目名称")]


def test_a_breakdown_under_the_total_is_part_of_it_and_elsewhere_an_error(registry):
    # `其中：已完工` under the 合计 breaks the total down: passed over with it, not read as a third compound.
    rows = [*COMPOUND_ROWS[:7], ["其中：已完工", None, 2.865, 370, 1075.97], COMPOUND_ROWS[7]]
    parsed = parse_file(csv_bytes(rows), f"{UNIT}/清单.csv", registry)

    assert parsed.all_problems == []
    assert [r["compound_name"] for r in parsed.sheets[0].records] == ["棉纺厂东院", "市委小区"]

    # Under a compound's row it would be counted beside it, twice: the clerk is asked to take it out.
    rows = [*COMPOUND_ROWS[:4], ["其中：一期", None, 1.2, 150, 400], *COMPOUND_ROWS[4:]]
    parsed = parse_file(csv_bytes(rows), f"{UNIT}/清单.csv", registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "breakdown_row",
        5,
        "序号",
        "其中：一期",
    )
    assert "请删去该行" in error.message_zh


def test_a_row_stating_the_sum_of_the_rows_above_without_a_total_label_is_an_error(registry):
    # `全街道` under two compounds, its area, households and 计划投资 each their sum: a 合计 row without the word,
    # which read as a third compound counted every figure of the list twice.
    rows = [*COMPOUND_ROWS[:6], [None, "全街道", 4.797, 619, 1801.55], *COMPOUND_ROWS[7:]]
    parsed = parse_file(csv_bytes(rows), f"{UNIT}/清单.csv", registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "unlabelled_total",
        7,
        "小区名称",
        "全街道",
    )
    assert "请在该行写明“合计”" in error.message_zh

    # Labelled 合计 it is the total, checked and passed over; a compound whose figures are not all the sum is data.
    rows[6] = ["合计", None, 4.797, 619, 1801.55]
    assert parse_file(csv_bytes(rows), f"{UNIT}/清单.csv", registry).all_problems == []
    rows[6] = [3, "育源小区", 4.797, 619, 476.21, None, None, "在建"]
    assert parse_file(csv_bytes(rows), f"{UNIT}/清单.csv", registry).errors == []


def test_a_number_excel_holds_with_binary_noise_is_quoted_as_excel_shows_it(registry):
    # A formula's cached 80.30000000000001 households shows 80.3 in Excel: the receipt quoted all 17 digits.
    rows = [*COMPOUND_ROWS[:4], [1, "棉纺厂东院", 2.865, 80.30000000000001, 1075.97], *COMPOUND_ROWS[7:]]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)

    [told] = parsed.errors
    assert (told.rule, told.excel_row, told.value) == ("type", 5, "80.3")
    assert "填写为“80.3”" in told.message_zh
    # Nor in E-notation: 0.00005 is what the cell shows, not 5e-05.
    assert (display(0.00005), display(0.1 + 0.2), display(1250.1), display(100.0)) == (
        "0.00005",
        "0.3",
        "1250.1",
        "100",
    )


def test_a_sum_row_with_no_words_is_told_by_its_figures_not_as_an_empty_row(registry):
    # A row of the three sums alone, as numbers: no cell to quote, and `第7行未填写` told the clerk it was empty.
    rows = [*COMPOUND_ROWS[:6], [None, None, 4.797, 619, 1801.55], *COMPOUND_ROWS[7:]]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)

    [told] = [p for p in parsed.errors if p.rule == "unlabelled_total"]
    assert (told.excel_row, told.column_header, told.value) == (7, None, None)
    assert told.message_zh.startswith("第7行各项数值都恰好等于上方各行之和，像是合计行")
    assert "未填写" not in told.message_zh


def test_a_paragraph_opening_like_a_total_is_text_not_a_total_row(registry):
    lines = [
        "项目名称,年度,章节,内容",
        "枣林街道办事处改造老旧小区,2022,完成情况,累计（截至2022年12月底）完成投资1572.36万元，16个小区全部完工。",
        "枣林街道办事处改造老旧小区,2022,下一步工作,合计：推动成立业主委员会，巩固改造成果。",
    ]
    parsed = parse_file("\n".join(lines).encode(), f"{UNIT}/文字材料.csv", registry)

    assert parsed.templates == ["report_narrative"] and parsed.all_problems == []
    assert [r["section"] for r in parsed.sheets[0].records] == ["完成情况", "下一步工作"]


@pytest.mark.parametrize(
    ("monthly_total", "wrong"), [(300, []), (310, [("total_mismatch", 7, "本月完成投资（万元）")])]
)
def test_a_progress_total_row_adds_up_the_months_only(registry, monthly_total, wrong):
    # A yearly plan repeated on each month's row and a running 累计 do not add up over rows: only 本月 is checked.
    rows = [
        ["投资完成情况月报"],
        PROGRESS_HEADER,
        *([PROJECT, 2022, month, 1200, 100, 100 * month] for month in (1, 2, 3)),
        [],
        ["合计", None, None, 1200, monthly_total, 300],
    ]
    parsed = parse_file(csv_bytes(rows), f"{SHUANGPU_UNIT}/投资月报.csv", registry)

    assert [(p.rule, p.excel_row, p.column_header) for p in parsed.all_problems] == wrong
    assert len(parsed.sheets[0].records) == 3


@pytest.mark.parametrize("header", ["金额（人民币元）", "金额（元，人民币）", "金额(人民币 元)"])
def test_a_money_header_naming_the_currency_reads_its_unit(registry, header):
    rows = [[*LEDGER_HEADER[:4], header], ["2022-03-01", PROJECT, "中央补助资金", "到位", "3000000"]]

    parsed = parse_file(csv_bytes(rows), f"{SHUANGPU_UNIT}/台账.csv", registry)

    assert parsed.all_problems == []
    assert parsed.sheets[0].records[0]["amount_wan"] == Decimal(300)


@pytest.mark.parametrize("suffix", ["xlsx", "xls", "csv"])
def test_a_logical_cell_reads_and_is_quoted_as_excel_shows_it_in_every_format(registry, suffix):
    # A check box's linked cell pasted into a text or enum column: Excel and WPS show TRUE, and a CSV of it holds
    # TRUE; the xlsx and xls were stored and quoted on the receipt as Python's `True`.
    header = [
        "序号",
        "小区名称",
        "改造面积（万平方米）",
        "惠及户数（户）",
        "计划投资（万元）",
        "改造内容",
        "改造状态",
    ]
    rows = [["年度：2022"], header, [1, "棉纺厂东院", "1.5", "200", "500", True, False]]

    content = csv_bytes(rows) if suffix == "csv" else {"xlsx": xlsx, "xls": xls}[suffix]({"清单": rows})
    parsed = parse_file(content, f"{UNIT}/清单.{suffix}", registry)

    assert parsed.sheets[0].records[0]["renovation_content"] == "TRUE"
    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.value) == ("enum", 3, "FALSE")
    assert "填写为“FALSE”" in error.message_zh


@pytest.mark.parametrize(
    ("sheets", "rule", "said"),
    [
        ({"Sheet1": []}, "empty", "文件中没有任何填写了内容的可见工作表，已隐藏的工作表“清单”不读取。"),
        (
            {"封面": [["2022年老旧小区改造"]]},
            "unknown_template",
            "没有一个可见工作表（“封面”）的表头与报表模板相符，已隐藏的工作表“清单”不读取。",
        ),
    ],
    ids=["no-other-sheet", "a-cover-sheet"],
)
def test_a_file_whose_filled_sheet_is_hidden_is_told_it_is_hidden_not_empty_or_unknown(
    registry, sheets, rule, said
):
    content = xlsx({**sheets, "清单": compound_sheet(*DATA)}, hidden=["清单"])
    parsed = parse_file(content, f"{UNIT}/清单.xlsx", registry)
    [error] = parsed.errors
    assert error.rule == rule and said in error.message_zh
    assert ReceiptIssue.of(error).fix.startswith("请在Excel中取消隐藏存有数据的工作表")
