"""Open a night's work files for the loader, parsing again those that other code wrote or that do not unpickle.

Operators deploy while a night runs: a shard parsed by the code before, its load run by the code after, read objects
pickled with one field fewer (or more) wrongly, or not at all, and the night failed. Each work file keeps what was
read as plain values (`inbox_reads`); a file of another version is parsed again from them by the night's day, as the
shard would have with this code, and written to the loader's scratch folder. A file that keeps nothing readable (a
head or a read truncated or corrupted) has its inbox file read again by the loader, where the head or the shard's
list still names it, and parsed by the night's day as the shard would have; one that names nothing is only logged:
never recorded, its inbox file is new again the next night.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.code_version import code_version
from pipeline.intake.candidates import Candidate, parsed_read
from pipeline.intake.inbox_reads import InboxRead, read_inbox_file
from pipeline.intake.work_format import WorkFile, read_head, read_kept, work_bytes, write_work_file
from pipeline.limits import Limits
from pipeline.read_day import ReadOn
from pipeline.registry import Registry
from pipeline.text import printable

if TYPE_CHECKING:
    from pipeline.inbox_storage import Storage

logger = logging.getLogger(__name__)


class Renewal:
    """Parse again, once each, the work files of a load that this code cannot take as they are."""

    def __init__(
        self,
        registry: Registry,
        limits: Limits,
        scratch: Path,
        storage: Storage,
        named: Mapping[str, str] | None = None,
        read_on: ReadOn | None = None,
    ):
        self.registry = registry
        self.limits = limits
        self.storage = storage
        self.named = named or {}
        self.read_on = read_on
        self.folder = scratch / "renewed"
        self.version = code_version(registry.directory)
        self.renewed: dict[str, WorkFile] = {}  # by the work file's path: read again, its log line said once

    def open(self, path: str) -> WorkFile | None:
        """Return a work file as this code reads it; None, logged, for one that names no inbox file it can read."""
        try:
            head = read_head(path)
            if head[0] == self.version:
                return WorkFile.of_head(path, head, renew=self)
            inbox_path = _inbox_path(head)
        except OSError:
            raise  # the loader's own I/O: a retry may pass
        except Exception as exc:
            head, inbox_path = None, None
            why = f"的文件头无法读取（{_said(exc)}）"
        if head is not None:
            why = "由另一版本的程序写出（work file of another code version）"
        return self._renew(path, why, inbox_path)

    def __call__(self, work_file: WorkFile, kept: dict | None, exc: Exception) -> Candidate:
        """Return the candidate of a work file of this version that does not unpickle, parsed again."""
        if work_file.path not in self.renewed:
            self._renew(work_file.path, f"中的解析结果无法读取（{_said(exc)}）", work_file.inbox_path, kept)
        return self.renewed[work_file.path].candidate()

    def _renew(
        self, path: str, why: str, inbox_path: str | None, kept: dict | None = None
    ) -> WorkFile | None:
        """Parse a work file's inbox file again from what it read, into the scratch folder; log one line.

        Where it keeps nothing readable, its inbox file (named by its head, or else by the shard's list) is read
        again and parsed by the night's day; where nothing names that file, it is only logged: never recorded, it
        is new again the next night.
        """
        try:
            read = InboxRead.from_kept(kept if kept is not None else read_kept(path))
        except OSError:
            raise
        except Exception as exc:
            read = None
            if inbox_path is not None:
                why = f"{why}，其读取的原始内容也无法读取（{_said(exc)}）"
        if read is not None and inbox_path in (None, read.inbox_path):
            logger.warning(
                "工作文件 %s %s，已按本版本程序重新解析其读取的原始内容：%s（parsed again）",
                path,
                why,
                printable(read.inbox_path, one_line=True),
            )
        elif (inbox_path := inbox_path or self.named.get(path)) is None:
            logger.error("工作文件 %s %s，其中的收件箱文件本次未入库，下次运行将重新读取", path, why)
            return None
        else:
            # Read as the shard would have read it this night: a file changed, still being written or gone since is
            # that file's own outcome, as it is for a shard.
            read = read_inbox_file(self.storage, inbox_path, self.limits, self.read_on)
            logger.warning(
                "工作文件 %s %s，已重新读取收件箱文件并按本版本程序解析：%s（read again）",
                path,
                why,
                printable(inbox_path, one_line=True),
            )
        candidate = parsed_read(read, self.registry, self.limits)
        self.folder.mkdir(exist_ok=True)
        target = self.folder / f"{len(self.renewed)}.pickle"
        write_work_file(work_bytes(read, candidate, self.registry), target)
        self.renewed[path] = renewed = WorkFile.of_head(target, read_head(target))
        return renewed


def _inbox_path(head: tuple) -> str | None:
    """Return the inbox path a head of any version names: after its version, or first where it has none."""
    named = head[1] if isinstance(head[0], bytes) else head[0]  # written before work files carried one
    return named if isinstance(named, str) else None


def _said(exc: Exception) -> str:
    return printable(f"{type(exc).__name__}: {exc}", one_line=True)[:200]


def open_work_files(
    paths: list[str],
    registry: Registry,
    limits: Limits,
    scratch: Path,
    storage: Storage,
    named: Mapping[str, str] | None = None,
    read_on: ReadOn | None = None,
) -> list[WorkFile]:
    """Return the work files at `paths` as this code reads them, those of other code parsed again in `scratch`.

    `named`: the inbox file each work file was parsed from, as the shard's list says (its head may not);
    `read_on`: the night's day, by which an inbox file read again is parsed.
    """
    renewal = Renewal(registry, limits, scratch, storage, named, read_on)
    opened = (renewal.open(path) for path in paths)
    return [work_file for work_file in opened if work_file is not None]
