"""Ask about a data row its remarks call void (备注：已作废): a template reads no remark, so the row would count as
any other."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pipeline.cell_refs import column_letter
from pipeline.problems import Severity
from pipeline.text import split_header, squash

if TYPE_CHECKING:
    from pipeline.grids import Grid
    from pipeline.header_match import HeaderMatch
    from pipeline.parsed_sheet import ParsedSheet

# The columns clerks write remarks in: no template reads them (header_checks._NEVER_DATA, which names them too).
REMARKS = frozenset({"备注", "说明", "附注", "备注说明", "情况说明"})
_REMARK_END = re.compile(r"[注明]")
# A remark that is nothing but the row's voiding (`已作废`, `此行取消`, `项目已撤销`), and one that says 作废 anywhere:
# the row is void to whoever reads it.
_VOID = re.compile(
    r"(?:此行|该行|本行|项目|该项目|该小区)?(?:已经?|已被)?"
    r"(?:作废|取消|撤销|删除|无效|不实施|不再实施|停止实施|终止实施|不再改造|取消改造)(?:了)?"
)
_VOID_ANYWHERE = re.compile(r"作废")
# A remark that may void the row or only part of it (`取消外墙保温`, `不再改造，取消`): asked about, not refused.
_MAYBE_VOID = re.compile(r"取消|撤销|删除|无效|不再实施|停止实施|终止实施|不再改造|不实施")
_PUNCTUATION = re.compile(r"[\s。，,.;；:：、!！()（）\[\]【】]+")


def check_voided_rows(grid: Grid, match: HeaderMatch, sheet: ParsedSheet) -> None:
    """Refuse a data row whose remark says only that it is void (or says 作废), and warn of one that may void it."""
    rows = grid.rows
    # Looked for in each of the header's rows: a remark column's header stands on one of two rows unmerged.
    remarks = {}
    for row in rows[match.first_row : match.last_row + 1]:
        for index, cell in enumerate(row):
            # Every remark header ends 注 or 明: other headers are passed over unfolded (most of a sheet's).
            if (
                isinstance(cell, str)
                and _REMARK_END.search(cell)
                and split_header(squash(cell))[0] in REMARKS
            ):
                remarks.setdefault(index, cell.strip())
    if not remarks:
        return
    for record in sheet.records:
        row = rows[record["excel_row"] - 1]
        for index, written in remarks.items():
            cell = row[index] if index < len(row) else None
            if not isinstance(cell, str):
                continue
            said = _PUNCTUATION.sub("", squash(cell))
            if _VOID.fullmatch(said) or _VOID_ANYWHERE.search(said):
                rule, severity = "voided_row", Severity.ERROR
                expected = f"{column_letter(index)}列“{written}”注明该行作废，但该行仍会按有效数据读取并计入"
                fix = "如该行已作废，请删除该行后重新报送；如仍有效，请改正备注"
            elif _MAYBE_VOID.search(said):
                rule, severity = "voided_row_maybe", Severity.WARNING
                expected = f"{column_letter(index)}列“{written}”的说明可能表示该行作废，本表已按有效数据读取并计入该行"
                fix = "如该行已作废，请删除该行后重新报送；如只是部分内容调整，可忽略本提示"
            else:
                continue
            sheet.error(
                severity=severity,
                rule=rule,
                excel_row=record["excel_row"],
                header=written,
                value=cell,
                expected=expected,
                fix=fix,
            )
            break  # one remark per row says it
