"""Say in Chinese what a failure the command line cannot recover from means to the operator, and what to do."""

from __future__ import annotations

import errno
import os

import duckdb

from pipeline.settings import MARTS_MEMORY_LIMIT
from pipeline.text import first_said, printable

# Noted on a DuckDB failure raised while the marts are rebuilt, the one step run under PIPELINE_MARTS_MEMORY_LIMIT.
UNDER_MARTS_LIMIT = "raised while the marts were rebuilt, under PIPELINE_MARTS_MEMORY_LIMIT"


def note_under_marts_limit(exc: BaseException) -> None:
    """Mark a failure of the marts' rebuild, so that running out of memory names the setting that bounds it."""
    noted = getattr(exc, "__notes__", ())
    if isinstance(exc, duckdb.OutOfMemoryException) and UNDER_MARTS_LIMIT not in noted:
        exc.add_note(UNDER_MARTS_LIMIT)


def configuration_broken(exc: BaseException) -> str | None:
    """Say on one Chinese line which registry, rules or suite file is broken and how; None for other failures."""
    from pipeline.registry import RegistryError
    from pipeline.suites import SuiteError

    if isinstance(exc, SuiteError):
        return printable(f"校验规则（expectations）有误：{exc}", one_line=True)
    if isinstance(exc, RegistryError):
        return printable(f"{_REGISTRY_PARTS.get(exc.path.name, '报表模板登记')}有误：{exc}", one_line=True)
    return None


# What each registry file beside the templates holds, by the name of the file its error names: an operator reading
# `报表模板登记有误` on a broken rules.yaml would look among the templates.
_REGISTRY_PARTS = {
    "rules.yaml": "评分规则（rules.yaml）",
    "report.yaml": "报告设置（report.yaml）",
    "report_figures.yaml": "报告数字设置（report_figures.yaml）",
    "report_notes.yaml": "报告措辞（report_notes.yaml）",
}


def warehouse_failed(exc: Exception) -> str | None:
    """Say in Chinese what a DuckDB failure means to the operator (its own words after); None for other failures."""
    if not isinstance(exc, duckdb.Error):
        return None
    said = printable(first_said(exc), one_line=True)
    if isinstance(exc, duckdb.OutOfMemoryException):
        lost = "pipeline：数据仓库运算内存不足，本次运行未完成；已入库的数据和已发布的报告不受影响。"
        if UNDER_MARTS_LIMIT in getattr(exc, "__notes__", ()):
            # Not the disk: the marts' rebuild runs under PIPELINE_MARTS_MEMORY_LIMIT, and a failed one changed nothing.
            return (
                f"{lost}请调高 PIPELINE_MARTS_MEMORY_LIMIT（默认 {MARTS_MEMORY_LIMIT}，指标重建时的内存上限），"
                f"或在内存更充裕的机器上运行。（{said}）"
            )
        # Elsewhere (storing a batch) DuckDB takes up to 80 % of the machine's memory: no setting of ours to raise.
        return f"{lost}本机可用内存不足：请关闭其他占用大量内存的程序，或在内存更充裕的机器上运行。（{said}）"
    if "No space left" in str(exc) or "Read-only file system" in str(exc):
        what = "磁盘已满或文件系统只读，数据仓库无法写入"
    elif "Corrupt" in str(exc) or "checksum" in str(exc).lower():
        what = "数据仓库文件已损坏"
    else:
        what = "数据仓库操作失败"
    return (
        f"pipeline：{what}，本次运行未完成。"
        f"请检查磁盘；文件损坏时请按 docs/deploying.md 的“Backup and restore”一节恢复。（{said}）"
    )


def busy_writer(exc: Exception) -> str | None:
    """Name a DuckDB lock conflict on the writer's warehouse in plain words; None for any other failure."""
    if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
        return (
            f"数据仓库的写入副本正被另一个进程占用，本次未执行。请勿打开 writer/ 下的文件；"
            f"分析请使用已发布的数据仓库或 pipeline sql。（{first_said(exc)}）"
        )
    return None


def store_unreachable(exc: BaseException) -> str | None:
    """Say in Chinese that the object store could not be reached, and what to do; None for any other failure.

    botocore's connection failures (endpoint refused, connection dropped, response cut off) are mostly no OSError:
    unnamed, the command line printed a traceback and the DAGs' retry policy failed the task at once, while a store
    that is away for a minute is the I/O a retry is for.
    """
    if not type(exc).__module__.startswith("botocore"):
        return None  # botocore is imported only where an s3:// location was used, and then it raised this
    from botocore.exceptions import ConnectionError, HTTPClientError

    if not isinstance(exc, ConnectionError | HTTPClientError):
        return None
    return (
        "pipeline：无法连接对象存储，本次运行未完成；已写入的部分不受影响，恢复连接后重新运行即可接着完成。"
        f"请检查 AWS_ENDPOINT_URL（或 AWS_ENDPOINT_URL_S3）、网络和对象存储服务。（{printable(first_said(exc))}）"
    )


_PERMISSION = ("没有权限", "请为运行数据仓库的账户开放该路径的读写权限")
_NO_SPACE = ("磁盘空间不足", "请清理磁盘空间后重新运行；已入库的数据不受影响")
_TOO_MANY_OPEN = (
    "打开的文件过多（运行账户的打开文件数上限 ulimit -n，或服务的 LimitNOFILE）",
    "请调高该上限（如 ulimit -n 4096）后重新运行；已入库的数据不受影响",
)
# What the operator is told for the failures a data root meets (the errno's English text follows, for a search).
_ERRNO_ZH = {
    errno.EACCES: _PERMISSION,
    errno.EPERM: _PERMISSION,
    errno.ENOENT: ("找不到该文件或文件夹", "请检查路径和 PIPELINE_… 环境变量是否正确"),
    errno.ENOTDIR: ("路径中有一段不是文件夹", "请检查路径和 PIPELINE_… 环境变量是否正确"),
    errno.EISDIR: ("应为文件，却是文件夹", "请检查路径和 PIPELINE_… 环境变量是否正确"),
    errno.EEXIST: ("应为文件夹，却已有同名的文件", "请移走该文件，或检查 PIPELINE_… 环境变量是否正确"),
    errno.ENOSPC: _NO_SPACE,
    errno.EDQUOT: _NO_SPACE,
    errno.EMFILE: _TOO_MANY_OPEN,
    errno.ENFILE: _TOO_MANY_OPEN,
    errno.EFBIG: (
        "文件超过了允许的大小（运行账户的文件大小限制 ulimit -f，或文件系统的单个文件上限）",
        "请放宽运行账户的文件大小限制（ulimit -f）后重新运行；已入库的数据不受影响",
    ),
    errno.EROFS: ("文件系统是只读的", "请将数据根目录放在可写的文件系统上"),
    errno.EIO: ("读写时发生输入输出错误", "请检查磁盘后重新运行"),
}


def os_error_zh(exc: OSError) -> str:
    """Say in Chinese what a failed file operation met, where and what to do; the pipeline's own errors as they are."""
    # The pipeline's own (InboxUnusable, WarehouseDamaged) say it in Chinese already; an unknown errno is shown whole.
    if type(exc).__module__ != "builtins" or exc.errno not in _ERRNO_ZH:
        return f"pipeline：{exc}"
    where, what, fix = _said(exc)
    return f"pipeline：无法访问{where}：{what}，本次运行未完成。{fix}。（{exc.strerror}）"


def file_error_zh(exc: OSError) -> str:
    """Say in Chinese what one file's failed write met, where and what to do, for a log line; an unknown errno as
    the system says it."""
    if type(exc).__module__ != "builtins" or exc.errno not in _ERRNO_ZH:
        return str(exc)
    where, what, fix = _said(exc)
    return f"无法写入{where}：{what}。{fix}。（{exc.strerror}）"


def _said(exc: OSError) -> tuple[str, str, str]:
    """Return where a failed file operation was (its paths quoted), what it met and what to do."""
    what, fix = _ERRNO_ZH[exc.errno]
    # A descriptor's error names it by number (os.fdopen, os.fstat): no path to show.
    named = [name for name in (exc.filename, exc.filename2) if name is not None and not isinstance(name, int)]
    where = "".join(f"“{os.fsdecode(name)}”" for name in named)
    return where or "所需的文件", what, fix
