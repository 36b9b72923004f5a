"""Read a figure written in Chinese numerals (十六, 三千一百四十八, 二十四点四, 百分之九十, 九成) as digits."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

DIGIT_NAMES = "零一二三四五六七八九"
# The capital numerals (大写) formal and financial documents write digits in: a year as 贰零贰贰 or 贰〇贰贰.
CAPITAL_DIGIT_NAMES = "零壹贰叁肆伍陆柒捌玖"
# Every numeral read as a digit: 〇 is a 零 in a year (二〇二四), typed ○ as often, 两 a 二 before a unit (两百). Read
# in figures, never written here; a figure reads the lower-case ones only (its pattern lists them).
DIGITS = {c: n for names in (DIGIT_NAMES, CAPITAL_DIGIT_NAMES) for n, c in enumerate(names)} | {
    "〇": 0,
    "○": 0,
    "两": 2,
}
_POWERS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万]+(?:点[零〇一二三四五六七八九]+)?")
# `十` opens `十六` (16) alone; `百`, `千` and `万` need a digit before them (`百分之`, `千瓦` are no numbers).
_WELL_FORMED = re.compile(
    r"(?:[零〇一二两三四五六七八九][十百千]?|十)+万?(?:[零〇一二两三四五六七八九][十百千]?|十)*"
)


def zh_number(n: int) -> str:
    """Write a number in Chinese numerals: 一, 十, 十二, 二十三, 一百零五, 一千二百; Arabic from 10,000."""
    if n >= 10_000:
        return str(n)
    if 10 <= n < 20:
        return "十" + (DIGIT_NAMES[n - 10] if n > 10 else "")
    written, pending_zero = "", False
    for place, digit in zip(range(len(str(n)) - 1, -1, -1), map(int, str(n)), strict=True):
        if digit == 0:
            pending_zero = bool(written)
            continue
        written += ("零" if pending_zero else "") + DIGIT_NAMES[digit] + ("", "十", "百", "千")[place]
        pending_zero = False
    return written or DIGIT_NAMES[0]


# The months as clerks head a column or title a form: 一月 … 十二月, the short forms only (no 一十, 〇, 两).
MONTHS = {zh_number(n): n for n in range(1, 13)}
# A row's number in words, 一 to 九十九: as written (十二, 二十三), and with the 一 some clerks set before 十 (一十二).
ORDINALS = {zh_number(n): n for n in range(1, 100)} | {"一" + zh_number(n): n for n in range(10, 20)}


def _whole(numerals: str) -> int | None:
    """Return the whole number numerals write (`三千一百四十八`, `一万二千`, `十六`), None where they are malformed."""
    if not _WELL_FORMED.fullmatch(numerals) or numerals.count("万") > 1:
        return None
    if not any(c in _POWERS or c == "万" for c in numerals):
        # Digits alone read one by one (`二〇二四`), but a 两 is never written so.
        return (
            None if "两" in numerals and len(numerals) > 1 else int("".join(str(DIGITS[c]) for c in numerals))
        )
    total = section = digit = 0
    last_power = 10_000
    for c in numerals:
        if c in DIGITS:
            digit = DIGITS[c]
        elif c == "万":
            total, section, digit, last_power = (section + digit) * 10_000, 0, 0, 10_000
        else:
            power = _POWERS[c]
            if power >= last_power and section:  # `十百`, `二百三百`: no number is written so
                return None
            section += (digit or (1 if c == "十" else 0)) * power
            digit, last_power = 0, power
    return total + section + digit


def leading_number(text: str) -> tuple[Decimal, str] | None:
    """Return the number Chinese numerals open a text with, and the text after them; None where there are none."""
    match = _NUMERAL.match(text)
    if match is None:
        return None
    whole, _, fraction = match.group().partition("点")
    number = _whole(whole)
    if number is None:
        return None
    decimals = "".join(str(DIGITS[c]) for c in fraction)
    return Decimal(f"{number}.{decimals}" if decimals else number), text[match.end() :]


# `8成`, `8.5成`, `8成5`: tenths written in digits, one to nine and a half, as 八成 and 八成五 are in numerals.
_TENTHS = re.compile(r"([1-9](?:\.[0-9])?)成(?:(?<![0-9]\.[0-9]成)([0-9])(?![0-9.]))?")


def tenths_in_digits(value: str, unit_known: Callable[[str], bool]) -> str | None:
    """Write a share in tenths written in digits as a percentage, as `in_digits` does `八成`: `8成` as `80%`, `8.5成`
    and `8成5` as `85%`; None where the text is no such share, as `unit_known(tail)` says of what follows 成."""
    match = _TENTHS.match(value)
    if match is None or not unit_known(tail := value[match.end() :]):
        return None
    return f"{int(Decimal(match.group(1)) * 10) + int(match.group(2) or 0)}%{tail}"


def in_digits(value: str, unit_known: Callable[[str], bool]) -> str | None:
    """Write a figure given in Chinese numerals in digits: `百分之九十` and `九成` as `90%`, `十六个` as `16个`; None
    where the text is no such figure (`十分满意`, `一般`), as `unit_known(tail)` says of what follows the numerals."""
    # All of it: 百 alone is no number (`百分之` needs a digit before 百). `百分百` is said as often as `百分之百`.
    for whole in ("百分之百", "百分百"):
        if value.startswith(whole):
            tail = value[len(whole) :]
            return f"100%{tail}" if unit_known(tail) else None
    if value.startswith("百分之"):
        found = leading_number(value[3:])
        return f"{found[0]}%{found[1]}" if found and unit_known(found[1]) else None
    found = leading_number(value)
    if found is None:
        return None
    number, tail = found
    if tail.startswith("成"):  # 九成 is 90 %, 九成五 95 %
        tenths = leading_number(tail[1:])
        extra, tail = tenths if tenths and tenths[0] < 10 and tenths[0] == int(tenths[0]) else (0, tail[1:])
        return f"{number * 10 + extra}%{tail}" if number < 10 and unit_known(tail) else None
    return f"{number}{tail}" if unit_known(tail) else None


_DIGIT = re.compile(r"[0-9]")


def figure_in_digits(value: str, unit_known: Callable[[str], bool]) -> str | None:
    """Write a figure given in Chinese numerals in digits (`in_digits`), or a share in tenths written in digits as a
    percentage (`tenths_in_digits`: `8成` as `80%`); None where the text is no such figure."""
    # Numerals hold no digit: a text with one is a figure in digits already, or tenths in them.
    return tenths_in_digits(value, unit_known) if _DIGIT.search(value) else in_digits(value, unit_known)


def percent_in_digits(value: str) -> str | None:
    """Write a percentage given alone in Chinese numerals or tenths (`百分之九十`, `九成`, `九成五`, `9成`) in digits
    (`90%`); None for any other text, a figure that is no percentage (`九十`) among them."""
    written = figure_in_digits(value, lambda tail: not tail)
    return written if written is not None and written.endswith("%") else None
