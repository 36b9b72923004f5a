"""Read a CSV file into one grid, telling where it stops being readable or may have been cut."""

from __future__ import annotations

import csv
import io

from pipeline.csv_encoding import CutOffText, decode_text
from pipeline.grids import CutOffFile, Grid, LastLine, UnreadableFile, Workbook, _trim
from pipeline.limits import LimitExceeded, Limits


class _Sniffer(csv.Sniffer):
    """csv.Sniffer, counting per line only the delimiters it may choose instead of all 127 ASCII characters.

    The standard sniffer tallies every ASCII character on every line of the sample, 10 lines at a time, then
    keeps only the allowed delimiters; tallying just those makes the same choice with some 40 times less work.
    """

    def _guess_delimiter(self, data: str, delimiters: str | None) -> tuple[str, bool | int]:
        if delimiters is None:
            return super()._guess_delimiter(data, delimiters)
        lines = list(filter(None, data.split("\n")))
        chars = sorted(c for c in set(delimiters) if ord(c) < 127)  # the standard tables hold ASCII only
        chunk = min(10, len(lines))
        frequency: dict[str, dict[int, int]] = {char: {} for char in chars}  # how many lines hold it N times
        delims: dict[str, tuple[int, int]] = {}
        iteration, start = 0, 0
        while start < len(lines):
            iteration += 1
            for line in lines[start : start + chunk]:
                for char in chars:
                    counts = frequency[char]
                    times = line.count(char)
                    counts[times] = counts.get(times, 0) + 1
            modes = {}
            for char in chars:
                items = list(frequency[char].items())
                if len(items) == 1 and items[0][0] == 0:
                    continue
                mode = max(items, key=lambda item: item[1])  # the first of equals, as the standard one takes
                items.remove(mode)
                modes[char] = (mode[0], mode[1] - sum(count for _, count in items))
            total = float(min(chunk * iteration, len(lines)))
            consistency = 1.0
            while not delims and consistency >= 0.9:
                for char, (times, lines_meeting) in modes.items():
                    if times > 0 and lines_meeting > 0 and lines_meeting / total >= consistency:
                        delims[char] = (times, lines_meeting)
                consistency -= 0.01
            if delims:
                break  # one found is the choice; several never change, though the standard sniffer reads on
            start += chunk
        if not delims:
            return "", 0
        if len(delims) == 1:
            delim = next(iter(delims))
        else:
            preferred = [d for d in self.preferred if d in delims]
            delim = preferred[0] if preferred else max((seen, char) for char, seen in delims.items())[1]
        return delim, lines[0].count(delim) == lines[0].count(f"{delim} ")


def read_csv(content: bytes, filename: str, limits: Limits) -> Workbook:
    """Read a CSV file as a single sheet named after the file, counting rows and cells against the limits."""
    try:
        text, cut = decode_text(content), False
    except CutOffText as exc:
        text, cut = exc.text, True
    if "\x00" in text:
        raise UnreadableFile("不是文本格式的CSV文件")
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    sample = text[:8192]
    try:
        dialect = _Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows, cells = [], 0
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    consumed = last_start = 0  # lines read before and after the last row, so its text can be looked at again
    rows_read = iter(reader)
    while True:
        try:
            row = next(rows_read, None)
        except csv.Error as exc:
            raise UnreadableFile(_csv_error(exc, consumed + 1)) from exc
        if row is None:
            break
        rows.append(row)
        last_start, consumed = consumed, reader.line_num
        cells += len(row)
        if len(rows) > limits.max_rows:
            raise LimitExceeded("max_rows", limits.max_rows, len(rows), stem)
        if cells > limits.max_cells:
            raise LimitExceeded("max_cells", limits.max_cells, cells, stem)
    if cut:
        raise CutOffFile(_cut_in_a_character(text, rows))
    last_line = _last_line(text, rows, consumed - last_start, dialect)
    rows = _trim(rows)
    return Workbook("csv", [Grid(stem, rows, as_text=True, last_line=last_line)] if rows else [])


def _csv_error(exc: csv.Error, line: int) -> str:
    """Say in Chinese where a CSV stops being readable and what most likely broke it."""
    if "field larger than field limit" in str(exc):
        # Excel holds at most 32,767 characters in a cell: a longer field is an opening quote never closed, which
        # swallowed the lines after it.
        return (
            f"CSV文件第{line}行起有一个单元格超过{csv.field_size_limit()}个字符（Excel单元格最多32767个字符），"
            "多半是该处有一个引号没有配对，其后各行都被读进了这一格；请检查该行的引号，或在Excel中另存为CSV后重新报送"
        )
    return f"CSV文件第{line}行起格式异常，无法读取；请在Excel或WPS中打开核对该行后另存为CSV重新报送"


def _cut_in_a_character(text: str, rows: list[list[str]]) -> str:
    """Say that a CSV ends in half a character, naming the row it stops in and what that row still holds."""
    # Cut right after a line break, the half character begins a row of its own, of which nothing is readable.
    new_row = not rows or text.endswith(("\n", "\r"))
    written = "" if new_row else next((cell.strip() for cell in reversed(rows[-1]) if cell.strip()), "")
    shown = f"，该行最后一格为“{written[:40]}{'…' if len(written) > 40 else ''}”" if written else ""
    return (
        f"文件未传完整：文件在第{len(rows) + new_row}行中断，最后一个字只剩半个{shown}，该行的数值可能已被截断，"
        "其后的行也可能已丢失，整个文件未入库。请重新导出后再报送。"
    )


def _last_line(text: str, rows: list[list[str]], lines: int, dialect: type[csv.Dialect]) -> LastLine | None:
    """Return a CSV's last row if a cut in transfer could have ended it: no line break after it, or in a quote."""
    if not rows:
        return None
    record = _last_lines(text, lines).rstrip("\r\n")
    # Inside an open quote a delimiter more is part of the field, so the row gains no field: the csv module's own
    # reading tells, where it reads an open quote at the end as if closed.
    fields = _fields(record, dialect)
    open_quote = _fields(record + dialect.delimiter + "x", dialect) == fields
    if text.endswith(("\n", "\r")) and not open_quote:
        return None
    return LastLine(len(rows), len(rows[-1]), open_quote)


def _fields(record: str, dialect: type[csv.Dialect]) -> int:
    """Count the fields of one CSV record, which may span lines inside quotes."""
    return len(next(csv.reader(io.StringIO(record, newline=""), dialect), []))


def _last_lines(text: str, count: int) -> str:
    """Return the last `count` lines of a text, split as the csv module's reader was given them."""
    size = 4096
    while True:
        tail = io.StringIO(text[-size:], newline="").readlines()
        if len(tail) > count or size >= len(text):
            return "".join(tail[-count:])
        size *= 4
