"""Say where things stand: the last run, each office's files by outcome, the receipts, reports gone stale."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.receipt_facts import STATUS_ZH
from pipeline.settings import WAREHOUSE_LOST_FIX, Settings
from pipeline.text import clip, display_width, pad, printable
from pipeline.warehouse import current_version, published_reader, unpublished
from pipeline.warehouse_lost import warehouse_lost

STATUSES = ("accepted", "rejected", "duplicate", "superseded", "withdrawn")
# Columns given to an office and a file name on a terminal line.
UNIT_COLUMNS = 40
NAME_COLUMNS = 50


@dataclass(slots=True)
class Status:
    last_run: tuple | None = None  # (finished_at, new, accepted, rejected, duplicate, unchanged)
    by_unit: dict[str, dict[str, int]] = field(default_factory=dict)
    receipts: str = ""
    warehouse: str = ""
    stale_receipts: list[tuple] = field(default_factory=list)  # (unit, file name, why not written)
    skipped: list[tuple] = field(default_factory=list)  # the last run's entries not taken in: (path, reason)
    rejected: list[tuple] = field(default_factory=list)  # (unit, file, reason, receipt path)
    stale_reports: list[int] = field(default_factory=list)  # published years whose data has changed since
    # The deployment's own report templates' problems (the report is written all the same).
    template_warnings: list[str] = field(default_factory=list)
    # What the writer's copy holds that no published version does yet (`warehouse.unpublished_note`), if anything.
    unpublished: dict | None = None
    # The archive, when it holds files though no version is published: the warehouse is elsewhere, or lost.
    archive_holding_files: str = ""


def status(settings: Settings) -> Status:
    """Read the published warehouse (never the writer's copy, never writing) and summarise it."""
    from pipeline.report import stale_reports

    result = Status(receipts=str(settings.receipts), warehouse=str(settings.warehouse))
    result.template_warnings = template_warnings(settings)
    result.unpublished = unpublished(settings.warehouse)
    if current_version(settings.warehouse) is None:
        if result.unpublished is None and warehouse_lost(settings) is not None:
            result.archive_holding_files = str(settings.archive)
        return result
    with published_reader(settings.warehouse) as con:
        result.stale_reports = stale_reports(con, settings)
        result.last_run = con.execute(
            "select strftime(finished_at, '%Y-%m-%d %H:%M:%S'), new_files, accepted, rejected, duplicate, unchanged "
            "from ops.runs order by finished_at desc limit 1"
        ).fetchone()
        for unit, state, files in con.execute(
            "select coalesce(unit, '（未能确定单位）'), status, count(*) from ops.submissions group by all order by all"
        ).fetchall():
            result.by_unit.setdefault(unit, dict.fromkeys(STATUSES, 0))[state] = files
        result.stale_receipts = con.execute(
            "select coalesce(unit, '（未能确定单位）'), original_name, coalesce(receipt_error, '尚未写出') "
            "from ops.submissions where receipt_status is distinct from status order by submission_id"
        ).fetchall()
        result.rejected = con.execute(
            "select coalesce(unit, '（未能确定单位）'), original_name, coalesce(reason, ''), coalesce(receipt_path, '') "
            "from ops.submissions where status = 'rejected' order by unit, submission_id"
        ).fetchall()
        result.skipped = con.execute(
            "select inbox_path, reason_zh from ops.inbox_skips "
            "where run_finished_at = (select max(finished_at) from ops.runs) order by inbox_path"
        ).fetchall()
    return result


def unpublished_lines(said: dict) -> list[str]:
    """Say what the writer's copy holds that readers do not see yet, since when, and what publishes it."""
    lines = [
        f"数据仓库写入方的副本中有尚未发布的数据（自 {said['since'][:19].replace('T', ' ')} 起），读者和报告仍看到此前发布的版本："
    ]
    lines += [
        f"  {finished} 的接收：新文件 {new} 个，已接收 {accepted}、已退回 {rejected}、重复提交 {duplicate}"
        for finished, new, accepted, rejected, duplicate in said.get("runs", [])
    ]
    if not said.get("runs") and said.get("files"):
        lines.append(f"  未运行完的接收已入库的文件 {said['files']} 个")
    lines += [
        f"  {at} 撤回第{number}号提交“{_line(name)}”" for at, number, name in said.get("withdrawals", [])
    ]
    return [
        *lines,
        "发布它们（连同重新计算的指标）：pipeline report；由 Airflow 运行时，夜间接收由 annual_indicators DAG "
        "与指标一同发布，请确认该 DAG 未暂停、最近一次运行成功。",
    ]


def template_warnings(settings: Settings) -> list[str]:
    """Say what of the deployment's own report templates (PIPELINE_REPORT_TEMPLATES) the report warns of."""
    from pipeline.report_model import ReportError
    from pipeline.report_notes import notes_warnings
    from pipeline.report_templates import template_folders

    if settings.report_templates is None:  # ours, tested
        return []
    try:
        return notes_warnings(template_folders(settings.report_templates))
    except ReportError as exc:  # no such folder: the report is not written
        return [str(exc)]


def _line(value: str) -> str:
    """Return a value from the warehouse as one printable line: a line feed in a file name must not forge a line."""
    return printable(value, one_line=True)


def stale_lines(years: list[int]) -> list[str]:
    """Say which published reports print older data than the warehouse holds, and how to rebuild each."""
    if not years:
        return []
    return [
        f"已发布的年度报告中有 {len(years)} 份早于数据仓库中的数据（之后有更正或撤回），报告里的数字已过时，请重新生成：",
        *(f"  {year}年度：pipeline report --year {year}" for year in years),
    ]


def render(result: Status) -> str:
    """Render the summary for the terminal, in Chinese."""
    waiting = unpublished_lines(result.unpublished) if result.unpublished else []
    if result.last_run is None and waiting:
        return printable("\n".join(["尚未发布过数据仓库。", *waiting]))
    if result.last_run is None and result.archive_holding_files:
        # Told 尚未运行过接收…请先运行 `pipeline run`, the operator of a lost warehouse was sent to a command that refuses.
        return (
            f"数据仓库 {result.warehouse} 不存在，但归档 {result.archive_holding_files} 中已有以前接收的文件："
            f"数据仓库不在本机，或已丢失。{WAREHOUSE_LOST_FIX}。"
        )
    if result.last_run is None:
        return f"尚未运行过接收：{result.warehouse} 还没有任何记录。请先运行 `pipeline run`。"
    finished, new, accepted, rejected, duplicate, unchanged = result.last_run
    lines = [
        f"最近一次运行：{finished}（北京时间），新文件 {new} 个：已接收 {accepted}、已退回 {rejected}、"
        f"重复提交 {duplicate}；未变化 {unchanged} 个。",
        "",
        "各单位累计报送：",
    ]
    if waiting:  # first: the counts below are the published version's, not the night's
        lines[1:1] = ["", *waiting]
    # A very long office name is cut so the columns still line up; `--rejected` and the receipts have it whole.
    by_unit = [(_line(unit), counts) for unit, counts in result.by_unit.items()]
    width = min(max((display_width(unit) for unit, _ in by_unit), default=0), UNIT_COLUMNS)
    widths = [max(display_width(STATUS_ZH[s]), 4) for s in STATUSES]
    header = "  ".join(pad(STATUS_ZH[s], w) for s, w in zip(STATUSES, widths, strict=True))
    lines.append(f"  {pad('单位', width)}  {header}")
    for unit, counts in by_unit:
        cells = "  ".join(pad(str(counts[s]), w) for s, w in zip(STATUSES, widths, strict=True))
        lines.append(f"  {pad(clip(unit, width), width)}  {cells}")
    if result.rejected:
        lines.append(
            f"\n已退回的文件 {len(result.rejected)} 个，逐个列出原因与回执：pipeline status --rejected"
        )
    if result.skipped:
        lines += ["", f"最近一次运行未接收的收件箱条目 {len(result.skipped)} 个（不记为提交）："]
        lines += [f"  {_line(path)}：{_line(reason)}" for path, reason in result.skipped]
    if result.stale_reports:
        lines += ["", *stale_lines(result.stale_reports)]
    if result.template_warnings:
        lines += ["", "报告模板提示：", *(f"  {warning}" for warning in result.template_warnings)]
    if result.stale_receipts:
        lines += ["", f"待重写的回执 {len(result.stale_receipts)} 份（下次运行时重试）："]
        lines += [
            f"  {_line(unit)} / {_line(name)}：{_line(why)}" for unit, name, why in result.stale_receipts
        ]
    lines += [
        "",
        f"回执目录：{result.receipts}（每个文件一份 .回执.html 与 .回执.json，按报送文件夹分，根目录的按填报单位）",
    ]
    lines.append(f"数据仓库：{result.warehouse}")
    return printable("\n".join(lines))


def render_rejected(result: Status) -> str:
    """List every rejected file with its office, reason and receipt, aligned for Chinese text on a terminal."""
    if not result.rejected:
        return "没有已退回的文件。"
    rejected = [tuple(map(_line, row)) for row in result.rejected]
    unit_width = min(max(display_width(unit) for unit, *_ in rejected), UNIT_COLUMNS)
    name_width = min(max(display_width(name) for _, name, *_ in rejected), NAME_COLUMNS)
    lines = [
        f"已退回的文件 {len(result.rejected)} 个：",
        f"  {pad('单位', unit_width)}  {pad('文件', name_width)}  原因",
    ]
    for unit, name, reason, receipt in rejected:
        lines.append(
            f"  {pad(clip(unit, unit_width), unit_width)}  {pad(clip(name, name_width), name_width)}  {reason}"
        )
        lines.append(f"  {pad('', unit_width)}  {pad('', name_width)}  回执：{receipt or '尚未写出'}")
    return printable("\n".join(lines))
