"""Render a receipt as an HTML page or as plain text for the terminal, in Chinese."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from pipeline.problems import sheet_named
from pipeline.receipt_facts import STATUS_ZH, UNKNOWN_UNIT, force_note_at
from pipeline.suites import rule_titles
from pipeline.text import printable

if TYPE_CHECKING:
    from pipeline.receipt_facts import ReceiptFacts, ReceiptIssue


def summary(facts: ReceiptFacts) -> str:
    """Say in a sentence what became of the file and what, if anything, the clerk is to do."""
    errors, warnings, stale = facts.counts()
    if facts.status == "rejected":
        return f"文件未通过校验，共发现{errors}处错误，整份文件已退回，数据未入库。请逐条修改后重新报送整份文件。"
    if facts.status == "duplicate":
        reason = facts.reason or "与此前报送的文件完全相同。"
        # A copy out of force has its own instruction: "nothing to do" would contradict it.
        return reason if force_note_at(reason) is not None else f"{reason}无需任何操作。"
    if facts.status == "withdrawn":
        return f"此文件已被撤回，其数据不再使用；如有更早报送的同一数据，现以该文件为准。原文件仍存档备查。撤回说明：{facts.reason}"
    if facts.status == "superseded":
        # Its reason names the files holding its slices now, its office's or an implementing unit's
        # (`intake.retell.retell_taken`).
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
        # A 累计 that adds up once its months came names no file: its note says why (`retell.retell_mismatches`).
        why = (
            "所涉的提交已撤回或被替代"
            if all(i.named_submissions for i in facts.issues if i.stale_note)
            else "因之后报送的数据已不成立（原因见各条说明）"
        )
        tail += f"{'此外' if warnings else '另有'}{stale}处警告{why}，不再适用，无需处理。"
    # Some of its data its office's later file holds in its place (`intake.retell.retell_partly_replaced`).
    return f"文件已通过校验，数据已入库。{facts.reason or ''}{tail}"


def _escaped(text: str) -> str:
    return html.escape(printable(text, one_line=True))  # every field is one value: a line feed in it is shown


def render_html(facts: ReceiptFacts) -> str:
    """Render the receipt page; every text from the file is escaped, control characters shown as stand-ins."""
    e = _escaped
    rows = "\n".join(
        "<tr>"
        f"<td>{i}</td><td>{e(p.severity_zh)}</td>"
        f"<td>{e(rule_titles().get(p.rule, p.rule))}</td><td>{e(p.sheet or '')}</td>"
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
<p>{e(summary(facts))}</p>
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
    from pipeline.stated import FORM, SETTLED_LATER_ZH
    from pipeline.stated_lights import LIGHT_FORM, LIGHT_SETTLED_LATER_ZH

    tail = f"另有{warnings}处警告，请核实。" if warnings else "未发现问题。"
    # 未发现问题 alone, then the night's receipt warning that the stated 得分 (or light) differs, read as a broken
    # promise.
    settled = ((FORM, SETTLED_LATER_ZH), (LIGHT_FORM, LIGHT_SETTLED_LATER_ZH))
    later = "".join(said for form, said in settled if form in facts.templates)
    return f"检查通过：正式报送后将被接收{where}。{tail}{later}（本次检查未保存任何数据。）"


def with_fix(issue: ReceiptIssue) -> str:
    """Return a problem's message and, where its words leave it out, how to fix it: the receipt's 修改方法 column."""
    # A file that cannot be opened is told 文件已损坏，无法打开 alone; the page shows the fix beside it, a line must say it.
    message = issue.message_told
    if not issue.fix or issue.fix in issue.message_zh:
        return message
    return f"{message}{'' if message.endswith('。') else '。'}{issue.fix}。"


def render_text(facts: ReceiptFacts, dry_run: bool = False, names: dict[str, str] | None = None) -> str:
    """Render the receipt as plain text for the terminal; a dry run (`pipeline check`) says what would happen."""
    if dry_run:
        lines = [f"【{WOULD_ZH[facts.status]}】{facts.original_name}", f"  {_would(facts, names or {})}"]
    else:
        lines = [f"【{STATUS_ZH[facts.status]}】{facts.original_name}", f"  {summary(facts)}"]
    for index, issue in enumerate(facts.issues, 1):
        where = sheet_named(issue.sheet, issue.message_zh)
        kind = f"{issue.severity_zh}·{rule_titles().get(issue.rule, issue.rule)}"
        lines.append(f"  {index}. [{kind}] {where}{with_fix(issue)}")
    # Each line is one line on the terminal: a line feed in a file name or a cell would forge another.
    return "\n".join(printable(line, one_line=True) for line in lines)
