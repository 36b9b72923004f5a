"""Keep shared object-store locations to one warehouse: the first writer claims them, any other is refused.

The run lock is an `flock` in `$PIPELINE_HOME`, so it keeps one writer per machine. With the archive, receipts,
reports or export in a bucket, a `pipeline run` on a second machine (its own `PIPELINE_HOME`, as every worker
has) would take the whole inbox into a warehouse of its own and write over the receipts, reports and export the
offices and analysts read. So the first warehouse to write claims each such location with an object
`<location>/.pipeline-writer.json` naming it (an id kept in `$PIPELINE_HOME/store-writer.id`, put with
`If-None-Match: *`, so two claiming at once cannot both win), and every writer checks the claim under its run lock
before it writes anything.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from typing import TYPE_CHECKING

from pipeline.locations import is_url, join_url
from pipeline.object_fs import object_filesystem
from pipeline.object_io import get_bytes, put_bytes
from pipeline.s3_requests import _code

if TYPE_CHECKING:
    from pathlib import Path

    from s3fs import S3FileSystem

    from pipeline.settings import Settings

logger = logging.getLogger(__name__)

CLAIM = ".pipeline-writer.json"
ID_FILE = "store-writer.id"


class StoreClaimed(RuntimeError):
    """A shared location is claimed by another warehouse: this one must not write there."""

    def __init__(self, url: str, holder: dict, mine: Path):
        self.url = url
        self.holder = holder
        where = f"主机 {holder.get('host') or '未知'} 的数据根目录 {holder.get('home') or '未知'}"
        super().__init__(
            f"对象存储 {url} 已由另一个数据仓库写入（{where}，自 {holder.get('claimed_at') or '未知时间'} 起），"
            "本机未执行，以免两个数据仓库改写同一批回执、报告和导出。请在那台机器上运行写入数据仓库的命令；"
            f"如确是把数据仓库迁到了本机，请把原机的 {ID_FILE} 复制为 {mine}，或删除上述对象后重试。"
        )


def writer_id(settings: Settings) -> str:
    """Return this data root's writer id, made once and kept beside the run lock (the lock is held)."""
    path = settings.home / ID_FILE
    try:
        if found := path.read_text(encoding="utf-8").strip():
            return found
    except FileNotFoundError:
        pass
    made = uuid.uuid4().hex
    partial = path.with_name(f".{ID_FILE}.partial")
    partial.write_text(f"{made}\n", encoding="utf-8")
    os.replace(partial, path)
    return made


def shared_locations(settings: Settings) -> list[str]:
    """Return the object-store locations a writer writes: archive, receipts, reports, export (not work files)."""
    places = (settings.archive, settings.receipts, settings.reports, settings.export)
    return sorted({str(place).rstrip("/") for place in places if is_url(place)})


def _holder(url: str, fs: S3FileSystem) -> dict | None:
    try:
        held = json.loads(get_bytes(url, fs=fs))
    except FileNotFoundError:
        return None
    except ValueError:  # not a claim this code wrote: nobody's, so refused, naming the object to delete
        return {}
    return held if isinstance(held, dict) else {}


def claim_stores(settings: Settings, now: str) -> None:
    """Claim each shared object-store location for this warehouse, or raise `StoreClaimed` if another holds one."""
    locations = shared_locations(settings)
    if not locations:
        return
    fs = object_filesystem()
    mine = {"writer": writer_id(settings), "host": socket.gethostname(), "home": str(settings.home)}
    for location in locations:
        url = join_url(location, CLAIM)
        try:
            holder = _claimed(url, {**mine, "claimed_at": now}, fs)
        except OSError as exc:
            # A location that cannot be reached now fails each write there on its own (a receipt is retried next
            # run), as before; only another warehouse's claim stops the command.
            logger.warning("未能核对对象存储 %s 的写入方（%s），继续运行", url, exc)
            continue
        if holder.get("writer") != mine["writer"]:
            raise StoreClaimed(url, holder, settings.home / ID_FILE)


def _claimed(url: str, mine: dict, fs: S3FileSystem) -> dict:
    """Return the claim on a location: the one there, else this warehouse's, put unless another got there first."""
    holder = _holder(url, fs)
    if holder is not None:
        return holder
    record = json.dumps(mine, ensure_ascii=False, indent=2).encode("utf-8")
    try:
        put_bytes(url, record, fs=fs, IfNoneMatch="*")
    except FileExistsError:  # another writer claimed it meanwhile: whose it is decides
        pass
    except OSError as exc:
        if _code(exc) not in ("NotImplemented", "501"):
            raise
        # A store without conditional writes: the read below still decides.
        put_bytes(url, record, fs=fs)
    return _holder(url, fs) or {}
