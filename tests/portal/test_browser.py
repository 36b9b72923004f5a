"""Acceptance of the submission portal: Debian's Chromium, driven by Playwright, against a real `pipeline serve`."""

from __future__ import annotations

import json
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from pipeline.limits import MIB
from pipeline.portal.config import PortalConfig
from pipeline.portal.uploads import ENVELOPE_BYTES
from pipeline.receipt_facts import STATUS_ZH
from tests.conftest import REGISTER_CSV
from tests.pipeline.workbooks import compound_sheet, xlsx
from tests.portal.conftest import ADMIN, ADMIN_PASSWORD, MAX_FILE_BYTES, PASSWORDS, Server

pytestmark = pytest.mark.browser

ZAOLIN, ZHUJIAN, GUANWEI = PASSWORDS
ROW9 = "第9行「惠及户数（户）」填写为“约200”，应为不小于0的整数，请填写确切的惠及户数。"
HOSTILE = '<img src=x onerror="window.pwned=1">'
LIMIT_MB = f"{MAX_FILE_BYTES / MIB:.1f} MB"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bad_list() -> bytes:
    """A compound list whose sixth compound (Excel row 9) has 约200 households, and row 8 a hostile value."""
    rows = [[n, f"小区{n}", "1", "100", "10"] for n in range(1, 5)]
    rows += [[5, "小区5", "1", HOSTILE, "10"], [6, "宏兴小区", "1.7", "约200", "6"]]
    return xlsx({"清单": compound_sheet(*rows)})


BAD_LIST = bad_list()  # built once: a workbook's bytes carry the time it was written


@pytest.fixture
def page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    yield context.new_page()
    context.close()


def log_in(page: Page, server: Server, name: str, password: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill('input[name="name"]', name)
    page.fill('input[name="password"]', password)
    page.click('button:has-text("登录")')


def upload(page: Page, name: str, content: bytes, mime: str = XLSX) -> None:
    page.set_input_files('input[type="file"]', files=[{"name": name, "mimeType": mime, "buffer": content}])
    page.click('button:has-text("上传并检查")')


@pytest.fixture(scope="package")
def placed(server: Server, browser: Browser) -> Path:
    """Upload a good file (the project register) as 枣林 through the page; return where the inbox has it."""
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server, ZAOLIN, PASSWORDS[ZAOLIN])
    upload(page, "项目基本信息.csv", REGISTER_CSV.encode("utf-8"), "text/csv")
    expect(page.get_by_text("【将被接收】项目基本信息.csv")).to_be_visible()
    expect(page.locator(".placed")).to_contain_text("已放入本单位收件箱")
    context.close()
    return server.home / "inbox" / ZAOLIN / "项目基本信息.csv"


@dataclass
class Sent:
    """What the clerk saw uploading the 约200 list, then choosing 仍然提交."""

    seconds: float  # from pressing 上传并检查 to the row-9 message on the page
    page_text: str
    hostile_ran: object
    images: int
    placed_before: bool
    placed_after: bytes | None
    placed_text: str  # what the page said of the file once sent with 仍然提交
    console_errors: list[str]


@pytest.fixture(scope="package")
def forced(server: Server, browser: Browser) -> Sent:
    """Upload the 约200 list as 枣林 on a warm server and time its receipt; then send it with 仍然提交."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []  # a style or script the page's own Content-Security-Policy blocked would show here
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, server, ZAOLIN, PASSWORDS[ZAOLIN])
    expect(page.get_by_role("heading", name="上传报表")).to_be_visible()
    page.set_input_files(
        'input[type="file"]', files=[{"name": "小区清单.xlsx", "mimeType": XLSX, "buffer": BAD_LIST}]
    )
    started = time.monotonic()
    page.click('button:has-text("上传并检查")')
    page.get_by_text(ROW9).wait_for(timeout=30_000)
    seconds = time.monotonic() - started
    inbox = server.home / "inbox" / ZAOLIN / "小区清单.xlsx"
    seen = dict(
        page_text=page.locator("main").inner_text(),
        hostile_ran=page.evaluate("window.pwned"),
        images=page.locator("main img").count(),
        placed_before=inbox.exists(),
    )
    page.click('button:has-text("仍然提交")')
    page.locator(".placed").wait_for()
    placed_text = page.locator(".placed").inner_text()
    context.close()
    return Sent(
        seconds,
        **seen,
        placed_after=inbox.read_bytes() if inbox.exists() else None,
        placed_text=placed_text,
        console_errors=errors,
    )


def test_a_row_9_problem_is_on_the_page_within_5_seconds(forced: Sent):
    assert forced.seconds < 5
    assert "【将被退回】小区清单.xlsx" in forced.page_text
    assert forced.console_errors == []


def test_what_the_file_says_is_shown_as_text_never_run(forced: Sent):
    assert HOSTILE in forced.page_text  # the hostile cell, literally
    assert forced.hostile_ran is None and forced.images == 0


def test_a_rejected_file_is_sent_only_with_submit_anyway(forced: Sent):
    assert not forced.placed_before
    assert forced.placed_after == BAD_LIST


def test_a_file_sent_with_submit_anyway_is_told_the_night_returns_it(forced: Sent):
    # It was told 将在今晚的运行中正式接收 under its 【将被退回】 heading: the night rejects it, as the hint said.
    assert "正式接收" not in forced.placed_text
    assert (
        f"已放入本单位收件箱（{ZAOLIN}/小区清单.xlsx），今晚的运行将以同样的回执退回并存档"
        in forced.placed_text
    )


def test_a_good_file_lands_in_the_offices_inbox_whole(server: Server, placed: Path):
    assert placed.read_bytes() == REGISTER_CSV.encode("utf-8")
    # Written beside it and renamed into place: nothing half-written is left for the night to find.
    assert [p.name for p in placed.parent.iterdir() if p.name.startswith(".")] == []


@pytest.fixture(scope="package")
def night(server: Server, placed: Path, forced: Sent) -> str:
    """Run the nightly job once (settle window 0) after the uploads; return what it printed."""
    return server.pipeline("--quiet", "run").stdout


def test_after_the_night_the_history_shows_the_file_accepted(page: Page, server: Server, night: str):
    assert f"[{STATUS_ZH['accepted']}] {ZAOLIN}/项目基本信息.csv" in night
    log_in(page, server, ZAOLIN, PASSWORDS[ZAOLIN])
    row = page.locator("table.history tr", has_text="项目基本信息.csv")
    expect(row.locator("td.status")).to_have_text(STATUS_ZH["accepted"])
    # Sent with 仍然提交: the night rejects it with the same receipt.
    forced = page.locator("table.history tr", has_text="小区清单.xlsx")
    expect(forced.locator("td.status")).to_have_text(STATUS_ZH["rejected"])
    forced.get_by_role("link", name="查看").click()
    expect(page.get_by_text(ROW9)).to_be_visible()

    page.context.clear_cookies()
    log_in(page, server, ADMIN, ADMIN_PASSWORD)
    expect(page.locator("p.run")).to_contain_text("最近一次运行")
    expect(page.locator("table.units")).to_contain_text(ZAOLIN)


def test_the_admin_page_lists_a_report_gone_stale_as_pipeline_status_does(
    page: Page, server: Server, night: str
):
    from pipeline.report import PUBLISHED_DATA

    # The night published 2022; its recorded fingerprint made another's, as if the data had moved on since.
    published = server.home / PUBLISHED_DATA
    kept = published.read_text(encoding="utf-8")
    recorded = json.loads(kept)
    recorded["2022"]["read"] = "0" * 64
    published.write_text(json.dumps(recorded), encoding="utf-8")
    try:
        printed = [line.strip() for line in server.pipeline("status").stdout.splitlines()]
        log_in(page, server, ADMIN, ADMIN_PASSWORD)
        shown = page.locator(".stale-reports").inner_text()
    finally:
        published.write_text(kept, encoding="utf-8")

    assert "2022年度：pipeline report --year 2022" in printed
    at = next(n for n, line in enumerate(printed) if line.startswith("已发布的年度报告中有"))
    assert [line.strip() for line in shown.splitlines() if line.strip()] == printed[at : at + 2]


def test_another_office_gets_404_on_the_first_offices_receipts(page: Page, server: Server, night: str):
    log_in(page, server, ZAOLIN, PASSWORDS[ZAOLIN])
    link = page.locator("table.history tr", has_text="项目基本信息.csv").get_by_role("link", name="查看")
    receipt = link.get_attribute("href")
    assert page.goto(receipt).status == 200

    page.context.clear_cookies()
    # 区住房和城乡建设局 may even send for 枣林 (代报); 枣林's own receipts are still not its to read.
    log_in(page, server, ZHUJIAN, PASSWORDS[ZHUJIAN])
    expect(page.get_by_role("heading", name="报送记录")).to_be_visible()
    assert "项目基本信息.csv" not in page.content()
    number = re.search(r"/receipts/(\d+)", receipt).group(1)
    for guess in (
        receipt,
        f"{receipt}/download",
        f"{server.url}/receipts/{number}%2F..%2F..%2F{number}",
        f"{server.url}/templates/..%2F..%2F..%2Fetc%2Fpasswd",
        f"{server.url}/static/..%2F..%2Fstore.py",
    ):
        status = page.goto(guess).status
        assert status in (403, 404), (guess, status)
        assert "项目基本信息" not in page.content()


def test_a_form_post_without_the_csrf_token_is_refused(page: Page, server: Server):
    log_in(page, server, ZAOLIN, PASSWORDS[ZAOLIN])
    expect(page.get_by_role("heading", name="上传报表")).to_be_visible()
    file = {"name": "无令牌.csv", "mimeType": "text/csv", "buffer": REGISTER_CSV.encode("utf-8")}
    for fields in ({"files": file}, {"csrf": "forged", "files": file}):
        response = page.request.post(f"{server.url}/upload", multipart=fields, max_redirects=0)
        assert response.status == 403
        assert "缺少校验码" in response.text()
    assert page.request.post(f"{server.url}/logout", form={}, max_redirects=0).status == 403
    assert not (server.home / "inbox" / ZAOLIN / "无令牌.csv").exists()
    page.reload()
    expect(page.get_by_role("heading", name="上传报表")).to_be_visible()  # still logged in


def test_an_oversized_upload_is_refused_before_it_is_fully_read(page: Page, server: Server, browser: Browser):
    log_in(page, server, ZAOLIN, PASSWORDS[ZAOLIN])
    expect(page.get_by_role("heading", name="上传报表")).to_be_visible()
    # In the page: the form says so before sending a byte.
    upload(page, "大文件.xlsx", b"x" * (MAX_FILE_BYTES + 1))
    expect(page.locator("#upload-refused")).to_contain_text(f"超过{LIMIT_MB}的处理上限")

    # Without the page's script the browser sends it all; the server answers 413 as soon as the limit is passed.
    plain = browser.new_context(java_script_enabled=False)
    bare = plain.new_page()
    log_in(bare, server, ZAOLIN, PASSWORDS[ZAOLIN])
    with bare.expect_response(lambda r: r.url.endswith("/upload")) as sent:
        upload(bare, "大文件.xlsx", b"x" * (3 * MAX_FILE_BYTES))
    assert sent.value.status == 413
    expect(bare.locator("p.refused")).to_contain_text(f"超过{LIMIT_MB}的处理上限，已停止接收，未作检查")
    plain.close()

    cookie = {c["name"]: c["value"] for c in page.context.cookies()}["portal_session"]
    csrf = page.locator('#upload input[name="csrf"]').get_attribute("value")
    boundary = "----portaltest"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="大文件.xlsx"\r\n'
        f"Content-Type: {XLSX}\r\n\r\n"
    ).encode()
    # A body declared at four times the file limit (within what a many-file upload may declare), of which
    # only the head and one byte past the limit are ever sent: the answer must come without the rest.
    declared = len(head) + 4 * MAX_FILE_BYTES
    assert declared < PortalConfig().max_files * MAX_FILE_BYTES + ENVELOPE_BYTES
    request = (
        f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nCookie: portal_session={cookie}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {declared}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(request + head + b"x" * (MAX_FILE_BYTES + 1))
        answer = _read_response(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert "已停止接收" in answer.decode("utf-8", "replace")
    assert not (server.home / "inbox" / ZAOLIN / "大文件.xlsx").exists()

    # Declared larger than any upload within the limits: refused before a byte of the body is read.
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(request.replace(f"Content-Length: {declared}".encode(), b"Content-Length: 10000000000"))
        assert _read_response(sock).startswith(b"HTTP/1.1 413")


def _read_response(sock: socket.socket) -> bytes:
    """Read an HTTP response until the server closes the connection or the body it declared is in."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"content-length: (\d+)", head, re.I)
        if length and len(body) >= int(length.group(1)):
            break
    return data


def test_five_wrong_passwords_are_throttled(page: Page, server: Server):
    failures = PortalConfig().login_failures
    for _ in range(failures):
        log_in(page, server, GUANWEI, "not-the-password")
        expect(page.get_by_role("alert")).to_have_text("账号或密码不正确。")
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as sent:
        log_in(page, server, GUANWEI, PASSWORDS[GUANWEI])  # even the right password now waits
    assert sent.value.status == 429
    expect(page.get_by_role("alert")).to_contain_text("登录失败次数过多")
    assert "portal_session" not in {c["name"] for c in page.context.cookies()}
