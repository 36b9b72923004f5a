"""Read a written report back into its outline: headings, paragraphs, figures and table rows of every format.

The template tests compare this outline of today's report with the one the templates write; receipt times (the
demo is ingested at test time) print as <time>.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def _timeless(text: str) -> str:
    return TIME.sub("<time>", text)


class _Html(HTMLParser):
    """Collect the page's headings, paragraphs, figures (key, text, lineage) and table rows."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.headings: list[str] = []
        self.paragraphs: list[str] = []
        self.figures: list[list[str]] = []
        self.rows: list[list[str]] = []
        self.captions: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        role = "src" if "src" in classes else "fig" if "fig" in classes else tag
        if role == "fig":
            self.figures.append([attributes.get("data-key") or "", "", ""])
        if tag in ("h1", "h2", "h3", "h4", "h5", "p", "td", "th", "caption", "figcaption"):
            self.text = []
        if tag == "tr":
            self.rows.append([])
        if tag in ("br", "meta", "link"):
            return
        self.stack.append(role)

    def handle_endtag(self, tag):
        if tag in ("br", "meta", "link"):
            return
        self.stack.pop()
        text = _timeless("".join(self.text))
        if tag in ("h1", "h2", "h3", "h4", "h5"):
            self.headings.append(f"{tag}:{text}")
        elif tag in ("p", "figcaption"):
            self.paragraphs.append(text)
        elif tag in ("td", "th"):
            self.rows[-1].append(text)
        elif tag == "caption":
            self.captions.append(text)

    def handle_data(self, data):
        if "style" in self.stack or "title" in self.stack or "svg" in self.stack:
            return
        if "src" in self.stack:
            self.figures[-1][2] += data
            return
        if "fig" in self.stack:
            self.figures[-1][1] += data
        self.text.append(data)


def html_outline(html: str) -> dict:
    page = _Html()
    page.feed(html)
    return {
        "headings": page.headings,
        "paragraphs": page.paragraphs,
        "figures": [[key, text, _timeless(tip)] for key, text, tip in page.figures],
        "captions": page.captions,
        "rows": page.rows,
    }


def docx_outline(data: bytes) -> dict:
    import docx

    document = docx.Document(io.BytesIO(data))
    paragraphs = [[p.style.name, _timeless(p.text)] for p in document.paragraphs if p.text]
    rows = [[_timeless(c.text) for c in row.cells] for t in document.tables for row in t.rows]
    images = sum(1 for r in document.part.rels.values() if r.reltype.endswith("/image"))
    return {"paragraphs": paragraphs, "rows": rows, "images": images}


def xlsx_outline(data: bytes) -> dict:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return {
        ws.title: [
            [_timeless(str(v)) if v is not None else None for v in row]
            for row in ws.iter_rows(values_only=True)
        ]
        for ws in workbook
    }


def outline(html: bytes, docx: bytes, xlsx: bytes) -> dict:
    """Return the outline of a report written in every format."""
    return {
        "html": html_outline(html.decode("utf-8")),
        "docx": docx_outline(docx),
        "xlsx": xlsx_outline(xlsx),
    }
