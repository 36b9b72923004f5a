"""Render a laid-out report (`pipeline.report.Report`) as HTML, Word and Excel, byte for byte reproducibly."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from html import escape
from pathlib import Path

from pipeline import report_charts
from pipeline.report import Figure, Heading, Inline, Report, Source, Table, Text
from pipeline.report_charts import Chart
from pipeline.text import printable

DASH = "—"
# A figure with no rows behind it: say why, rather than show an empty source.
NO_ROWS = {
    "negative_list_hits": "资金台账中没有支出用途列入负面清单的支付，故无对应的报表行",
    "grade": "按自评得分和评价等级标准评定，无单独的报表行",
    "projects": "由本年度各项目汇总，无单独的报表行",
}
NO_ROWS_DEFAULT = "无对应的报表行"


def rows_text(rows: tuple[int, ...]) -> str:
    """Write Excel rows as ranges: (6, 7, 8, 10) → 第6至8、10行."""
    spans: list[str] = []
    ordered = sorted(set(rows))
    start = previous = None
    for row in [*ordered, None]:
        if previous is not None and row == previous + 1:
            previous = row
            continue
        if start is not None:
            spans.append(str(start) if start == previous else f"{start}至{previous}")
        start = previous = row
    return f"第{'、'.join(spans)}行" if spans else ""


def source_line(source: Source, number: int | None) -> str:
    """Describe one source: [n] file (unit) sheet, rows, fingerprint."""
    where = [f"[{number}]" if number else "", source.original_name]
    if source.unit:
        where.append(f"（{source.unit}）")
    if source.sheet:
        where.append(f" 工作表“{source.sheet}”")
    if source.excel_rows:
        where.append(f" {rows_text(source.excel_rows)}")
    where.append(f" · SHA-256 {source.sha256[:12]}…")
    return "".join(where)


def lineage_lines(figure: Figure, numbers: dict[int, int]) -> list[str]:
    """Return the lines that tell where a figure came from."""
    if not figure.sources:
        return [NO_ROWS.get(figure.key, NO_ROWS_DEFAULT)]
    return [source_line(s, numbers.get(s.submission_id)) for s in figure.sources]


class _Lineage:
    """`lineage_lines` for one rendering, each tuple of sources written once: figures computed from the same
    rows share their tuple (pipeline.report.read_projects), and a year has far fewer lineages than figures."""

    def __init__(self, report: Report):
        self.numbers = report.file_number
        # Kept with the report, so each format after the first finds the lines written.
        self._lines: dict[int, tuple[tuple[Source, ...], list[str]]] = report.memo.setdefault("lineage", {})

    def __call__(self, figure: Figure) -> list[str]:
        """Return the figure's lineage lines; the list is shared, so never change it."""
        sources = figure.sources
        if not sources:
            return [NO_ROWS.get(figure.key, NO_ROWS_DEFAULT)]
        known = self._lines.get(id(sources))
        if known is None or known[0] is not sources:
            known = self._lines[id(sources)] = (sources, lineage_lines(figure, self.numbers))
        return known[1]


# What XML 1.0 cannot hold and printable() leaves as it is.
_NOT_IN_XML = re.compile("[\ufffe\uffff]")


def shown(text: str) -> str:
    """Return text as every format prints it: control and bidi characters visible, nothing XML cannot hold."""
    return _NOT_IN_XML.sub("\ufffd", printable(text))


def plain(part: Inline) -> str:
    """Return an inline part as the text it prints."""
    if part is None:
        return DASH
    return part.text if isinstance(part, Figure) else part


def received_text(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def intro(report: Report) -> str:
    return (
        f"本报告由预算绩效数据仓库根据各单位报送的报表自动生成，数据截至{received_text(report.stamp)}。"
        "文中数字均取自数据仓库的报告数字表；各段文字取自实施单位报送的《报告文字材料》，未报送的注明“未提供”。"
    )


# HTML


def _escaped(text: str) -> str:
    """Return text for HTML: shown as printed, then escaped; every text of the page goes through here."""
    return escape(shown(text))


CSS = """
body { margin: 0; background: #f3f1ec; color: #1a1a1a; }
main { max-width: 52em; margin: 2em auto; padding: 3em 4em; background: #fff;
  font: 16px/1.9 "FangSong", "STFangsong", "仿宋", "Noto Serif CJK SC", "Noto Sans CJK SC", serif; }
h1 { text-align: center; font-size: 1.6em; line-height: 1.5; margin: .5em 0 .2em; }
.issuer { text-align: center; margin: 0 0 1.5em; }
.note { font-size: .85em; color: #555; border-left: 3px solid #c9a227; padding-left: .8em; }
h2 { font-size: 1.2em; margin: 1.6em 0 .4em; }
h3 { font-size: 1.1em; margin: 1.4em 0 .4em; }
h4, h5 { font-size: 1em; margin: 1em 0 .2em; }
p { text-indent: 2em; margin: .3em 0; }
p.missing { color: #8a5a00; }
p.narrative { border-left: 2px solid #d8e3f0; padding-left: .4em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; width: 100%; font-size: .92em; }
caption { font-weight: bold; padding: .3em; }
th, td { border: 1px solid #777; padding: .25em .5em; vertical-align: top; }
th { background: #eee; white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; }
.fig { position: relative; border-bottom: 1px dotted #0b5cad; cursor: help; white-space: nowrap; }
.fig:focus { outline: 2px solid #0b5cad; }
.fig .src { display: none; position: absolute; left: 0; top: 1.7em; z-index: 10; width: max-content;
  max-width: 34em; white-space: pre-line; text-indent: 0; text-align: left; font-size: .8em; line-height: 1.5;
  background: #fffbe6; color: #222; border: 1px solid #c9a227; padding: .4em .6em;
  box-shadow: 0 2px 6px rgba(0, 0, 0, .2); }
.fig:hover .src, .fig:focus .src { display: block; }
.sources td { font-size: .85em; }
.chart { margin: 1em 0; text-align: center; }
.chart figcaption { font-size: .9em; color: #444; }
.sha { font-family: monospace; word-break: break-all; }
@media print { body { background: #fff; } main { margin: 0; } .fig { border: 0; } .fig .src { display: none; } }
"""


class _Memo(dict):
    """A dict that computes a missing value with `make`, once: `memo[text]` looks up at C speed."""

    def __init__(self, make: Callable[[str], str]):
        super().__init__()
        self.make = make

    def __missing__(self, key: str) -> str:
        value = self[key] = self.make(key)
        return value


class _Html:
    def __init__(self, report: Report):
        self.report = report
        self.numbers = report.file_number
        self.count = 0
        self.lineage = _Lineage(report)
        # A page of 400 projects prints 150,000 figures but far fewer distinct texts and lineages: each is
        # escaped once.
        self.escaped = _Memo(_escaped)
        self._tips: dict[object, tuple[object, str]] = {}

    def tip(self, figure: Figure) -> str:
        """Return a figure's escaped lineage, once per tuple of sources (or per key, for a figure without)."""
        sources = figure.sources
        memo = id(sources) if sources else figure.key
        known = self._tips.get(memo)
        if known is None or (sources and known[0] is not sources):
            known = self._tips[memo] = (sources, _escaped("\n".join(["来源：", *self.lineage(figure)])))
        return known[1]

    def figure(self, figure: Figure) -> str:
        self.count += 1
        tip = f"fig-{self.count}"
        escaped = self.escaped
        return (
            f'<span class="fig" tabindex="0" data-key="{escaped[figure.key]}" aria-describedby="{tip}">'
            f'{escaped[figure.text]}<span class="src" role="tooltip" id="{tip}">{self.tip(figure)}</span></span>'
        )

    def inline(self, part: Inline) -> str:
        if isinstance(part, Figure):
            return self.figure(part)
        return self.escaped[DASH if part is None else part]

    def text(self, block: Text) -> str:
        inline = self.inline
        body = "".join([inline(p) for p in block.parts])
        if block.source is not None:
            title = _escaped(
                "来源：" + source_line(block.source, self.numbers.get(block.source.submission_id))
            )
            return f'<p class="narrative" title="{title}">{body}</p>'
        return f'<p class="missing">{body}</p>' if block.missing else f"<p>{body}</p>"

    def table(self, block: Table) -> str:
        head = "".join(f"<th>{self.escaped[h]}</th>" for h in block.header)
        inline = self.inline
        rows = []
        for row in block.rows:
            cells = "".join(
                [
                    f'<td class="num">{inline(c)}</td>'
                    if isinstance(c, Figure) and c.value is not None
                    else f"<td>{inline(c)}</td>"
                    for c in row
                ]
            )
            rows.append(f"<tr>{cells}</tr>")
        return (
            f"<table><caption>{_escaped(block.caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    def chart(self, block: Chart) -> str:
        svg = report_charts.drawing(self.report, block).svg
        caption = _escaped(block.title)
        return f'<figure class="chart" data-chart="{block.kind}">{svg}<figcaption>{caption}</figcaption></figure>'

    def sources(self) -> str:
        rows = "".join(
            f'<tr id="src-{f.number}"><td>{f.number}</td><td>{_escaped(f.original_name)}</td>'
            f"<td>{_escaped(f.unit or DASH)}</td><td>{received_text(f.received_at)}</td>"
            f'<td class="sha">{_escaped(f.sha256)}</td></tr>'
            for f in self.report.files
        )
        return (
            "<h2>附：数据来源</h2>"
            '<table class="sources"><caption>报告所用报表文件及其SHA-256指纹</caption><thead><tr>'
            "<th>编号</th><th>文件名</th><th>报送单位</th><th>接收时间</th><th>SHA-256指纹</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )

    def render(self) -> str:
        r = self.report
        body = [f"<h1>{_escaped(r.title)}</h1>"]
        if r.issuer:
            body.append(f'<p class="issuer">{_escaped(r.issuer)}</p>')
        body.append(
            f'<p class="note">{_escaped(intro(r))}将鼠标移到带下划线的数字上，可查看其来源文件、工作表和Excel行号。</p>'
        )
        for block in r.blocks:
            if isinstance(block, Heading):
                body.append(f"<h{block.level + 1}>{_escaped(block.text)}</h{block.level + 1}>")
            elif isinstance(block, Text):
                body.append(self.text(block))
            elif isinstance(block, Chart):
                body.append(self.chart(block))
            else:
                body.append(self.table(block))
        body.append(self.sources())
        return (
            '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{_escaped(r.title)}</title>\n<link rel="icon" href="data:,">\n<style>{CSS}</style>\n</head>\n'
            "<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
        )


def render_html_template(report: Report, context, templates: Path | None = None) -> str:
    """Fill the HTML template with the year's context; hovering a number shows its lineage."""
    from pipeline import report_templates

    figures = report_templates.HtmlFigures(_Lineage(report), _Memo(_escaped), report.file_number, source_line)
    folders = report_templates.template_folders(templates)
    return report_templates.render_html(
        context, folders, figures, lambda c: report_charts.drawing(report, c).svg
    )


def render_html(report: Report) -> str:
    """Render the report as one self-contained HTML page; hovering a number shows its lineage."""
    return _Html(report).render()


# Office files: both are zip packages whose members carry the time they were written.

_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def stable_zip(
    package: bytes,
    stamp: dt.datetime,
    edit: Callable[[str, bytes], bytes] | None = None,
    added: dict[str, bytes] | None = None,
) -> bytes:
    """Rewrite an Office package with every time fixed to `stamp`, so equal content gives equal bytes.

    `edit(name, data)`, if given, returns each member's content as it is to be written; `added` members
    (images, compressed already) are stored after them as they are.
    """
    utc = stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    local = stamp.timetuple()[:6]
    out = io.BytesIO()

    def write(target: zipfile.ZipFile, name: str, data: bytes, compression: int) -> None:
        info = zipfile.ZipInfo(name, local)
        info.compress_type = compression
        info.external_attr = 0o644 << 16
        target.writestr(info, data)

    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if edit is not None:
                data = edit(item.filename, data)
            if item.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(lambda m: m.group(1) + utc + m.group(3), data)
            write(target, item.filename, data, zipfile.ZIP_DEFLATED)
        for name, data in (added or {}).items():
            write(target, name, data, zipfile.ZIP_STORED)
    return out.getvalue()


def _east_asian(element, font: str) -> None:
    """Set a run's or style's font for Chinese text too (Word keeps it apart from the Latin font)."""
    from docx.oxml.ns import qn

    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), font)


# GB/T 9704 official documents: 黑体 for first-level headings, 楷体 for second, 仿宋 for body text.
DOCX_FONTS = {"Normal": "仿宋", "Title": "方正小标宋简体", 1: "黑体", 2: "楷体", 3: "仿宋", 4: "仿宋"}


def _docx_runs(text: str, bold: bool = False, size: int | None = None, font: str | None = None) -> str:
    """Write text as one run; line breaks stay line breaks; every text of the document goes through here."""
    properties = ""
    if font:
        properties += f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" w:cs="{font}"/>'
    if bold:
        properties += "<w:b/>"
    if size:
        properties += f'<w:sz w:val="{size * 2}"/>'
    # Written as lxml writes what it parsed, since this goes into document.xml as it is: a carriage return
    # reads as a line feed within a line, an empty text element closes itself.
    lines = [escape(line, quote=False).replace("\r", "\n") for line in shown(text).split("\n")]
    content = '</w:t><w:br/><w:t xml:space="preserve">'.join(lines)
    run = f'<w:r>{f"<w:rPr>{properties}</w:rPr>" if properties else ""}<w:t xml:space="preserve">{content}</w:t></w:r>'
    return run.replace(_EMPTY_TEXT, _EMPTY_TEXT_CLOSED) if _EMPTY_TEXT in run else run


_EMPTY_TEXT = '<w:t xml:space="preserve"></w:t>'
_EMPTY_TEXT_CLOSED = '<w:t xml:space="preserve"/>'


def _docx_paragraph(
    text: str,
    style: str | None = None,
    center: bool = False,
    indent: bool = False,
    bold: bool = False,
    size: int | None = None,
    font: str | None = None,
) -> str:
    """Write one paragraph: a style, centred or with a two-character first-line indent."""
    properties = f'<w:pStyle w:val="{style}"/>' if style else ""
    if indent:
        properties += '<w:ind w:firstLine="480"/>'  # 24 pt, two characters of 12 pt
    if center:
        properties += '<w:jc w:val="center"/>'
    return f"<w:p>{f'<w:pPr>{properties}</w:pPr>' if properties else ''}{_docx_runs(text, bold, size, font)}</w:p>"


def _docx_table(caption: str, header: tuple[str, ...], rows: list[list[str]], width: int) -> str:
    """Write a captioned, centred table in the Table Grid style, its header row bold, columns of equal width."""
    column = int(width / len(header) / 635)  # EMU to twentieths of a point
    cell_width = f'<w:tcPr><w:tcW w:w="{column}" w:type="dxa"/></w:tcPr>'

    written: dict[str, str] = {}  # cells repeat (—, 100%, 优): each distinct one is written once

    def cell(text: str, bold: bool) -> str:
        if bold:
            return f"<w:tc>{cell_width}{_docx_paragraph(text, bold=True)}</w:tc>"
        known = written.get(text)
        if known is None:
            known = written[text] = f"<w:tc>{cell_width}{_docx_paragraph(text)}</w:tc>"
        return known

    def row(cells: list[str], bold: bool) -> str:
        return "<w:tr>" + "".join(cell(c, bold) for c in cells) + "</w:tr>"

    return (
        _docx_paragraph(caption, center=True)
        + '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/><w:jc w:val="center"/>'
        + '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" '
        + 'w:noHBand="0" w:noVBand="1"/></w:tblPr>'
        + "<w:tblGrid>"
        + f'<w:gridCol w:w="{column}"/>' * len(header)
        + "</w:tblGrid>"
        + row(list(header), bold=True)
        + "".join(row(cells, bold=False) for cells in rows)
        + "</w:tbl>"
    )


_PICTURE = (
    '<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:drawing>'
    '<wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{cx}" cy="{cy}"/>'
    '<wp:docPr id="{id}" name="图表{id}" descr="{title}"/>'
    '<wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="{a}" noChangeAspect="1"/></wp:cNvGraphicFramePr>'
    '<a:graphic xmlns:a="{a}"><a:graphicData uri="{pic}"><pic:pic xmlns:pic="{pic}">'
    '<pic:nvPicPr><pic:cNvPr id="{id}" name="chart{id}.png"/><pic:cNvPicPr/></pic:nvPicPr>'
    '<pic:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
    '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>'
    "</wp:inline></w:drawing></w:r></w:p>"
)


def _docx_chart(chart: Chart, png: bytes, width: int, number: int) -> str:
    """Write the paragraph showing a chart's PNG (`media/chart<number>.png`, `rIdChart<number>`), then its caption."""
    # A PNG's pixel size is in its IHDR chunk; it was drawn at report_charts.PNG_DPI.
    pixels = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    cx, cy = (int(p * 914400 / report_charts.PNG_DPI) for p in pixels)
    scale = min(1.0, width / cx)  # no wider than the text
    picture = _PICTURE.format(
        cx=int(cx * scale),
        cy=int(cy * scale),
        id=number,
        title=escape(shown(chart.title)),
        rid=f"rIdChart{number}",
        a="http://schemas.openxmlformats.org/drawingml/2006/main",
        pic="http://schemas.openxmlformats.org/drawingml/2006/picture",
    )
    return picture + _docx_paragraph(chart.title, center=True)


_IMAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"


def _with_images(name: str, data: bytes, images: list[bytes]) -> bytes:
    """Declare the charts' PNGs in the package: their relationships and the PNG content type.

    They are added as parts of the zip here rather than through python-docx, whose image lookup hashes every
    image already added for each new one: minutes for the 800 charts of a 400-project year.
    """
    if not images:
        return data
    if name == "word/_rels/document.xml.rels":
        relationships = "".join(
            f'<Relationship Id="rIdChart{n}" Type="{_IMAGE}" Target="media/chart{n}.png"/>'
            for n in range(1, len(images) + 1)
        )
        return data.replace(b"</Relationships>", relationships.encode() + b"</Relationships>")
    if name == "[Content_Types].xml" and b'Extension="png"' not in data:
        return data.replace(b"<Default ", b'<Default Extension="png" ContentType="image/png"/><Default ', 1)
    return data


def render_docx(report: Report) -> bytes:
    """Render the report as a Word document in official-document style, with fixed metadata."""
    from docx import Document
    from docx.shared import Pt, RGBColor

    document = Document()
    normal = document.styles["Normal"]
    normal.font.size = Pt(12)
    _east_asian(normal.element, DOCX_FONTS["Normal"])
    for level in (1, 2, 3, 4):
        style = document.styles[f"Heading {level}"]
        style.font.size = Pt({1: 15, 2: 14, 3: 13, 4: 12}[level])
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.bold = level in (1, 3)
        style.font.italic = False
        _east_asian(style.element, DOCX_FONTS[level])

    props = document.core_properties
    props.title = report.title
    props.author = props.last_modified_by = report.issuer or ""
    props.subject = f"{report.year}年度预算绩效管理工作开展情况"
    props.comments = "由预算绩效数据仓库生成"
    props.revision = 1
    created = report.stamp.astimezone(dt.UTC).replace(tzinfo=None)
    props.created = props.modified = props.last_printed = created

    # The body is written as WordprocessingML in one pass: python-docx's add_paragraph/add_table look up styles
    # and scan the body on every call, which takes minutes for a report of a few hundred projects. It goes into
    # the saved document.xml as text, before the body's section properties, in the form lxml writes (see
    # _docx_runs): parsing it and moving each element into the document took seconds.
    width = (
        document.sections[0].page_width - document.sections[0].left_margin - document.sections[0].right_margin
    )
    images: list[bytes] = []  # the charts' PNGs, in order: media/chart<n>.png
    body = [
        _docx_paragraph(report.title, center=True, size=20, font=DOCX_FONTS["Title"]),
        _docx_paragraph(report.issuer, center=True) if report.issuer else "",
        _docx_paragraph(intro(report)),
    ]
    for block in report.blocks:
        if isinstance(block, Heading):
            body.append(_docx_paragraph(block.text, style=f"Heading{block.level}"))
        elif isinstance(block, Text):
            body.append(_docx_paragraph("".join(plain(p) for p in block.parts), indent=True))
        elif isinstance(block, Chart):
            images.append(report_charts.drawing(report, block).png)
            body.append(_docx_chart(block, images[-1], width, len(images)))
        else:
            body.append(
                _docx_table(
                    block.caption, block.header, [[plain(c) for c in row] for row in block.rows], width
                )
            )
    body.append(_docx_paragraph("附：数据来源", style="Heading1"))
    body.append(
        _docx_table(
            "报告所用报表文件及其SHA-256指纹",
            ("编号", "文件名", "报送单位", "接收时间", "SHA-256指纹"),
            [
                [str(f.number), f.original_name, f.unit or DASH, received_text(f.received_at), f.sha256]
                for f in report.files
            ],
            width,
        )
    )
    buffer = io.BytesIO()
    document.save(buffer)
    content = "".join(body).encode("utf-8")

    def with_body(name: str, data: bytes) -> bytes:
        if name != "word/document.xml":
            return _with_images(name, data, images)
        at = data.rindex(b"<w:sectPr")  # the body's own section properties, its last element
        return data[:at] + content + data[at:]

    media = {f"word/media/chart{n}.png": png for n, png in enumerate(images, start=1)}
    return stable_zip(buffer.getvalue(), report.stamp, with_body, media)


def number_format(figure: Figure) -> str:
    """Return the Excel format that prints a figure's value as its display text does."""
    places = "." + "0" * figure.decimals if figure.decimals else ""
    return f"0{places}%" if figure.unit == "%" else f"#,##0{places}"


def _sources_of(row: tuple[Inline, ...], lineage: Callable[[Figure], list[str]]) -> str:
    lines = [line for part in row if isinstance(part, Figure) and part.sources for line in lineage(part)]
    return "\n".join(dict.fromkeys(lines))


def _xlsx_text(text: str) -> str:
    """Escape text as openpyxl's writer does (lxml, ASCII): markup, carriage returns, characters past ASCII."""
    escaped = escape(text, quote=False).replace("\r", "&#13;")
    return escaped if escaped.isascii() else escaped.encode("ascii", "xmlcharrefreplace").decode("ascii")


def render_xlsx(report: Report) -> bytes:
    """Write the report's tables to a workbook, numbers as exact numbers, each row with its sources."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ERROR_CODES
    from openpyxl.compat import safe_string
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    created = report.stamp.astimezone(dt.UTC).replace(tzinfo=None)
    workbook.properties.title = report.title
    workbook.properties.creator = workbook.properties.lastModifiedBy = report.issuer or ""
    workbook.properties.created = workbook.properties.modified = created
    lineage = _Lineage(report)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    def put(ws, row: int, column: int, value: object, alignment: Alignment | None = None):
        """Write one cell, a figure as its exact number; every text of the workbook goes through here."""
        cell = ws.cell(row, column)
        if isinstance(value, Figure) and value.value is not None and value.decimals is not None:
            cell.value = value.value
            cell.number_format = number_format(value)
            return cell
        if value is None or isinstance(value, Figure):
            value = plain(value)
        cell.value = shown(value) if isinstance(value, str) else value
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"  # a target such as `=16个` is text, never a formula
        if alignment is not None:
            cell.alignment = alignment
        return cell

    # A cell's style: a number format, or the wrapping `put` gives every other cell of a table, or a caption's or
    # header's font.
    WRAP, CAPTION, HEADER = ("wrap",), ("caption",), ("header",)

    def after_style(kind: str, value: object) -> str:
        """Return a cell's XML after its reference and style, as openpyxl's lxml writer writes a value it holds."""
        if kind == "n":
            return f' t="n"><v>{safe_string(value)}</v></c>'
        if kind == "e":
            return f' t="e"><v>{_xlsx_text(value)}</v></c>'
        if value == "":
            return ' t="inlineStr"></c>'
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f' t="inlineStr"><is><t{space}>{_xlsx_text(value)}</t></is></c>'

    texts: dict[str, str] = {}  # each distinct text of a cell, written

    def content(value: object) -> tuple[tuple[str, ...], str]:
        """Return a cell's style (as `put` with wrapping sets it) and its XML after the style."""
        if isinstance(value, Figure) and value.value is not None and value.decimals is not None:
            return ("format", number_format(value)), after_style("n", value.value)
        if value is None or isinstance(value, Figure):
            value = plain(value)
        if not isinstance(value, str):
            return WRAP, after_style("n", value)
        known = texts.get(value)
        if known is None:
            # As openpyxl stores a text: cut at Excel's limit, and an error code such as #N/A read as one.
            text = shown(value)[:32767]
            known = texts[value] = after_style("e" if text in ERROR_CODES else "s", text)
        return WRAP, known

    # openpyxl makes and writes a Python object per cell, which takes seconds for a few hundred projects. So the
    # workbook it writes holds each sheet's caption and header, and of the other cells only the first with
    # each style, so that styles.xml numbers the styles as it would for every cell; each sheet's rows are then
    # written into its <sheetData> in the form openpyxl writes them.
    first: dict[tuple[str, ...], object] = {}  # style → the openpyxl cell that first had it
    sheets: list[list[list[tuple[tuple[str, ...], str]]]] = []  # each sheet's rows of cells: (style, XML)

    def sheet(name: str, caption: str, header: tuple[str, ...], rows: list[list[object]], widths: list[int]):
        ws = workbook.create_sheet(name)
        title = put(ws, 1, 1, caption)
        title.font = Font(bold=True, size=13)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        first.setdefault(CAPTION, title)  # every caption has one style, every header cell another
        grid = [[(CAPTION, after_style(title.data_type, title.value))], []]
        for c, text in enumerate(header, start=1):
            cell = put(ws, 2, c, text)
            cell.font = bold
            first.setdefault(HEADER, cell)
            grid[1].append((HEADER, after_style(cell.data_type, cell.value)))
        for r, row in enumerate(rows, start=3):
            cells = []
            for c, value in enumerate(row, start=1):
                style, xml = content(value)
                if style not in first:
                    first[style] = put(ws, r, c, value, wrap)
                cells.append((style, xml))
            grid.append(cells)
        ws.cell(len(grid), len(header))  # the sheet's extent, for <dimension>; an empty cell is not written
        for c, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = width
        ws.freeze_panes = "A3"
        sheets.append(grid)

    for table in report.tables:
        rows = [[*row, _sources_of(row, lineage)] for row in table.rows]
        widths = [28, *([16] * (len(table.header) - 1)), 70]
        sheet(table.sheet, table.caption, (*table.header, "来源（文件·工作表·行）"), rows, widths)
    sheet(
        "数据来源",
        "报告所用报表文件及其SHA-256指纹",
        ("编号", "文件名", "报送单位", "接收时间", "SHA-256指纹"),
        [
            [f.number, f.original_name, f.unit or DASH, received_text(f.received_at), f.sha256]
            for f in report.files
        ],
        [6, 40, 36, 20, 70],
    )
    package = _save_workbook(workbook)
    # Read after saving: saving numbers each cell style in the order the cells are written.
    attribute = {style: f' s="{cell.style_id}"' if cell.has_style else "" for style, cell in first.items()}
    letters = [get_column_letter(c) for c in range(1, max(len(row) for grid in sheets for row in grid) + 1)]

    def sheet_data(grid: list[list[tuple[tuple[str, ...], str]]]) -> bytes:
        out = []
        for r, cells in enumerate(grid, start=1):
            out.append(f'<row r="{r}">')
            out += [f'<c r="{letters[c]}{r}"{attribute[style]}{xml}' for c, (style, xml) in enumerate(cells)]
            out.append("</row>")
        return "".join(out).encode("ascii")

    members = {f"xl/worksheets/sheet{n}.xml": grid for n, grid in enumerate(sheets, start=1)}

    def with_rows(name: str, data: bytes) -> bytes:
        grid = members.get(name)
        if grid is None:
            return data
        start, end = data.index(b"<sheetData>") + len(b"<sheetData>"), data.index(b"</sheetData>")
        return data[:start] + sheet_data(grid) + data[end:]

    return stable_zip(package, report.stamp, with_rows)


def _save_workbook(workbook) -> bytes:
    """Save a workbook as `Workbook.save` does, but each sheet in memory and the package uncompressed.

    openpyxl writes every sheet through a temporary file of its own, which costs seconds for a few hundred
    sheets; and stable_zip compresses the package afterwards anyway. The times openpyxl writes into
    docProps/core.xml are replaced by stable_zip too.
    """
    from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
    from openpyxl.worksheet._writer import WorksheetWriter
    from openpyxl.writer.excel import ExcelWriter

    class InMemory(ExcelWriter):
        def write_worksheet(self, ws) -> None:  # ExcelWriter.write_worksheet for a workbook not write-only
            ws._drawing = SpreadsheetDrawing()
            ws._drawing.charts = ws._charts
            ws._drawing.images = ws._images
            writer = WorksheetWriter(ws, out=io.BytesIO())
            writer.write()
            ws._rels = writer._rels
            self._archive.writestr(ws.path[1:], writer.read())
            self.manifest.append(ws)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        InMemory(workbook, archive).write_data()
    return buffer.getvalue()
