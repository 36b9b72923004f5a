"""Describe inbox entries, and the outcomes of those a run does not take in."""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.file_names import archive_suffix

# A modified time ahead of the run by more than a clock's drift is a wrong clock (2100, a share set a year ahead), not a
# file being written: held, it would wait forever, so it is taken in and warned of where its order decides a slice.
CLOCK_SLACK_NS = 300 * 10**9


def settling_at(mtime_ns: int, window_ns: int, now_ns: int) -> bool:
    """Say whether a file may still be being written: modified within the settle window, or ahead of now by no more
    than a clock's drift (a share whose clock runs ahead stamps a file being written in the future)."""
    if not window_ns:
        return False
    # Ahead by 2 to 5 minutes, a file was neither held (the window) nor warned of (the slack): both now meet.
    return -max(window_ns, CLOCK_SLACK_NS) < now_ns - mtime_ns < window_ns


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """A file in the inbox, by its path relative to the inbox (POSIX separators, decoded to text)."""

    path: str
    size: int
    mtime_ns: int
    # The path's bytes as the file system holds them, where they are not UTF-8 (a GBK name from a Windows zip).
    raw: bytes | None = None
    # What says the file changed, beyond its size: an object's ETag; a local file's inode and ctime (`local_marker`).
    marker: str | None = None

    @property
    def suffix(self) -> str:
        return archive_suffix(self.path)

    @property
    def st_mtime_ns(self) -> int:  # read like a stat result where only the time matters
        return self.mtime_ns


@dataclass(frozen=True, slots=True)
class Skipped:
    """An inbox entry not taken in this run, and why: never opened, or left for the next run."""

    path: str
    kind: str  # see SKIP_ZH
    reason_zh: str
    raw: bytes | None = None

    @property
    def retried(self) -> bool:
        """Whether the next run looks at it again as a possible submission."""
        return self.kind in RETRIED


# Entries that are no regular file are never opened; the others are left for the next run, never rejected.
SKIP_ZH = {
    "symlink": "符号链接，未读取（只接收收件箱中的普通文件）",
    "fifo": "命名管道（FIFO），未读取",
    "socket": "套接字，未读取",
    "device": "设备文件，未读取",
    "other": "不是普通文件，未读取",
    "folder": "名称像表格文件，实际是文件夹，未作为报送文件读取；如要报送该表格，请放入表格文件本身（不要解压或建成文件夹），"
    "文件夹中的表格文件另行读取",
    "settling": "文件仍在写入或刚刚修改，留待下次运行读取",
    "changed": "读取期间文件大小或修改时间发生变化，留待下次运行读取",
    "vanished": "列出后、读取前文件已被删除或移走，若再出现将在下次运行读取",
    "read_failed": "读取时发生输入输出错误，留待下次运行重试",
    # Its work file (what a shard parsed) could not be read back by the loader, nor what it read: left for the next
    # run. Given by nights before the loader read such a file again itself (`work_versions`); kept for their rows.
    "work_unreadable": "本次解析结果（工作文件）无法读取，未入库，留待下次运行重新读取",
    "folder_closed": "没有进入或列出该文件夹的权限，其中的文件均未读取；请为运行数据仓库的账户开放该文件夹的读取和进入权限",
    "path_too_long": "路径过长，超过文件系统允许的长度，其中的文件均未读取；请减少文件夹层级或缩短文件夹名称",
    "office_lock": "Excel/WPS等办公软件打开文件时生成的临时文件，不作为报送文件接收",
    "hidden": "以“.”开头的隐藏文件，不作为报送文件接收；如确需报送，请去掉文件名开头的“.”后重新放入",
}
RETRIED = frozenset({"settling", "changed", "vanished", "read_failed", "work_unreadable"})


class NotTakenIn(Exception):  # noqa: N818 - a state of one entry, not a failure of the run
    """An inbox entry that this run leaves alone; carries its `Skipped` record."""

    def __init__(self, skipped: Skipped):
        super().__init__(skipped.reason_zh)
        self.skipped = skipped


class Unreadable(Exception):  # noqa: N818 - a state of one file
    """A regular inbox file the pipeline may not read (permissions): a rejection with a receipt."""


# What the inbox itself is, when it cannot be listed: worded for whoever reads the nightly job's log.
_INBOX_ZH = {errno.ENOENT: "不存在", errno.ENOTDIR: "不是文件夹", errno.EACCES: "无法读取（没有权限）"}


class InboxUnusable(OSError):
    """The inbox is missing, no folder, or closed to us: a broken data root, never a quiet empty night.

    An OSError, so the command line exits 1 and the DAG's task fails as an I/O condition, as for any data root the
    pipeline cannot use.
    """

    def __init__(self, inbox: Path | str, exc: OSError):
        # An object store's error carries its words in args, not strerror (`NoSuchBucket: …`).
        super().__init__(exc.errno, exc.strerror or str(exc), str(inbox))

    def __str__(self) -> str:
        what = _INBOX_ZH.get(self.errno, "无法列出")
        return (
            f"收件箱{what}：{self.filename}（inbox unusable: {self.strerror}）。"
            "请检查 PIPELINE_INBOX 是否写错、共享目录是否已挂载、运行账户能否读取；"
            "空收件箱请用 pipeline init 新建。"
        )


@dataclass(slots=True)
class InboxListing:
    """What the inbox holds: regular files to consider, and entries not taken in."""

    files: list[InboxEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
