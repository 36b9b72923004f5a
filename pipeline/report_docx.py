"""Render the report as a Word file from its template, charts as PNG pictures, byte for byte reproducibly."""

from __future__ import annotations

from html import escape

from pipeline import report_charts
from pipeline.office_zip import stable_zip
from pipeline.report_charts import Chart
from pipeline.report_model import Report
from pipeline.report_text import shown

_PICTURE = (
    "<w:r><w:drawing>"
    '<wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{cx}" cy="{cy}"/>'
    '<wp:docPr id="{id}" name="图表{n}" descr="{title}"/>'
    '<wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="{a}" noChangeAspect="1"/></wp:cNvGraphicFramePr>'
    '<a:graphic xmlns:a="{a}"><a:graphicData uri="{pic}"><pic:pic xmlns:pic="{pic}">'
    '<pic:nvPicPr><pic:cNvPr id="{id}" name="chart{n}.png"/><pic:cNvPicPr/></pic:nvPicPr>'
    '<pic:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
    '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>'
    "</wp:inline></w:drawing></w:r>"
)


def docx_chart(chart: Chart, png: bytes, width: int, number: int) -> str:
    """Return the run showing a chart's PNG (`media/chart<number>.png`, `rIdChart<number>`), inside a paragraph."""
    # A PNG's pixel size is in its IHDR chunk; it was drawn at report_charts.PNG_DPI.
    pixels = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    cx, cy = (int(p * 914400 / report_charts.PNG_DPI) for p in pixels)
    scale = min(1.0, width / cx)  # no wider than the text
    picture = _PICTURE.format(
        cx=int(cx * scale),
        cy=int(cy * scale),
        id=CHART_IDS + number,
        n=number,
        title=escape(shown(chart.title)),
        rid=f"rIdChart{number}",
        a="http://schemas.openxmlformats.org/drawingml/2006/main",
        pic="http://schemas.openxmlformats.org/drawingml/2006/picture",
    )
    # The template's run is closed around it: the picture is a run of its own.
    return f'</w:t></w:r>{picture}<w:r><w:t xml:space="preserve">'


CHART_IDS = 100_000  # charts' drawing ids, clear of any picture the template has itself
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
    """Fill the Word template (report.docx) with the report, figures as plain numbers, with fixed metadata."""
    from pipeline import report_docx_fill, report_notes, report_templates

    values = report_docx_fill.DocxValues(lambda chart: report_charts.drawing(report, chart).png, docx_chart)
    folders = report_templates.template_folders(report.templates)
    notes = [note.parts for note in report_notes.report_quality_notes(report)]
    tables = {
        n: [note.parts for note in notes] for n, notes in report_notes.report_table_notes(report).items()
    }
    package, body = report_docx_fill.render_docx(report.context, folders, values, report.stamp, notes, tables)

    def edit(name: str, data: bytes) -> bytes:
        if name != "word/document.xml":
            return _with_images(name, data, values.images)
        start = data.index(
            b"<w:body"
        )  # the rendered body, its own namespaces declared, replaces the template's
        return data[:start] + body + data[data.index(b"</w:body>") + len(b"</w:body>") :]

    media = {f"word/media/chart{n}.png": png for n, png in enumerate(values.images, start=1)}
    return stable_zip(package, report.stamp, edit, media)
