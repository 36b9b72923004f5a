"""The `pipeline` command: the same steps the Airflow DAGs run, in-process."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pipeline.failures import busy_writer, os_error_zh, warehouse_failed
from pipeline.intake import IngestReport, Outcome
from pipeline.locations import is_url
from pipeline.problems import sheet_named
from pipeline.receipt_facts import STATUS_ZH
from pipeline.registry import RegistryError, load_registry
from pipeline.runlock import RunLockHeld, run_lock
from pipeline.settings import Settings
from pipeline.text import one_line, printable
from pipeline.warehouse import WarehouseBusy, publish_pending

EXIT_OK = 0
EXIT_FAILED = 1  # the pipeline itself could not do its job
EXIT_USAGE = 2  # argparse's own code for a bad command line
EXIT_BUSY = 3  # another command holds the run lock (or the writer's warehouse): nothing was done

# Commands that read or write the data root, so refuse one that does not exist rather than make it silently.
NEEDS_HOME = frozenset({"run", "ingest", "report", "status", "sql", "withdraw", "docs", "serve", "users"})


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


def _print_outcome(outcome: Outcome, out) -> None:
    status = STATUS_ZH[outcome.status]
    year = f"{outcome.year}年" if outcome.year else "年度未知"
    where = f"（{one_line(outcome.unit or '单位未知')}，{year}，{'、'.join(outcome.templates) or '无模板'}）"
    say(f"[{status}] {one_line(outcome.inbox_path)} {where}", out)
    if outcome.reason and outcome.status != "rejected":
        say(f"    {one_line(outcome.reason)}", out)
    for problem in outcome.problems:
        label = "错误" if problem.severity == "error" else "警告"
        sheet = one_line(sheet_named(problem.sheet, problem.message_zh))
        say(f"    {label}：{sheet}{one_line(problem.message_zh)}", out)


def _print_report(report: IngestReport, out) -> None:
    for outcome in report.outcomes:
        _print_outcome(outcome, out)
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


def cmd_ingest(args: argparse.Namespace, publish_it: bool = True) -> int:
    from pipeline.intake import ingest

    with run_lock(args.settings, wait_seconds=0, purpose="pipeline ingest"):
        report = ingest(args.settings, args.registry, progress=not args.quiet, publish_it=publish_it)
    _print_report(report, sys.stdout)
    return EXIT_OK


def _publish_report(args: argparse.Namespace, year: int | None) -> Path:
    """Rebuild the marts and write the year's report (default: the latest year with data); return its path."""
    from pipeline.export import beside
    from pipeline.indicators import build_indicators
    from pipeline.report import write_report_files

    with beside(args.settings) as exports:  # the marts' Parquet export runs while the report is written
        year = build_indicators(args.settings, args.registry, year, exports)
        files = write_report_files(args.settings, year, args.registry)
    print(f"{year}年度报告（Word）：{files.docx}", file=sys.stdout)
    print(f"{year}年度指标表（Excel）：{files.xlsx}", file=sys.stdout)
    for warning in files.warnings:
        say(f"报告模板提示：{warning}", sys.stderr)
    return files.html


def _report(args: argparse.Namespace) -> tuple[int, Path | None]:
    """Publish the year's report, saying why not if it cannot be; return the exit status and the HTML's path."""
    from pipeline.indicators import NoDataError
    from pipeline.report_model import ReportError

    try:
        with run_lock(args.settings, wait_seconds=0, purpose=f"pipeline {args.command}"):
            return EXIT_OK, _publish_report(args, args.year)
    except NoDataError as exc:
        # With no year asked for, an empty warehouse is a state of the data, not a failure of the run.
        print(f"未生成年度报告：{exc}", file=sys.stderr)
        return (EXIT_FAILED if args.year or args.command == "report" else EXIT_OK), None
    except ReportError as exc:
        print(f"未生成年度报告：{exc}", file=sys.stderr)
        return EXIT_FAILED, None


def cmd_report(args: argparse.Namespace) -> int:
    status, html = _report(args)
    if html is not None:
        print(f"年度报告：{html}", file=sys.stdout)
    return status


def _stale_lines(settings: Settings) -> list[str]:
    """Name the published reports the warehouse's data has moved on from (under the run lock: it reads the
    writer's copy): a year corrected or withdrawn from while another year was reported is not rebuilt."""
    from pipeline.report import stale_reports
    from pipeline.status import stale_lines
    from pipeline.warehouse import current_version, reader

    if current_version(settings.warehouse) is None:
        return []
    with reader(settings.warehouse) as con:
        return stale_lines(stale_reports(con, settings))


def cmd_run(args: argparse.Namespace) -> int:
    # One lock over both steps: no other writer slips in between the load and the report built from it.
    with run_lock(args.settings, wait_seconds=0, purpose="pipeline run"):
        # The load is published with the marts rebuilt from it, as one version: a session never opens one whose
        # marts still cite the files this load superseded.
        cmd_ingest(args, publish_it=False)
        try:
            status, html = _report(args)
        except BaseException:
            publish_pending(
                args.settings.warehouse
            )  # the marts could not be rebuilt: the load goes out alone
            raise
        stale = _stale_lines(args.settings)
    status = cmd_docs(args) or status  # the catalog reads the published warehouse: no lock needed
    settings = args.settings
    say(f"回执：{settings.receipts}（按报送文件夹分文件夹，每个文件一份 .回执.html 与 .回执.json）")
    say(f"年度报告与指标表：{settings.reports}；校验报告（Data Docs）：{settings.data_docs / 'index.html'}")
    for line in stale:
        say(line)
    if html is not None:  # last, as README says: the line a new user looks for
        print(f"年度报告：{html}", file=sys.stdout)
    return status


def cmd_docs(args: argparse.Namespace) -> int:
    from pipeline.catalog import write_catalog

    try:
        page = write_catalog(args.settings, args.registry)
    except FileNotFoundError as exc:  # nothing published yet
        say(f"未生成数据目录：{exc}", sys.stderr)
        return EXIT_FAILED
    say(f"数据目录：{page}")
    return EXIT_OK


def cmd_withdraw(args: argparse.Namespace) -> int:
    from pipeline.indicators import NoDataError
    from pipeline.withdraw import WithdrawError, unregistered_lines, withdraw

    with run_lock(args.settings, wait_seconds=0, purpose="pipeline withdraw"):
        try:
            done = withdraw(args.settings, args.registry, args.submission_id, args.reason)
        except WithdrawError as exc:
            if not exc.already_withdrawn:
                say(f"未撤回：{exc}", sys.stderr)
                return EXIT_FAILED
            # A withdrawal cut short before its marts were published is finished by running it again.
            say(f"第{args.submission_id}号提交此前已撤回；重新计算指标、发布数据仓库和年度报告。")
        else:
            say(
                f"已撤回第{done.submission_id}号提交“{one_line(done.original_name)}”"
                f"（{one_line(done.unit or '单位未知')}），回执已改写为“已撤回”。"
            )
            for number, name in done.restored:
                say(f"  第{number}号提交“{one_line(name)}”重新生效。")
            for line in unregistered_lines(done, args.registry):
                say(line)
        # The withdrawal is published with the marts rebuilt without the file, as one version.
        try:
            html = _publish_report(args, None)  # the marts and the report, without the withdrawn file
        except NoDataError as exc:  # raised once the marts' writer has published
            say(f"未生成年度报告：{exc}", sys.stderr)
            # A report published before may still print the withdrawn file's figures: name it.
            for line in _stale_lines(args.settings):
                say(line)
            return EXIT_OK
        except BaseException:  # the marts could not be rebuilt: the withdrawal goes out alone
            publish_pending(args.settings.warehouse)
            raise
        for line in _stale_lines(args.settings):  # the withdrawn file's year, if not the latest
            say(line)
    say(f"年度报告：{html}")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    settings = args.settings
    existed = settings.home.is_dir()
    for folder in (settings.home, settings.inbox, settings.archive, settings.receipts, settings.reports):
        if not is_url(folder):  # an s3:// location needs no folder: its bucket is made by whoever owns it
            folder.mkdir(parents=True, exist_ok=True)
    verb = "已存在" if existed else "已创建"
    say(f"数据根目录{verb}：{settings.home}")
    say(f"各单位报送的文件放入：{settings.inbox}/<单位名称>/，然后运行 pipeline run。")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from pipeline.check import NotChecked, check_files, files_under
    from pipeline.receipt_render import render_text

    # A path mistyped among several is said and fails the command, but the files found are still checked.
    missing = [p for p in args.files if not p.exists()]
    if missing:
        say(f"找不到文件或文件夹：{'、'.join(map(str, missing))}", sys.stderr)
    found = [p for p in args.files if p.exists()]
    files = files_under(found) if found else []
    if not files:
        if found:
            say(f"{'、'.join(map(str, found))} 中没有可检查的文件。", sys.stderr)
        return EXIT_FAILED
    names = {t.id: t.name_zh for t in args.registry.templates.values()}
    for facts in check_files(files, args.settings, args.registry):
        if isinstance(facts, NotChecked):  # like an entry the night skips: data, not a failed check
            say(f"【未检查】{one_line(facts.path)}\n  {one_line(facts.reason_zh)}")
            continue
        print(render_text(facts, dry_run=True, names=names))
    return EXIT_FAILED if missing else EXIT_OK


def cmd_templates(args: argparse.Namespace) -> int:
    from pipeline.templates import write_templates

    for template_id, path in write_templates(args.registry, args.out).items():
        print(f"{template_id}：{path}", file=sys.stdout)
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from pipeline.status import render, render_rejected, status

    result = status(args.settings)
    print(render_rejected(result) if args.rejected else render(result))
    return EXIT_OK


def cmd_new_source(args: argparse.Namespace) -> int:
    from pipeline.scaffold import ScaffoldError, run_new_source

    try:
        print(run_new_source(args.name, args.title, args.regenerate), file=sys.stdout)
    except ScaffoldError as exc:
        print(f"未生成数据源：{exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


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
        "files", nargs="+", type=Path, metavar="FILE", help="files, or folders to check every file under"
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


def _missing_home(args: argparse.Namespace) -> str | None:
    """Say why the data root cannot be used, if it cannot; a typo must never pass as an empty data root."""
    home = args.settings.home
    named = args.home is not None or bool(os.environ.get("PIPELINE_HOME"))
    if args.command not in NEEDS_HOME and not (args.command == "check" and named):
        return None
    try:
        str(args.settings.warehouse).encode("utf-8")
    except UnicodeEncodeError:  # a GBK name: DuckDB takes UTF-8 paths only, and failed deep inside (bad_cast)
        return (
            # Shown as GB18030 would read it: such a name is most often a GBK one from a Windows share.
            f"数据仓库的路径含有非UTF-8编码的文件夹名："
            f"{os.fsencode(args.settings.warehouse).decode('gb18030', 'backslashreplace')}，数据库无法打开。"
            "请将数据根目录（或 PIPELINE_WAREHOUSE）改放在名称为UTF-8编码的文件夹中。"
        )
    if home.is_dir():
        return None
    what = "不是目录" if home.exists() else "不存在"
    return (
        f"数据根目录{what}：{home}。请检查 --home 或 PIPELINE_HOME 是否写错；"
        f"如需新建数据根目录，请运行 pipeline init --home {home}。"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command line; exit 0 when the run completed, even if files were rejected."""
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Outlet(sys.stdout), _Outlet(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = streams


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.settings = Settings.from_env(args.home)
    except ValueError as exc:  # a PIPELINE_… setting that is out of range
        say(f"环境变量设置有误：{exc}", sys.stderr)
        return EXIT_FAILED
    problem = _missing_home(args)
    if problem:
        say(problem, sys.stderr)
        return EXIT_FAILED
    try:
        args.registry = load_registry()
        return args.handler(args)
    except RegistryError as exc:
        say(f"报表模板登记有误：{exc}", sys.stderr)
        return EXIT_FAILED
    except (RunLockHeld, WarehouseBusy) as exc:
        say(str(exc), sys.stderr)
        return EXIT_BUSY
    except OSError as exc:
        say(os_error_zh(exc), sys.stderr)
        return EXIT_FAILED
    except Exception as exc:
        busy = busy_writer(exc)
        if busy is not None:
            say(busy, sys.stderr)
            return EXIT_BUSY
        damaged = warehouse_failed(exc)
        if damaged is None:
            raise
        say(damaged, sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
