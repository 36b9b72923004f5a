"""Tell the names never taken in, and decode, escape and bound file names."""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable
from pathlib import PurePosixPath

# Names never taken in, whatever they hold: hidden ones (a leading dot) and Office lock files (`~$x.xlsx`).
HIDDEN = (".", "~$")
# The lock file an office suite keeps beside a workbook it has open: Office and WPS `~$x`, LibreOffice `.~lock.x#`,
# WPS on Linux `.~x`.
_LOCK_FILES = ("~$", ".~")
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


# The names a sent table may carry: a folder named so was meant as one (`inbox_walk`).
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")

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


def numbered_name(name: str, taken: Callable[[str], bool]) -> str:
    """Return `name`, or with （2）, （3）… before its extension while that name is taken."""
    stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
    found, number = name, 1
    while taken(found):
        number += 1
        found = bounded_name(stem, f"（{number}）{suffix}")
    return found


def decode_name(raw: bytes) -> str:
    """Decode a file name's bytes: UTF-8, else GB18030 (a Windows zip's GBK names), else escaped (`\\xb1`).

    A name mostly UTF-8 Chinese with a few bytes that are not (`清单_(副本)` and a stray GBK `东`) keeps its UTF-8 as
    written and only those bytes escaped: read whole as GB18030 it decodes, as `娓呭崟_(鍓湰)东`, which no clerk finds.
    """
    with contextlib.suppress(UnicodeDecodeError):
        return raw.decode("utf-8")
    if not _mostly_utf8(raw):
        with contextlib.suppress(UnicodeDecodeError):
            return raw.decode("gb18030")
    return raw.decode("utf-8", "backslashreplace")


def shown_escaped(raw: bytes) -> bool:
    """Say whether `decode_name` shows some of a name's bytes escaped (`\\xb6`), their backslashes its own."""
    return not is_utf8(raw) and (_mostly_utf8(raw) or not _decodes(raw, "gb18030"))


def is_utf8(raw: bytes) -> bool:
    """Say whether a name's bytes are UTF-8."""
    return _decodes(raw, "utf-8")


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _mostly_utf8(raw: bytes) -> bool:
    """Say whether a name not UTF-8 as a whole holds at least two UTF-8 Chinese characters, and more of its bytes
    past ASCII in them than outside them."""
    # GBK bytes make a valid 3-byte UTF-8 character by chance (e4 a1 b5 is U+4875): in 2 in 10,000 random GB2312
    # names of 4 to 8 characters as many as this, never in shorter ones.
    chinese = 3 * sum(1 for char in raw.decode("utf-8", "surrogateescape") if _is_chinese(char))
    past_ascii = sum(1 for byte in raw if byte >= 0x80)
    return chinese >= 6 and chinese > past_ascii - chinese


def _is_chinese(char: str) -> bool:
    """Say whether a character is a CJK ideograph, CJK punctuation or a full-width form (all 3 bytes in UTF-8)."""
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF


# What a decoded name shows for bytes that are not text (`decode_name`'s `\\xb6`) and control characters in it.
_NOT_TEXT = re.compile(r"(?:\\x[0-9a-f]{2})+|[\x00-\x1f\x7f-\x9f]")
_CONTROLS_ZH = {"\t": "制表符", "\n": "换行符", "\r": "回车符"}


def not_text(name: str) -> list[str]:
    """Return what in a decoded name is not text, as a clerk is told it: escaped bytes as shown, controls by name."""
    if name.isprintable() and "\\x" not in name:
        return []
    return [
        _CONTROLS_ZH.get(part, f"控制字符U+{ord(part):04X}") if len(part) == 1 else part
        for part in _NOT_TEXT.findall(name)
    ]


def text_only(name: str) -> str:
    """Return a decoded name with what is not text in it taken out (`not_text`)."""
    return _NOT_TEXT.sub("", name)


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
