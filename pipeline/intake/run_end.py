"""End a load once its last chunk is stored: Data Docs, codes rekeyed, receipts, and the run recorded."""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import Executor

import duckdb

from pipeline.failures import file_error_zh
from pipeline.intake.candidates import IngestReport
from pipeline.intake.pending_rows import insert_rows
from pipeline.intake.recheck import unfinished_outcomes
from pipeline.intake.retell import retell
from pipeline.receipts import EarlyReceipts, mark_deleted, write_receipts
from pipeline.registry import Registry
from pipeline.settings import TIMEZONE, Settings
from pipeline.text import printable
from pipeline.validate import Validation, write_data_docs

logger = logging.getLogger(__name__)


def finish_run(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    registry: Registry,
    report: IngestReport,
    validation: Validation | None,
    receipts: EarlyReceipts,
    receipt_pool: Executor,
    unfinished: set[int],
    work_runs: list[str] | None,
) -> None:
    """Write the run's Data Docs (`validation` holding every chunk's results), settle what the run changed, write
    its receipts and record it in ops.runs and ops.inbox_skips.

    `unfinished`: the files of a killed run this one finished, told with its outcomes.
    """
    if validation is not None and validation.results:
        try:
            report.data_docs = write_data_docs(validation, settings.data_docs, settings.data_docs_keep_days)
        except OSError as exc:
            # Written after every batch committed and the receipts said 已接收: a folder the run cannot write
            # stopped the night before publication, every night until repaired. The pages are a view of
            # ops.validation_issues; the next run that can write them writes them again.
            report.data_docs_failed = file_error_zh(exc)
            logger.error("校验报告（Data Docs）未能写出，本次运行照常完成：%s", report.data_docs_failed)
    # A register of this run may list, under its own code, a project earlier files of its year were filed
    # under by another year's register: they are moved to it before anything is told of what is in force.
    # Imported here: code_backfill imports the intake's own parts.
    from pipeline.code_backfill import rekey_provisional

    con.execute("begin")
    rekey_provisional(con, registry)
    con.execute("commit")
    # The run's supersedings settled: a duplicate of, or a warning about, a file superseded says so.
    retell(con)
    mark_deleted(con, settings.receipts)
    report.receipts_failed = write_receipts(con, settings, receipt_pool, early=receipts).failed
    report.outcomes[:0] = unfinished_outcomes(con, unfinished)
    finished = dt.datetime.now(TIMEZONE)
    con.execute(
        "insert into ops.runs (finished_at, new_files, accepted, rejected, duplicate, unchanged, skipped, "
        "last_submission_id, work_runs) "
        "values (?, ?, ?, ?, ?, ?, ?, (select max(submission_id) from ops.submissions), ?)",
        [
            finished,
            len(report.outcomes),
            *(report.count(status) for status in ("accepted", "rejected", "duplicate")),
            report.unchanged,
            len(report.skipped),
            work_runs or [],
        ],
    )
    insert_rows(
        con,
        "ops.inbox_skips",
        ["run_finished_at", "inbox_path", "raw_path", "kind", "reason_zh"],
        [[finished.isoformat(), s.path, s.raw, s.kind, s.reason_zh] for s in report.skipped],
    )
    for skipped in report.skipped:
        logger.warning("未接收 %s：%s", printable(skipped.path, one_line=True), skipped.reason_zh)
