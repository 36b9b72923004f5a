"""Read an upload a chunk at a time within the pipeline's limits, and place files in the inbox atomically."""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from pipeline.file_names import (
    UPLOADING,
    archive_suffix,
    decode_name,
    not_sent,
    numbered_name,
    shown_escaped,
)
from pipeline.folder_lock import holding
from pipeline.limits import MIB, LimitExceeded, Limits
from pipeline.portal.config import portal_home
from pipeline.receipt_facts import ReceiptFacts
from pipeline.receipt_places import contained, safe_component
from pipeline.settings import Settings
from pipeline.storage import fsync_path

if TYPE_CHECKING:
    from pipeline.portal.checker import Checker

MAX_FIELD_BYTES = 4096  # a CSRF token or a flag; nothing else travels as a plain field
# A request may carry this much beyond its files' own bytes: part headers, boundaries, the token.
ENVELOPE_BYTES = MIB
PENDING_HOURS = 24  # a rejected file kept for 仍然提交 is forgotten after this long
_PENDING_ID = re.compile(r"[A-Za-z0-9_-]{20,64}")
_placing = threading.Lock()


class UploadRefused(Exception):  # noqa: N818 - a refusal with the status to answer and the reason in Chinese
    def __init__(self, status: int, message_zh: str):
        super().__init__(message_zh)
        self.status, self.message_zh = status, message_zh


@dataclass(slots=True)
class Upload:
    """What one upload form sent: its plain fields and each file's name and bytes, in order."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, bytes]] = field(default_factory=list)


def too_large(name: str, limits: Limits) -> UploadRefused:
    """Refuse a file past the file-size limit, in the words of the pipeline's own limit."""
    refused = LimitExceeded("max_file_bytes", limits.max_file_bytes, limits.max_file_bytes + 1)
    words = refused.problem()
    return UploadRefused(
        413,
        f"文件“{name}”超过{words.expected.removeprefix('不超过')}的处理上限，已停止接收，未作检查。{words.fix}。"
        # Files chosen with it are dropped too: named alone, a clerk took the others for sent.
        "本次上传的所有文件均未接收，请处理后重新上传。",
    )


def upload_cap(limits: Limits, max_files: int) -> int:
    """Return the largest request body an upload of `max_files` files within the limits can need."""
    return max_files * limits.max_file_bytes + ENVELOPE_BYTES


def client_name(raw: str) -> str:
    """Return the file's own name from what a browser sent: the last path part, nothing of any folder."""
    return re.split(r"[/\\]", raw)[-1]


def sent_name(raw: bytes) -> str:
    """Return the file's own name from the bytes a client sent, decoded as the night decodes an inbox name."""
    if shown_escaped(raw):
        # The escapes' backslashes (清单_(副本)\\xb6\\xab.csv) are no folder's: cut at the sent bytes' separators,
        # which a name not read as GBK (whose second bytes may be 0x5c) holds inside no character.
        return decode_name(re.split(rb"[/\\]", raw)[-1])
    return client_name(decode_name(raw))


def inbox_name(name: str) -> str:
    """Return a name the inbox keeps and the nightly run reads: one harmless component, not hidden, not a lock."""
    # A name too long is shortened in its stem: the extension is what tells the night a workbook from a CSV.
    # A name that is only a dot and an extension (".xlsx") is a dotfile to pathlib, with no suffix: read it with a
    # stem before it, or its extension became its name and a good workbook was told it is no spreadsheet.
    kept = archive_suffix("_" + name)
    suffix = name[len(name) - len(kept) :] if kept else ""
    safe = safe_component(name.removesuffix(suffix) if suffix else name, "未命名文件", suffix)
    # The night skips names starting with "." or "~$" (hidden, Office lock files) and Windows' own (desktop.ini,
    # Thumbs.db): such a file would wait forever, with no receipt.
    if safe.startswith("~$"):
        return "_" + safe[2:]
    return "_" + safe if not_sent(safe) else safe


class _Reader:
    """Collect fields and files from multipart chunks, refusing at the first byte past a limit."""

    def __init__(self, limits: Limits, max_files: int, before_file):
        self.limits, self.max_files, self.before_file = limits, max_files, before_file
        self.upload = Upload()
        self.headers: dict[bytes, bytes] = {}
        self.header_field = b""
        self.header_value = b""
        self.name: str | None = None
        self.filename: str | None = None
        self.data = bytearray()
        self.complete = False

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: setattr(self, "header_field", self.header_field + d[s:e]),
            "on_header_value": lambda d, s, e: setattr(self, "header_value", self.header_value + d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
            "on_end": lambda: setattr(self, "complete", True),
        }

    def _begin(self) -> None:
        self.headers, self.data, self.name, self.filename = {}, bytearray(), None, None

    def _header_end(self) -> None:
        self.headers[self.header_field.lower()] = self.header_value
        self.header_field = self.header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        raw = options.get(b"filename")
        # Browsers send UTF-8; an older client's GBK name is read as the night reads one in the inbox.
        self.filename = None if raw is None else sent_name(raw)
        if self.filename is not None:
            if len(self.upload.files) >= self.max_files:
                raise UploadRefused(413, f"一次最多上传{self.max_files}个文件，请分批上传。")
            self.before_file(self.upload.fields)  # e.g. the CSRF token, before a byte of any file is kept

    def _data(self, data: bytes, start: int, end: int) -> None:
        self.data += data[start:end]
        if self.filename is not None:
            if len(self.data) > self.limits.max_file_bytes:
                raise too_large(self.filename, self.limits)
        elif len(self.data) > MAX_FIELD_BYTES:
            raise UploadRefused(400, "表单内容异常，请刷新页面后重试。")

    def _end(self) -> None:
        if self.filename is None:
            self.upload.fields[self.name] = self.data.decode("utf-8", "replace")
        elif self.filename or self.data:  # a file input left empty sends a part with no name and no bytes
            self.upload.files.append((self.filename or "未命名文件", bytes(self.data)))


async def read_upload(request, limits: Limits, max_files: int, before_file) -> Upload:
    """Read a multipart upload from the request's stream, refusing as soon as it goes past a limit.

    A declared length past what the limits allow is refused before any of the body is read; otherwise each
    file is counted as it arrives, and the first byte past the file-size limit ends the reading.
    """
    kind, options = parse_options_header(request.headers.get("content-type"))
    if kind != b"multipart/form-data" or b"boundary" not in options:
        raise UploadRefused(400, "上传格式不正确，请使用页面上的上传表单。")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > upload_cap(limits, max_files):
        raise UploadRefused(
            413,
            f"本次上传共{int(declared) / MIB:,.1f} MB，超过处理上限（每个文件{limits.max_file_bytes / MIB:,.1f} MB，"
            f"一次最多{max_files}个文件），未接收。",
        )
    reader = _Reader(limits, max_files, before_file)
    parser = MultipartParser(options[b"boundary"], reader.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError:
        raise UploadRefused(400, "上传内容不完整或格式不正确，请重新上传。") from None
    except ClientDisconnect:
        raise UploadRefused(400, "上传中断，未接收任何文件，请重新上传。") from None
    if not reader.complete:  # the body stopped before its closing boundary: a file may be cut short
        raise UploadRefused(400, "上传内容不完整，未接收任何文件，请重新上传。")
    return reader.upload


def _unused(folder: Path, name: str) -> Path:
    """Return `folder/name`, or with （2）, （3）… before the extension when that name is taken."""
    return folder / numbered_name(
        name, lambda found: (folder / found).exists() or (folder / found).is_symlink()
    )


def place_in_inbox(settings: Settings, office: str, name: str, content: bytes) -> str:
    """Put a file into inbox/<office>/ whole or not at all; return its path relative to the inbox.

    The bytes go to a hidden file in the same folder (the night passes it over), are made durable, then
    renamed into place, so the night never reads half a file. An existing file is never replaced.
    """
    folder = contained(settings.inbox, safe_component(office, "未知单位"))
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{UPLOADING}{secrets.token_hex(8)}.partial"
    try:
        with open(partial, "xb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        with _placing:  # one rename at a time, so two uploads of one name both keep their file
            target = _unused(folder, inbox_name(name))
            contained(settings.inbox, folder.name, target.name)
            os.replace(partial, target)
        fsync_path(folder)
    finally:
        partial.unlink(missing_ok=True)
    return target.relative_to(settings.inbox.resolve()).as_posix()


def check_and_place(
    settings: Settings, checker: Checker, office: str, files: list[tuple[str, bytes]], force: bool
) -> list[tuple[ReceiptFacts, str | None, str | None]]:
    """Check files (named as the inbox keeps them) and place those to be sent, or keep the rest for 仍然提交;
    return each one's receipt, where it was placed and the id it was kept under.

    Under the inbox's lock from the check to the last placing: two uploads of one file (or slice) at once were
    both checked before either was placed, and both told 将被接收 (or 将替换) the same file.
    """
    done = []
    with holding(Path(settings.inbox)):
        for (name, content), facts in zip(files, checker.check(office, files), strict=True):
            if facts.status == "accepted" or force:
                done.append((facts, place_in_inbox(settings, office, name, content), None))
            else:
                done.append((facts, None, keep_pending(settings, office, name, content)))
    return done


def _pending_folder(settings: Settings) -> Path:
    return portal_home(settings) / "pending"


def keep_pending(settings: Settings, office: str, name: str, content: bytes) -> str:
    """Keep a file the check would not accept, for the clerk's 仍然提交; return the id to ask for it by."""
    folder = _pending_folder(settings)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    cutoff = time.time() - PENDING_HOURS * 3600
    for old in folder.iterdir():
        try:
            stale = old.stat().st_mtime < cutoff
        except FileNotFoundError:  # taken (仍然提交) or swept by another upload since the listing
            continue
        if stale:
            old.unlink(missing_ok=True)
    pending_id = secrets.token_urlsafe(24)
    (folder / f"{pending_id}.bin").write_bytes(content)
    (folder / f"{pending_id}.json").write_text(
        json.dumps({"office": office, "name": name}, ensure_ascii=False), encoding="utf-8"
    )
    return pending_id


def take_pending(settings: Settings, office: str, pending_id: str) -> tuple[str, bytes] | None:
    """Return and forget the file kept under this id, if this office kept it; None otherwise."""
    if not _PENDING_ID.fullmatch(pending_id or ""):
        return None
    folder = _pending_folder(settings)
    meta, data = folder / f"{pending_id}.json", folder / f"{pending_id}.bin"
    try:
        kept = json.loads(meta.read_text(encoding="utf-8"))
        content = data.read_bytes()
    except (OSError, ValueError):
        return None
    if kept.get("office") != office:
        return None
    meta.unlink(missing_ok=True)
    data.unlink(missing_ok=True)
    return kept["name"], content
