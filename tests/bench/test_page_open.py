from __future__ import annotations

from pathlib import Path

import pytest

from bench.page_open import page_open
from tests import chromium
from tests.chromium import needs_chromium


@pytest.mark.browser
@needs_chromium
def test_a_page_is_opened_in_chromium_once_a_run_and_timed_to_its_load_event(tmp_path):
    page = tmp_path / "报告.html"
    page.write_text("<!doctype html><title>报告</title><p>2021年度</p>" * 50, encoding="utf-8")

    opened = page_open(page, runs=3)

    assert opened["bytes"] == page.stat().st_size
    assert len(opened["runs_s"]) == 3 and all(s > 0 for s in opened["runs_s"])
    assert opened["load_s"] == sorted(opened["runs_s"])[1]


def test_a_machine_without_chromium_says_why_the_page_was_not_timed(tmp_path, monkeypatch):
    monkeypatch.setattr(chromium, "CHROMIUM", Path(tmp_path / "no-chromium"))

    opened = page_open(tmp_path / "报告.html")

    assert opened == {
        "skipped": f"{tmp_path / 'no-chromium'} is not installed (`apt-get install chromium`; .ci/run installs it)"
    }
