"""Uploads against a real `pipeline serve`: what concurrent requests are told and what the inbox then holds."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import httpx
import pytest

from tests.conftest import REGISTER_CSV
from tests.portal.conftest import PASSWORDS, Server, serving

ZAOLIN = "枣林街道办事处"
AT_ONCE = 4


def _logged_in(server: Server) -> tuple[httpx.Client, str]:
    """Return a client logged in as 枣林 and the CSRF token its upload form carries."""
    client = httpx.Client(base_url=server.url, timeout=120)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"name": ZAOLIN, "password": PASSWORDS[ZAOLIN], "csrf": token})
    return client, re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


@pytest.mark.slow
def test_uploads_of_one_file_at_once_are_told_and_placed_as_if_one_after_the_other(tmp_path: Path):
    # Each was checked against the inbox before any was placed: all were told 将被接收 and all were placed, the
    # later ones as 项目基本信息（2）.csv…, which the night then recorded as 重复提交.
    with serving(tmp_path / "home") as server:
        sessions = [_logged_in(server) for _ in range(AT_ONCE)]
        ready = threading.Barrier(AT_ONCE)
        pages: list[str] = []

        def send(client: httpx.Client, token: str) -> None:
            ready.wait()
            sent = client.post(
                "/upload",
                data={"csrf": token},
                files=[("files", ("项目基本信息.csv", REGISTER_CSV.encode("utf-8"), "text/csv"))],
            )
            pages.append(sent.text)

        senders = [threading.Thread(target=send, args=session) for session in sessions]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        for client, _ in sessions:
            client.close()

    assert len(pages) == AT_ONCE
    assert sum(page.count("【将被接收】") for page in pages) == 1, [
        re.findall("【.*?】", page) for page in pages
    ]
    assert sum(page.count("【将被视为重复提交】") for page in pages) == AT_ONCE - 1
    assert [p.name for p in (server.home / "inbox" / ZAOLIN).iterdir()] == ["项目基本信息.csv"]
