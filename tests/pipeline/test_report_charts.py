"""The report's charts: in the HTML as SVG and in Word as images, reproducible, drawn once per input."""

from __future__ import annotations

import os
import re
import shutil
import time
import zipfile
from decimal import Decimal

import docx
import duckdb
import pytest

from pipeline import forked, report_charts
from pipeline.report import CHART_CACHE, write_report_files
from pipeline.report_charts import BAND_COLOURS, Chart, draw
from tests.chromium import browse, needs_chromium
from tests.pipeline.test_report import write_demo_report

YEAR = 2022


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory, registry, demo):
    """The demo's report, written in a data root of this module's own: (settings, files, bytes of each file)."""
    return write_demo_report(tmp_path_factory.mktemp("charts") / "home", registry, demo)


def expected_charts(settings) -> dict[str, set[str]]:
    """Read from the warehouse which projects have monthly gaps (progress chart) and funds by source."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        found = {
            kind: {
                name
                for (name,) in con.execute(
                    "select distinct project_name from mart.report_figures "
                    "where year = ? and figure_key = ? and value is not null and detail is not null",
                    [YEAR, key],
                ).fetchall()
            }
            for kind, key in (("progress", "gap_points"), ("funds", "funds_received_wan"))
        }
    assert found["progress"] and found["funds"]  # the demo has both, or this module tests nothing
    return found


def charts_in(html: str) -> dict[str, list[tuple[str, str]]]:
    """Return each kind's (svg, caption) pairs in the page."""
    found: dict[str, list[tuple[str, str]]] = {"progress": [], "funds": []}
    for kind, svg, caption in re.findall(
        r'<figure class="chart" data-chart="(\w+)">(.*?)<figcaption>(.*?)</figcaption></figure>',
        html,
        re.DOTALL,
    ):
        found[kind].append((svg, caption))
    return found


@pytest.mark.slow  # 5 s or more on two cores
def test_the_html_shows_each_projects_charts_inline_as_svg(demo_report):
    settings, files, content = demo_report
    expected = expected_charts(settings)

    charts = charts_in(content[files.html].decode("utf-8"))

    for kind, projects in expected.items():
        assert len(charts[kind]) == len(projects)
        assert {caption.split("：")[0] for _, caption in charts[kind]} == projects
        assert all(svg.startswith("<svg ") and svg.rstrip().endswith("</svg>") for svg, _ in charts[kind])
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        bands = con.execute("select light from config.light_bands where year = ?", [YEAR]).fetchall()
    lights = {light for (light,) in bands}
    assert lights & set(BAND_COLOURS)
    for svg, _ in charts["progress"]:  # the blue, yellow and red bands, in their colours
        assert all(BAND_COLOURS[light] in svg for light in lights if light in BAND_COLOURS)
        assert "<dc:date>" not in svg  # no date: a rebuild gives the same bytes


def test_no_two_charts_of_the_page_share_an_id(demo_report):
    _, files, content = demo_report
    ids = re.findall(r'\bid="([^"]+)"', content[files.html].decode("utf-8"))

    assert len(ids) == len(set(ids))


def test_the_docx_holds_each_chart_as_an_image_it_shows(demo_report):
    settings, files, content = demo_report
    expected = expected_charts(settings)
    charts = sum(len(projects) for projects in expected.values())

    with zipfile.ZipFile(files.docx) as package:
        media = sorted(n for n in package.namelist() if n.startswith("word/media/"))
        relationships = package.read("word/_rels/document.xml.rels").decode("utf-8")
        body = package.read("word/document.xml").decode("utf-8")
        types = package.read("[Content_Types].xml").decode("utf-8")
        pngs = [package.read(name) for name in media]

    assert len(media) == charts and all(data.startswith(b"\x89PNG") for data in pngs)
    for name in media:
        [rid] = re.findall(rf'Id="([^"]+)"[^>]*Target="{name.removeprefix("word/")}"', relationships)
        assert f'r:embed="{rid}"' in body
    assert 'Extension="png"' in types
    assert len(docx.Document(str(files.docx)).inline_shapes) == charts
    cached = {path.read_bytes() for path in (settings.home / CHART_CACHE).glob("*.png")}
    assert set(pngs) <= cached


def test_two_cold_rebuilds_give_identical_bytes(demo_report, registry):
    settings, files, content = demo_report
    for _ in range(2):
        shutil.rmtree(settings.home / CHART_CACHE)

        write_report_files(settings, YEAR, registry)

        for path, data in content.items():
            assert path.read_bytes() == data, path.name


def test_a_rebuild_with_unchanged_inputs_draws_nothing(demo_report, registry, monkeypatch):
    settings, files, content = demo_report
    assert list((settings.home / CHART_CACHE).glob("*.svg"))

    def drawn(chart):
        raise AssertionError(f"matplotlib was called for {chart.title}")

    monkeypatch.setattr(report_charts, "_draw", drawn)
    write_report_files(settings, YEAR, registry)

    for path, data in content.items():
        assert path.read_bytes() == data, path.name


def test_changed_inputs_are_drawn_again_and_unchanged_ones_are_not(tmp_path, monkeypatch):
    calls = []
    real = report_charts._draw
    monkeypatch.setattr(report_charts, "_draw", lambda chart: calls.append(chart.title) or real(chart))
    funds = Chart(
        "funds", "甲项目：各资金来源到位与支付（万元）", "P1", (("中央补助资金", Decimal(10), Decimal(4)),)
    )
    more = Chart("funds", funds.title, "P1", (("中央补助资金", Decimal(10), Decimal(5)),))

    first = draw([funds], tmp_path)
    again = draw([funds], tmp_path)
    changed = draw([more], tmp_path)

    assert calls == [funds.title, funds.title]
    assert first == again and changed[more.key()] != first[funds.key()]


@pytest.fixture
def fresh_matplotlib():
    """Let matplotlib be set up again (fonts included) for this test, and again after it."""
    report_charts._figure.cache_clear()
    yield
    report_charts._figure.cache_clear()


def test_without_a_chinese_font_the_chart_is_still_drawn(tmp_path, monkeypatch, fresh_matplotlib):
    monkeypatch.setattr(report_charts, "CJK_FONTS", (str(tmp_path / "no-such-font.ttc"),))
    chart = Chart("funds", "乙项目", None, (("专项债券", Decimal(3), Decimal(1)),))

    drawn = draw([chart], tmp_path / "cache")[chart.key()]

    assert drawn.svg.startswith("<svg ") and drawn.png.startswith(b"\x89PNG")


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["progress", "funds"])
@needs_chromium
def test_chromium_draws_the_charts_offline(demo_report, kind, tmp_path):
    _, files, _ = demo_report

    with browse() as seen:
        seen.page.goto(files.html.as_uri())
        chart = seen.page.locator(f'figure.chart[data-chart="{kind}"] svg').first
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        chart.screenshot(path=tmp_path / f"{kind}.png")

    assert box["width"] > 300 and box["height"] > 100
    assert (tmp_path / f"{kind}.png").stat().st_size > 5_000
    assert seen.problems == [] and seen.remote_requests() == []


def test_a_chart_is_drawn_the_same_whatever_was_drawn_before():
    funds = Chart(
        "funds",
        "丙项目",
        "P3",
        (("中央补助资金", Decimal(8), Decimal(2)), ("专项债券", Decimal(5), Decimal(5))),
    )
    bands = (("none", Decimal(0)), ("blue", Decimal(10)), ("yellow", Decimal(20)), ("red", None))
    progress = Chart("progress", "丁项目", "P4", ((1, Decimal("8.3333"), Decimal("2.5")),), bands)

    first = report_charts._draw(funds)
    report_charts._draw(progress)

    assert report_charts._draw(funds) == first


def test_charts_no_report_used_for_a_while_leave_the_cache(tmp_path):
    used = Chart("funds", "戊项目", "P5", (("中央补助资金", Decimal(1), Decimal(1)),))
    unused = Chart("funds", "己项目", "P6", (("中央补助资金", Decimal(2), Decimal(1)),))
    draw([used, unused], tmp_path)
    long_ago = time.time() - (report_charts.CACHE_KEEP_DAYS + 1) * 86400
    for path in tmp_path.iterdir():
        os.utime(path, (long_ago, long_ago))

    draw([used], tmp_path)

    assert {p.name for p in tmp_path.iterdir()} == {f"{used.key()}.svg", f"{used.key()}.png"}


def test_a_source_name_prints_as_written_never_as_markup():
    chart = Chart("funds", "庚项目", "P7", (("美元$1$基金<b>", Decimal(1), Decimal(1)),))

    svg, _ = report_charts._draw(chart)

    assert "美元$1$基金&lt;b&gt;" in svg and "<b>" not in svg


def test_a_cold_build_draws_half_its_charts_in_a_forked_child_the_same_as_here(tmp_path, monkeypatch):
    charts = [
        Chart(
            "funds",
            f"项目{n}：各资金来源到位与支付（万元）",
            f"P{n}",
            (("中央补助资金", Decimal(10), Decimal(n)),),
        )
        for n in range(report_charts.FORK_AT + 1)
    ]
    monkeypatch.setattr(forked, "usable", lambda: False)
    here = draw(charts, tmp_path / "here")
    drawers = []
    real = report_charts._draw
    monkeypatch.setattr(report_charts, "_draw", lambda chart: drawers.append(chart.title) or real(chart))
    monkeypatch.setattr(forked, "usable", lambda: True)

    split = draw(charts, tmp_path / "split")

    assert split == here
    assert 0 < len(drawers) < len(charts)  # this process drew some; the child drew the rest
    kept = {p.name: p.read_bytes() for p in (tmp_path / "split").iterdir()}
    assert kept == {p.name: p.read_bytes() for p in (tmp_path / "here").iterdir()}
    assert len(kept) == 2 * len(charts)  # an SVG and a PNG each, whichever process drew it
