"""Read a received file into grids of cells, one per visible, non-empty sheet."""

from __future__ import annotations

from pipeline.csv_read import read_csv
from pipeline.excel_read import read_excel
from pipeline.file_names import archive_suffix
from pipeline.grids import UnreadableFile, Workbook, _is_reader_failure
from pipeline.limits import LimitExceeded, Limits, Unsupported, check_file_size

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Chinese Excel writes CSV in GB18030 (a superset of GBK); everything else should be UTF-8.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# How to send again a file that arrived with no bytes, by its name's format: an empty file opens as a blank sheet,
# so re-saving it is no help (a CSV's clerk was told to save it as .xlsx); the original table must be saved again.
_NOT_EMPTY = "，确认文件大小不是0字节后重新报送"
EMPTY_FIX_ZH = {
    ".csv": f"请从原表格重新导出CSV文件（或另存为Excel工作簿（.xlsx）），{_NOT_EMPTY[1:]}",
    ".xlsx": f"请在Excel中打开原表格重新保存{_NOT_EMPTY}",
    ".xlsm": f"请在Excel中打开原表格重新保存{_NOT_EMPTY}",
    ".xls": f"请在Excel中打开原表格重新保存{_NOT_EMPTY}",
}
EMPTY_OTHER_FIX_ZH = f"请将原表格保存为Excel工作簿（.xlsx）或CSV文件{_NOT_EMPTY}"
# A CSV the parser gave up on: opened in Excel or WPS it shows where, and saved again it is regular.
CSV_BROKEN_FIX_ZH = "请在Excel或WPS中打开该文件核对后，另存为CSV文件（或Excel工作簿（.xlsx））重新报送"


def sniff_kind(content: bytes, filename: str) -> str:
    """Tell xlsx, xls and csv apart by content, since clerks rename files freely."""
    if not content:
        raise UnreadableFile(
            "文件为空（0字节）", EMPTY_FIX_ZH.get(archive_suffix(filename), EMPTY_OTHER_FIX_ZH)
        )
    if content.startswith(ZIP_MAGIC):
        return "xlsx"
    if content.startswith(OLE2_MAGIC):
        return "xls"
    if (saved_as := _saved_as_web_page(content)) is not None:
        raise UnreadableFile(f"文件实际是{saved_as}，不是Excel工作簿，无法读取", SAVE_AS_XLSX_FIX_ZH)
    if filename.lower().endswith(".csv"):
        return "csv"
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        # Finance systems export delimited text under an .xls name; read it as the CSV it is.
        if _looks_delimited(content):
            return "csv"
        raise UnreadableFile("文件已损坏或不是Excel文件，无法打开")
    raise UnreadableFile("不是电子表格文件（只接收 .xlsx、.xlsm、.xls、.csv）")


# What web systems export as "Excel": an HTML table or Excel 2003's XML under an .xls name. Excel and WPS open
# either, with a warning, so the clerk sees a table: told only 文件已损坏, he sent it again as it was.
_WEB_PAGES = (
    (b"<html", "网页（HTML）格式"),
    (b"<table", "网页（HTML）格式"),
    (b"<!doctype html", "网页（HTML）格式"),
)
_XML_SPREADSHEET = b"urn:schemas-microsoft-com:office:spreadsheet"
SAVE_AS_XLSX_FIX_ZH = (
    "请用Excel或WPS打开该文件，点“另存为”，保存类型选“Excel工作簿（*.xlsx）”，再报送另存的文件"
)
# WPS's own formats, which no reader here opens: its spreadsheet's (.et) and its word processor's (.wps).
_WPS_TOLD = {
    ".et": (
        "WPS表格专用格式（.et）的文件，无法读取",
        SAVE_AS_XLSX_FIX_ZH.replace("用Excel或WPS", "用WPS表格"),
    ),
    ".ett": ("WPS表格模板（.ett），无法读取", SAVE_AS_XLSX_FIX_ZH.replace("用Excel或WPS", "用WPS表格")),
    ".wps": (
        "WPS文字文档（.wps），不是电子表格",
        "请把数据填入统一下发的表格模板，保存为Excel工作簿（.xlsx）后报送",
    ),
}


def _saved_as_web_page(content: bytes) -> str | None:
    """Return what a file is when it is a web page or Excel 2003 XML rather than a workbook, else None."""
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head.startswith(b"<"):
        return None
    if _XML_SPREADSHEET in head:
        return "“XML电子表格2003”格式"
    return next((said for tag, said in _WEB_PAGES if tag in head), None)


def _wps_told(filename: str, exc: UnreadableFile) -> UnreadableFile:
    """Return the failure to read a WPS file worded for what it is (`_WPS_TOLD`), any other failure as it was."""
    told = _WPS_TOLD.get(archive_suffix(filename))
    if told is None or exc.fix is not None or type(exc) is not UnreadableFile:
        return exc
    return UnreadableFile(f"文件是{told[0]}", told[1])


def _looks_delimited(content: bytes) -> bool:
    head = content[:4096]
    if b"\x00" in head:
        return False
    for encoding in CSV_ENCODINGS:
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return any(sep in text for sep in (",", "\t"))
    return False


def read_workbook(content: bytes, filename: str, limits: Limits | None = None) -> Workbook:
    """Read any received file into grids, or raise UnreadableFile or LimitExceeded with a plain reason.

    Nothing a file holds makes this raise anything else: every parser's failure becomes UnreadableFile.
    """
    limits = limits or Limits()
    check_file_size(len(content), limits)
    kind = None
    try:
        kind = sniff_kind(content, filename)
        if kind == "csv":
            return read_csv(content, filename, limits)
        return read_excel(content, kind, limits)
    except LimitExceeded:
        raise
    except UnreadableFile as exc:
        # A WPS file is told what it is, not that it is broken: it opens in WPS on the clerk's screen.
        if (told := _wps_told(filename, exc)) is exc:
            raise
        raise told from exc
    except Unsupported as exc:
        raise UnreadableFile(str(exc)) from exc
    except BaseException as exc:
        if not _is_reader_failure(exc):
            raise
        if kind == "csv":
            # The parser's exception stays the cause, for an engineer; its name means nothing to a clerk.
            raise UnreadableFile("CSV文件格式异常，无法读取", CSV_BROKEN_FIX_ZH) from exc
        raise _wps_told(filename, UnreadableFile("文件已损坏，无法打开")) from exc
