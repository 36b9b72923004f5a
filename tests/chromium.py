"""Debian's headless Chromium, driven by Playwright, with the network off: how the tests look at a page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # No network: every request that is not the file itself goes to a proxy that is not there.
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
]

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="Debian's chromium is not installed here (.ci/run installs it; `apt-get install chromium`)",
)


@dataclass
class Browsing:
    """A page open in Chromium, with the console errors, page errors and requests seen so far."""

    page: Any
    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def remote_requests(self) -> list[str]:
        """Return the requests for anything but a local file."""
        return [url for url in self.requests if not url.startswith("file:")]


@contextmanager
def browse(width: int = 1100, height: int = 900) -> Iterator[Browsing]:
    """Open a Chromium page with the network off: a request for anything but a file is refused."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.route(
                "**/*",
                lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
            )
            seen = Browsing(context.new_page())
            seen.page.on("request", lambda r: seen.requests.append(r.url))
            seen.page.on("console", lambda m: seen.problems.append(m.text) if m.type == "error" else None)
            seen.page.on("pageerror", lambda e: seen.problems.append(str(e)))
            yield seen
        finally:
            browser.close()
