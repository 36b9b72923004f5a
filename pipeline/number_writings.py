"""Say what a number written in another country's or a keyboard's way could mean, once its cell failed to read.

Called only where a cell was already refused (or its trailing text is no unit), never on a cell read cleanly: the
exact message costs nothing on the many cells that read."""

from __future__ import annotations

import re
from decimal import Decimal

from pipeline.text import nfkc, squash

_GROUPING_FIX = "（千分位只用逗号，如1,280）"
# `1.250.000`: points between groups of three, as German or Italian keyboards and templates write 1,250,000.
_POINT_GROUPED = re.compile(r"(?P<sign>[+-]?)(?P<number>\d{1,3}(?:\.\d{3}){2,})(?P<tail>\D*)")
# `1.250,50` or `1.250.000,50`: points grouping, a comma before the decimals.
_POINT_GROUPED_COMMA_DECIMALS = re.compile(r"(?P<sign>[+-]?)(?P<number>\d{1,3}(?:\.\d{3})+,\d+)(?P<tail>\D*)")
# `1 250,50` or `1 250 000,50`: spaces grouping thousands (folded by `nfkc`), a comma before the decimals, as French
# or Russian writes 1,250.50.
_SPACE_GROUPED_COMMA_DECIMALS = re.compile(
    r"(?P<sign>[+-]?)(?P<number>\d{1,3}(?: \d{3})+,\d+) ?(?P<tail>\D*)"
)
# `1,25`, `12,50`, `1,2345`: one comma that groups no thousands, as a decimal comma would stand.
_ONE_COMMA = re.compile(r"(?P<sign>[+-]?)(?P<whole>\d+),(?P<part>\d+)(?P<tail>\D*)")
# `1'250'000`: apostrophes (straight or curly) between groups of three, as Swiss keyboards write.
_APOSTROPHE_GROUPED = re.compile(r"(?P<sign>[+-]?)(?P<number>\d{1,3}(?:['’]\d{3})+(?:\.\d+)?)(?P<tail>\D*)")
# `1,250.00-`: a minus after the number, as some accounting systems export a negative.
_TRAILING_MINUS = re.compile(r"(?P<number>\d[\d,]*(?:\.\d+)?)-(?P<tail>\D*)")
# `5e3`, `1.25E+06`: scientific notation, as Excel shows a long number in a narrow General cell. Two exponent digits
# at most: a longer one is no amount anyone meant.
_EXPONENT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)[eE][+-]?\d{1,2}")
# `5×10`, `5*10`, `0x10`: a product, or what looks like one.
_PRODUCT = re.compile(r"\d+(?:\.\d+)?[xX×*]\d+(?:\.\d+)?\D*")
# `12。5`: a Chinese full stop where the point was meant, as a Chinese keyboard types it.
_FULL_STOP = re.compile(r"(?P<sign>[+-]?)(?P<whole>\d+)。(?P<part>\d+)(?P<tail>\D*)")


Told = tuple[str, str, str]  # a cell error's rule, what was expected and how to fix it


def _separator(expected: str, *readings: str) -> Told:
    """Return a separator error naming each reading as the clerk would write it; the clerk writes the one meant."""
    asked = "，".join(f"是{reading}的请写{reading}" for reading in readings)
    return "separator", expected, f"请改写为确切的数：{asked}{_GROUPING_FIX}"


def spaced_comma_decimals(written: str, unit: str = "") -> Told | None:
    """Return the error of `1 250,50` (thousands set apart by spaces, a decimal comma), its reading in its cell's unit
    or else `unit`; None for any other writing."""
    found = _SPACE_GROUPED_COMMA_DECIMALS.fullmatch(nfkc(written).strip())
    if found is None:
        return None
    read = found["sign"] + found["number"].replace(" ", "").replace(",", ".") + found["tail"]
    return _separator(f"可能是以空格作千分位、以逗号作小数点的{_in(read, found, unit)}", read)


def comma_misplaced(written: str, unit: str = "") -> Told:
    """Return the error of a number whose comma groups no thousands, naming what it could mean in its cell's unit or
    else `unit` (the column's: `1,25` under （元） is 1.25元 or 125元, not 1.25万元)."""
    if (spaced := spaced_comma_decimals(written, unit)) is not None:
        return spaced
    text = squash(written)
    if (found := _POINT_GROUPED_COMMA_DECIMALS.fullmatch(text)) is not None:
        read = found["sign"] + found["number"].replace(".", "").replace(",", ".") + found["tail"]
        return _separator(f"可能是以小数点作千分位、以逗号作小数点的{_in(read, found, unit)}", read)
    if (found := _ONE_COMMA.fullmatch(text)) is not None:
        point = f"{found['sign']}{found['whole']}.{found['part']}{found['tail']}"
        joined = f"{found['sign']}{found['whole']}{found['part']}{found['tail']}"
        return _separator(
            "逗号只能用作千分位分隔符（如1,280）："
            f"可能是以逗号作小数点的{_in(point, found, unit)}，也可能是多写了逗号的{_in(joined, found, unit)}",
            point,
            joined,
        )
    return "separator", "逗号只能用作千分位分隔符（如1,280）", "请检查该数字，删去多余的逗号或改为小数点"


def _in(read: str, found: re.Match, unit: str) -> str:
    """Return a reading in its unit: the cell's own, written after it (`1.250.000元`), or else the column's."""
    return read if found["tail"] else read + unit


def odd_writing(value: object, unit: str = "") -> Told | None:
    """Return the exact error of a number written in an odd way (`1.250.000`, `1'250'000`, `5-`, `5e3`, `5×10`,
    `12。5`), its readings in `unit` where the cell names none; None for any other writing."""
    if not isinstance(value, str):
        return None
    text = squash(value)
    if (found := _POINT_GROUPED.fullmatch(text)) is not None:
        read = found["sign"] + found["number"].replace(".", "") + found["tail"]
        return _separator(f"数字中有多个小数点：可能是以小数点作千分位的{_in(read, found, unit)}", read)
    if _POINT_GROUPED_COMMA_DECIMALS.fullmatch(text) is not None:
        return comma_misplaced(text, unit)
    if (found := _APOSTROPHE_GROUPED.fullmatch(text)) is not None:
        read = found["sign"] + re.sub("['’]", "", found["number"]) + found["tail"]
        return _separator(f"可能是以撇号（'）作千分位的{_in(read, found, unit)}", read)
    if (found := _FULL_STOP.fullmatch(text)) is not None:
        read = f"{found['sign']}{found['whole']}.{found['part']}{found['tail']}"
        return _separator(f"数字中间有句号“。”：可能是把句号当作小数点的{_in(read, found, unit)}", read)
    if (found := _TRAILING_MINUS.fullmatch(text)) is not None:
        negative = f"-{found['number'].replace(',', '')}{found['tail']}"
        return (
            "type",
            f"应为数字；末尾带减号的“{text}”是部分财务软件导出负数的写法，即{_in(negative, found, unit)}",
            f"请改写为确切的数：是负数的请写{negative}，不是的请删去减号",
        )
    if _EXPONENT.fullmatch(text) is not None:
        read = format(Decimal(text), "f")
        return (
            "type",
            f"应为数字；“{text}”是科学记数法，即{read}{unit}，而Excel以科学记数法显示的数常已舍去末几位",
            f"请填写完整的数字（确为{read}的请写{read}）",
        )
    if _PRODUCT.fullmatch(text) is not None:
        return ("type", f"应为一个数，不能是算式（“{text}”）", "请计算后只填写结果，如5×10请写50")
    return None
