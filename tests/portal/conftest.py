"""A real `pipeline serve` on 127.0.0.1 and a free port, over a data root of its own, with office accounts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.processes import free_ports
from pipeline.cli import main
from pipeline.limits import MIB
from pipeline.portal.users import add_account
from pipeline.registry import load_registry
from pipeline.settings import Settings

# Small, so the oversized-upload test sends megabytes, not the default's fifty.
MAX_FILE_BYTES = MIB
PASSWORDS = {
    "枣林街道办事处": "zaolin-Passw0rd",
    "区住房和城乡建设局": "zhujian-Passw0rd",
    "南阳市城乡一体化示范区管理委员会": "guanwei-Passw0rd",
}
ADMIN, ADMIN_PASSWORD = "caizheng-admin", "admin-Passw0rd!"


@dataclass(frozen=True)
class Server:
    url: str
    port: int
    home: Path
    env: dict[str, str]

    def pipeline(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """Run the `pipeline` command line on the server's data root, as the lead would from a shell."""
        return subprocess.run(
            [sys.executable, "-m", "pipeline.cli", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )


def _wait_for(port: int, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pipeline serve exited with {process.returncode}:\n{log.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"pipeline serve did not listen within {seconds} s:\n{log.read_text()}")


@pytest.fixture(scope="package")
def server(tmp_path_factory) -> Iterator[Server]:
    """A real `pipeline serve` shared by the package's browser tests."""
    with serving(tmp_path_factory.mktemp("portal") / "home") as running:
        yield running


@contextmanager
def serving(home: Path) -> Iterator[Server]:
    """Start `pipeline serve` (it listens only once warm) and stop exactly that process afterwards."""
    port = free_ports(["portal"])["portal"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    env |= {
        "PIPELINE_HOME": str(home),
        "PIPELINE_PORTAL_ALLOW_HTTP": "1",  # plain http, allowed only because it listens on 127.0.0.1
        "PIPELINE_PORTAL_PORT": str(port),
        "PIPELINE_MAX_FILE_BYTES": str(MAX_FILE_BYTES),
        "PIPELINE_SETTLE_SECONDS": "0",
        "PIPELINE_WORKERS": "1",
        "GX_ANALYTICS_ENABLED": "False",
    }
    running = Server(f"http://127.0.0.1:{port}", port, home, env)
    assert main(["--quiet", "--home", str(home), "init"]) == 0
    log = home / "serve.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "serve"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        # Accounts are made while it warms up: it reads them at each login.
        first, *others = PASSWORDS
        running.pipeline("users", "add", first, "--password-stdin", stdin=PASSWORDS[first] + "\n")
        # The rest in-process: the same code without a command line's start-up each.
        settings, offices = Settings.from_env(home), load_registry().offices
        for office in others:
            add_account(settings, offices, office, PASSWORDS[office])
        add_account(settings, offices, ADMIN, ADMIN_PASSWORD, admin=True)
        _wait_for(port, process, log)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="package")
def browser():
    """Debian's own Chromium (/usr/bin/chromium) under Playwright: no browser is downloaded."""
    from playwright.sync_api import sync_playwright

    from tests.chromium import CHROMIUM, FLAGS

    # The portal is on 127.0.0.1: keep Chromium's flags but not the proxy that turns the network off.
    flags = [flag for flag in FLAGS if not flag.startswith("--proxy-")]

    if not CHROMIUM.exists() and not os.environ.get("CI"):
        pytest.skip(
            "Debian's chromium is not installed here (.ci/run installs it; `apt-get install chromium`)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=flags)
        yield launched
        launched.close()
