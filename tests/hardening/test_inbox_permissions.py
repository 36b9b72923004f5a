"""Folders closed to the service account: one folder is one entry's outcome, a closed inbox a broken data root.

Run as the pipeline's own (non-root) account would be: as root, through setpriv without the capabilities that let
root read any folder, as the QA repro did; otherwise as is."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REGISTER_CSV
from tests.pipeline.test_intake import COMPOUNDS_V1

PIPELINE = Path(sys.executable).with_name("pipeline")
WITHOUT_OVERRIDE = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]

pytestmark = pytest.mark.skipif(
    os.geteuid() == 0 and shutil.which("setpriv") is None, reason="root reads every folder, and no setpriv"
)


def unprivileged(home: Path, *args: str) -> tuple[int, str]:
    """Run `pipeline` on `home` as an account bound by folder permissions; return its exit status and output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    env |= {"PIPELINE_HOME": str(home), "PIPELINE_SETTLE_SECONDS": "0", "GX_ANALYTICS_ENABLED": "False"}
    prefix = WITHOUT_OVERRIDE if os.geteuid() == 0 else []
    done = subprocess.run(
        [*prefix, str(PIPELINE), "--quiet", *args], env=env, capture_output=True, text=True, timeout=600
    )
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    assert subprocess.run([str(PIPELINE), "--home", str(home), "init"], capture_output=True).returncode == 0
    office = home / "inbox" / "枣林街道办事处"
    office.mkdir()
    (office / "项目基本信息.csv").write_text(REGISTER_CSV, encoding="utf-8")
    return home


@pytest.mark.slow
def test_a_folder_that_lists_but_cannot_be_entered_is_skipped_and_the_files_beside_it_are_taken_in(home):
    closed = home / "inbox" / "枣林街道办事处" / "旧文件"
    closed.mkdir()
    (closed / "清单.csv").write_text(COMPOUNDS_V1, encoding="utf-8")
    closed.chmod(0o644)  # r--: its names can be listed, none of its entries reached (it stopped the night)
    try:
        status, output = unprivileged(home, "ingest")
    finally:
        closed.chmod(0o755)

    assert status == 0, output
    assert "[已接收] 枣林街道办事处/项目基本信息.csv" in output
    assert "[未接收] 枣林街道办事处/旧文件：没有进入或列出该文件夹的权限" in output
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select inbox_path, kind from ops.inbox_skips").fetchall() == [
            ("枣林街道办事处/旧文件", "folder_closed")
        ]


def test_an_inbox_that_cannot_be_read_fails_the_night_naming_it(home):
    inbox = home / "inbox"
    inbox.chmod(0)
    try:
        status, output = unprivileged(home, "ingest")
    finally:
        inbox.chmod(0o755)

    assert status == 1, output  # it was 0 with "新文件 0 个"
    assert f"收件箱无法读取（没有权限）：{inbox}" in output
    assert "Traceback" not in output
