"""Draw the report's charts with matplotlib: per project, investment against time progress with the light
bands, and funds received and paid by source; SVG for the HTML, PNG for Word, byte for byte reproducibly.

A chart is drawn from its `Chart` block alone, and kept under the data root by a hash of everything that goes
into it: a rebuild whose chart inputs did not change reads the files and never imports matplotlib (a chart
costs about 70 ms to draw; a year of 400 projects has 800 of them).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import forked

if TYPE_CHECKING:
    from pipeline.report_model import Project, Report

# Bump when the drawing code changes, so charts kept from before are drawn again.
VERSION = 1
# Fonts with Chinese glyphs, best first: Debian's fonts-noto-cjk (installed by .ci/run), then others often found.
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
BAND_COLOURS = {"blue": "#cfe0fc", "yellow": "#fdf0b5", "red": "#f9d0cc"}
LIGHT_ZH = {"none": "无灯", "blue": "蓝灯", "yellow": "黄灯", "red": "红灯"}
PNG_DPI = 120
CACHE_KEEP_DAYS = 30  # a chart no report used for this long is removed from the cache
# From this many charts to draw, half are drawn in a forked child: fewer take less time than the fork.
FORK_AT = 8


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart of the report: what it shows, as plain values, and where it belongs."""

    kind: str  # "progress" or "funds"
    title: str
    project: str | None  # the project's code: charts of two projects never share ids in one page
    # progress: (month, time progress %, investment progress %); funds: (source, received 万元, paid 万元)
    points: tuple[tuple[Any, ...], ...]
    bands: tuple[tuple[str, Decimal | None], ...] = ()  # progress: (light, up to this many points behind)

    def key(self) -> str:
        """Return a hash of everything the drawing depends on."""
        inputs = [VERSION, self.kind, self.title, self.project, self.points, self.bands, _font_file()]
        return hashlib.sha256(json.dumps(inputs, default=str, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Drawn:
    """A chart as inline SVG (ids unique to the chart) and as PNG."""

    svg: str
    png: bytes


def progress_chart(project: Project, bands: tuple) -> list[Chart]:
    """Return the chart of cumulative investment against time progress by month, from each month's gap."""
    points = []
    for figure in project.each(
        "gap_points"
    ):  # detail `<month>月`, value: time progress − investment progress
        if figure.value is None or figure.detail is None:
            continue
        month = int(figure.detail.removesuffix("月"))
        time = Decimal(month) * 100 / 12
        points.append((month, _rounded(time), _rounded(time - figure.value)))
    if not points:
        return []
    title = f"{project.name}：投资进度与时间进度（按月累计）"
    return [Chart("progress", title, project.code, tuple(sorted(points)), bands)]


def funds_chart(project: Project) -> list[Chart]:
    """Return the chart of funds received and paid by source."""
    points = []
    for received in project.each("funds_received_wan"):  # detail: the fund source
        paid = project.one("funds_paid_wan", received.detail)
        if received.value is not None and received.detail is not None:
            points.append(
                (received.detail, received.value, paid.value if paid and paid.value else Decimal(0))
            )
    if not points:
        return []
    return [Chart("funds", f"{project.name}：各资金来源到位与支付（万元）", project.code, tuple(points))]


def _rounded(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"))


# Drawing.

_LOCK = threading.Lock()  # one figure, reused by every chart


def draw(charts: Iterable[Chart], cache: Path) -> dict[str, Drawn]:
    """Return each chart drawn, by key: read from `cache` when its inputs were drawn before, else drawn now.

    A chart no report has used for `CACHE_KEEP_DAYS` is removed from the cache.
    """
    drawn: dict[str, Drawn] = {}
    missing: dict[str, Chart] = {}
    folder = os.fspath(cache)
    for chart in charts:
        key = chart.key()
        if key in drawn or key in missing:
            continue
        # Plain paths and no stat before the read: a kept year reads 800 charts, each a pair of files.
        svg_path, png_path = os.path.join(folder, f"{key}.svg"), os.path.join(folder, f"{key}.png")
        try:
            with open(svg_path, encoding="utf-8") as svg, open(png_path, "rb") as png:
                drawn[key] = Drawn(svg.read(), png.read())
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):  # not kept (or pruned meanwhile)
            missing[key] = chart
            continue
        for path in (svg_path, png_path):
            os.utime(path)  # used: kept for another CACHE_KEEP_DAYS
    todo = list(missing.items())
    if len(todo) >= FORK_AT:  # a cold build: half the charts drawn in a forked child, side by side
        with forked.started(lambda: _draw_into(cache, todo[1::2])) as other_half:
            drawn |= _draw_into(cache, todo[::2])
            drawn |= other_half()
    else:
        drawn |= _draw_into(cache, todo)
    _prune(cache)
    return drawn


def _draw_into(cache: Path, charts: list[tuple[str, Chart]]) -> dict[str, Drawn]:
    """Draw each chart and keep it in `cache` under its key; return them drawn."""
    drawn = {}
    for key, chart in charts:
        svg, png = _draw(chart)
        cache.mkdir(parents=True, exist_ok=True)
        for path, data in ((cache / f"{key}.png", png), (cache / f"{key}.svg", svg.encode("utf-8"))):
            partial = path.with_name(f".{path.name}.{os.getpid()}")
            partial.write_bytes(data)
            partial.replace(path)  # a chart is kept whole or not at all
        drawn[key] = Drawn(svg, png)
    return drawn


def _prune(cache: Path) -> None:
    """Remove the charts no report has used for CACHE_KEEP_DAYS."""
    if not cache.is_dir():
        return
    before = time.time() - CACHE_KEEP_DAYS * 86400
    with os.scandir(cache) as entries:
        for entry in entries:
            with contextlib.suppress(FileNotFoundError):  # another build may have pruned it first
                if entry.stat().st_mtime < before:
                    os.unlink(entry.path)


def drawing(report: Report, chart: Chart) -> Drawn:
    """Return a chart of the report as drawn for it (see `draw`), drawing it now if it was not."""
    drawn = report.memo.setdefault("charts", {})
    # Each format asks for every chart: its key (a hash of its inputs) is worked out once.
    keys: dict[int, tuple[Chart, str]] = report.memo.setdefault("chart_keys", {})
    known = keys.get(id(chart))
    if known is None or known[0] is not chart:
        known = keys[id(chart)] = (chart, chart.key())
    key = known[1]
    if key not in drawn:
        svg, png = _draw(chart)
        drawn[key] = Drawn(svg, png)
    return drawn[key]


def _font_file() -> str | None:
    """Return the first installed font with Chinese glyphs, or None (the chart's labels then fall back)."""
    return next((f for f in CJK_FONTS if os.path.isfile(f)), None)


@functools.cache
def _figure() -> Any:
    """Set matplotlib up once (Agg, fonts, reproducible output) and return the one figure every chart reuses.

    A figure per chart is a canvas of a megabyte or more, freed only by the cycle collector, which the report
    pauses while it is built (pipeline/report.py): reusing one keeps memory flat and skips its set-up.
    """
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = _font_file()
    families = []
    if font is not None:
        font_manager.fontManager.addfont(font)
        families.append(font_manager.FontProperties(fname=font).get_name())
    matplotlib.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [*families, "DejaVu Sans"],
            "axes.unicode_minus": False,  # the CJK font has no U+2212
            "svg.hashsalt": "budget-warehouse",  # clip-path ids from a fixed salt, not a random one
            "svg.fonttype": "none",  # text stays text: small, selectable, in the reader's Chinese font
            "svg.id": None,
        }
    )
    figure = Figure()
    FigureCanvasAgg(figure)
    return figure


def _draw(chart: Chart) -> tuple[str, bytes]:
    """Draw one chart; return its SVG (prefixed ids, no date) and PNG (no software tag)."""
    import io
    import warnings

    with _LOCK, warnings.catch_warnings():
        # Without a Chinese font (see CJK_FONTS) labels fall back to DejaVu Sans: drawn, with boxes for glyphs.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        figure = _figure()
        figure.clear()
        figure.set_size_inches(6.4, 3.4)
        axes = figure.add_subplot()
        try:
            (_progress if chart.kind == "progress" else _funds)(axes, chart)
            figure.tight_layout()
            svg, png = io.BytesIO(), io.BytesIO()
            figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
            figure.savefig(png, format="png", dpi=PNG_DPI, metadata={"Software": None})
        finally:
            figure.clear()
    return _inline_svg(svg.getvalue().decode("utf-8"), chart.key()[:12]), png.getvalue()


def _progress(axes: Any, chart: Chart) -> None:
    """Time progress as a line, investment progress as points on a line, the light bands behind them."""
    months = [0, 12]
    time_line = [0.0, 100.0]
    lower = -5.0
    previous = Decimal(0)
    for light, bound in chart.bands:
        if light not in BAND_COLOURS:
            previous = bound if bound is not None else previous
            continue
        # The band of a light: investment behind time by more than the previous bound, up to its own.
        top = [t - float(previous) for t in time_line]
        bottom = [t - float(bound) if bound is not None else lower for t in time_line]
        if bound is None:
            label = f"{LIGHT_ZH[light]}：落后超过{previous.normalize():f}个百分点"
        else:
            label = f"{LIGHT_ZH[light]}：落后{previous.normalize():f}至{bound.normalize():f}个百分点"
        axes.fill_between(months, bottom, top, color=BAND_COLOURS[light], linewidth=0, label=label)
        previous = bound if bound is not None else previous
    axes.plot(months, time_line, color="#555555", linestyle="--", linewidth=1.2, label="时间进度")
    x = [p[0] for p in chart.points]
    axes.plot(
        x, [float(p[2]) for p in chart.points], color="#1f4e99", marker="o", markersize=4, label="投资进度"
    )
    axes.set_xlim(0.5, 12.5)
    axes.set_ylim(lower, max(105.0, *(float(p[2]) + 5 for p in chart.points)))
    axes.set_xticks(range(1, 13), [f"{m}月" for m in range(1, 13)], fontsize=8)
    axes.set_ylabel("进度（%）", fontsize=9)
    axes.tick_params(axis="y", labelsize=8)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.legend(fontsize=7, loc="upper left", frameon=False)


def _funds(axes: Any, chart: Chart) -> None:
    """Funds received and paid, side by side, one pair of bars per source."""
    sources = [p[0] for p in chart.points]
    positions = range(len(sources))
    height = 0.38
    received = [float(p[1]) for p in chart.points]
    paid = [float(p[2]) for p in chart.points]
    axes.barh([i - height / 2 for i in positions], received, height, color="#3b7dd8", label="到位")
    axes.barh([i + height / 2 for i in positions], paid, height, color="#e8a33d", label="支付")
    # A source's name is data: a pair of `$` in it must print as written, not as matplotlib's mathtext.
    axes.set_yticks(list(positions), [source.replace("$", r"\$") for source in sources], fontsize=8)
    axes.invert_yaxis()  # the first source on top, as in the text
    axes.set_xlabel("万元", fontsize=9)
    axes.tick_params(axis="x", labelsize=8)
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # off the bars
    axes.figure.set_figheight(max(2.2, 1.2 + 0.45 * len(sources)))


_SVG_START = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_IDS = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def _inline_svg(svg: str, prefix: str) -> str:
    """Make an SVG document fit inside HTML: no XML prologue, ids unique to this chart, fonts for Chinese."""
    svg = _SVG_START.sub("", svg, count=1)
    svg = _IDS.sub(lambda m: f"{m[1]}c{prefix}-{m[2]}", svg)
    return svg.replace("<svg ", '<svg role="img" style="max-width:100%;height:auto" ', 1)
