"""Write each office a receipt (回执) in Chinese, as HTML and JSON, saying exactly what to fix."""

from __future__ import annotations

import html
import json
import logging
import os
import re
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import asdict, dataclass, fields
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import pools
from pipeline.file_names import NAME_MAX, bounded_name, written_path
from pipeline.locations import ObjectPath, is_url, place, writer_threads
from pipeline.object_fs import object_filesystem
from pipeline.object_io import list_objects, put_text
from pipeline.problems import RULE_ZH, Problem, sheet_named
from pipeline.text import UNPRINTABLE, printable

if TYPE_CHECKING:
    from collections.abc import Iterable

    import duckdb

logger = logging.getLogger(__name__)

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
    "unmatched_sheet": "如该工作表需要报送，请按统一下发的模板调整表头后重新报送；否则无需处理",
    "unit_unknown": "请在表格上方加一行“填报单位：…”写明单位全称后重新报送",
    "year_unknown": "请在表格上方加一行“年度：2022”这样写明报表年度后重新报送",
    "year_span": "一个文件只能填报一个年度，请按年度分开报送",
    "month_range": "请在表头写明截至的月份，如“1-7月执行数”，月份为1至12",
    "required": "请补充未填写的内容后重新报送",
    "project_unknown": "请填写“项目名称”列，或在表格上方加一行“项目名称：…”",
}
# The instruction a message ends with (`…，请取消密码后重新报送。`): a clause from a 请 that follows punctuation.
_INSTRUCTION = re.compile(r"(?:^|[。，：；！])(请[^。]*)。?$")
# Anything that could climb out of a folder or upset a file system (separators, dots-only names, controls), or
# make a name in a clerk's folder view read other than it is (a right-to-left override turns `xslx.exe` around).
_UNSAFE = re.compile(rf'[{UNPRINTABLE}/\\:*?"<>|]')


def safe_component(name: str | None, fallback: str, tail: str = "") -> str:
    """Turn a unit or file name into one harmless path component ending in `tail`, within 255 bytes.

    Never `..`, never a separator; a name too long is shortened with a hash of it, so two long names stay apart.
    """
    text = _UNSAFE.sub("_", name or "").strip().strip(".") or fallback
    return bounded_name(text, tail, NAME_MAX)


def contained(root: Path | ObjectPath, *parts: str) -> Path | ObjectPath:
    """Join parts under root and prove the result stays inside it."""
    if isinstance(root, ObjectPath):  # keys: no links to follow, only `..` could climb out
        target = root.joinpath(*parts)
        if any(p in ("..", ".") for part in parts for p in part.split("/")):
            raise ValueError(f"refusing to write outside {root}: {target}")
        return target
    target = root.joinpath(*parts).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ValueError(f"refusing to write outside {root}: {target}")
    return target


class _Places:
    """`contained(root, folder, name)` for one run's receipts, each folder resolved once.

    Resolving a path looks up every folder above it; with thousands of receipts in a few hundred folders,
    and other threads writing into those folders, that was most of the cost of naming a receipt. A name
    that is not itself a link lies where its resolved folder says; a link is resolved in full, as ever.
    """

    def __init__(self, root: Path | str):
        self.root = place(root)  # a local folder, or receipts on object storage (`s3://…`)
        self.folders: dict[str, Path] = {}

    def __call__(self, folder: str, name: str) -> Path:
        if folder not in self.folders:
            self.folders[folder] = contained(self.root, folder)
        where = self.folders[folder] / name
        if "/" in name or name in ("", ".", "..") or os.path.islink(where):
            return contained(self.root, folder, name)
        return where


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
            "problems": [asdict(i) | {"rule_zh": RULE_ZH.get(i.rule, i.rule)} for i in self.issues],
        }


# What a duplicate's receipt adds when the file it repeats is no longer in force.
OUT_OF_FORCE = {
    "withdrawn": "该提交已被撤回，其数据不在数据仓库中，本文件也不会入库。如确需重新报送，请先与财政局核实撤回原因，"
    "再报送改正后的文件。",
    "superseded": "该提交已被之后报送的更正版本替代，现行数据是更正版本的。如要恢复为该版本，请修改后重新报送，"
    "或请财政局撤回更正版本。",
}


def with_force_note(reason: str, status: str | None) -> str:
    """Return a duplicate's reason with the note on the file it repeats as that file now stands (`status`)."""
    for note in OUT_OF_FORCE.values():  # the note of when it was last told, if any
        reason = reason.removesuffix(note)
    return reason + OUT_OF_FORCE.get(status, "")


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


# How a warning's note says a submission it names now stands, by that submission's status.
NAMED_OUT_OF_FORCE = {"withdrawn": "已撤回", "superseded": "已被之后报送的更正版本替代"}


def stale_note(named: list[int], statuses: dict[int, str]) -> str | None:
    """Return the note of a warning about these submissions once none of them is in force, else None.

    One still in force (or not found) keeps the warning as it arrived: it may still be true.
    """
    if not named or any(statuses.get(n) not in NAMED_OUT_OF_FORCE for n in named):
        return None
    said = "、".join(f"第{n}号提交{NAMED_OUT_OF_FORCE[statuses[n]]}" for n in named)
    return f"所涉{said}，其数据已不再有效，此提示不再适用，无需处理。"


def _summary(facts: ReceiptFacts) -> str:
    errors, warnings, stale = facts.counts()
    if facts.status == "rejected":
        return f"文件未通过校验，共发现{errors}处错误，整份文件已退回，数据未入库。请逐条修改后重新报送整份文件。"
    if facts.status == "duplicate":
        reason = facts.reason or "与此前报送的文件完全相同。"
        # A copy out of force has its own instruction: "nothing to do" would contradict it.
        return reason if reason.endswith(tuple(OUT_OF_FORCE.values())) else f"{reason}无需任何操作。"
    if facts.status == "withdrawn":
        return f"此文件已被撤回，其数据不再使用；如有更早报送的同一数据，现以该文件为准。原文件仍存档备查。撤回说明：{facts.reason}"
    if facts.status == "superseded":
        # Another office's list the implementing unit's took the place of says so (`store._retell_stored`).
        return (
            facts.reason
            or "此文件的数据已被同一单位随后报送的更正版本替代，现以更正版本为准；原文件仍存档备查。"
        )
    tail = (
        f"另有{warnings}处警告，数据已照常入库，请核实；如有误请更正后重新报送。"
        if warnings
        else "未发现问题。"
        if not stale
        else ""
    )
    if stale:
        tail += f"{'此外' if warnings else '另有'}{stale}处警告所涉的提交已撤回或被更正，不再适用，无需处理。"
    return f"文件已通过校验，数据已入库。{tail}"


def _escaped(text: str) -> str:
    return html.escape(printable(text, one_line=True))  # every field is one value: a line feed in it is shown


def render_html(facts: ReceiptFacts) -> str:
    """Render the receipt page; every text from the file is escaped, control characters shown as stand-ins."""
    e = _escaped
    rows = "\n".join(
        "<tr>"
        f"<td>{i}</td><td>{e(p.severity_zh)}</td>"
        f"<td>{e(RULE_ZH.get(p.rule, p.rule))}</td><td>{e(p.sheet or '')}</td>"
        f"<td>{p.excel_row or ''}</td><td>{e(p.column_header or '')}</td><td>{e(p.value or '')}</td>"
        f"<td>{e(p.expected or '')}</td><td>{e(p.fix or '')}</td><td>{e(p.message_told)}</td>"
        "</tr>"
        for i, p in enumerate(facts.issues, 1)
    )
    table = (
        "<table><thead><tr><th>序号</th><th>类别</th><th>问题类型</th><th>工作表</th><th>行号</th><th>列标题</th><th>填写内容</th>"
        f"<th>应为</th><th>修改方法</th><th>说明</th></tr></thead><tbody>\n{rows}\n</tbody></table>"
        if facts.issues
        else "<p>未发现问题。</p>"
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>报送回执 · {e(facts.original_name)}</title>
<style>body{{font-family:"Microsoft YaHei","PingFang SC",sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:4px 8px;vertical-align:top}}
.status{{font-size:1.4em;font-weight:bold}}</style></head>
<body>
<h1>预算绩效数据报送回执</h1>
<p class="status">状态：{e(STATUS_ZH[facts.status])}</p>
<p>{e(_summary(facts))}</p>
<table>
<tr><th>文件名</th><td>{e(facts.original_name)}</td></tr>
<tr><th>填报单位</th><td>{e(facts.unit or UNKNOWN_UNIT)}</td></tr>
<tr><th>报送文件夹</th><td>{e(facts.sending_folder or "（收件箱根目录）")}</td></tr>
{f"<tr><th>收件箱中的位置</th><td>{e(facts.inbox_path)}</td></tr>{chr(10)}" if facts.inbox_path else ""}<tr><th>报表年度</th><td>{facts.year or "未能确定"}</td></tr>
<tr><th>接收时间</th><td>{e(facts.received_at)}</td></tr>
<tr><th>文件指纹（SHA-256）</th><td><code>{e(facts.sha256 or "（文件无法读取）")}</code></td></tr>
<tr><th>提交编号</th><td>{facts.submission_id}</td></tr>
</table>
<h2>问题清单</h2>
{table}
</body>
</html>
"""


def receipt_paths(
    receipts_root: Path, facts: ReceiptFacts, taken: set[Path], places: _Places | None = None
) -> tuple[Path, Path]:
    """Return where this file's receipt goes: receipts/<sending folder>/<original name>.回执.html (and .json).

    A file from the inbox root has no folder to answer in: its receipt goes to the folder of its unit.
    """
    place = places or _Places(receipts_root)
    unit = safe_component(facts.sending_folder or facts.unit, UNKNOWN_UNIT)
    html_path = place(unit, safe_component(facts.original_name, "未命名文件", ".回执.html"))
    if html_path in taken:
        # Another submission of the same name already has this receipt; keep both.
        tail = f".第{facts.submission_id}号.回执.html"
        html_path = place(unit, safe_component(facts.original_name, "未命名文件", tail))
    return html_path, html_path.with_suffix(".json")


def _write_whole(path: Path, text: str) -> bool:
    """Write a file by rename, so a clerk never opens half a receipt; leave it alone if it already says this.

    Return whether it was written.
    """
    if isinstance(path, ObjectPath):
        return put_text(str(path), text)  # one PUT: whole, and left alone when unchanged
    data = text.encode("utf-8")
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False  # written by a run that stopped before recording it, or unchanged: nothing to do
    except OSError:
        pass
    partial = path.with_name(bounded_name(f".{path.name}", ".partial", NAME_MAX))
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError:
        # The failure is the receipt's (recorded, retried next run); its half-made copy must not stay beside it.
        partial.unlink(missing_ok=True)
        raise
    return True


def _write_files(
    html_path: Path, json_path: Path, facts: ReceiptFacts, made: set[Path] | None = None
) -> Path:
    if isinstance(html_path, ObjectPath):
        pass  # an object store has no folders to make
    elif made is None or html_path.parent not in made:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        if made is not None:
            made.add(html_path.parent)
    _write_whole(html_path, render_html(facts))
    _write_whole(json_path, json.dumps(facts.as_json(), ensure_ascii=False, indent=2, default=str))
    return html_path


WOULD_ZH = {"accepted": "将被接收", "rejected": "将被退回", "duplicate": "将被视为重复提交"}


def _would(facts: ReceiptFacts, names: dict[str, str]) -> str:
    """Say what sending the file would do, for a dry run: nothing has been stored."""
    matched = "、".join(names.get(t, t) for t in facts.templates) or "未识别出报表模板"
    where = f"（识别为：{matched}；{facts.year or '年度未能确定'}{'年度' if facts.year else ''}）"
    errors, warnings, _ = facts.counts()
    if facts.status == "rejected":
        return f"检查未通过：正式报送后将被退回{where}，共{errors}处错误，请逐条修改后再报送。"
    if facts.status == "duplicate":
        return f"{facts.reason or '与此前报送的文件完全相同。'}正式报送后将被视为重复提交，不会重复入库。"
    tail = f"另有{warnings}处警告，请核实。" if warnings else "未发现问题。"
    return f"检查通过：正式报送后将被接收{where}。{tail}（本次检查未保存任何数据。）"


def render_text(facts: ReceiptFacts, dry_run: bool = False, names: dict[str, str] | None = None) -> str:
    """Render the receipt as plain text for the terminal; a dry run (`pipeline check`) says what would happen."""
    if dry_run:
        lines = [f"【{WOULD_ZH[facts.status]}】{facts.original_name}", f"  {_would(facts, names or {})}"]
    else:
        lines = [f"【{STATUS_ZH[facts.status]}】{facts.original_name}", f"  {_summary(facts)}"]
    for index, issue in enumerate(facts.issues, 1):
        where = sheet_named(issue.sheet, issue.message_zh)
        kind = f"{issue.severity_zh}·{RULE_ZH.get(issue.rule, issue.rule)}"
        lines.append(f"  {index}. [{kind}] {where}{issue.message_told}")
    # Each line is one line on the terminal: a line feed in a file name or a cell would forge another.
    return "\n".join(printable(line, one_line=True) for line in lines)


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


# Threads writing receipts on a local disk (on object storage: `writer_threads`). One: the receipts of an office
# go into one folder, and threads creating files in the same folder contend for its lock.
RECEIPT_THREADS = 1


def receipt_writers(settings, process: bool = False) -> Executor:
    """Return a pool that writes receipts to `settings.receipts`: with `process`, one process beside this one
    (`pools.writers`); else threads."""
    # In a thread, rendering and writing 20,000 receipt files held the loader's core (the GIL) for 6-12 s of a
    # 10,000-file ingest while the other core idled (README "Performance").
    local = not is_url(settings.receipts)
    return pools.writers(writer_threads(settings.receipts, RECEIPT_THREADS), "receipts", process and local)


_made_here: set[Path] = set()  # folders a receipt process has made (or found): it lives for one load


def _write_in_process(html_path: Path, json_path: Path, facts: ReceiptFacts) -> Path:
    return _write_files(html_path, json_path, facts, _made_here)


def _here(paths: tuple[Path, Path], facts: ReceiptFacts) -> partial:
    """Return the write of a receipt in this process: the fallback when the pool's process has died."""
    return partial(_write_files, *paths, facts)


def _start_writing(
    pool: Executor, paths: tuple[Path, Path], facts: ReceiptFacts, made: set[Path] | None
) -> Future:
    """Hand a receipt to the pool; write it here if the pool's process has died."""
    if isinstance(pool, ProcessPoolExecutor):
        work = partial(_write_in_process, *paths, facts)
    else:
        work = partial(_write_files, *paths, facts, made)
    return pools.submit(pool, work, _here(paths, facts))


def _settled(job: Future, paths: tuple[Path, Path], facts: ReceiptFacts) -> Future:
    """Return a receipt's write once it is over, written here instead if the pool's process died under it."""
    return pools.settled(job, _here(paths, facts))


@dataclass(frozen=True, slots=True)
class ReceiptsWritten:
    written: int
    failed: int  # left stale in ops.submissions (receipt_status differs from status), retried next run


@dataclass(slots=True)
class _Early:
    """A receipt written right after its batch committed: where, saying what, and the write (a future)."""

    paths: tuple[Path, Path]
    facts: ReceiptFacts
    job: Future


class EarlyReceipts:
    """Write each batch's receipts as soon as the batch commits, in the pool (a process beside the loader, or
    threads), while the loader goes on.

    Creating files is slow on some disks, and the loader's own work leaves a core free: written during the
    load, the receipts cost it little. Each one goes where the final pass (`write_receipts(…, early=…)`) will
    almost always put it: beside every receipt the warehouse knows of, after those of this run's earlier
    submissions. The final pass settles every name exactly as it always has and writes again only a receipt
    whose place or wording has changed since (a submission superseded later in the run), removing a copy
    written early to a place that turned out not to be its own.
    """

    def __init__(self, con, settings, pool: Executor):
        self.root = settings.receipts
        self.pool = pool
        self.taken = {
            place(p)
            for (p,) in con.execute(
                "select receipt_path from ops.submissions where receipt_path is not null"
            ).fetchall()
        }
        self.written: dict[int, _Early] = {}
        self.places = _Places(self.root)
        self.made: set[Path] = set()  # folders made (or found) this run

    def committed(self, con, submission_ids: list[int]) -> None:
        """Start writing the receipts of a batch that has just committed."""
        for facts in _facts_from_warehouse(con, submission_ids):
            try:
                paths = receipt_paths(self.root, facts, self.taken, self.places)
            except (OSError, ValueError):
                continue  # the final pass reports it
            self.taken.add(paths[0])
            job = _start_writing(self.pool, paths, facts, self.made)
            self.written[facts.submission_id] = _Early(paths, facts, job)


def _written_early(early: _Early | None, paths: tuple[Path, Path], facts: ReceiptFacts) -> Future | None:
    """Return the early write of this very receipt (same place, same facts), if it succeeded."""
    if early is None or early.paths != paths or early.facts != facts:
        return None
    job = _settled(early.job, paths, facts)
    try:
        job.result()
    except (OSError, ValueError):
        return None  # written again now, and reported if it fails again
    return job


def mark_deleted(con: duckdb.DuckDBPyConnection, receipts_root: Path | str) -> int:
    """Mark stale every receipt no longer where it was written, or written outside today's receipts folder, so that
    `write_receipts` writes it again; return how many."""
    # A clerk or an operator may delete a receipt by hand; the office must still find one for every file it sent.
    # Nothing else would ever write it again, as its status has not changed. Either file of the two counts. A data
    # root moved or restored elsewhere still records the old folder's paths: those receipts go to the new one.
    written = con.execute(
        "select submission_id, receipt_path from ops.submissions "
        "where receipt_path is not null and receipt_status is not distinct from status"
    ).fetchall()
    if not written:
        return 0
    root = place(receipts_root)
    if isinstance(root, ObjectPath):  # one listing of the bucket's receipts, not a request per receipt
        listed = set(list_objects(str(root)))
        present = listed.__contains__
    else:
        # Recorded resolved, as `contained` writes them: under the folder's resolved path.
        inside = str(Path(root).resolve()) + os.sep

        def present(path: str) -> bool:
            return path.startswith(inside) and os.path.isfile(path)

    gone = [
        submission_id
        for submission_id, html_path in written
        if not (present(html_path) and present(str(place(html_path).with_suffix(".json"))))
    ]
    if gone:
        logger.warning("%d份回执已不在原处（被删除、移走，或数据目录已搬迁），本次重新写出", len(gone))
        con.execute(
            "update ops.submissions set receipt_status = null where submission_id in (select unnest(?))",
            [gone],
        )
    return len(gone)


def write_receipts(
    con, settings, pool: Executor | None = None, early: EarlyReceipts | None = None
) -> ReceiptsWritten:
    """Write the receipt of every submission whose receipt is missing or shows an old status.

    A receipt that cannot be written (its folder closed to the pipeline, a full disk) stays stale, with the
    reason in `ops.submissions.receipt_error`, and is retried by the next run; the others are written. Each
    receipt's name is settled in submission order; the files are rendered and written by `pool` (threads:
    mostly waiting for the disk), and a file that already says the same is not written again, nor one
    `early` wrote during the load to the same place with the same facts.
    """
    written_early = early.written if early is not None else {}
    # Every early write is over before any receipt is written again, so no two writes ever meet on one file.
    wait([e.job for e in written_early.values()])
    stale = [
        r[0]
        for r in con.execute(
            "select submission_id from ops.submissions where receipt_status is distinct from status order by 1"
        ).fetchall()
    ]
    if not stale:
        _remove_misplaced(written_early, set())
        return ReceiptsWritten(0, 0)
    # Each receipt path held, by whom: (submission, the inbox path of its file).
    holders = {
        place(p): (submission_id, inbox_path)
        for p, submission_id, inbox_path in con.execute(
            "select receipt_path, submission_id, inbox_path from ops.submissions where receipt_path is not null "
            "and submission_id not in (select unnest(?))",
            [stale],
        ).fetchall()
    }
    inbox_paths = dict(
        con.execute(
            "select submission_id, inbox_path from ops.submissions where submission_id in (select unnest(?))",
            [stale],
        ).fetchall()
    )
    taken = set(holders)
    # By submission: (facts, where its files go, or why they cannot go anywhere).
    planned: dict[int, tuple] = {}
    places = early.places if early is not None else _Places(settings.receipts)
    moved: list[ReceiptFacts] = []
    for facts in _facts_from_warehouse(con, stale):
        try:
            paths = receipt_paths(settings.receipts, facts, taken, places)
            plain = receipt_paths(settings.receipts, facts, set(), places)
        except (OSError, ValueError) as exc:
            planned[facts.submission_id] = (facts, exc)
            continue
        holder = holders.get(plain[0])
        if paths != plain and holder is not None and holder[1] == inbox_paths[facts.submission_id]:
            # The same file taken in again (unreadable before, or changed): its newest receipt is the one under
            # its name, where the clerk looks; the earlier one keeps a numbered name.
            paths = plain
            if holder[0] in planned:
                moved.append(planned.pop(holder[0])[0])
            else:
                moved += _facts_from_warehouse(con, [holder[0]])
        taken.add(paths[0])
        holders[paths[0]] = (facts.submission_id, inbox_paths[facts.submission_id])
        planned[facts.submission_id] = (facts, paths)
    for facts in moved:
        try:
            paths = receipt_paths(settings.receipts, facts, taken, places)
        except (OSError, ValueError) as exc:
            planned[facts.submission_id] = (facts, exc)
            continue
        taken.add(paths[0])
        planned[facts.submission_id] = (facts, paths)
    with ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(receipt_writers(settings))
        writing = []
        for facts, paths in planned.values():
            if isinstance(paths, Exception):
                writing.append((facts, None, paths))
                continue
            job = _written_early(written_early.get(facts.submission_id), paths, facts)
            writing.append((facts, paths, job or _start_writing(pool, paths, facts, None)))
        done = []  # (receipt path, status shown, why not written, submission): path and status None if not written
        for facts, paths, job in writing:
            try:
                if isinstance(job, Exception):
                    raise job
                path = _settled(job, paths, facts).result()
            except (OSError, ValueError) as exc:
                logger.warning("回执未能写出（第%s号提交），下次运行重试：%s", facts.submission_id, exc)
                done.append((None, None, str(exc), facts.submission_id))
                continue
            done.append((str(path), facts.status, None, facts.submission_id))
    # One statement for the whole run: an UPDATE per receipt costs milliseconds each at a city's volume. A receipt
    # not written keeps its old path and status, so it stays stale and the next run tries again.
    con.execute(
        "update ops.submissions s set receipt_path = coalesce(w.path, s.receipt_path), "
        "receipt_status = coalesce(w.status, s.receipt_status), receipt_error = w.error "
        "from (select unnest(?::varchar[]) as path, unnest(?::varchar[]) as status, "
        "unnest(?::varchar[]) as error, unnest(?::integer[]) as submission_id) w "
        "where s.submission_id = w.submission_id",
        [list(column) for column in zip(*done, strict=True)],
    )
    # Only now that the receipts written are recorded: a cleanup that fails must not cost that record.
    _remove_misplaced(written_early, {place(path) for path, *_ in done if path is not None} | taken)
    failed = sum(error is not None for _, _, error, _ in done)
    return ReceiptsWritten(len(done) - failed, failed)


def _remove_misplaced(written_early: dict[int, _Early], kept: set[Path]) -> None:
    """Remove receipts written early to a place that is no submission's receipt after all."""
    for early in written_early.values():
        html_path, json_path = early.paths
        if html_path in kept:
            continue
        try:
            early.job.result()
        except (OSError, ValueError, BrokenExecutor):  # never written there
            continue
        for path in (html_path, json_path):
            try:
                if isinstance(path, ObjectPath):
                    object_filesystem().rm_file(str(path).partition("://")[2])
                else:
                    path.unlink(missing_ok=True)
            except OSError as exc:  # a stray early copy is harmless; the recorded receipt is elsewhere
                logger.warning("提前写出的回执未能删除，留在原处：%s（%s）", path, exc)
