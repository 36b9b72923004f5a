"""Gather what a receipt tells an office: its file's status, each problem and how to fix it."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING

from pipeline.file_names import written_path
from pipeline.problems import Problem
from pipeline.suites import rule_titles
from pipeline.text import printable

if TYPE_CHECKING:
    from collections.abc import Iterable

    import duckdb

STATUS_ZH = {
    "accepted": "已接收",
    "rejected": "已退回",
    "duplicate": "重复提交",
    "superseded": "已被更正版本替代",
    "withdrawn": "已撤回",
}
SEVERITY_ZH = {"error": "错误", "warning": "警告"}
UNKNOWN_UNIT = "未知单位"
# How to fix a problem made without its own instruction (a file that cannot be opened, a sheet whose year cannot
# be told), by rule: every problem a receipt lists says what to do, as the contract's 修改方法 requires.
FIX_ZH = {
    "unreadable": "请从原表格重新导出，或用Excel另存为Excel工作簿（.xlsx）后重新报送",
    "truncated": "请重新导出后再报送，并核对文件已完整传送",
    "empty": "请在统一下发的报表模板中填写数据后重新报送",
    "no_rows": "请在表头下方逐行填写数据后重新报送；如本期确无数据，无需报送",
    "unknown_template": "请使用统一下发的报表模板填写后重新报送",
    "template_tied": "请使用统一下发的报表模板重新报送；如表头与模板相同，请联系区财政局核对报表模板配置",
    "unmatched_sheet": "如该工作表需要报送，请按统一下发的模板调整表头后重新报送；否则无需处理",
    "unit_unknown": "请在表格上方加一行“填报单位：…”写明单位全称后重新报送",
    "year_unknown": "请在表格上方加一行“年度：…”写明报表年度（四位年份）后重新报送",
    "year_span": "一个文件只能填报一个年度，请按年度分开报送",
    "month_range": "请在表头写明截至的月份，如“1-7月执行数”，月份为1至12",
    "required": "请补充未填写的内容后重新报送",
    "project_unknown": "请填写“项目名称”列，或在表格上方加一行“项目名称：…”",
}
# The instruction a message ends with (`…，请取消密码后重新报送。`): a clause from a 请 that follows punctuation.
_INSTRUCTION = re.compile(r"(?:^|[。，：；！])(请[^。]*)。?$")


@dataclass(frozen=True, slots=True)
class ReceiptIssue:
    """One problem as the receipt and ops.validation_issues show it (fields in that table's column order)."""

    sheet: str | None
    excel_row: int | None
    column_header: str | None
    value: str | None
    severity: str
    rule: str
    message_zh: str
    expected: str | None
    fix: str | None
    # The other submissions a warning is about, and what it says once none of them is in force (`stale_note`):
    # the words stay as on arrival, the note is set and cleared as their statuses change.
    named_submissions: tuple[int, ...] = ()
    stale_note: str | None = None

    def order(self) -> tuple:
        """Sort errors first, then by sheet and Excel row, file-wide problems leading."""
        return (self.severity != "error", self.sheet or "", self.excel_row or 0)

    @property
    def open_warning(self) -> bool:
        """Say whether this is a warning still to be looked at: not one whose files are all out of force."""
        return self.severity == "warning" and self.stale_note is None

    @property
    def severity_zh(self) -> str:
        said = SEVERITY_ZH.get(self.severity, self.severity)
        return f"{said}（不再适用）" if self.stale_note else said

    @property
    def message_told(self) -> str:
        """Return the message as it arrived, followed by the note saying it no longer applies, if it does not."""
        return f"{self.message_zh}【{self.stale_note}】" if self.stale_note else self.message_zh

    @classmethod
    def of(cls, problem: Problem, named: tuple[int, ...] = ()) -> ReceiptIssue:
        """Describe a problem for the receipt, with how to fix it: its own instruction, else its rule's; `named` are
        the submissions it is about, numbered."""
        return cls(
            problem.sheet,
            problem.excel_row,
            problem.column_header,
            problem.value,
            str(problem.severity),
            problem.rule,
            problem.message_zh,
            problem.expected,
            problem.fix or _fix_said(problem),
            named,
        )


# What a problem says as found; the other fields are settled later, as the files it names change (`retell_issues`).
FOUND_FIELDS = tuple(
    f.name for f in fields(ReceiptIssue) if f.name not in ("named_submissions", "stale_note")
)


def _fix_said(problem: Problem) -> str | None:
    """Return the instruction a problem made without a fix ends its message with, else its rule's."""
    # Only such problems are searched: most carry their fix, and every stored problem passes through here.
    said = _INSTRUCTION.search(problem.message_zh)
    return said.group(1) if said else FIX_ZH.get(problem.rule)


@dataclass(frozen=True, slots=True)
class ReceiptFacts:
    submission_id: int
    original_name: str
    unit: str | None
    received_at: str
    sha256: str
    status: str
    templates: list[str]
    year: int | None
    reason: str | None
    issues: list[ReceiptIssue]
    sending_folder: str | None = None  # the inbox sub-folder it came from; None at the inbox root
    # Where in the inbox it was found: tells apart two files of one name in an office's sub-folders.
    inbox_path: str | None = None

    def counts(self) -> tuple[int, int, int]:
        """Count the errors, the warnings still to be looked at, and the warnings that no longer apply."""
        errors = sum(i.severity == "error" for i in self.issues)
        warnings = sum(i.open_warning for i in self.issues)
        return errors, warnings, len(self.issues) - errors - warnings

    def as_json(self) -> dict:
        errors, warnings, stale = self.counts()
        return {
            "回执": "预算绩效数据报送回执",
            "submission_id": self.submission_id,
            "file": self.original_name,
            "unit": self.unit,
            "sending_folder": self.sending_folder,
            "inbox_path": self.inbox_path,
            "received_at": self.received_at,
            "sha256": self.sha256,
            "status": self.status,
            "status_zh": STATUS_ZH[self.status],
            "templates": self.templates,
            "year": self.year,
            "reason": self.reason,
            "error_count": errors,
            "warning_count": warnings,
            "stale_warning_count": stale,
            "problems": [asdict(i) | {"rule_zh": rule_titles().get(i.rule, i.rule)} for i in self.issues],
        }


# What a duplicate's receipt adds when the file it repeats is no longer in force.
OUT_OF_FORCE = {
    "withdrawn": "该提交已被撤回，其数据不在数据仓库中，本文件也不会入库。如确需重新报送，请先与财政局核实撤回原因，"
    "再报送改正后的文件。",
    "superseded": "该提交已被之后报送的更正版本替代，现行数据是更正版本的。如要恢复为该版本，请修改后重新报送，"
    "或请财政局撤回更正版本。",
    # Not a correction: the project's implementing unit listed the same rows, and its list stands whatever is resent.
    "taken": "该提交的数据已由随后报送的提交替代，其中有项目实施单位报送的同一项目报表，以实施单位的为准（详见该提交的"
    "回执），本文件也不会入库。如其中有确由本单位负责的各行，请只填写这些行重新报送；否则无需处理。",
    # In force, but an implementing unit's list holds some of its slices (retell.retell_duplicates): "not stored
    # again" must not read as "all of it is in".
    "partly_taken": "该提交的部分数据已由项目实施单位随后报送的同一项目报表替代，以实施单位的为准（详见该提交的回执），"
    "其余数据在数据仓库中。如被替代的各行中有确由本单位负责的，请只填写这些行重新报送；否则无需处理。",
}


# How a superseded file's reason starts when an implementing unit's list holds some of its slices
# (`retell.taken_reason`); one its office's own correction holds names the correction in other words.
TAKEN_SAID = "此文件的数据已由项目实施单位"


def force_sql(alias: str) -> str:
    """Return SQL for how the submission `alias` stands, keyed as OUT_OF_FORCE is: its status, or taken."""
    # Only retell.retell_taken sets a superseded file's reason.
    return (
        f"case when {alias}.status = 'superseded' and starts_with({alias}.reason, '{TAKEN_SAID}') then 'taken' "
        f"else {alias}.status end"
    )


# A superseded file's note naming the corrections holding its data, as that file's own receipt does:
# 该提交已被之后报送的更正版本（第7号提交“…”）替代，….
_BEFORE_NAMES, _, _AFTER_NAMES = OUT_OF_FORCE["superseded"].partition("替代")
_NAMED_SUPERSEDED = re.compile(f"{re.escape(_BEFORE_NAMES)}（.+）替代{re.escape(_AFTER_NAMES)}$")


def force_note_at(reason: str) -> int | None:
    """Return where a duplicate's reason's note on the file it repeats begins, or None if it has none."""
    for note in OUT_OF_FORCE.values():
        if reason.endswith(note):
            return len(reason) - len(note)
    found = _NAMED_SUPERSEDED.search(reason)
    return None if found is None else found.start()


def with_force_note(reason: str, status: str | None, corrections: str | None = None) -> str:
    """Return a duplicate's reason with the note on the file it repeats as that file now stands (`status`, as
    `force_sql` says it); a superseded one's names `corrections`, if given."""
    at = force_note_at(reason)  # the note of when it was last told, if any
    note = OUT_OF_FORCE.get(status, "")
    if status == "superseded" and corrections:
        note = f"{_BEFORE_NAMES}（{corrections}）替代{_AFTER_NAMES}"
    return (reason if at is None else reason[:at]) + note


def recount_warnings(con: duckdb.DuckDBPyConnection, submission_ids: Iterable[int]) -> None:
    """Count again the warnings that still apply of these submissions, and mark their receipts to be rewritten."""
    ids = sorted(set(submission_ids))
    if not ids:
        return
    con.execute(
        """
        update ops.submissions s set
            warning_count = (
                select count(*) from ops.open_issues i
                where i.submission_id = s.submission_id and i.severity = 'warning'
            ),
            receipt_status = null  -- the next write_receipts rewrites it
        where submission_id in (select unnest(?::integer[]))
        """,
        [ids],
    )


# How a warning's note says a submission it names now stands, keyed as `force_sql` says it.
NAMED_OUT_OF_FORCE = {
    "withdrawn": "已撤回",
    "superseded": "已被之后报送的更正版本替代",
    # Not a correction of its own: the implementing unit's report holds its slices (its receipt names which).
    "taken": "已由项目实施单位报送的同一项目报表替代",
    # Still in force for other months, but not for the later months the warning is about (`retell.retell_months`).
    "months_resent": "中提示所涉的月份已由之后报送的同月数据替代",
}


def stale_note(named: list[int], statuses: dict[int, str]) -> str | None:
    """Return the note of a warning about these submissions once none of them is in force (`statuses` as
    `force_sql` says them), else None.

    One still in force (or not found) keeps the warning as it arrived: it may still be true.
    """
    if not named or any(statuses.get(n) not in NAMED_OUT_OF_FORCE for n in named):
        return None
    said = "、".join(f"第{n}号提交{NAMED_OUT_OF_FORCE[statuses[n]]}" for n in named)
    return f"所涉{said}，其数据已不再有效，此提示不再适用，无需处理。"


def _facts_from_warehouse(con, submission_ids: list[int]) -> list[ReceiptFacts]:
    issues: dict[int, list[ReceiptIssue]] = {}
    for row in con.execute(
        "select submission_id, sheet, excel_row, column_header, value, severity, rule, message_zh, expected, fix, "
        "named_submissions, stale_note from ops.validation_issues where submission_id in (select unnest(?))",
        [submission_ids],
    ).fetchall():
        issues.setdefault(row[0], []).append(ReceiptIssue(*row[1:-2], tuple(row[-2] or ()), row[-1]))
    for listed in issues.values():
        listed.sort(key=ReceiptIssue.order)
    facts = []
    for row in con.execute(
        "select submission_id, original_name, unit, strftime(received_at, '%Y-%m-%d %H:%M:%S%z'), sha256, status, "
        # A withdrawn file's receipt gives the withdrawal: when, by whom and why.
        "templates, year, coalesce(w.said, reason), sending_folder, inbox_path, "
        # The name's bytes as sent (a GBK name is kept escaped in inbox_path), to show it as the clerk wrote it.
        "(select raw_path from ops.inbox_files f where f.inbox_path = s.inbox_path) "
        "from ops.submissions s left join ("
        "  select submission_id, arg_max(strftime(withdrawn_at, '%Y-%m-%d %H:%M') || '由' || withdrawn_by || "
        "  '撤回，原因：' || reason, withdrawn_at) as said from ops.withdrawals group by 1"
        ") w using (submission_id) where submission_id in (select unnest(?)) order by 1",
        [submission_ids],
    ).fetchall():
        facts.append(
            ReceiptFacts(
                *row[:6],
                list(row[6] or []),
                row[7],
                row[8],
                issues.get(row[0], []),
                row[9],
                printable(written_path(row[10], row[11]), one_line=True),
            )
        )
    return facts
