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
    if filename.lower().endswith(".csv"):
        return "csv"
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        # Finance systems export delimited text under an .xls name; read it as the CSV it is.
        if _looks_delimited(content):
            return "csv"
        raise UnreadableFile("文件已损坏或不是Excel文件，无法打开")
    raise UnreadableFile("不是电子表格文件（只接收 .xlsx、.xlsm、.xls、.csv）")


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
    kind = sniff_kind(content, filename)
    try:
        if kind == "csv":
            return read_csv(content, filename, limits)
        return read_excel(content, kind, limits)
    except (UnreadableFile, LimitExceeded):
        raise
    except Unsupported as exc:
        raise UnreadableFile(str(exc)) from exc
    except BaseException as exc:
        if not _is_reader_failure(exc):
            raise
        if kind == "csv":
            # The parser's exception stays the cause, for an engineer; its name means nothing to a clerk.
            raise UnreadableFile("CSV文件格式异常，无法读取", CSV_BROKEN_FIX_ZH) from exc
        raise UnreadableFile("文件已损坏，无法打开") from exc
