from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pipeline.parse import parse_file, sending_folder_of
from pipeline.parsed_file import ParsedFile
from pipeline.problems import Severity, display
from pipeline.receipt_facts import ReceiptIssue
from tests.pipeline.workbooks import compound_sheet, csv_bytes, csv_text, xls, xlsx

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


@pytest.mark.parametrize(
    "footer",
    [
        [["填报单位：枣林街道办事处"]],
        [["填报单位（盖章）：枣林街道办事处", None, None, "填表人：王芳"]],
        [["填报单位", "枣林街道办事处", None, "填报日期", "2023年1月5日"]],
    ],
)
def test_a_filing_unit_line_below_the_table_names_the_office_too(registry, footer):
    # First under the table, the line was read as a data row and its office never seen: the file in a shared folder
    # was returned as naming no office.
    rows = compound_sheet(*DATA, unit_line=None, footer=footer)
    parsed = parse_file(xlsx({"清单": rows}), "公共收件/清单.xlsx", registry)
    assert (parsed.errors, parsed.unit) == ([], UNIT)
    assert [r["unit"] for r in parsed.sheets[0].records] == [UNIT] * len(DATA)


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


def test_a_ledger_dated_without_years_under_a_years_title_is_asked_for_the_year_on_each_cell(registry):
    # A clerk under a `2024年` title writes `4月5日`; a ledger may hold last December's entries too, so no year is
    # put to it, and the receipt says it is the year that is missing, not that the cell is no date.
    rows = ledger_rows("2024年3月1日", "4月5日", "5月", above=[[f"{PROJECT}2024年资金到位及支付台账"]])
    parsed = parse_file(xlsx({"台账": rows}), f"{SHUANGPU_UNIT}/台账.xlsx", registry)
    assert [(p.sheet, p.excel_row, p.column_header, p.message_zh) for p in parsed.errors] == [
        (
            "台账",
            4,
            "日期",
            "第4行「日期」填写为“4月5日”，应为日期；没有写年份，无法确定是哪一年的4月5日，请写上年份，如××××年4月5日。",
        ),
        (
            "台账",
            5,
            "日期",
            "第5行「日期」填写为“5月”，应为日期；没有写年份，无法确定是哪一年的5月，请写上年份，如××××年5月。",
        ),
    ]


def _without(header: list[str], name: str) -> list[int]:
    """Return the positions of a header's columns but the one headed `name` (spaces not meaningful)."""
    return [i for i, written in enumerate(header) if written.replace(" ", "") != name]


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


def test_a_year_line_is_read_up_to_the_next_field_written_in_its_cell(registry):
    rows = [["年度：2022年    联系电话：0377-12345678"], *compound_sheet(*DATA, title=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    assert (parsed.all_problems, records_years(parsed)) == ([], [2022])


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
