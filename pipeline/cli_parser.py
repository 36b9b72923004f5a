"""Build the `pipeline` command line: its global options, and each subcommand with its handler."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

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


def _inbox_folder(raw: str) -> str:
    """Return an inbox folder's name: one level, as the first level of an inbox path names the sender."""
    name = raw.strip().strip("/")
    if not name or "/" in name or name in (".", ".."):
        raise argparse.ArgumentTypeError(f"“{raw}”不是收件箱中的一个文件夹名（只写一层，如 枣林街道）")
    return name


def _global_options(parser: argparse.ArgumentParser, top: bool) -> None:
    """Add --home and --quiet; on a subcommand they default to nothing, so either position works."""
    keep = {} if top else {"default": argparse.SUPPRESS}
    parser.add_argument("--home", type=Path, help="data root (default: $PIPELINE_HOME, else ./var)", **keep)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars", **keep)


# argparse's own complaints (Python 3.11 words them so; 3.12 drops the quotes round the choices), in Chinese.
_TYPES_ZH = {"int": "整数"}
_COMPLAINTS_ZH: tuple[tuple[re.Pattern, Callable[[re.Match], str]], ...] = (
    (re.compile(r"the following arguments are required: (.+)"), lambda m: f"缺少必需的参数：{_listed(m[1])}"),
    (re.compile(r"unrecognized arguments: (.+)"), lambda m: f"无法识别的参数：{m[1]}"),
    (
        re.compile(r"argument (\S+): invalid choice: '(.*)' \(choose from (.+)\)"),
        lambda m: f"参数{m[1]}的取值“{m[2]}”无效，可选：{_listed(m[3])}",
    ),
    (
        re.compile(r"argument (\S+): invalid (\S+) value: '(.*)'"),
        lambda m: f"参数{m[1]}应为{_TYPES_ZH.get(m[2], '有效的值')}，而填写为“{m[3]}”",
    ),
    (re.compile(r"argument (\S+): expected one argument"), lambda m: f"参数{m[1]}后面应填写一个值"),
    (
        re.compile(r"argument (\S+): expected at least one argument"),
        lambda m: f"参数{m[1]}后面至少应填写一个值",
    ),
    (
        re.compile(r"argument (\S+): expected at most one argument"),
        lambda m: f"参数{m[1]}后面最多只能填写一个值",
    ),
    (
        re.compile(r"argument (\S+): ignored explicit argument '(.*)'"),
        lambda m: f"参数{m[1]}不带取值，却写了“{m[2]}”",
    ),
    (
        re.compile(r"ambiguous option: (\S+) could match (.+)"),
        lambda m: f"选项{m[1]}有歧义，可以指{_listed(m[2])}，请写全",
    ),
)


def _listed(names: str) -> str:
    """Join argparse's `'a', 'b'` or `a, b` the Chinese way: a、b."""
    return "、".join(name.strip().strip("'") for name in names.split(","))


def complaint_zh(message: str) -> str:
    """Say one of argparse's own complaints about a command line in Chinese; an unforeseen one is kept as worded."""
    for pattern, said in _COMPLAINTS_ZH:
        if (match := pattern.fullmatch(message)) is not None:
            return said(match)
    return f"命令行有误（{message}）"


class _ChineseParser(argparse.ArgumentParser):
    """An argument parser that tells a wrong command line in Chinese, exiting 2 as argparse does."""

    def error(self, message: str) -> NoReturn:
        usage = self.format_usage().replace("usage: ", "用法：", 1)
        self.exit(
            2, f"{usage}{self.prog}：错误：{complaint_zh(message)}。运行 {self.prog} --help 查看用法。\n"
        )

    def parse_args(self, args=None, namespace=None):
        """Parse as argparse does, but tell words left over with the usage of the command they were given to."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            # argparse told them with `pipeline`'s usage: `pipeline run 2022` never showed run's `[--year YEAR]`.
            self._chosen(parsed).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def _chosen(self, parsed: argparse.Namespace) -> argparse.ArgumentParser:
        """Return the innermost subcommand's parser the command line chose (`pipeline users add`), else this one."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                chosen = action.choices.get(getattr(parsed, action.dest, None))
                if isinstance(chosen, _ChineseParser):
                    return chosen._chosen(parsed)
        return self


class _Parser(_ChineseParser):
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
    parser = _ChineseParser(
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
    check.add_argument(
        "--folder",
        type=_inbox_folder,
        help="inbox folder (an office's, or a shared one) files outside the inbox are checked as sent in "
        "(default: their own folder's name where it names a listed office or shared folder, else the inbox root)",
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
    withdraw.add_argument(
        "--by",
        metavar="NAME",
        help="who withdraws it, as the office's receipt names them (default 管理员; never the OS login)",
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
