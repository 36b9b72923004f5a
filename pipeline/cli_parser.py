"""Build the `pipeline` command line: its global options, and each subcommand with its handler."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.cli_commands import (
    cmd_check,
    cmd_docs,
    cmd_ingest,
    cmd_init,
    cmd_new_source,
    cmd_report,
    cmd_run,
    cmd_status,
    cmd_templates,
    cmd_withdraw,
)
from pipeline.locations import is_url


def _file_or_url(raw: str) -> Path | str:
    """Return a file to check: a local path, or an object's `s3://` URL kept as text (a Path makes it `s3:/…`)."""
    return raw if is_url(raw) else Path(raw)


def _global_options(parser: argparse.ArgumentParser, top: bool) -> None:
    """Add --home and --quiet; on a subcommand they default to nothing, so either position works."""
    keep = {} if top else {"default": argparse.SUPPRESS}
    parser.add_argument("--home", type=Path, help="data root (default: $PIPELINE_HOME, else ./var)", **keep)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars", **keep)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose subcommands take the global options too (`pipeline run --home X`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if kwargs.get("prog", "").startswith("pipeline "):
            _global_options(self, top=False)


class _Commands:
    """Subcommands whose one-line help is also the description their own `--help` page shows."""

    def __init__(self, subparsers):
        self.subparsers = subparsers

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        kwargs.setdefault("description", kwargs.get("help"))
        return self.subparsers.add_parser(name, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pipeline", description="预算绩效数据仓库：接收、校验、入库各单位报送的报表。"
    )
    _global_options(parser, top=True)
    commands = _Commands(
        parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    )
    commands.add_parser(
        "init", help="create the data root (inbox, archive, receipts, reports) on purpose"
    ).set_defaults(handler=cmd_init)
    run = commands.add_parser("run", help="one full nightly pass over the inbox")
    run.add_argument(
        "--year",
        type=int,
        help="reporting year (default: the latest year with a project register, not in the future)",
    )
    run.set_defaults(handler=cmd_run)
    commands.add_parser("ingest", help="ingest, validate and load what is new in the inbox").set_defaults(
        handler=cmd_ingest
    )
    report = commands.add_parser(
        "report", help="rebuild the indicator tables and write the annual report from the warehouse"
    )
    report.add_argument(
        "--year",
        type=int,
        help="reporting year (default: the latest year with a project register, not in the future)",
    )
    report.set_defaults(handler=cmd_report)
    check = commands.add_parser(
        "check", help="dry run: read files and print what would happen; writes nothing"
    )
    check.add_argument(
        "files",
        nargs="+",
        type=_file_or_url,
        metavar="FILE",
        help="files, or folders to check every file under; with an s3:// inbox, its objects' s3:// URLs too",
    )
    check.set_defaults(handler=cmd_check)
    new_source = commands.add_parser(
        "new-source",
        help="scaffold a new kind of submission: registry entry, expectation suite, staging SQL and a test",
    )
    new_source.add_argument("name", metavar="NAME", help="the source id, e.g. building_breakdown")
    new_source.add_argument("--title", metavar="中文名", help="its Chinese name, e.g. 楼栋改造明细")
    new_source.add_argument(
        "--regenerate",
        action="store_true",
        help="after editing registry/sources/NAME.yaml: rewrite its suite and generated staging SQL",
    )
    new_source.set_defaults(handler=cmd_new_source)
    withdraw = commands.add_parser(
        "withdraw",
        help="withdraw an accepted submission: its slices fall back to the file before, marts and report rebuilt",
    )
    withdraw.add_argument(
        "submission_id", type=int, metavar="SUBMISSION_ID", help="ops.submissions.submission_id"
    )
    withdraw.add_argument(
        "--reason", required=True, metavar="TEXT", help="why; kept in ops.withdrawals and the receipt"
    )
    withdraw.set_defaults(handler=cmd_withdraw)
    status = commands.add_parser(
        "status", help="the last run, each office's files by outcome, the receipts, and reports gone stale"
    )
    status.add_argument(
        "--rejected", action="store_true", help="list every rejected file: office, file, reason, receipt"
    )
    status.set_defaults(handler=cmd_status)
    commands.add_parser(
        "docs", help="rebuild the data catalog $PIPELINE_HOME/docs/ from the published warehouse"
    ).set_defaults(handler=cmd_docs)
    templates = commands.add_parser(
        "templates", help="write one blank Excel template per registry template, to hand to the offices"
    )
    templates.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write them into")
    templates.set_defaults(handler=cmd_templates)
    from pipeline.analyst import add_parser as add_sql

    add_sql(commands)
    from pipeline.portal.cli import add_parsers as add_portal

    add_portal(commands)
    return parser
