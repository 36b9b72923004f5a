"""Say where things stand: the last run, each office's files by outcome, and where the receipts are."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.receipts import STATUS_ZH
from pipeline.settings import Settings
from pipeline.text import printable
from pipeline.warehouse import current_version, published_reader

STATUSES = ("accepted", "rejected", "duplicate", "superseded")


@dataclass(slots=True)
class Status:
    last_run: tuple | None = None  # (finished_at, new, accepted, rejected, duplicate, unchanged)
    by_unit: dict[str, dict[str, int]] = field(default_factory=dict)
    receipts: str = ""
    warehouse: str = ""
    stale_receipts: list[tuple] = field(default_factory=list)  # (unit, file name, why not written)
    skipped: list[tuple] = field(default_factory=list)  # the last run's entries not taken in: (path, reason)


def status(settings: Settings) -> Status:
    """Read the published warehouse (never the writer's copy, never writing) and summarise it."""
    result = Status(receipts=str(settings.receipts), warehouse=str(settings.warehouse))
    if current_version(settings.warehouse) is None:
        return result
    with published_reader(settings.warehouse) as con:
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
        result.skipped = con.execute(
            "select inbox_path, reason_zh from ops.inbox_skips "
            "where run_finished_at = (select max(finished_at) from ops.runs) order by inbox_path"
        ).fetchall()
    return result


def render(result: Status) -> str:
    """Render the summary for the terminal, in Chinese."""
    if result.last_run is None:
        return f"尚未运行过接收：{result.warehouse} 还没有任何记录。请先运行 `pipeline run`。"
    finished, new, accepted, rejected, duplicate, unchanged = result.last_run
    lines = [
        f"最近一次运行：{finished}（北京时间），新文件 {new} 个：已接收 {accepted}、已退回 {rejected}、"
        f"重复提交 {duplicate}；未变化 {unchanged} 个。",
        "",
        "各单位累计报送：",
    ]
    width = max(len(unit) for unit in result.by_unit) if result.by_unit else 0
    header = "  ".join(STATUS_ZH[s] for s in STATUSES)
    lines.append(f"  {'单位'.ljust(width)}  {header}")
    for unit, counts in result.by_unit.items():
        cells = "  ".join(str(counts[s]).rjust(len(STATUS_ZH[s]) * 2) for s in STATUSES)
        lines.append(f"  {unit.ljust(width)}  {cells}")
    if result.skipped:
        lines += ["", f"最近一次运行未接收的收件箱条目 {len(result.skipped)} 个（不记为提交）："]
        lines += [f"  {path}：{reason}" for path, reason in result.skipped]
    if result.stale_receipts:
        lines += ["", f"待重写的回执 {len(result.stale_receipts)} 份（下次运行时重试）："]
        lines += [f"  {unit} / {name}：{why}" for unit, name, why in result.stale_receipts]
    lines += [
        "",
        f"回执目录：{result.receipts}（每个文件一份 .回执.html 与 .回执.json，按报送文件夹分，根目录的按填报单位）",
    ]
    lines.append(f"数据仓库：{result.warehouse}")
    return printable("\n".join(lines))
