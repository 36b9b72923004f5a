"""Data Docs: served from local copies with the network off, listing every run kept, pruned by age."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.data_docs import HISTORY, OfflineError, offline
from pipeline.settings import DATA_DOCS_KEEP_DAYS, TIMEZONE, Settings
from pipeline.validate import Batch, validate, write_data_docs
from tests.chromium import browse, needs_chromium
from tests.pipeline.test_validate import CLEAN, CONTEXT, THREE_ERRORS, parse

FIRST = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
LOADS = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"([^\"]*)\"", re.IGNORECASE)
STYLE_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""")


@pytest.fixture(scope="module")
def validation(registry):
    """One validation of a clean sheet per template and a sheet with three errors: passing and failing runs."""
    texts = {f"clean_{template}": text for template, text in CLEAN.items()} | {"three_errors": THREE_ERRORS}
    batches = [
        Batch(name, sheet) for name, text in texts.items() for sheet in parse(name, text, registry).sheets
    ]
    return validate(batches, registry, CONTEXT)


def run_on(validation, day: dt.datetime):
    """The same results as if validated at another time: a run of another night."""
    return dataclasses.replace(validation, validated_at=day)


def run_times(index: Path) -> set[str]:
    """Return the run folders the index links to."""
    return set(re.findall(r"validations/[^\"]*?/validate/(\d{8}T\d{6}\.\d{6}Z)/", index.read_text("utf-8")))


def test_no_page_loads_anything_from_the_network(validation, tmp_path):
    folder = tmp_path / "data_docs"
    write_data_docs(validation, folder)

    pages = list(folder.rglob("*.html"))
    loaded = {url for page in pages for url in LOADS.findall(page.read_text(encoding="utf-8"))}
    assert len(pages) > len(validation.results)
    assert loaded and not [url for url in loaded if "://" in url or url.startswith("//")]
    for page in pages:  # every file a page loads is there
        for url in LOADS.findall(page.read_text(encoding="utf-8")):
            assert (page.parent / url).resolve().is_file(), (page, url)


def test_the_index_tells_each_runs_time_in_shanghai_time_whatever_the_machines_zone(validation, tmp_path):
    folder = tmp_path / "data_docs"
    write_data_docs(run_on(validation, FIRST), folder)

    # GX told it in the machine's zone: a server on UTC listed the run of 10:00 Beijing time as 02:00 UTC.
    index = folder.joinpath("index.html").read_text(encoding="utf-8")
    assert "2026-03-01 10:00:00（北京时间）" in index
    assert "UTC" not in index


class _Loads(HTMLParser):
    """Collect what a page makes the browser fetch: its img/script/link tags' src and href, and its styles' url()."""

    def __init__(self):
        super().__init__()
        self.loaded: list[str] = []
        self.links: list[str] = []
        self._style = False

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag in ("img", "script", "link"):
            self.loaded += [found[a] for a in ("src", "href") if found.get(a)]
        elif tag == "a" and found.get("href"):
            self.links.append(found["href"])
        self.loaded += STYLE_URL.findall(found.get("style") or "")
        self._style = tag == "style"

    def handle_endtag(self, tag):
        self._style = False

    def handle_data(self, data):
        if self._style:
            self.loaded += STYLE_URL.findall(data)


def test_no_page_or_its_styles_load_anything_from_the_web_and_no_link_leads_to_a_newsletter(
    validation, tmp_path
):
    folder = tmp_path / "data_docs"
    write_data_docs(validation, folder)

    links = set()
    for page in folder.rglob("*.html"):
        parsed = _Loads()
        parsed.feed(page.read_text(encoding="utf-8"))
        links |= {link for link in parsed.links if "://" in link}
        # GX's dark-mode styles fetched its logo from an S3 bucket: the page served offline reached out for it.
        assert [url for url in parsed.loaded if "://" in url or url.startswith("//")] == [], page
        for url in parsed.loaded:
            if not url.startswith(("data:", "#")):
                assert (page.parent / url.split("?")[0]).resolve().is_file(), (page, url)
    # The only way out is a plain link to GX's site, in the index's credit line; the newsletter's is gone.
    assert links == {"https://greatexpectations.io"}
    styles = folder / "static" / "styles" / "data_docs_default_styles.css"
    assert STYLE_URL.findall(styles.read_text(encoding="utf-8")) == ["../images/logo-long.png"]
    assert (styles.parent / "../images/logo-long.png").resolve().is_file()


def test_a_style_loading_an_unknown_address_is_an_error_not_left_in_the_page():
    page = "<style>.x { background: url(https://cdn.example.org/texture.png) }</style>"
    with pytest.raises(OfflineError, match="texture.png"):
        offline(page, "./")


def test_an_unknown_cdn_address_is_an_error_not_left_in_the_page():
    page = '<link rel="stylesheet" href="https://cdn.example.org/new-theme.css">'
    with pytest.raises(OfflineError, match="new-theme.css"):
        offline(page, "./")


def test_the_cdn_tags_gx_writes_point_at_local_copies_without_integrity_hashes():
    page = (
        '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" '
        'integrity="sha384-x" crossorigin="anonymous"></script>\n'
        '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>'
    )

    assert offline(page, "../../").strip() == (
        '<script src="../../static/vendor/bootstrap/bootstrap.bundle.min.js"></script>'
    )


@pytest.mark.slow
def test_the_index_lists_every_run_and_drops_runs_older_than_the_setting(validation, tmp_path):
    folder = tmp_path / "data_docs"
    nights = [FIRST + dt.timedelta(days=d) for d in (0, 1, 2)]
    for night in nights:
        write_data_docs(run_on(validation, night), folder, keep_days=30)
    stamps = {night.strftime("%Y%m%dT%H%M%S.%fZ") for night in nights}

    assert run_times(folder / "index.html") == stamps
    assert {p.stem for p in (folder / HISTORY).glob("*.json")} == stamps

    later = FIRST + dt.timedelta(days=30, hours=12)  # only the first night is now more than 30 days back
    write_data_docs(run_on(validation, later), folder, keep_days=30)

    kept = (stamps - {FIRST.strftime("%Y%m%dT%H%M%S.%fZ")}) | {later.strftime("%Y%m%dT%H%M%S.%fZ")}
    assert run_times(folder / "index.html") == kept
    assert not list((folder / "validations").glob(f"**/{FIRST.strftime('%Y%m%dT%H%M%S.%fZ')}"))
    assert {p.stem for p in (folder / HISTORY).glob("*.json")} == kept


def test_the_setting_reads_pipeline_data_docs_keep_days(monkeypatch, tmp_path):
    monkeypatch.delenv("PIPELINE_DATA_DOCS_KEEP_DAYS", raising=False)
    assert Settings.from_env(tmp_path).data_docs_keep_days == DATA_DOCS_KEEP_DAYS == 90
    monkeypatch.setenv("PIPELINE_DATA_DOCS_KEEP_DAYS", "7")
    assert Settings.from_env(tmp_path).data_docs_keep_days == 7
    monkeypatch.setenv("PIPELINE_DATA_DOCS_KEEP_DAYS", "0")
    with pytest.raises(ValueError, match="PIPELINE_DATA_DOCS_KEEP_DAYS"):
        Settings.from_env(tmp_path)


def shown_as(night: dt.datetime) -> str:
    """Write a run's time as the index shows it: in Asia/Shanghai (02:00 UTC is 10:00 in Beijing)."""
    return night.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")


@pytest.mark.browser
@needs_chromium
def test_chromium_offline_shows_the_runs_in_the_index_and_a_styled_validation_page(validation, tmp_path):
    folder = tmp_path / "data_docs"
    nights = [FIRST, FIRST + dt.timedelta(days=1)]
    for night in nights:
        write_data_docs(run_on(validation, night), folder)
    failing = next(folder.glob("validations/compound_list/validate/*/compound_list.html"))

    with browse(1400, 1000) as seen:
        page = seen.page
        page.goto((folder / "index.html").as_uri())
        # bootstrap-table draws the index from data in the page: rows exist only if its script ran.
        rows = page.locator("table[id$='-body-table']").first.locator("tbody tr")
        rows.first.wait_for()
        counted = page.locator(".pagination-info").first.inner_text()
        page.screenshot(path=tmp_path / "index.png", full_page=True)
        shown = {}
        for night in nights:  # the table's own search, as a reader would find a night's runs
            search = page.locator("input.search-input").first
            search.fill("")
            search.press_sequentially(shown_as(night))
            page.wait_for_timeout(600)
            shown[night] = rows.all_inner_texts()

        page.goto(failing.as_uri())
        layout = page.locator(".row").first.evaluate("e => getComputedStyle(e).display")
        navbar = page.locator("nav.navbar").first.evaluate("e => getComputedStyle(e).display")
        page.screenshot(path=tmp_path / "validation.png", full_page=True)

    assert f"of {2 * len(validation.results)} rows" in counted  # both runs, every result of each
    for night in nights:
        assert shown[night] and all(shown_as(night) in row for row in shown[night]), [
            r for r in shown[night] if shown_as(night) not in r
        ]
    assert layout == "flex" and navbar == "flex"  # Bootstrap's grid and navbar, not the browser's blocks
    assert seen.problems == []
    assert seen.remote_requests() == []


def test_a_damaged_run_summary_drops_that_run_and_fails_nothing(validation, tmp_path):
    folder = tmp_path / "data_docs"
    write_data_docs(run_on(validation, FIRST), folder)
    (folder / HISTORY / f"{FIRST.strftime('%Y%m%dT%H%M%S.%fZ')}.json").write_text(
        "{not json", encoding="utf-8"
    )
    (folder / HISTORY / "notes.json").write_text("[]", encoding="utf-8")
    later = FIRST + dt.timedelta(days=1)

    write_data_docs(run_on(validation, later), folder)

    assert run_times(folder / "index.html") == {later.strftime("%Y%m%dT%H%M%S.%fZ")}


def test_the_keys_to_render_are_found_as_gx_finds_them_in_a_list():
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from pipeline.data_docs import RUN_NAME, _Keys

    def result(suite: str, night: dt.datetime) -> ValidationResultIdentifier:
        run = RunIdentifier(run_name=RUN_NAME, run_time=night)
        return ValidationResultIdentifier(ExpectationSuiteIdentifier(suite), run, suite)

    built = [result("compound_list", FIRST), ExpectationSuiteIdentifier("compound_list")]
    asked = [
        result("compound_list", FIRST),  # equal, another object
        result("compound_list", FIRST + dt.timedelta(days=1)),  # an earlier run's: not rendered again
        result("fund_ledger", FIRST),
        ExpectationSuiteIdentifier("compound_list"),
        ExpectationSuiteIdentifier("fund_ledger"),
        "compound_list",
    ]
    keys = _Keys(built)
    assert keys == built
    assert (
        [key in keys for key in asked]
        == [key in built for key in asked]
        == [True, False, False, True, False, False]
    )


def test_a_page_that_cannot_be_made_offline_fails_the_build_and_is_never_put_in_place(
    validation, tmp_path, monkeypatch
):
    # GX's site builder logs what writing a page raises and goes on: the build raises it once GX is done.
    from pipeline import data_docs

    folder = tmp_path / "data_docs"
    monkeypatch.setattr(
        data_docs, "_CDN", [(e, local) for e, local in data_docs._CDN if e != "/bootstrap.min.css"]
    )

    with pytest.raises(OfflineError, match="bootstrap.min.css"):
        write_data_docs(validation, folder)

    assert not list(folder.rglob("*.html"))
