"""Decode a CSV's bytes as UTF-8 or GB18030, refusing text that decodes only to gibberish."""

from __future__ import annotations

import codecs
import functools
import re
from collections import Counter

from pipeline.grids import UnreadableFile

ENCODING_UNKNOWN = "文件编码无法识别，请以UTF-8或GB18030（Excel“CSV UTF-8”）另存后重新报送"
# GB18030 decodes almost any bytes, Big5 included, into gibberish of rare characters. Text is taken for
# misdecoded when more than this share of its non-ASCII characters fall outside GB2312's punctuation and
# its 6,763 hanzi, which cover nearly every character of real simplified-Chinese text.
RARE_SHARE = 0.2
DAMAGED_SHARE = 0.1
RARE_SAMPLE = 65_536
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


class CutOffText(Exception):
    """The bytes end inside a character, as no saved text file does: the file was cut off in transfer."""

    def __init__(self, text: str) -> None:
        super().__init__("the text ends inside a character")
        self.text = text  # what came before the broken character, for the reader to say where it stops


def decode_text(content: bytes) -> str:
    """Decode CSV bytes as UTF-8 (with or without BOM), else GB18030; refuse text that decodes only to gibberish.

    Raises CutOffText when the bytes are text but for a character cut in half at their very end.
    """
    body = content.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Told as an unknown encoding, a clerk would save the same UTF-8 again: the file only lacks its end.
        if exc.end == len(body) and exc.reason == "unexpected end of data":
            raise CutOffText(body[: exc.start].decode("utf-8")) from None
    if _looks_damaged_utf8(content[: RARE_SAMPLE * 4]):
        raise UnreadableFile(ENCODING_UNKNOWN)
    try:
        text = content.decode("gb18030")
    except UnicodeDecodeError as exc:
        if exc.end != len(content) or exc.reason != "incomplete multibyte sequence":
            raise UnreadableFile(ENCODING_UNKNOWN) from None
        text = content[: exc.start].decode("gb18030")
        if "\x00" not in text and not _looks_misdecoded(text[:RARE_SAMPLE]):
            raise CutOffText(text) from None
    # Text holding NULs is not text at all; read_csv says so in its own words.
    if "\x00" not in text and _looks_misdecoded(text[:RARE_SAMPLE]):
        raise UnreadableFile(ENCODING_UNKNOWN)
    return text


@functools.cache
def _is_common(char: str) -> bool:
    """Say whether a character is GB2312 punctuation or one of its hanzi (rows A1–A3 and B0–F7)."""
    try:
        lead = char.encode("gb2312")[0]
    except UnicodeEncodeError:
        return False
    return 0xA1 <= lead <= 0xA3 or 0xB0 <= lead <= 0xF7


def _looks_damaged_utf8(content: bytes) -> bool:
    """Say whether bytes that are not UTF-8 are still nearly all UTF-8: a UTF-8 file with a few bad bytes.

    GB18030 text read as UTF-8 breaks at most of its characters, so a handful of breaks among many valid
    multi-byte characters means UTF-8 damaged in transit, which GB18030 would decode into gibberish.
    """
    text = content.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    wide = len(text) - len(text.encode("ascii", "ignore")) - broken  # characters past ASCII, but the breaks
    return wide >= 4 and broken <= DAMAGED_SHARE * wide


def _looks_misdecoded(text: str) -> bool:
    """Say whether text decoded as GB18030 is really another encoding (Big5, Shift-JIS, damaged UTF-8)."""
    wide = _NON_ASCII.findall(text)
    if len(wide) < 4:
        return False
    rare = sum(times for char, times in Counter(wide).items() if not _is_common(char))
    return rare > RARE_SHARE * len(wide)
