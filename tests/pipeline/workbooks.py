"""Build fixture workbooks in code, as offices send them: xlsx/xlsm (openpyxl), xls (xlwt), csv (bytes).

Rows are lists of cell values starting at Excel row 1, column A; `None` is an empty cell.
Merged ranges are written the Excel way (`"A1:F1"`), per sheet name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import posixpath
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

import openpyxl
import openpyxl.styles
import xlwt
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.cell import range_boundaries

from pipeline.values import EXCEL_ERRORS

Rows = Sequence[Sequence[object]]
# A cell of rich text: its runs in order, each its text and whether it is struck through (True), drawn in its cell's
# font (False) or in a font of its own that does not strike (OWN_FONT).
Runs = Sequence[tuple[str, bool | str]]

COMPOUND_HEADER = [
    "序号",
    "小区名称",
    "改造面积（万平方米）",
    "惠及户数（户）",
    "计划投资（万元）",
    "改造状态",
]
PROGRESS_HEADER = [
    "项目名称",
    "年度",
    "月份",
    "年度计划投资（万元）",
    "本月完成投资（万元）",
    "累计完成投资（万元）",
]


def xlsx(
    sheets: Mapping[str, Rows],
    *,
    merges: Mapping[str, Iterable[str]] | None = None,
    hidden: Iterable[str] = (),
    very_hidden: Iterable[str] = (),
    hidden_rows: Mapping[str, Iterable[int]] | None = None,
    hidden_columns: Mapping[str, Iterable[str]] | None = None,
    struck: Mapping[str, Iterable[str]] | None = None,
    rich: Mapping[str, Mapping[str, Runs]] | None = None,
) -> bytes:
    """Return the bytes of an .xlsx workbook with the given sheets (in order), merged ranges, hidden sheets,
    hidden rows (Excel numbers, per sheet name), hidden columns (letters, per sheet name), cells struck
    through (references, per sheet name) and cells of rich text (its runs by reference, per sheet name), written
    as openpyxl writes them: inline strings (`shared_rich` moves them to the shared strings)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=r, column=c, value=float(value) if isinstance(value, Decimal) else value)
        for cell_range in (merges or {}).get(name, ()):
            sheet.merge_cells(cell_range)
        for row in (hidden_rows or {}).get(name, ()):
            sheet.row_dimensions[row].hidden = True
        for letter in (hidden_columns or {}).get(name, ()):
            sheet.column_dimensions[letter].hidden = True
        for ref in (struck or {}).get(name, ()):
            sheet[ref].font = openpyxl.styles.Font(strike=True)
        for ref, runs in (rich or {}).get(name, {}).items():
            sheet[ref] = CellRichText(*(_xlsx_run(text, struck) for text, struck in runs))
        if name in set(hidden):
            sheet.sheet_state = "hidden"
        if name in set(very_hidden):
            sheet.sheet_state = "veryHidden"
    if not book.sheetnames:
        book.create_sheet("Sheet1")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# A run of rich text drawn in a font of its own that does not strike, whatever its cell's font (an xls's runs all are).
OWN_FONT = "own font"


def _xlsx_run(text: str, struck: bool | str) -> str | TextBlock:
    """Return a run of rich text as openpyxl writes it: struck, in a font of its own, or in its cell's font."""
    if struck is True:
        return TextBlock(InlineFont(strike=True), text)
    return TextBlock(InlineFont(rFont="宋体", sz=11), text) if struck == OWN_FONT else text


# Error values xlwt knows by another spelling, given as their BIFF codes.
_XLWT_ERROR_CODES = {"#N/A": 0x2A}
_XLS_DATE = xlwt.easyxf(num_format_str="yyyy-mm-dd")
_XLS_DATETIME = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
_XLS_STRUCK = xlwt.easyxf("font: struck_out on")


def xls(
    sheets: Mapping[str, Rows],
    *,
    merges: Mapping[str, Iterable[str]] | None = None,
    hidden: Iterable[str] = (),
    hidden_rows: Mapping[str, Iterable[int]] | None = None,
    hidden_columns: Mapping[str, Iterable[str]] | None = None,
    struck: Mapping[str, Iterable[str]] | None = None,
    rich: Mapping[str, Mapping[str, Runs]] | None = None,
) -> bytes:
    """Return the bytes of an Excel 97–2003 .xls workbook, written with xlwt; hidden rows by Excel number, hidden
    columns by letter, cells struck through by reference (text and plain numbers only), cells of rich text by
    reference (its runs)."""
    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name, cell_overwrite_ok=True)
        struck_at = {range_boundaries(f"{ref}:{ref}")[:2] for ref in (struck or {}).get(name, ())}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.datetime):
                    sheet.write(r, c, value, _XLS_DATETIME)
                elif isinstance(value, dt.date):
                    sheet.write(r, c, value, _XLS_DATE)
                elif isinstance(value, Decimal):
                    sheet.write(r, c, float(value))
                elif value in EXCEL_ERRORS:  # a BOOLERR record, as Excel writes a failing formula's value
                    sheet.row(r).set_cell_error(c, _XLWT_ERROR_CODES.get(value, value))
                elif (c + 1, r + 1) in struck_at:
                    sheet.write(r, c, value, _XLS_STRUCK)
                else:
                    sheet.write(r, c, value)
        for ref, runs in (rich or {}).get(name, {}).items():
            column, row = range_boundaries(f"{ref}:{ref}")[:2]
            sheet.write_rich_text(
                row - 1,
                column - 1,
                [(t, _XLS_STRUCK.font if s is True else xlwt.Font()) for t, s in runs],
                _XLS_STRUCK if (column, row) in struck_at else xlwt.Style.default_style,
            )
        for cell_range in (merges or {}).get(name, ()):
            min_col, min_row, max_col, max_row = range_boundaries(cell_range)
            sheet.merge(min_row - 1, max_row - 1, min_col - 1, max_col - 1)
        for row in (hidden_rows or {}).get(name, ()):
            sheet.row(row - 1).hidden = True
        for letter in (hidden_columns or {}).get(name, ()):
            sheet.col(range_boundaries(f"{letter}1")[0] - 1).hidden = True
        if name in set(hidden):
            sheet.visibility = 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def shared_rich(content: bytes) -> bytes:
    """Return an xlsx with its inline strings (openpyxl's, rich text among them) moved to the shared strings, as
    Excel saves them."""
    source = zipfile.ZipFile(io.BytesIO(content))
    strings = (
        source.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in source.namelist() else None
    )
    items = re.findall(r"<si>.*?</si>|<si/>", strings, re.S) if strings else []
    moved = []

    def shared(found: re.Match) -> str:
        moved.append(f"<si>{found.group(2)}</si>")
        return f'<c{found.group(1)} t="s"><v>{len(items) + len(moved) - 1}</v></c>'

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(r'<c([^>]*?) t="inlineStr"><is>(.*?)</is></c>', shared, data.decode()).encode()
            if info.filename != "xl/sharedStrings.xml":
                target.writestr(info, data)
        every = "".join(items + moved)
        target.writestr(
            "xl/sharedStrings.xml",
            '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            f' count="{len(items) + len(moved)}" uniqueCount="{len(items) + len(moved)}">{every}</sst>',
        )
    return out.getvalue()


_RELATION_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def moved_parts(content: bytes, moves: Mapping[str, str]) -> bytes:
    """Return an xlsx with parts under other names (`xl/sharedStrings.xml` → `xl/strings1.xml`), related by them in
    the workbook's relationships and content types, as some writers name them."""
    source = zipfile.ZipFile(io.BytesIO(content))
    rels = source.read("xl/_rels/workbook.xml.rels").decode()
    for kind, old in (("styles", "xl/styles.xml"), ("sharedStrings", "xl/sharedStrings.xml")):
        rels = re.sub(rf'<Relationship [^>]*?Type="{_RELATION_TYPE}{kind}"[^>]*/>', "", rels)
        if old in source.namelist():
            target = moves.get(old, old).removeprefix("xl/")
            related = f'<Relationship Type="{_RELATION_TYPE}{kind}" Target="{target}" Id="rIdMoved{kind}"/>'
            rels = rels.replace("</Relationships>", related + "</Relationships>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = rels.encode()
            elif info.filename == "[Content_Types].xml":
                for old, new in moves.items():
                    data = data.replace(f'"/{old}"'.encode(), f'"/{new}"'.encode())
            target.writestr(moves.get(info.filename, info.filename), data)
    return out.getvalue()


def moved_workbook(content: bytes, part: str) -> bytes:
    """Return an xlsx whose workbook part is `part` (`xl/book.xml`), as the package's relationships and content types
    say, its relationships beside it and their targets written from its folder, as Excel opens it."""
    source = zipfile.ZipFile(io.BytesIO(content))
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")

    def from_folder(match: re.Match[str]) -> str:
        target = match.group(1)
        if target.startswith("/"):
            return match.group()
        return f'Target="{posixpath.relpath(posixpath.join("xl", target), folder)}"'

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data, written = source.read(info), info.filename
            if written == "xl/workbook.xml":
                written = part
            elif written == "xl/_rels/workbook.xml.rels":
                written, data = rels, re.sub(r'Target="([^"]*)"', from_folder, data.decode()).encode()
            elif written in ("_rels/.rels", "[Content_Types].xml"):
                data = data.replace(b"xl/workbook.xml", part.encode())
            target.writestr(written, data)
    return out.getvalue()


def with_member(content: bytes, name: str, change) -> bytes:
    """Return an xlsx with one zip member changed (`change(data)` giving its new bytes, or None to drop it)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            data = change(data) if info.filename == name else data
            if data is not None:
                target.writestr(info.filename, data)
    return out.getvalue()


def prefixed(data: bytes) -> bytes:
    """Return a part's XML with every element written with a namespace prefix (`<x:c …>`), as some writers do."""
    return re.sub(rb"<(/?)(?=[A-Za-z])", rb"<\1x:", data).replace(b'xmlns="', b'xmlns:x="')


def xls_formula(text: str) -> xlwt.Formula:
    """Return a formula cell for `xls` (`SUM(C3:C4)`, no `=`), saved as xlwt saves every one: its result empty."""
    return xlwt.Formula(text)


def csv_text(rows: Rows, *, pad: bool = True, delimiter: str = ",") -> str:
    """Return rows as CSV text the way Excel saves it: CRLF, quoted where needed, None as empty,
    and (with `pad`) every line as wide as the widest, as Excel writes its used range; a check box's TRUE/FALSE
    as Excel writes them."""
    width = max((len(row) for row in rows), default=0) if pad else 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", delimiter=delimiter)
    for row in rows:
        cells = [
            "" if value is None else str(value).upper() if isinstance(value, bool) else value for value in row
        ]
        writer.writerow(cells + [""] * (width - len(cells)))
    return buffer.getvalue()


def csv_bytes(rows: Rows, encoding: str = "utf-8", *, pad: bool = True, delimiter: str = ",") -> bytes:
    """Return rows as CSV bytes; `utf-8-sig` writes a BOM, `gb18030` is what Chinese Excel writes."""
    return csv_text(rows, pad=pad, delimiter=delimiter).encode(encoding)


def saved_as_csv(rows: Rows, merges: Iterable[str], encoding: str = "utf-8") -> bytes:
    """Return the CSV Excel's “另存为CSV” writes of a sheet: a merged range's value in its top-left cell only."""
    flat = [list(row) for row in rows]
    for merge in merges:
        left, top, right, bottom = range_boundaries(merge)
        for row in flat[top - 1 : bottom]:
            for column in range(left - 1, min(right, len(row))):
                if row is not flat[top - 1] or column != left - 1:
                    row[column] = None
    return csv_bytes(flat, encoding)


def sheet_of(*lines: Sequence[object]) -> list[list[object]]:
    """Return rows from positional lines; a shorthand that reads like the sheet."""
    return [list(line) for line in lines]


def compound_sheet(
    *data: Sequence[object],
    title: str | None = "枣林街道办事处2022年老旧小区改造项目清单",
    unit_line: str | None = "填报单位：枣林街道办事处（盖章）",
    header: Sequence[str] = COMPOUND_HEADER,
    footer: Sequence[Sequence[object]] = (),
) -> list[list[object]]:
    """Return a compound_list sheet: optional title and 填报单位 lines, the one-row header, data, footer."""
    rows: list[list[object]] = []
    if title is not None:
        rows.append([title])
    if unit_line is not None:
        rows.append([unit_line])
    rows.append(list(header))
    rows.extend(list(row) for row in data)
    rows.extend(list(row) for row in footer)
    return rows


# The national forms, laid out as units fill them: 9 columns, A the merged leading column.
NATIONAL_WIDTH = 9
_LETTERS = "ABCDEFGHI"


def _vertical_runs(values: Sequence[object], column: str, first_row: int) -> list[str]:
    """Return the merges a clerk makes over runs of the same value down one column (runs of one stay unmerged)."""
    merges, start = [], 0
    for index in range(1, len(values) + 1):
        if index == len(values) or values[index] != values[start]:
            if index - start > 1:
                merges.append(f"{column}{first_row + start}:{column}{first_row + index - 1}")
            start = index
    return merges


def national_self_evaluation(
    targets: Sequence[Sequence[object]],
    *,
    project: str = "枣林街道办事处改造老旧小区",
    unit: str = "枣林街道办事处",
    department: str = "南阳市住房和城乡建设局",
    year: int = 2022,
    budget: Sequence[object] = ("1570.00", "1570.00", "1570.00", 10, "100%", 10),
    goals: tuple[str, str] = ("完成16个老旧小区改造。", "16个老旧小区改造全部完工并通过验收。"),
    scores: Sequence[object] | None = None,
    total: tuple[object, object] | None = None,
    points: dict[str, object] | None = None,
) -> tuple[list[list[object]], list[str]]:
    """Return the rows and merges of a filled 项目支出绩效自评表 (财预〔2020〕10号附件2).

    `targets` rows are (一级, 二级, 三级, 年度指标值, 实际完成值, 分值[, 偏差原因]); the first-level names are written
    with their points, `产出指标（55分）`, the sum of their rows unless `points` says otherwise; 一级 and 二级 cells
    are merged down their runs and the leading 绩效指标 column down all indicator rows.
    """
    w = NATIONAL_WIDTH
    blank = [None] * w
    rows: list[list[object]] = [
        ["附件2", *blank[1:]],
        ["项目支出绩效自评表", *blank[1:]],
        [f"（{year}年度）", *blank[1:]],
        ["项目名称", project, *blank[2:]],
        ["主管部门", department, None, None, "实施单位", unit, None, None, None],
        ["项目资金（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", None],
        [None, "年度资金总额", *budget, None],
        [None, "其中：本年财政拨款", *budget[:3], "—", None, "—", None],
        [None, "上年结转资金", "—", "—", "—", "—", None, "—", None],
        [None, "其他资金", "—", "—", "—", "—", None, "—", None],
        ["年度总体目标", "预期目标", None, None, None, "实际完成情况", None, None, None],
        [None, goals[0], None, None, None, goals[1], None, None, None],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
         "偏差原因分析及改进措施"],
    ]  # fmt: skip
    merges = ["A2:I2", "A3:I3", "B4:I4", "B5:D5", "F5:I5", "A6:A10", "A11:A12", "B11:E11", "F11:I11"]
    merges += ["B12:E12", "F12:I12"]
    first = len(rows) + 1
    sums: dict[str, Decimal] = {}
    for target in targets:
        sums[target[0]] = sums.get(target[0], Decimal(0)) + Decimal(str(target[5]))
    points = {**{k: format(v.normalize(), "f") for k, v in sums.items()}, **(points or {})}
    level1 = [f"{t[0]}（{points[t[0]]}分）" for t in targets]
    level2 = [(t[0], t[1]) for t in targets]
    for index, target in enumerate(targets):
        score = scores[index] if scores is not None else target[5]
        note = target[6] if len(target) > 6 else None
        # Only the top cell of a merged run holds its text, as Excel keeps it.
        top1 = index == 0 or level1[index] != level1[index - 1]
        top2 = index == 0 or level2[index] != level2[index - 1]
        # Excel takes a typed `=16个` for a formula; offices type the full-width `＝`.
        written = [str(v).replace("=", "＝", 1) if isinstance(v, str) else v for v in target[2:6]]
        rows.append(
            [None, level1[index] if top1 else None, target[1] if top2 else None, *written, score, note]
        )
    last = len(rows)
    merges += [f"A{first - 1}:A{last}"]
    merges += _vertical_runs(level1, "B", first) + _vertical_runs(level2, "C", first)
    stated = total or (
        100,
        sum(Decimal(str(s)) for s in (scores or [t[5] for t in targets])) + Decimal(str(budget[5])),
    )
    rows.append(["总分", None, None, None, None, None, stated[0], stated[1], None])
    merges.append(f"A{last + 1}:F{last + 1}")
    rows.append(
        [
            "填报人：张三",
            None,
            None,
            "联系电话：0377-12345678",
            None,
            None,
            "填报日期：2023年1月5日",
            None,
            None,
        ]
    )
    return rows, merges


def national_monitoring(
    indicators: Sequence[Sequence[object]],
    *,
    months: int | Sequence[int] = 7,
    project: str = "枣林街道办事处改造老旧小区",
    unit: str = "枣林街道办事处",
    department: str = "南阳市住房和城乡建设局",
    year: int = 2022,
    budget: Sequence[object] = ("1570.00", "800.00", "50.96%", "1570.00"),
) -> tuple[list[list[object]], list[str]]:
    """Return the rows and merges of a filled 项目支出绩效运行监控表 covering 1–N月.

    `indicators` rows are (一级, 二级, 三级, 年度指标值, 1-N月实际完成情况, 全年预计完成情况, 偏差原因分析,
    完成目标可能性, 原因说明). `months` may give the budget block's N and the table's N apart, as a clerk who
    updated one header and not the other leaves them.
    """
    budget_n, table_n = (months, months) if isinstance(months, int) else months
    blank = [None] * 10
    rows: list[list[object]] = [
        ["项目支出绩效运行监控表", *blank[1:]],
        [f"（{year}年度）", *blank[1:]],
        ["项目名称", project, *blank[2:]],
        ["主管部门", department, None, None, "实施单位", unit, None, None, None, None],
        ["项目资金（万元）", None, "年初预算数", f"1-{budget_n}月执行数", "执行率", "全年预计执行数",
         None, None, None, None],
        [None, "年度资金总额", *budget, None, None, None, None],
        ["年度总体目标", "全年目标", None, None, None, f"1-{budget_n}月执行情况", None, None, None, None],
        [None, "完成16个老旧小区改造。", None, None, None, "已开工16个，完工9个。", None, None, None, None],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", f"1—{table_n}月实际完成情况",
         "全年预计完成情况", "偏差原因分析", "完成目标可能性", "原因说明"],
    ]  # fmt: skip
    merges = ["A1:J1", "A2:J2", "B3:J3", "B4:D4", "F4:J4", "A5:A6", "A7:A8", "B7:E7", "F7:J7"]
    merges += ["B8:E8", "F8:J8"]
    first = len(rows) + 1
    level1 = [i[0] for i in indicators]
    level2 = [(i[0], i[1]) for i in indicators]
    for index, indicator in enumerate(indicators):
        top1 = index == 0 or level1[index] != level1[index - 1]
        top2 = index == 0 or level2[index] != level2[index - 1]
        written = [str(v).replace("=", "＝", 1) if isinstance(v, str) else v for v in indicator[2:]]
        rows.append([None, indicator[0] if top1 else None, indicator[1] if top2 else None, *written])
    last = len(rows)
    merges += [f"A{first - 1}:A{last}"]
    merges += _vertical_runs(level1, "B", first) + _vertical_runs(level2, "C", first)
    # Filed early in the month after the last one covered, as units do (one before it ends is asked about).
    last = max(budget_n, table_n)
    filed = f"{year}年{last + 1}月5日" if last < 12 else f"{year + 1}年1月5日"
    rows.append(["填报人：张三", None, None, "联系电话：0377-12345678", None, None, f"填报日期：{filed}"])
    return rows, merges


def zips_opened(monkeypatch) -> list:
    """Record what every zipfile.ZipFile opened from now on in the test: one entry a file or buffer opened."""
    opened = []
    open_zip = zipfile.ZipFile.__init__

    def watched(archive, file, *args, **kwargs):
        opened.append(file)
        open_zip(archive, file, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "__init__", watched)
    return opened
