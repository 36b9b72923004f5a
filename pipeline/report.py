"""Write the annual report 《…年度预算绩效管理工作开展情况》 in every format, publish it, and record what it was read from."""

# The report is read from the warehouse by pipeline/report_read.py into the data of pipeline/report_model.py.

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.collector import collector_paused, set_aside
from pipeline.locations import place as location_path
from pipeline.publish import publish_set
from pipeline.registry import Registry, load_registry
from pipeline.report_model import ReportConfig, ReportError, load_report_config
from pipeline.report_read import build_report, data_fingerprint
from pipeline.runlock import run_lock
from pipeline.settings import Settings
from pipeline.text import printable
from pipeline.warehouse import reader

logger = logging.getLogger(__name__)

# Characters Windows, Excel or a shell would trip over in a file name.
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
# The longest file name ext4 and APFS take, in bytes of UTF-8 (NTFS counts 255 characters), and the longest
# ending of a report file.
NAME_BYTES = 255
LONGEST_SUFFIX = "（指标表）.xlsx"
CHART_CACHE = "chart_cache"  # under the data root: drawn charts by a hash of their inputs
# Under the data root: what each published year's report was written from, to tell a report its data has moved on
# from.
PUBLISHED_DATA = "published_reports.json"
# The year's files in force, slice by slice: what its marts are built from. `pipeline ingest` publishes a load
# without rebuilding the marts, so the report's own reads do not move until they are rebuilt.
LOADED_SQL = """
select count(*), coalesce(sum(hash(l.slice_key, l.submission_id)::hugeint), 0)::varchar
from ops.current_slices as c
join ops.slices as l using (slice_key, submission_id)
where l.year = ?
"""


@dataclass(frozen=True, slots=True)
class Printed:
    """What a published report was written from: a digest of its reads, and of its year's files in force."""

    read: str
    loaded: str | None = None  # None: recorded before the files in force were (only the reads are compared)


def loaded_fingerprint(con: duckdb.DuckDBPyConnection, year: int) -> str:
    """Return a digest of the year's files in force, slice by slice: it changes once a load corrects or withdraws one."""
    count, total = con.execute(LOADED_SQL, [year]).fetchone()
    return f"{count}:{total}"


def _printed(recorded: str | dict) -> Printed:
    """Read one year's record: a bare fingerprint of the reads, as kept before the files in force were."""
    return (
        Printed(recorded) if isinstance(recorded, str) else Printed(recorded["read"], recorded.get("loaded"))
    )


def published_fingerprints(settings: Settings) -> dict[int, Printed | None]:
    """Return each published year and what its report was written from (None: not recorded)."""
    path = settings.home / PUBLISHED_DATA
    recorded = (
        {int(y): _printed(f) for y, f in json.loads(path.read_text(encoding="utf-8")).items()}
        if path.is_file()
        else {}
    )
    reports = location_path(settings.reports)
    if isinstance(reports, Path):  # a report published before fingerprints were recorded counts as published
        on_disk = {int(p.name) for p in reports.iterdir() if p.name.isdigit()} if reports.is_dir() else set()
        recorded = {y: recorded.get(y) for y in on_disk}
    return dict(sorted(recorded.items()))


def _moved_on(con: duckdb.DuckDBPyConnection, year: int, printed: Printed | None) -> bool:
    """Say whether the warehouse `con` holds other data for the year than its report was written from."""
    if printed is None:
        return True
    # Files corrected or withdrawn by a load published without its marts (`pipeline ingest`) leave the report's
    # reads as they were: its year's files in force are compared too, first, as the cheaper.
    if printed.loaded is not None and printed.loaded != loaded_fingerprint(con, year):
        return True
    return printed.read != data_fingerprint(con, year)


def stale_reports(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[int]:
    """Return the published years whose report was written from other data than the warehouse `con` holds."""
    return [y for y, printed in published_fingerprints(settings).items() if _moved_on(con, y, printed)]


def _record_published(settings: Settings, year: int, printed: Printed) -> None:
    """Record what the year's report just published was written from, replacing the file whole."""
    recorded = {y: p for y, p in published_fingerprints(settings).items() if p is not None}
    recorded[year] = printed
    written = {str(y): {"read": p.read, "loaded": p.loaded} for y, p in recorded.items()}
    path = settings.home / PUBLISHED_DATA
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(written, indent=1, sort_keys=True), encoding="utf-8")
    partial.replace(path)


def safe_name(text: str) -> str:
    """Return text usable as a file name on every system the bureau uses."""
    return printable(_UNSAFE_NAME.sub("_", text)).strip(" .") or "report"


def report_name(title: str) -> str:
    """Return the report's file name, cut and tagged with a hash of the title if a file would pass 255 bytes."""
    name = safe_name(title)
    room = NAME_BYTES - len(LONGEST_SUFFIX.encode())
    if len(name.encode()) <= room:
        return name
    tag = "_" + hashlib.sha256(title.encode()).hexdigest()[:12]
    # Cut on a character boundary: `ignore` drops the bytes of a character the cut went through.
    head = name.encode()[: room - len(tag)].decode("utf-8", "ignore").rstrip(" .")
    return head + tag


@dataclass(frozen=True, slots=True)
class ReportFiles:
    html: Path
    docx: Path
    xlsx: Path
    # What an operator should fix in the templates; the report is written all the same.
    warnings: tuple[str, ...] = ()


def write_report(
    settings: Settings, year: int, registry: Registry | None = None, config: ReportConfig | None = None
) -> Path:
    """Write `reports/<year>/` (the report as .html and .docx, the tables as .xlsx); return the HTML's path."""
    return write_report_files(settings, year, registry, config).html


def write_report_files(
    settings: Settings, year: int, registry: Registry | None = None, config: ReportConfig | None = None
) -> ReportFiles:
    """Write the year's report in every format, under the run lock, and return where each went."""
    if not settings.warehouse.is_file():
        raise ReportError(f"找不到数据仓库 {settings.warehouse}，请先运行 pipeline run。")
    registry = registry or load_registry()
    config = config or load_report_config()
    with run_lock(settings, purpose="report"):  # reads the writer's copy, and writes reports/
        return _write_report_files(settings, year, registry, config)


def _write_report_files(
    settings: Settings, year: int, registry: Registry, config: ReportConfig
) -> ReportFiles:
    from pipeline import forked, report_charts, report_docx, report_notes, report_render, report_xlsx
    from pipeline.report_templates import template_folders

    # Only a bureau's own templates are looked at: the shipped report.docx, report.html.j2 and quality_notes.html.j2
    # print the notes alike (tested), and reading them again would cost every report their parse.
    warnings = []
    if settings.report_templates is not None:
        warnings = report_notes.notes_warnings(template_folders(settings.report_templates))
    for warning in warnings:
        logger.warning("%s", warning)
    with set_aside() as set_aside_now:
        with collector_paused(), reader(settings.warehouse) as con:
            report = build_report(con, year, config, registry, settings.report_templates)
            printed = Printed(data_fingerprint(con, year), loaded_fingerprint(con, year))
            set_aside_now()
        # Drawn with the collector running: matplotlib's artists live in cycles, a few megabytes per chart.
        report.memo["charts"] = report_charts.draw(report.context.charts, settings.home / CHART_CACHE)
        with collector_paused():
            # Every format is rendered before anything is written: a failure leaves the published set as it was.
            # The page in a forked child, the Word and Excel files here meanwhile: about the same time each.
            name = report_name(report.title)
            with forked.started(lambda: report_render.render_html(report).encode("utf-8")) as page:
                docx, xlsx = report_docx.render_docx(report), report_xlsx.render_xlsx(report)
                content = {f"{name}.html": page(), f"{name}.docx": docx, f"{name}{LONGEST_SUFFIX}": xlsx}
            set_aside_now()
    # Locally `reports/<year>`; on object storage the version prefix its LATEST.json names.
    folder = publish_set(location_path(settings.reports) / str(year), content)
    _record_published(settings, year, printed)  # after publishing: a crash between leaves it listed stale
    return ReportFiles(*(folder / file_name for file_name in content), tuple(warnings))
