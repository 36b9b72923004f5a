"""Print what the `pipeline` command has to say: files' outcomes, with their text made safe, even into a closed pipe."""

from __future__ import annotations

import os
import sys

from pipeline.intake import IngestReport, Outcome
from pipeline.problems import sheet_named
from pipeline.receipt_facts import STATUS_ZH, ReceiptIssue
from pipeline.receipt_render import with_fix
from pipeline.registry import Registry
from pipeline.text import one_line, printable


class _Outlet:
    """Pass writes on to a stream until its reader goes away, then to nowhere: a closed pipe never stops a run.

    `pipeline run | head -1`, a log shipper that dies, a terminal closed: the night must still rebuild the marts and
    the report, not end after the load with exit 0 and a report that no longer matches the warehouse.
    """

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_nowhere()
            return self._stream.write(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_nowhere()
            self._stream.flush()

    def _to_nowhere(self) -> None:
        # The descriptor itself is pointed at /dev/null, so the stream's own buffer, and anything else holding it
        # (a progress bar, a log handler), writes on without error.
        nowhere = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(nowhere, self._stream.fileno())
        finally:
            os.close(nowhere)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def say(text: str, out=None) -> None:
    """Print text from files and cells with control characters and bidi overrides made visible, never raw."""
    print(printable(text), file=out or sys.stdout)


def _print_outcome(outcome: Outcome, out, registry: Registry) -> None:
    status = STATUS_ZH[outcome.status]
    year = f"{outcome.year}年" if outcome.year else "年度未知"
    # Named as `pipeline check` and the receipts name them (老旧小区改造项目清单), not by their keys (compound_list).
    forms = "、".join(
        registry.templates[t].name_zh if t in registry.templates else t for t in outcome.templates
    )
    where = f"（{one_line(outcome.unit or '单位未知')}，{year}，{forms or '无模板'}）"
    say(f"[{status}] {one_line(outcome.inbox_path)} {where}", out)
    if outcome.reason and outcome.status != "rejected":
        say(f"    {one_line(outcome.reason)}", out)
    for problem in outcome.problems:
        label = "错误" if problem.severity == "error" else "警告"
        sheet = one_line(sheet_named(problem.sheet, problem.message_zh))
        # With how to fix it, as the receipt says it: 文件为空（0字节） alone left the clerk at the terminal guessing.
        say(f"    {label}：{sheet}{one_line(with_fix(ReceiptIssue.of(problem)))}", out)


def _print_report(report: IngestReport, out, registry: Registry) -> None:
    for outcome in report.outcomes:
        _print_outcome(outcome, out, registry)
    for skipped in report.skipped:
        say(
            f"[未接收] {one_line(skipped.path)}：{one_line(skipped.reason_zh)}", out
        )  # a retried kind's reason says so itself
    counts = "，".join(f"{STATUS_ZH[s]} {report.count(s)} 个" for s in ("accepted", "rejected", "duplicate"))
    say(
        f"新文件 {len(report.outcomes)} 个：{counts}；未接收 {len(report.skipped)} 个；未变化 {report.unchanged} 个。",
        out,
    )
    if report.receipts_failed:
        say(
            f"有 {report.receipts_failed} 份回执未能写出，已记录，将在下次运行时重试（见 pipeline status）。",
            out,
        )
    if report.data_docs:
        say(f"校验报告（Data Docs）：{report.data_docs}", out)
    if report.data_docs_failed:
        say(f"校验报告（Data Docs）未能写出，其余已照常完成：{report.data_docs_failed}", out)
