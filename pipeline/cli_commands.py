"""Run each `pipeline` subcommand in-process, as the Airflow DAGs run its steps, and return its exit status."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.cli_output import _print_report, say
from pipeline.locations import is_url
from pipeline.runlock import run_lock
from pipeline.settings import Settings
from pipeline.text import one_line

EXIT_OK = 0
EXIT_FAILED = 1  # the pipeline itself could not do its job
EXIT_USAGE = 2  # argparse's own code for a bad command line
EXIT_BUSY = 3  # another command holds the run lock (or the writer's warehouse): nothing was done


def cmd_ingest(args: argparse.Namespace, publish_it: bool = True) -> int:
    from pipeline.intake import ingest
    from pipeline.preflight import check_ingest_configuration

    # The loader reads the negative list and the suites: a broken one stops the night before anything is read.
    check_ingest_configuration(args.registry)
    with run_lock(args.settings, wait_seconds=0, purpose="pipeline ingest"):
        report = ingest(args.settings, args.registry, progress=not args.quiet, publish_it=publish_it)
        # Published alone, the load rebuilds no report: name those it corrected or withdrew from (`pipeline run`
        # names them after its report).
        stale = _stale_lines(args.settings) if publish_it else []
    _print_report(report, sys.stdout, args.registry)
    for line in stale:
        say(line)
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
    from pipeline.preflight import check_report_configuration

    # A broken report.yaml found only after the ingest published the load alone, without its marts.
    check_report_configuration()
    # One lock over both steps: no other writer slips in between the load and the report built from it.
    with run_lock(args.settings, wait_seconds=0, purpose="pipeline run"):
        # The load is published with the marts rebuilt from it, as one version: a session never opens one whose
        # marts still cite the files this load superseded (if they cannot be rebuilt, `build_indicators` publishes
        # the load alone).
        cmd_ingest(args, publish_it=False)
        status, html = _report(args)
        stale = _stale_lines(args.settings)
    status = cmd_docs(args) or status  # the catalog reads the published warehouse: no lock needed
    settings = args.settings
    say(f"回执：{settings.receipts}（按报送文件夹分文件夹，每个文件一份 .回执.html 与 .回执.json）")
    data_docs = settings.data_docs / "index.html"
    # Named only once written: a first night with nothing to validate pointed the reader at a page not there.
    said_data_docs = f"；校验报告（Data Docs）：{data_docs}" if data_docs.is_file() else ""
    say(f"年度报告与指标表：{settings.reports}{said_data_docs}")
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
    from pipeline.withdraw import WithdrawError, off_sum_lines, unregistered_lines, withdraw

    with run_lock(args.settings, wait_seconds=0, purpose="pipeline withdraw"):
        try:
            done = withdraw(args.settings, args.registry, args.submission_id, args.reason, args.by)
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
            for line in [*unregistered_lines(done, args.registry), *off_sum_lines(done)]:
                say(line)
        # The withdrawal is published with the marts rebuilt without the file, as one version (alone if they
        # cannot be rebuilt: `build_indicators`).
        try:
            html = _publish_report(args, None)  # the marts and the report, without the withdrawn file
        except NoDataError as exc:  # raised once the marts' writer has published
            say(f"未生成年度报告：{exc}", sys.stderr)
            # A report published before may still print the withdrawn file's figures: name it.
            for line in _stale_lines(args.settings):
                say(line)
            return EXIT_OK
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


def _missing(path: Path | str, settings: Settings) -> bool:
    """Say whether a path named to check is not there; one in a folder closed to us is there, and checked as such."""
    if isinstance(path, str):  # an inbox object's URL: there if the inbox lists it, or anything under it
        from pipeline.check import objects_under

        return not objects_under(path, settings)
    try:
        return not path.exists()
    except PermissionError:
        return False


def cmd_check(args: argparse.Namespace) -> int:
    from pipeline.check import NotChecked, check_files, files_under
    from pipeline.read_day import next_night
    from pipeline.receipt_render import render_text
    from pipeline.validate import check_sources

    # A broken suite is said as the night says it, not met mid-check as a traceback.
    check_sources(args.registry)
    # A path mistyped among several is said and fails the command, but the files found are still checked.
    missing = [p for p in args.files if _missing(p, args.settings)]
    if missing:
        # A URL outside the inbox names no file the night reads: said as not found, with where objects are checked.
        where = (
            f"（对象存储中只能检查收件箱 {args.settings.inbox} 里的对象）"
            if any(isinstance(p, str) for p in missing)
            else ""
        )
        say(f"找不到文件或文件夹：{'、'.join(map(str, missing))}{where}", sys.stderr)
    found = [p for p in args.files if p not in missing]
    files = files_under(found, args.settings) if found else []
    if not files:
        if found:
            say(f"{'、'.join(map(str, found))} 中没有可检查的文件。", sys.stderr)
        return EXIT_FAILED
    names = {t.id: t.name_zh for t in args.registry.templates.values()}
    read_on = next_night()
    # The day is the schedule's guess: said once, so a result that rests on it is not taken as certain.
    say(f"以下各文件按夜间任务的规则检查，{read_on.told}。")
    checked = check_files(files, args.settings, args.registry, read_on, args.folder)
    for path, facts in zip(files, checked, strict=True):
        if isinstance(facts, NotChecked) and facts.returned:
            # 【未检查】 alone read as a file the night would pass over, where it returns it with a receipt.
            say(
                f"【将被退回】{one_line(facts.path)}\n  未检查其内容，正式报送后将被退回：{one_line(facts.reason_zh)}"
            )
            continue
        if isinstance(facts, NotChecked):  # like an entry the night skips: data, not a failed check
            say(f"【未检查】{one_line(facts.path)}\n  {one_line(facts.reason_zh)}")
            continue
        head, _, rest = render_text(facts, dry_run=True, names=names).partition("\n")
        print("\n".join(filter(None, (head, _judged_as(path, args), rest))))
    return EXIT_FAILED if missing else EXIT_OK


def _judged_as(path: Path | str, args: argparse.Namespace) -> str | None:
    """Say which inbox folder a file outside the inbox was checked as sent in; None for one in the inbox."""
    from pipeline.check import in_inbox, judged_folder

    if isinstance(path, str) or in_inbox(path, args.settings):
        return None
    folder = judged_folder(path, args.settings, args.registry, args.folder)
    if folder is None:
        return (
            "  本文件不在收件箱中，按放在收件箱根目录检查：报送单位由“填报单位：”一行决定；"
            "如要按某单位文件夹中的文件检查，请加 --folder 文件夹名"
        )
    how = "由 --folder 指定" if args.folder else "取自文件所在文件夹的名称"
    return f"  本文件不在收件箱中，按放在收件箱文件夹“{folder}”中检查（文件夹{how}）"


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
