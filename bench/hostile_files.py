"""Make hostile and broken workbooks from valid synthetic submissions, and plant them in an inbox beside those.

Each kind of damage in turn: truncated .xlsx and .xls; random bytes inside a zip member; a sheet claiming a huge
used range; one far-away cell; formula errors; deep, overlapping merges; CSV in the wrong encoding; random bytes;
a zip bomb, the same bomb hiding its size; and, once each, a 1,000,000-row sheet as .xlsx and as .csv.
"""

from __future__ import annotations

import hashlib
import io
import random
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import xlwt

from bench import synthetic

MIB = 1024 * 1024
BOMB_MIB = 1024  # what the bomb's sheet inflates to
MILLION = 1_000_000


# --- zip files written by hand, so sizes and data can be what a hostile sender makes them --------------


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    deflated: bytes  # raw deflate stream
    crc: int
    size: int  # inflated size, as stated in the headers


def deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def member(name: str, data: bytes) -> Member:
    return Member(name, deflate(data), zlib.crc32(data), len(data))


def write_zip(members: Sequence[Member], comment: bytes = b"") -> bytes:
    """Lay out a zip archive: each member's local header and data, then the central directory."""
    body, directory = io.BytesIO(), io.BytesIO()
    for m in members:
        offset = body.tell()
        name = m.name.encode()
        fixed = (20, 0, 8, 0, 0x21, m.crc, len(m.deflated), m.size, len(name))
        body.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *fixed, 0) + name + m.deflated)
        directory.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fixed, 0, 0, 0, 0, 0, offset) + name)
    central = directory.getvalue()
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), body.tell(), len(comment)
    )
    return body.getvalue() + central + end + comment


def members_of(xlsx: bytes) -> list[Member]:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return [member(info.filename, archive.read(info)) for info in archive.infolist()]


@cache
def bomb_sheet(inflated_mib: int = BOMB_MIB) -> Member:
    """Return a worksheet member of `inflated_mib` MiB of spaces in about a thousandth of that.

    Each MiB is deflated from a reset state (Z_FULL_FLUSH), so every one compresses to the same bytes and
    the stream is that segment repeated; only the CRC has to run over the whole inflated size.
    """
    block = b" " * MIB
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(inflated_mib):
        crc = zlib.crc32(block, crc)
    return Member(
        "xl/worksheets/sheet1.xml", segment * inflated_mib + compressor.flush(), crc, inflated_mib * MIB
    )


def zip_bomb(base: bytes, comment: bytes = b"", lie: bool = False) -> bytes:
    """Return the base workbook with its sheet replaced by the bomb; `lie` states a size of 1 KiB instead."""
    bomb = bomb_sheet()
    if lie:
        bomb = Member(bomb.name, bomb.deflated, bomb.crc, 1024)
    return write_zip([bomb if m.name == bomb.name else m for m in members_of(base)], comment)


def rewrite_sheet(base: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """Return the workbook with its first worksheet's XML changed."""
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts[sheet] = change(parts[sheet])
    return write_zip([member(name, data) for name, data in parts.items()])


# --- the damage ----------------------------------------------------------------------------------------


def truncated(rng: random.Random, base: bytes) -> bytes:
    # Cut before the zip's central directory (or well inside the .xls), so the file cannot be whole.
    return base[: rng.randint(len(base) // 10, len(base) * 8 // 10)]


def zip_garbage(rng: random.Random, base: bytes) -> bytes:
    """Overwrite bytes inside the deflated data of the worksheet or the shared strings."""
    content = bytearray(base)
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        names = [n for n in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml") if n in archive.namelist()]
        info = archive.getinfo(rng.choice(names))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    at = start + rng.randrange(max(1, info.compress_size - 16))
    content[at : at + 16] = rng.randbytes(16)
    return bytes(content)


def huge_dimension(rng: random.Random, base: bytes) -> bytes:
    ref = rng.choice([b"A1:XFD1048576", b"A1:F1048576", b"A1:ZZ300000", b"B2:AAA9000"])
    return rewrite_sheet(
        base, lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref + b'"', xml)
    )


def far_cell(rng: random.Random, base: bytes) -> bytes:
    """Add one cell far from the table: past the row limit, or far enough right to pass the cell limit."""
    row = rng.choice([rng.randint(200_001, 1_048_576), rng.randint(2_000, 200_000)])
    # Below the row limit only a wide reach passes 5,000,000 cells: 2,000 rows × AMJ (1,024 columns) would not,
    # and such a file, its table intact, is rightly accepted.
    column = rng.choice(["XFD", "AMJ", "ZZ", "F"] if row > 200_000 else ["XFD", "ZZZ"])
    cell = f'<row r="{row}"><c r="{column}{row}"><v>1</v></c></row>'.encode()
    return rewrite_sheet(base, lambda xml: xml.replace(b"</sheetData>", cell + b"</sheetData>"))


def formula_errors(rng: random.Random, base: bytes) -> bytes:
    """Turn every number below the first rows into an error value, as a broken formula leaves it."""
    error = rng.choice([b"#DIV/0!", b"#REF!", b"#VALUE!", b"#N/A"])

    def change(xml: bytes) -> bytes:
        return re.sub(
            rb'<c r="([A-Z]+(?:[5-9]|\d\d+))"(?: s="\d+")?(?: t="n")?><v>[-\d.E+]+</v></c>',
            lambda m: b'<c r="' + m.group(1) + b'" t="e"><v>' + error + b"</v></c>",
            xml,
        )

    mutated = rewrite_sheet(base, change)
    return mutated if rewrite_sheet(base, lambda xml: xml) != mutated else b""


def deep_merges(rng: random.Random, base: bytes) -> bytes:
    """Nest hundreds of merged ranges inside each other, overlapping as Excel never writes them."""
    depth = rng.randint(50, 400)
    refs = b"".join(b'<mergeCell ref="%s%d:XFD%d"/>' % (b"A", 1 + i, 1_048_576 - i) for i in range(depth))
    block = b'<mergeCells count="%d">%s</mergeCells>' % (depth, refs)

    def change(xml: bytes) -> bytes:
        xml = re.sub(rb"<mergeCells.*?</mergeCells>", b"", xml, flags=re.S)
        return xml.replace(b"</sheetData>", b"</sheetData>" + block)

    return rewrite_sheet(base, change)


def wrong_encoding(rng: random.Random, base: bytes) -> bytes:
    """Re-encode a CSV as an office abroad or a broken export would: Big5, Shift-JIS, UTF-16, bad UTF-8."""
    try:
        text = base.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = base.decode("gb18030")
    encoding = rng.choice(["big5", "shift_jis", "utf-16-le", "damaged-utf-8"])
    if encoding == "damaged-utf-8":
        data = bytearray(text.encode("utf-8"))
        for at in rng.sample(range(len(data)), 3):
            data[at] = 0xFF
        return bytes(data)
    return text.encode(encoding, errors="replace")


def random_bytes(rng: random.Random, base: bytes) -> bytes:
    return rng.choice([b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b""]) + rng.randbytes(
        rng.randint(1, 4096)
    )


def bomb(rng: random.Random, base: bytes) -> bytes:
    return zip_bomb(base, comment=rng.randbytes(8))


def lying_bomb(rng: random.Random, base: bytes) -> bytes:
    return zip_bomb(base, comment=rng.randbytes(8), lie=True)


def xls_far_cell(rng: random.Random, base: bytes) -> bytes:
    """Write a sheet as .xls with one cell at the far corner (row 65,536, column IV)."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("清单")
    for r, row in enumerate(base.decode("utf-8", "replace").splitlines()[:60]):
        for c, value in enumerate(row.split(",")[:20]):
            sheet.write(r, c, value)
    sheet.write(65_535, rng.randint(200, 255), 1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of damage: the format of the file it starts from, and the mutation."""

    name: str
    base_format: str  # xlsx, xls or csv
    mutate: Callable[[random.Random, bytes], bytes]
    suffix: str = ""  # the damaged file's suffix; the base's by default
    weight: int = 10


KINDS = (
    Kind("truncated_xlsx", "xlsx", truncated),
    Kind("truncated_xls", "xls", truncated),
    Kind("zip_garbage", "xlsx", zip_garbage),
    Kind("huge_dimension", "xlsx", huge_dimension),
    Kind("far_cell", "xlsx", far_cell),
    Kind("xls_far_cell", "csv", xls_far_cell, ".xls", weight=3),
    Kind("formula_errors", "xlsx", formula_errors),
    Kind("deep_merges", "xlsx", deep_merges),
    Kind("wrong_encoding", "csv", wrong_encoding),
    Kind("random_bytes", "xlsx", random_bytes, weight=5),
    Kind("zip_bomb", "xlsx", bomb, weight=1),
    Kind("lying_zip_bomb", "xlsx", lying_bomb, weight=1),
)


# --- the 1,000,000-row sheet, written once -------------------------------------------------------------


def million_rows_csv(path: Path, rows: int = MILLION) -> None:
    """Write a compound list of a million rows as UTF-8 CSV, a block of lines at a time."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("序号,小区名称,改造面积（万平方米）,惠及户数（户）,计划投资（万元）,改造状态\r\n")
        for start in range(1, rows + 1, 10_000):
            handle.write(
                "".join(
                    f"{n},小区{n},1.5,120,45.25,在建\r\n" for n in range(start, min(start + 10_000, rows + 1))
                )
            )


def million_rows_xlsx(path: Path, rows: int = MILLION) -> None:
    """Write a one-sheet .xlsx of a million rows, streaming the sheet's XML into the zip (no openpyxl)."""
    header = ("序号", "小区名称", "改造面积（万平方米）", "惠及户数（户）", "计划投资（万元）", "改造状态")
    strings = [*header, "在建"]
    xml_strings = "".join(f"<si><t>{s}</t></si>" for s in strings)
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="清单" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/sharedStrings.xml": f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">{xml_strings}</sst>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main"><dimension ref="A1:F%d"/><sheetData><row r="1">'
                % (rows + 1)
                + b"".join(
                    b'<c r="%s1" t="s"><v>%d</v></c>' % (c.encode(), i) for i, c in enumerate("ABCDEF")
                )
                + b"</row>"
            )
            for start in range(2, rows + 2, 10_000):
                sheet.write(
                    b"".join(
                        b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" t="inlineStr"><is><t>X%d</t></is></c>'
                        b'<c r="C%d"><v>1.5</v></c><c r="D%d"><v>120</v></c><c r="E%d"><v>45.25</v></c>'
                        b'<c r="F%d" t="s"><v>6</v></c></row>' % (n, n, n - 1, n, n, n, n, n, n)
                        for n in range(start, min(start + 10_000, rows + 2))
                    )
                )
            sheet.write(b"</sheetData></worksheet>")


# --- the inbox -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Planted:
    """What was put in the inbox: paths of valid files, and of hostile ones with their kind."""

    valid: list[str] = field(default_factory=list)
    hostile: dict[str, str] = field(default_factory=dict)


def bases(
    specs: Sequence[synthetic.FileSpec], scratch: Path
) -> dict[str, list[tuple[synthetic.FileSpec, bytes]]]:
    """Write the valid files once and group their bytes by format (csv in either encoding is csv)."""
    found: dict[str, list] = {}
    for index, spec in enumerate(specs):
        path = scratch / f"{index}{Path(spec.path).suffix}"
        synthetic.writer(spec.fmt)(path, spec.sheet)
        found.setdefault(spec.fmt.split("-")[0], []).append((spec, path.read_bytes()))
    return found


def kinds_in_turn(n: int, rng: random.Random) -> Iterator[Kind]:
    """Every kind once, then kinds drawn by weight."""
    yield from KINDS[:n]
    for _ in range(n - len(KINDS)):
        yield rng.choices(KINDS, weights=[k.weight for k in KINDS])[0]


def plant(inbox: Path, n: int, valid: int, seed: int, million: bool = True) -> Planted:
    """Write `valid` untouched synthetic files and `n` hostile ones (the million-row pair among them)."""
    rng = random.Random(seed)
    specs = synthetic.plan(max(valid, 60))
    planted = Planted()
    synthetic.write_inbox(inbox, specs[:valid])
    planted.valid = [spec.path for spec in specs[:valid]]
    seen: set[bytes] = set()
    with tempfile.TemporaryDirectory() as scratch:
        by_format = bases(specs, Path(scratch))
        hostile = n - 2 if million else n
        for index, kind in enumerate(kinds_in_turn(hostile, rng)):
            for _ in range(20):  # a mutation that changes nothing, or repeats another's bytes, is drawn again
                spec, base = rng.choice(by_format[kind.base_format])
                content = kind.mutate(rng, base)
                if content and content != base and (digest := hashlib.sha256(content).digest()) not in seen:
                    seen.add(digest)
                    break
            else:
                raise RuntimeError(f"{kind.name} made no new file from 20 bases")
            folder, name = spec.path.split("/", 1)
            stem, suffix = name.rsplit(".", 1)
            path = f"{folder}/{kind.name}-{index:04d}-{stem}{kind.suffix or '.' + suffix}"
            (inbox / path).parent.mkdir(parents=True, exist_ok=True)
            (inbox / path).write_bytes(content)
            planted.hostile[path] = kind.name
    if million:
        folder = planted.valid[0].split("/", 1)[0] if planted.valid else "区财政局"
        for kind, write in (("million_rows_csv", million_rows_csv), ("million_rows_xlsx", million_rows_xlsx)):
            path = f"{folder}/{kind}.{kind.rsplit('_', 1)[1]}"
            (inbox / path).parent.mkdir(parents=True, exist_ok=True)
            write(inbox / path)
            planted.hostile[path] = kind
    return planted
