"""The one place files are read and written, so the inbox and archive can later move to object storage."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import logging
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from pipeline.settings import Settings


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


logger = logging.getLogger(__name__)

# Entries that are no regular file are never opened; the others are left for the next run, never rejected.
SKIP_ZH = {
    "symlink": "符号链接，未读取（只接收收件箱中的普通文件）",
    "fifo": "命名管道（FIFO），未读取",
    "socket": "套接字，未读取",
    "device": "设备文件，未读取",
    "other": "不是普通文件，未读取",
    "settling": "文件仍在写入或刚刚修改，留待下次运行读取",
    "changed": "读取期间文件大小或修改时间发生变化，留待下次运行读取",
    "vanished": "列出后、读取前文件已被删除或移走，若再出现将在下次运行读取",
    "read_failed": "读取时发生输入输出错误，留待下次运行重试",
    "folder_closed": "没有进入或列出该文件夹的权限，其中的文件均未读取；请为运行数据仓库的账户开放该文件夹的读取和进入权限",
    "path_too_long": "路径过长，超过文件系统允许的长度，其中的文件均未读取；请减少文件夹层级或缩短文件夹名称",
    "office_lock": "Excel/WPS等办公软件打开文件时生成的临时文件，不作为报送文件接收",
    "hidden": "以“.”开头的隐藏文件，不作为报送文件接收；如确需报送，请去掉文件名开头的“.”后重新放入",
}
RETRIED = frozenset({"settling", "changed", "vanished", "read_failed"})

# Names never taken in, whatever they hold: hidden ones (a leading dot) and Office lock files (`~$x.xlsx`).
HIDDEN = (".", "~$")
# The lock file an office suite keeps beside a workbook it has open: Office and WPS `~$x`, LibreOffice `.~lock.x#`.
_LOCK_FILES = ("~$", ".~lock.")
# The portal's upload on its way into an office's folder (`pipeline.portal.uploads`), renamed into place once whole.
UPLOADING = ".portal-"
# What Windows leaves in folders it shows as pictures or customises (Explorer's thumbnails, a folder's icon):
# not hidden by name, but no clerk sent them. Passed over as .DS_Store is.
WINDOWS_FILES = frozenset({"thumbs.db", "ehthumbs.db", "ehthumbs_vista.db", "desktop.ini"})


def not_sent(name: str) -> bool:
    """Say whether a name is never taken in: hidden (a leading dot), an office lock file or Windows' own."""
    return name.startswith(HIDDEN) or name.lower() in WINDOWS_FILES


def hidden_kind(name: str) -> str | None:
    """Return the kind a hidden file is logged as not taken in, or None for one passed over without a word."""
    if name.startswith(_LOCK_FILES):
        return "office_lock"
    # What macOS leaves in every folder it browses or copies to (Finder's .DS_Store, AppleDouble ._x), there for
    # good, and the portal's own upload in progress: no clerk can act on them, and each night would list them.
    if name == ".DS_Store" or name.startswith(("._", UPLOADING)) or name.lower() in WINDOWS_FILES:
        return None
    return "hidden"


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


CHUNK = 1024 * 1024
# An archive copy in progress; renamed into place only once complete.
PARTIAL = ".partial-"
# A file name may hold at most this many bytes on the file systems the bureau uses (ext4, NTFS via SMB).
NAME_MAX = 255
_SUFFIX_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def archive_suffix(name: str) -> str:
    """Return the lower-cased extension an archived copy keeps: short and plain, else none."""
    suffix = PurePosixPath(name).suffix.lower()
    # A clerk's "报表.2022年12月最终版（修改后）" has no extension; only a plain one is worth keeping.
    if 1 < len(suffix) <= 8 and set(suffix[1:]) <= _SUFFIX_CHARS:
        return suffix
    return ""


def bounded_name(stem: str, tail: str = "", limit: int = NAME_MAX) -> str:
    """Return `stem + tail` within `limit` UTF-8 bytes, shortening the stem with a hash of it when needed."""
    if len((stem + tail).encode("utf-8")) <= limit:
        return stem + tail
    mark = "~" + hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    room = limit - len((mark + tail).encode("utf-8"))
    kept = stem.encode("utf-8", "surrogatepass")[: max(room, 0)].decode("utf-8", "ignore")
    return kept + mark + tail


def decode_name(raw: bytes) -> str:
    """Decode a file name's bytes: UTF-8, else GB18030 (a Windows zip's GBK names), else escaped (`\\xb1`)."""
    for encoding in ("utf-8", "gb18030"):
        with contextlib.suppress(UnicodeDecodeError):
            return raw.decode(encoding)
    return raw.decode("utf-8", "backslashreplace")


def escaped_name(raw: bytes) -> str:
    """Write a name's bytes with each byte past ASCII as `\\xd4`: every one of them, never a character."""
    # UTF-8 with backslashreplace would print a GBK byte pair that happens to be valid UTF-8 as a stray character
    # (枣林's d6 bd as U+05BD), in a key an operator reads in the run's summary.
    return "".join(chr(b) if b < 0x80 else f"\\x{b:02x}" for b in raw)


def written_path(path: str, raw: bytes | None) -> str:
    """Return an inbox path as its sender wrote it: each part of its bytes decoded, as `decode_name` does."""
    # The listing keys a GBK name beside its UTF-8 twin by its escaped form (`\\xd4\\xe6…`) so the keys differ;
    # whose the file is and what it is called are what the clerk wrote, the same for both.
    if raw is None:
        return path
    return "/".join(decode_name(part) for part in raw.split(b"/"))


def _read_failed(path: str, raw: bytes | None, exc: OSError) -> NotTakenIn:
    return NotTakenIn(Skipped(path, "read_failed", f"{SKIP_ZH['read_failed']}（{exc.strerror}）", raw))


def _chunks_of(handle: BinaryIO, path: str, raw: bytes | None = None) -> Iterator[bytes]:
    """Yield a file a chunk at a time; an I/O error is the file's outcome (`NotTakenIn`), not the run's failure."""
    while True:
        try:
            chunk = handle.read(CHUNK)
        except OSError as exc:
            raise _read_failed(path, raw, exc) from None
        if not chunk:
            return
        yield chunk


@contextlib.contextmanager
def open_regular(
    fs_path: bytes, path: str, raw: bytes | None = None
) -> Iterator[tuple[BinaryIO, os.stat_result]]:
    """Open a regular file without following a link or blocking on a FIFO; yield it and its stat.

    Anything else (a link, FIFO, socket or device, a file gone, an I/O error) raises `NotTakenIn` with `path` as
    its name, before a byte is read; a file the permissions keep closed raises `Unreadable`.
    """
    try:
        fd = os.open(fs_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NotTakenIn(Skipped(path, "vanished", SKIP_ZH["vanished"], raw)) from None
    except PermissionError as exc:
        raise Unreadable(f"没有读取该文件的权限（{exc.strerror}）") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotTakenIn(Skipped(path, "symlink", SKIP_ZH["symlink"], raw)) from None
        raise _read_failed(path, raw, exc) from None
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):  # a FIFO or device, or a file replaced by one since listing
            kind = _kind_of(status.st_mode)
            raise NotTakenIn(Skipped(path, kind, SKIP_ZH[kind], raw))
        yield handle, status


def read_whole(handle: BinaryIO, before: os.stat_result, path: str, raw: bytes | None = None) -> bytes:
    """Read a file opened by `open_regular` whole; raise `NotTakenIn` if it fails or changes size meanwhile."""
    try:
        # One byte more than its size: a file still growing shows itself without being read to the end.
        content = handle.read(before.st_size + 1)
    except OSError as exc:
        raise _read_failed(path, raw, exc) from None
    if len(content) != before.st_size:
        raise NotTakenIn(Skipped(path, "changed", SKIP_ZH["changed"], raw))
    return content


def local_marker(status: os.stat_result) -> str:
    """Return what says a local file changed: its inode and ctime.

    Size and mtime alone miss a corrected file copied in with its old mtime kept (`cp -p`, a sync tool) when
    its size did not change. Every write, rename or `touch` moves the ctime, and a replaced file has another
    inode; a file that only moved is fingerprinted again and found unchanged.
    """
    return f"{status.st_ino}:{status.st_ctime_ns}"


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _kind_of(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "other"


@dataclass(slots=True)
class InboxListing:
    """What the inbox holds: regular files to consider, and entries not taken in."""

    files: list[InboxEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def walk(root: bytes, raw_paths: dict[str, bytes] | None = None) -> InboxListing:
    """List the regular files under a folder and skip every other entry with its reason, opening no file.

    Paths are relative to `root`; `raw_paths` learns the bytes of each one whose name is not UTF-8. Symlinks are
    never followed. Hidden and lock files are skipped by their names (`hidden_kind`), hidden folders passed over
    silently. Only `root` itself not listing or entering raises (OSError); any folder or entry below it is
    skipped with its reason, and the walk goes on.
    """
    listing = InboxListing()
    # Depth first with a stack of each open folder's remaining entries: no depth of folders can stop the night.
    stack: list[tuple[Iterator[tuple[os.DirEntry, str]], tuple, tuple]] = [(iter(_listed(root)), (), ())]
    while stack:
        entries, raw_parts, parts = stack[-1]
        named = next(entries, None)
        if named is None:
            stack.pop()
            continue
        entry, name = named
        raw = (*raw_parts, entry.name)
        path = "/".join((*parts, name))
        raw_path = _raw_of(raw)
        try:
            mode = entry.stat(follow_symlinks=False)
        except PermissionError as exc:
            if not parts:
                raise
            # The folder lists but cannot be entered (r--): none of its entries can be, so it is skipped once.
            listing.skipped.append(_not_listed("/".join(parts), _raw_of(raw_parts), exc))
            stack.pop()
            continue
        except OSError as exc:
            listing.skipped.append(_not_listed(path, raw_path, exc))
            continue
        if not_sent(name):
            # A hidden folder is a tool's own (.git, .Trash, a sync client's): passed over whole, without a word. A
            # file is logged, so a survey hidden by mistake is not lost without a trace.
            if not stat.S_ISDIR(mode.st_mode) and (kind := hidden_kind(name)):
                listing.skipped.append(Skipped(path, kind, SKIP_ZH[kind], raw_path))
            continue
        if raw_path is not None and raw_paths is not None:
            raw_paths[path] = raw_path
        if stat.S_ISDIR(mode.st_mode):
            try:
                inner = _listed(entry.path)
            except OSError as exc:  # a folder gone, closed to us or too deep: its files are not read
                listing.skipped.append(_not_listed(path, raw_path, exc))
            else:
                stack.append((iter(inner), raw, (*parts, name)))
        elif stat.S_ISREG(mode.st_mode):
            listing.files.append(
                InboxEntry(path, mode.st_size, mode.st_mtime_ns, raw_path, local_marker(mode))
            )
        else:
            kind = _kind_of(mode.st_mode)
            listing.skipped.append(Skipped(path, kind, SKIP_ZH[kind], raw_path))
    return listing


# Per inbox, the bytes of every listed path whose name is not UTF-8, by its decoded text: how to open it again.
_RAW_PATHS: dict[Path, dict[str, bytes]] = {}
# Per inbox, where it really is (links resolved): every file opened is checked to lie under it.
_REAL_ROOTS: dict[Path, bytes] = {}


class LocalStorage:
    """Inbox and archive on the local file system."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    def _raw_paths(self) -> dict[str, bytes]:
        return _RAW_PATHS.setdefault(self.settings.inbox, {})

    def scan(self) -> InboxListing:
        """List the inbox without opening anything: regular files, and every other entry with why it is skipped.

        Symlinks (to files or folders) are never followed, so nothing outside the inbox is ever read.
        Hidden files and Office lock files (~$x.xlsx) are not submissions: each is skipped with its reason, but for
        macOS's own files (`hidden_kind`); hidden folders (.git, .Trash) are passed over silently.
        A folder that cannot be entered or listed, or whose path is too long, is skipped with its reason; only an
        inbox that cannot be listed itself raises `InboxUnusable`.
        """
        try:
            return walk(os.fsencode(self.settings.inbox), self._raw_paths)
        except OSError as exc:
            raise InboxUnusable(self.settings.inbox, exc) from None

    def list_inbox(self) -> Iterator[InboxEntry]:
        """Yield every regular file under the inbox, recursively, skipping hidden and temporary files."""
        yield from self.scan().files

    def raw_path(self, path: str) -> bytes | None:
        """Return the bytes of an inbox path whose name is not UTF-8, as listed; None for a UTF-8 name."""
        return self._raw_paths.get(path)

    def _fs_path(self, path: str) -> bytes:
        root = os.fsencode(self.settings.inbox)
        raw = self._raw_paths.get(path)
        if raw is None:
            plain = os.path.join(root, path.encode("utf-8"))
            if os.path.lexists(plain):
                return plain
            self.scan()  # another process listed it: learn the bytes of names that are not UTF-8
            raw = self._raw_paths.get(path, path.encode("utf-8"))
        return os.path.join(root, raw)

    @contextlib.contextmanager
    def _open(self, path: str) -> Iterator[tuple[object, os.stat_result]]:
        """Open a regular inbox file without following links or blocking on a FIFO; yield it and its stat."""
        fs_path = self._fs_path(path)
        root = _REAL_ROOTS.get(self.settings.inbox)
        if root is None:  # resolved once per process: its folders are what may change while files are read
            root = _REAL_ROOTS[self.settings.inbox] = os.path.realpath(os.fsencode(self.settings.inbox))
        folder = os.path.realpath(os.path.dirname(fs_path))
        if folder != root and not folder.startswith(root + b"/"):  # a folder swapped for a link since listing
            raise NotTakenIn(Skipped(path, "symlink", SKIP_ZH["symlink"], self.raw_path(path)))
        with open_regular(fs_path, path, self.raw_path(path)) as (handle, before):
            self._check_settled(path, before)
            yield handle, before

    def settling(self, entry: InboxEntry | os.stat_result) -> bool:
        """Return whether a file was modified within the settle window, so may still be being copied in."""
        window_ns = int(self.settings.settle_seconds * 1e9)
        # Either side of now: a share whose clock runs ahead stamps a file being written in the future.
        return bool(window_ns) and abs(time.time_ns() - entry.st_mtime_ns) < window_ns

    def _check_settled(self, path: str, now: os.stat_result, before: os.stat_result | None = None) -> None:
        """Leave a file for the next run if it was modified within the settle window or changed while read."""
        if before is not None and (now.st_size, now.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise NotTakenIn(Skipped(path, "changed", SKIP_ZH["changed"], self.raw_path(path)))
        if self.settling(now):
            raise NotTakenIn(Skipped(path, "settling", SKIP_ZH["settling"], self.raw_path(path)))

    def lstat_entry(self, path: str) -> InboxEntry | None:
        """Return an inbox file's entry from its directory record alone, without opening it; None if gone."""
        try:
            return self._entry(path, os.lstat(self._fs_path(path)))
        except FileNotFoundError:
            return None

    def _entry(self, path: str, status: os.stat_result) -> InboxEntry:
        return InboxEntry(path, status.st_size, status.st_mtime_ns, self.raw_path(path), local_marker(status))

    def stat_inbox(self, path: str) -> InboxEntry:
        """Return one inbox file's entry as it is now, if it is a regular file the pipeline may read."""
        with self._open(path) as (_, status):
            return self._entry(path, status)

    def read_inbox(self, path: str, max_bytes: int | None = None) -> tuple[bytes | None, InboxEntry]:
        """Read a settled inbox file whole; raise `NotTakenIn` if it changes while being read.

        A file larger than `max_bytes` is not read: its content comes back as None, beside its entry.
        """
        with self._open(path) as (handle, before):
            if max_bytes is not None and before.st_size > max_bytes:
                return None, self._entry(path, before)
            content = read_whole(handle, before, path, self.raw_path(path))
            self._check_settled(path, os.fstat(handle.fileno()), before)
            return content, self._entry(path, before)

    def archive_path(self, sha256: str, suffix: str) -> str:
        """Return where a file with this fingerprint lives in the archive, relative to it."""
        return f"{sha256[:2]}/{sha256}{suffix}"

    def archive(self, content: bytes, suffix: str) -> str:
        """Copy a file into the archive under its SHA-256, once; never overwrite or delete."""
        relative = self.archive_path(sha256_of(content), suffix)
        # A copy cut short is told once, by _archive_chunks as it replaces it.
        if not archived(self.settings.archive / relative, len(content), tell=False):
            self._archive_chunks([content], suffix)
        return relative

    def archive_inbox_file(self, path: str) -> tuple[str, str, InboxEntry]:
        """Copy an inbox file into the archive a chunk at a time, never holding it whole; return (path, SHA-256,
        entry).

        For files too large to read into memory; the fingerprint is of exactly the bytes archived.
        """
        with self._open(path) as (handle, before):

            def unchanged() -> None:
                self._check_settled(path, os.fstat(handle.fileno()), before)

            chunks = _chunks_of(handle, path, self.raw_path(path))
            relative, sha256 = self._archive_chunks(chunks, archive_suffix(path), unchanged)
            return relative, sha256, self._entry(path, before)

    def _archive_chunks(self, chunks: Iterable[bytes], suffix: str, verify=None) -> tuple[str, str]:
        """Write bytes to a partial file, fsync it, then rename it into place under their SHA-256, once."""
        self.settings.archive.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with tempfile.NamedTemporaryFile(dir=self.settings.archive, prefix=PARTIAL, delete=False) as handle:
            try:
                for chunk in chunks:
                    digest.update(chunk)
                    size += handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
                if verify is not None:
                    verify()
            except BaseException:
                Path(handle.name).unlink(missing_ok=True)
                raise
        relative = self.archive_path(digest.hexdigest(), suffix)
        target = self.settings.archive / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if archived(target, size):
            Path(handle.name).unlink()
        else:
            os.replace(handle.name, target)
        return relative, digest.hexdigest()

    def archive_batch(self, pool: Executor) -> ArchiveBatch:
        """Start copying a batch of files into the archive; see `ArchiveBatch`."""
        return ArchiveBatch(self, pool)

    def inbox_sha256(self, path: str) -> str:
        """Fingerprint an inbox file a chunk at a time."""
        digest = hashlib.sha256()
        with self._open(path) as (handle, _):
            for chunk in _chunks_of(handle, path, self.raw_path(path)):
                digest.update(chunk)
        return digest.hexdigest()

    def readable(self, path: str) -> bool:
        """Return whether an inbox file can now be opened (one refused earlier may have been fixed)."""
        try:
            with self._open(path):
                return True
        except (NotTakenIn, Unreadable):
            return False

    def remove_stale_partials(self, older_than_s: float = 3600) -> int:
        """Delete archive copies a killed run left unfinished; return how many. Complete files are never touched."""
        removed = 0
        cutoff = time.time() - older_than_s
        for partial in self.settings.archive.glob(f"**/{PARTIAL}*"):
            with contextlib.suppress(FileNotFoundError):
                if partial.stat().st_mtime < cutoff:
                    partial.unlink()
                    removed += 1
        return removed

    def read_archive(self, relative: str) -> bytes:
        return (self.settings.archive / relative).read_bytes()


def _syncfs():
    """Return libc's syncfs(2) where it reports a failed write-back (Linux 5.8 and later), else None."""
    if not sys.platform.startswith("linux"):
        return None
    release = tuple(int(part) for part in re.findall(r"\d+", os.uname().release)[:2])
    if release < (5, 8):  # before 5.8, syncfs returned 0 even when writing a file back had failed
        return None
    function = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
    if function is not None:
        function.argtypes = [ctypes.c_int]
    return function


SYNCFS = _syncfs()


def sync_filesystem(path: Path) -> None:
    """Flush everything written to the file system holding `path`, data and names, in one call (syncfs(2))."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if SYNCFS(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(path))
    finally:
        os.close(fd)


def archived(target: Path, size: int, tell: bool = True) -> bool:
    """Say whether the archive holds this copy whole; one of another size (cut short) is told, to be written again."""
    try:
        held = target.stat().st_size
    except FileNotFoundError:
        return False
    if held != size and tell:
        # Its name is the SHA-256 of bytes received again now: writing them over it restores it, losing nothing.
        logger.warning(
            "存档副本 %s 不完整（%d 字节，应为 %d 字节），以本次收到的相同内容重新写入", target, held, size
        )
    return held == size


def _write_partials(
    root: Path, copies: list[tuple[str, bytes]], sync: bool = True
) -> list[tuple[str, str | None]]:
    """Write each file not yet in the archive to a new partial file, fsynced unless `sync` is off; return
    (archive path, partial file or None when already archived). Runs in a pool thread, a share of a batch at a
    time."""
    written: list[tuple[str, str | None]] = []
    try:
        for relative, content in copies:
            if archived(root / relative, len(content)):
                written.append((relative, None))
                continue
            fd, name = tempfile.mkstemp(dir=root, prefix=PARTIAL)
            written.append((relative, name))
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                if sync:
                    handle.flush()
                    os.fsync(handle.fileno())
    except BaseException:
        for _, name in written:
            if name is not None:
                Path(name).unlink(missing_ok=True)
        raise
    return written


def fsync_path(path: Path) -> None:
    """Flush a file or folder to disk: a rename, or a folder made, is durable once its folder is."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ArchiveBatch:
    """A batch's files copied into the archive together, durable before the transaction recording them commits.

    `add` names each file and hands the copies, a share at a time, to pool threads, which write each to a
    partial file while the loader goes on building the batch's rows. `make_durable`, called just before the
    commit, waits for them, flushes them, renames each partial file into place under its SHA-256 and flushes
    the names. On Linux 5.8 and later each flush is one syncfs(2) of the archive's file system; elsewhere the
    threads fsync each copy and then each folder renamed into (and the archive root, where new folders appear).
    Per batch of 500 that is two calls instead of some 600: 0.926x the wall time of a 10,000-file ingest, a
    third less system time (README "Performance"). So an accepted file is in the archive, durably, before the
    warehouse says so; a name in the archive only ever holds a complete, flushed file; and a crash before the
    commit leaves at most partial files (removed by a later load) and complete files no submission names yet
    (recorded by the rerun, never copied twice).
    """

    def __init__(self, storage: LocalStorage, pool: Executor, share: int = 64):
        self.root = storage.settings.archive
        self.storage = storage
        self.pool = pool
        self.share = share  # files a pool job writes and fsyncs, one after the other
        self.paths: list[str] = []  # every file of the batch, by archive path, those already there included
        self.copies: dict[str, bytes] = {}  # archive path → bytes, named but not yet handed to the pool
        self.written: set[str] = set()  # archive paths handed to the pool or about to be
        self.writing: list[Future[list[tuple[str, str | None]]]] = []
        self.made: list[str] = []  # archive paths renamed into place

    def add(self, content: bytes, sha256: str, suffix: str) -> str:
        """Name a file's bytes (whose SHA-256 the caller computed) for the archive; return its path."""
        relative = self.storage.archive_path(sha256, suffix)
        self.paths.append(relative)
        if relative not in self.written:
            self.written.add(relative)
            self.copies[relative] = content
            if len(self.copies) >= self.share:
                self._start()
        return relative

    def _start(self) -> None:
        """Hand the copies named so far to a pool job."""
        if self.copies:
            self.root.mkdir(parents=True, exist_ok=True)
            self.writing.append(
                self.pool.submit(_write_partials, self.root, list(self.copies.items()), sync=SYNCFS is None)
            )
            self.copies = {}

    def make_durable(self) -> list[str]:
        """Wait for the copies, rename them into place and fsync their folders; return the paths made."""
        self._start()
        folders: set[Path] = set()
        try:
            written = [job.result() for job in self.writing]
            if SYNCFS is not None and any(partial for job in written for _, partial in job):
                sync_filesystem(self.root)  # every partial file's data, at once
            for job in written:
                for relative, partial in job:
                    if partial is None:
                        continue
                    target = self.root / relative
                    if not target.parent.is_dir():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        folders.add(self.root)
                    # Another run archived the same bytes meanwhile; a copy cut short (told when the partial was
                    # written) is replaced.
                    if archived(target, Path(partial).stat().st_size, tell=False):
                        Path(partial).unlink()
                    else:
                        os.replace(partial, target)
                        self.made.append(relative)
                    folders.add(target.parent)
            if SYNCFS is None:
                for done in [self.pool.submit(fsync_path, folder) for folder in folders]:
                    done.result()
            elif folders:
                sync_filesystem(self.root)  # the renames and new folders, at once
        finally:
            self.discard()
        return self.made

    def discard(self) -> None:
        """Remove the partial copies not renamed into place (the batch failed before its commit)."""
        writing, self.writing = self.writing, []
        self.copies = {}
        for job in writing:
            with contextlib.suppress(Exception):
                for _, partial in job.result():
                    if partial is not None:
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(partial)


def _name(entry: os.DirEntry) -> bytes:
    return entry.name


def _listed(folder: bytes) -> list[tuple[os.DirEntry, str]]:
    """Return a folder's entries, named and in name order."""
    with os.scandir(folder) as scanned:
        return _names(sorted(scanned, key=_name))


def _raw_of(raw_parts: tuple) -> bytes | None:
    """Return a listed path's bytes when any part of it is not UTF-8, else None."""
    return b"/".join(raw_parts) if any(not _is_utf8(part) for part in raw_parts) else None


# How a folder or entry that cannot be listed is skipped, by the error: the rest of the inbox goes on.
_NOT_LISTED = {
    errno.ENOENT: "vanished",
    errno.EACCES: "folder_closed",
    errno.EPERM: "folder_closed",
    errno.ENAMETOOLONG: "path_too_long",
}


def _not_listed(path: str, raw: bytes | None, exc: OSError) -> Skipped:
    kind = _NOT_LISTED.get(exc.errno)
    if kind is None:
        return _read_failed(path, raw, exc).skipped
    return Skipped(path, kind, SKIP_ZH[kind], raw)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _names(entries: list[os.DirEntry]) -> list[tuple[os.DirEntry, str]]:
    """Name each entry of one folder as text, uniquely: UTF-8 names as they are, then the others decoded."""
    taken = {e.name.decode("utf-8") for e in entries if _is_utf8(e.name)}
    named = []
    for entry in entries:
        if _is_utf8(entry.name):
            named.append((entry, entry.name.decode("utf-8")))
            continue
        # A GBK name decoding to a UTF-8 name beside it falls back to the escaped form, which cannot collide.
        for name in (decode_name(entry.name), escaped_name(entry.name)):
            if name not in taken:
                break
        else:
            name = bounded_name(name, f"~{hashlib.sha256(entry.name).hexdigest()[:8]}")
        taken.add(name)
        named.append((entry, name))
    return named
