"""Where the pipeline keeps its data: one root, `PIPELINE_HOME`, with every path overridable."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.limits import Limits, positive_whole_number
from pipeline.locations import URL, is_url, split_url

TIMEZONE = ZoneInfo("Asia/Shanghai")
# What to do when the warehouse is gone but the archive holds files: said by the writers and by `pipeline status`.
WAREHOUSE_LOST_FIX = (
    "请检查 PIPELINE_WAREHOUSE 是否写错、它所在的卷是否已挂载；"
    "数据仓库丢失时请按 docs/deploying.md 的“Backup and restore”一节从备份恢复"
)
DATA_DOCS_KEEP_DAYS = 90
# Locations the pipeline writes into: none may lie in the inbox, where what it writes would be read as submissions.
# The warehouse too: its versions and the writer's copy were returned as 不是电子表格文件 every night, and archived.
WRITTEN = ("archive", "receipts", "reports", "export", "work", "data_docs", "warehouse")
MARTS_MEMORY_LIMIT = "512MB"
ANALYST_MEMORY_LIMIT = "1GB"


@dataclass(frozen=True)
class Settings:
    home: Path
    # Inbox, archive, receipts, reports, export and work may be `s3://bucket/prefix` URLs, kept as text (a Path
    # would collapse `//`); every other location is a local path.
    inbox: Path | str
    archive: Path | str
    receipts: Path | str
    warehouse: Path
    reports: Path | str
    data_docs: Path
    export: Path | str | None = None  # the marts as Parquet at each publish (pipeline/export.py)
    limits: Limits = field(default_factory=Limits)
    workers: int = 1  # processes that parse files; loading is always one writer
    # A file modified less than this long ago may still be being copied in: it waits for the next run.
    settle_seconds: float = 120.0
    # How long an Airflow task that writes waits for another writer's run lock before failing (and retrying).
    lock_wait_seconds: float = 1800.0
    # The nightly DAG parses new files in shards of this many files, at most this many shards (one task each).
    shard_files: int = 500
    shards_max: int = 16
    # Where parse shards leave their results for the loader: shared by every worker (`PIPELINE_WORK`).
    work: Path | str | None = None
    # Data Docs list every validation run of this many days back; older runs' pages are removed.
    data_docs_keep_days: int = DATA_DOCS_KEEP_DAYS
    # A deployment's own report templates (`PIPELINE_REPORT_TEMPLATES`); files it lacks come from templates/report.
    report_templates: Path | None = None
    # DuckDB's memory_limit while the marts are rebuilt (`PIPELINE_MARTS_MEMORY_LIMIT`): its own default, 80 % of
    # the machine, let the rebuild reach 1.18 GiB at 10,000 files; at 512MB it peaks near 0.65 GiB.
    marts_memory_limit: str = MARTS_MEMORY_LIMIT
    # DuckDB's memory_limit in an analyst's session (`PIPELINE_ANALYST_MEMORY_LIMIT`): by DuckDB's default each
    # session could take 80 % of the machine where the night runs; a big join spills to disk beyond it instead.
    analyst_memory_limit: str = ANALYST_MEMORY_LIMIT

    @classmethod
    def from_env(cls, home: Path | str | None = None) -> Settings:
        """Build settings from `PIPELINE_HOME` (default `./var`) and the `PIPELINE_<PATH>`, `PIPELINE_MAX_…`,
        `PIPELINE_WORKERS`, `PIPELINE_SETTLE_SECONDS`, `PIPELINE_LOCK_WAIT_SECONDS` and `PIPELINE_REPORT_TEMPLATES`
        overrides.

        `PIPELINE_INBOX`, `_ARCHIVE`, `_RECEIPTS`, `_REPORTS`, `_EXPORT` and `_WORK` may be `s3://bucket/prefix`.
        """
        given = home or (os.environ.get("PIPELINE_HOME") or "").strip() or "var"
        root = Path(_local("--home" if home else "PIPELINE_HOME", str(given))).resolve()

        def path(name: str, default: str) -> Path:
            # Stripped, as `location` strips it: " /data/receipts" was read as a folder named so under the current
            # folder, where the night wrote every receipt and no one looked.
            raw = (os.environ.get(f"PIPELINE_{name.upper()}") or "").strip()
            # The warehouse is DuckDB's single writer's local file; Data Docs are written as a local folder.
            if raw and URL.match(raw):
                raise ValueError(_not_local(f"PIPELINE_{name.upper()}", raw, f"/srv/budget/{default}"))
            _local(f"PIPELINE_{name.upper()}", raw)
            # Absolute, but links are not followed: warehouse.duckdb is a symlink to the current version.
            return Path(os.path.abspath(raw or root / default))

        def location(name: str, default: str) -> Path | str:
            raw = (os.environ.get(f"PIPELINE_{name.upper()}") or "").strip()
            if URL.match(raw):
                # Checked now: `ftp://…` was told as another warehouse's claim on the store, `s3://` as no inbox.
                try:
                    split_url(raw)
                except ValueError as exc:
                    raise ValueError(f"PIPELINE_{name.upper()} 的值有误：{exc}") from None
                return raw.rstrip("/")
            return path(name, default)

        settings = cls(
            home=root,
            inbox=location("inbox", "inbox"),
            archive=location("archive", "archive"),
            receipts=location("receipts", "receipts"),
            warehouse=path("warehouse", "warehouse.duckdb"),
            reports=location("reports", "reports"),
            data_docs=path("data_docs", "data_docs"),
            export=location("export", "export"),
            limits=Limits.from_env(),
            workers=_workers(os.environ.get("PIPELINE_WORKERS")),
            settle_seconds=_seconds("PIPELINE_SETTLE_SECONDS", 120.0),
            lock_wait_seconds=_seconds("PIPELINE_LOCK_WAIT_SECONDS", 1800.0),
            shard_files=_whole("PIPELINE_SHARD_FILES", 500),
            shards_max=_whole("PIPELINE_SHARDS_MAX", 16),
            work=location("work", "work"),
            data_docs_keep_days=_whole("PIPELINE_DATA_DOCS_KEEP_DAYS", DATA_DOCS_KEEP_DAYS),
            report_templates=_folder("PIPELINE_REPORT_TEMPLATES"),
            marts_memory_limit=_memory_limit("PIPELINE_MARTS_MEMORY_LIMIT", MARTS_MEMORY_LIMIT),
            analyst_memory_limit=_memory_limit("PIPELINE_ANALYST_MEMORY_LIMIT", ANALYST_MEMORY_LIMIT),
        )
        settings.check_storage()
        for name in settings.in_inbox():
            raise ValueError(
                f"PIPELINE_{name.upper()} 的值 {str(getattr(settings, name))!r} 位于收件箱 PIPELINE_INBOX "
                f"{str(settings.inbox)!r} 之内：写在那里的文件每晚都会被当作报送文件读入。"
                f"请把 PIPELINE_{name.upper()} 改为收件箱以外的位置。（lies inside PIPELINE_INBOX）"
            )
        return settings

    def check_storage(self) -> None:
        """Refuse an inbox and an archive of which one is a local folder and the other an `s3://` location."""
        if is_url(self.inbox) != is_url(self.archive):
            # Files are archived by moving them within one storage; across two, a file would sit in both or neither.
            raise ValueError(
                f"PIPELINE_INBOX 的值 {str(self.inbox)!r} 与 PIPELINE_ARCHIVE 的值 {str(self.archive)!r} "
                "一个是本机文件夹、一个是 s3:// 地址：归档是在同一存储内移动文件，跨两种存储时文件会两边都在或都不在。"
                "请把两者都设为本机文件夹，或都设为 s3:// 地址。（must both be local folders or both s3:// URLs）"
            )

    def in_inbox(self) -> list[str]:
        """Return the written locations (`WRITTEN`) that are, or lie under, the inbox (a folder or an `s3://` one)."""
        if not is_url(self.inbox):
            # Resolved: a receipts folder reached through a link into the inbox is read back all the same.
            inbox = Path(self.inbox).resolve()
            return [
                name
                for name in WRITTEN
                if (place := getattr(self, name)) is not None
                and not is_url(place)
                and Path(place).resolve().is_relative_to(inbox)
            ]
        bucket, prefix = split_url(str(self.inbox))
        inside = []
        for name in WRITTEN:
            if is_url(place := getattr(self, name)):
                other, key = split_url(place)
                if other == bucket and (not prefix or key == prefix or key.startswith(f"{prefix}/")):
                    inside.append(name)
        return inside

    def home_problem(self) -> str | None:
        """Say why the data root cannot be used, if it cannot; a typo must never pass as an empty data root."""
        try:
            str(self.warehouse).encode("utf-8")
        # A GBK name: DuckDB takes UTF-8 paths only, and failed deep inside (bad_cast).
        except UnicodeEncodeError:
            return (
                # Shown as GB18030 would read it: such a name is most often a GBK one from a Windows share.
                f"数据仓库的路径含有非UTF-8编码的文件夹名："
                f"{os.fsencode(self.warehouse).decode('gb18030', 'backslashreplace')}，数据库无法打开。"
                "请将数据根目录（或 PIPELINE_WAREHOUSE）改放在名称为UTF-8编码的文件夹中。"
            )
        if self.home.is_dir():
            return None
        what = "不是目录" if self.home.exists() else "不存在"
        return (
            f"数据根目录{what}：{self.home}。请检查 --home 或 PIPELINE_HOME 是否写错；"
            f"如需新建数据根目录，请运行 pipeline init --home {self.home}。"
        )

    @property
    def work_root(self) -> Path | str:
        """Return where parse results wait for the loader: `PIPELINE_WORK`, else `<home>/work`."""
        return self.work if self.work is not None else self.home / "work"

    @property
    def lock_file(self) -> Path:
        """Return the run lock every command that writes the warehouse holds."""
        return self.home / "run.lock"


class DataRootUnusable(FileNotFoundError):
    """The data root is missing, no folder, has a name DuckDB cannot open, or lost its warehouse: refused, never
    filled anew.

    `permanent`: the nightly DAG's retry policy fails it at once, as the command line exits 1 at once.
    """

    permanent = True


def setting_refused(exc: ValueError) -> str:
    """Word a setting `Settings.from_env` refused, as the command line and the DAG's tasks tell it."""
    # `--home ~/x` is refused by the same words as PIPELINE_HOME, and named as what it is.
    said = "命令行参数" if str(exc).startswith("--") else "环境变量"
    return f"{said}设置有误：{exc}"


def _folder(variable: str) -> Path | None:
    """Read an optional local folder setting; unset means none."""
    raw = (os.environ.get(variable) or "").strip()
    if URL.match(raw):
        raise ValueError(_not_local(variable, raw, "/srv/budget/templates"))
    return Path(os.path.abspath(_local(variable, raw))) if raw else None


def _local(variable: str, raw: str) -> str:
    """Return a local path setting as given; refuse one starting with `~`, which only a shell expands."""
    # An env file, systemd's EnvironmentFile and docker --env-file keep `~` as it is: `~/receipts` was a folder
    # named ~ under the current folder, where the night wrote every receipt, exit 0. Not expanded here: the same
    # settings are read by the night, the portal and each operator's and analyst's commands, often as different
    # users, and `~` would be another folder for each of them.
    if not raw.startswith("~"):
        return raw
    expanded = os.path.expanduser(raw)
    hint = f"（对运行本命令的用户而言即 {expanded!r}）" if expanded != raw else ""
    raise ValueError(
        f"{variable} 的值 {raw!r} 以 ~ 开头：~ 只有 shell 会展开，环境变量文件、systemd 和 docker 都不会，"
        f"它会成为当前文件夹下名为 {raw.split('/', 1)[0]!r} 的文件夹。请写完整路径{hint}。"
        "（starts with ~, which only a shell expands: write the full path）"
    )


def _not_local(variable: str, raw: str, example: str) -> str:
    """Say that a location that must be on this machine was given as a URL, and what to write instead."""
    return (
        f"{variable} 的值 {raw!r} 是网络地址，但它只能是本机路径：请写本机上的完整路径，如 {example}。"
        "（must be a local path）"
    )


def _workers(raw: str | None) -> int:
    """Read `PIPELINE_WORKERS`; unset means one parsing process per CPU."""
    if not (raw or "").strip():
        return os.cpu_count() or 1
    return positive_whole_number("PIPELINE_WORKERS", raw.strip())


def _seconds(variable: str, default: float) -> float:
    """Read a duration setting in seconds: a number of zero or more; unset means the default."""
    raw = (os.environ.get(variable) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ValueError(
            f"{variable} 的值 {raw!r} 不是秒数：请写 0 或更大的数字（单位为秒，如 {default:g}），"
            f"或删去该变量以使用默认值 {default:g}。（must be a number of seconds, zero or more）"
        )
    return value


def _memory_limit(variable: str, default: str) -> str:
    """Read a DuckDB memory_limit setting (`512MB`, `2GB`); unset means the default."""
    raw = (os.environ.get(variable) or "").strip()
    if not raw:
        return default
    import duckdb  # only when set: most commands never rebuild the marts

    # Asked of DuckDB itself, now: a value it cannot read failed the run only at the marts' rebuild, after the
    # load was published, told as a damaged warehouse to restore from backup.
    try:
        duckdb.connect().execute("set memory_limit = ?", [raw])
    except duckdb.Error:
        raise ValueError(
            f"{variable} 的值 {raw!r} 不是内存大小：请写如 512MB 或 2GB 的大小，或删去该变量以使用默认值 {default}。"
            "（must be a memory size such as 512MB or 2GB）"
        ) from None
    return raw


def _whole(variable: str, default: int) -> int:
    """Read a positive whole-number setting; unset means the default."""
    raw = (os.environ.get(variable) or "").strip()
    return positive_whole_number(variable, raw) if raw else default
