"""The portal in-process (no browser): names kept inside the inbox, accounts, cookies, 仍然提交, roles."""

from __future__ import annotations

import dataclasses
import io
import re
import warnings
from urllib.parse import quote

import pytest

from pipeline.cli import main
from pipeline.file_names import not_sent
from pipeline.portal.app import create_app
from pipeline.portal.config import PortalConfig
from pipeline.portal.sessions import record_failure, throttled_for
from pipeline.portal.uploads import (
    client_name,
    inbox_name,
    keep_pending,
    place_in_inbox,
    sent_name,
    take_pending,
)
from pipeline.portal.users import AccountError, add_account
from tests.conftest import REGISTER_CSV

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette asks for httpx2, which is not in the lock
    from fastapi.testclient import TestClient

ZAOLIN, ZHUJIAN = "枣林街道办事处", "区住房和城乡建设局"
PASSWORD = "right-Passw0rd"


def client_for(settings, registry, config: PortalConfig) -> TestClient:
    scheme = "http" if config.allow_http else "https"
    return TestClient(create_app(settings, registry, config, warm=False), base_url=f"{scheme}://127.0.0.1")


@pytest.fixture
def accounts(settings, registry):
    for office in (ZAOLIN, ZHUJIAN):
        add_account(settings, registry.offices, office, PASSWORD)
    add_account(settings, registry.offices, "boss", PASSWORD, admin=True)


@pytest.fixture
def client(settings, registry, accounts):
    with client_for(settings, registry, PortalConfig(allow_http=True)) as client:
        yield client


def log_in(client: TestClient, name: str, password: str = PASSWORD):
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post(
        "/login", data={"name": name, "password": password, "csrf": token}, follow_redirects=False
    )


def csrf_of(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


@pytest.mark.parametrize(
    "sent",
    [
        "../../etc/passwd",
        "..\\..\\boot.ini",
        "/abs/清单.xlsx",
        ".hidden.xlsx",
        "~$清单.xlsx",
        "a\x00b:c.csv",
        "..",
        "",
        "desktop.ini",
        "Thumbs.db",
    ],
)
def test_no_uploaded_name_escapes_the_offices_inbox_folder_or_hides_from_the_night(settings, sent):
    placed = place_in_inbox(settings, ZAOLIN, inbox_name(client_name(sent)), b"bytes")

    folder, name = placed.split("/")
    assert folder == ZAOLIN
    assert not not_sent(name) and name not in ("", "..")
    assert (settings.inbox / placed).resolve().parent == (settings.inbox / ZAOLIN).resolve()
    assert (settings.inbox / placed).read_bytes() == b"bytes"


def test_a_name_too_long_is_shortened_in_its_stem_and_keeps_its_extension():
    # The night tells a workbook from a CSV by its extension: cut off, a correct file was checked as no spreadsheet.
    name = inbox_name("枣林街道办事处关于" + "老旧小区改造" * 20 + "的报表.XLSX")
    assert name.endswith(".XLSX") and len(name.encode("utf-8")) <= 255
    assert inbox_name("报表.2022年12月最终版（修改后）") == "报表.2022年12月最终版（修改后）"


@pytest.mark.parametrize("sent", [".xlsx", ".CSV"])
def test_a_name_that_is_only_an_extension_keeps_it(sent):
    # Found uploading a register named ".csv": it was placed as "csv" and told it is not a spreadsheet.
    assert inbox_name(sent) == "未命名文件" + sent


def test_a_file_name_sent_in_gbk_is_read_as_the_night_reads_one(settings, client):
    log_in(client, ZAOLIN)
    boundary = "gbk"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf_of(client)}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="'.encode()
        + "满意度调查.csv".encode("gbk")
        + f'"\r\n\r\n{REGISTER_CSV}\r\n--{boundary}--\r\n'.encode()
    )
    client.post(
        "/upload", content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert [p.name for p in (settings.inbox / ZAOLIN).iterdir()] == ["满意度调查.csv"]


@pytest.mark.parametrize(
    ("sent", "placed"),
    [
        ("清单_(副本)".encode() + "东".encode("gbk") + b".csv", "清单_(副本)_xb6_xab.csv"),
        (b"C:\\\xb1\xa8\xb1\xed\\\xff.csv", "_xff.csv"),
        ("报表\\满意度调查.csv".encode("gbk"), "满意度调查.csv"),
    ],
    ids=["utf8-with-a-gbk-byte-pair", "windows-path-of-bytes-not-text", "gbk-windows-path"],
)
def test_a_sent_name_of_bytes_not_text_keeps_its_own_name_not_the_part_after_an_escapes_backslash(
    sent, placed
):
    # Shown escaped (清单_(副本)\xb6\xab.csv), the name was cut at the escapes' backslashes and placed as xab.csv.
    assert inbox_name(sent_name(sent)) == placed


def test_placing_never_replaces_a_file_and_leaves_nothing_half_written(settings):
    first = place_in_inbox(settings, ZAOLIN, "清单.xlsx", b"first")
    second = place_in_inbox(settings, ZAOLIN, "清单.xlsx", b"second")

    assert (first, second) == (f"{ZAOLIN}/清单.xlsx", f"{ZAOLIN}/清单（2）.xlsx")
    assert (settings.inbox / first).read_bytes() == b"first"
    assert sorted(p.name for p in (settings.inbox / ZAOLIN).iterdir()) == ["清单.xlsx", "清单（2）.xlsx"]


def test_two_files_of_one_name_in_one_upload_are_each_told_which_they_are_and_where_placed(settings, client):
    # Both were headed a.csv, the second placed as a（2）.csv: which receipt was which, the clerk could not tell.
    log_in(client, ZAOLIN)
    other = (REGISTER_CSV + "2,乙项目,老旧小区改造,枣林街道办事处,1\n").encode()
    files = [
        ("files", ("a.csv", REGISTER_CSV.encode(), "text/csv")),
        ("files", ("b.csv", REGISTER_CSV.encode(), "text/csv")),
        ("files", ("a.csv", other, "text/csv")),
    ]
    page = client.post("/upload", data={"csrf": csrf_of(client)}, files=files).text

    first, second = page.index("这是其中第1个"), page.index("这是其中第2个")
    assert "本次上传中有2个名为“a.csv”的文件" in page and "名为“b.csv”" not in page
    assert first < page.index("b.csv") < second
    # Checked beside the first a.csv, placed before it, under the name it is placed at.
    assert page.index("b.csv") < page.index("【将被接收】a（2）.csv") < second
    assert f"已放入本单位收件箱（{ZAOLIN}/a（2）.csv）" in page
    # b.csv repeats the first a.csv byte for byte: held back, as a duplicate is.
    assert sorted(p.name for p in (settings.inbox / ZAOLIN).iterdir()) == ["a.csv", "a（2）.csv"]


def test_a_copy_sent_twice_under_one_name_in_one_upload_is_held_back_as_the_duplicate(settings, client):
    # Both were told 将被接收 and placed, the second as a（2）.csv, which the night then recorded as 重复提交.
    log_in(client, ZAOLIN)
    files = [("files", ("a.csv", REGISTER_CSV.encode(), "text/csv"))] * 2

    page = client.post("/upload", data={"csrf": csrf_of(client)}, files=files).text

    assert page.count("【将被接收】") == 1 and "【将被视为重复提交】a（2）.csv" in page
    assert "与本次同时报送的“a.csv”内容完全相同" in page
    assert sorted(p.name for p in (settings.inbox / ZAOLIN).iterdir()) == ["a.csv"]


def test_an_upload_named_with_a_path_lands_in_the_senders_folder_only(settings, client):
    log_in(client, ZAOLIN)
    sent = client.post(
        "/upload",
        data={"csrf": csrf_of(client)},
        files=[("files", ("../../../项目基本信息.csv", REGISTER_CSV.encode("utf-8"), "text/csv"))],
    )

    assert sent.status_code == 200 and "【将被接收】项目基本信息.csv" in sent.text
    assert [p.relative_to(settings.home).as_posix() for p in settings.home.rglob("*.csv")] == [
        f"inbox/{ZAOLIN}/项目基本信息.csv"
    ]


def test_a_kept_file_taken_while_another_upload_sweeps_the_old_ones_is_no_error(settings):
    # Another clerk's 仍然提交 can take a kept file between the sweep's listing and its look at the file's age:
    # a link to nothing stands for it, and the upload was a 500 and its file not kept.
    kept = keep_pending(settings, ZAOLIN, "坏.xlsx", b"bad")
    (settings.home / "portal" / "pending" / "gone.json").symlink_to("nowhere")

    other = keep_pending(settings, ZHUJIAN, "b.xlsx", b"b")  # its sweep lists the link and finds nothing

    assert take_pending(settings, ZHUJIAN, other) == ("b.xlsx", b"b")
    assert take_pending(settings, ZAOLIN, kept) == ("坏.xlsx", b"bad")


def test_the_session_cookie_is_secure_httponly_and_samesite_unless_plain_http_is_allowed(
    settings, registry, accounts
):
    with client_for(settings, registry, PortalConfig()) as client:
        cookie = log_in(client, ZAOLIN).headers["set-cookie"]
        token = client.cookies["__Host-portal_session"]
        ended = client.post("/logout", data={"csrf": csrf_of(client)}, follow_redirects=False)
        assert ended.status_code == 303
        dropped = ended.headers["set-cookie"]
        assert dropped.startswith("__Host-portal_session=") and "Max-Age=0" in dropped and "Secure" in dropped
        client.cookies.set("__Host-portal_session", token)  # replayed after logout: ended on the server too
        assert client.get("/", follow_redirects=False).status_code == 303
    assert cookie.startswith("__Host-portal_session=")
    assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"))
    with pytest.raises(
        ValueError, match="^PIPELINE_PORTAL_ALLOW_HTTP 只能用于监听 127.0.0.1 的门户.*'0.0.0.0'"
    ):
        PortalConfig(host="0.0.0.0", allow_http=True)


@pytest.mark.parametrize("port", [65536, 99999, -1])
def test_a_port_no_socket_can_take_is_refused_by_name(port):
    # The socket takes a port modulo 65536: 99999 listened on 34463 while the portal said 127.0.0.1:99999.
    with pytest.raises(
        ValueError, match=f"^PIPELINE_PORTAL_PORT（或 --port）的值 {port} 不是可用的端口：请写 1 到 65535"
    ):
        PortalConfig(port=port)


def test_a_rejected_file_kept_for_submit_anyway_is_only_its_senders(settings):
    kept = keep_pending(settings, ZAOLIN, "坏.xlsx", b"bad")

    assert take_pending(settings, ZHUJIAN, kept) is None
    assert take_pending(settings, ZAOLIN, "../../portal.sqlite3") is None
    assert take_pending(settings, ZAOLIN, kept) == ("坏.xlsx", b"bad")
    assert take_pending(settings, ZAOLIN, kept) is None  # taken once


def test_offices_and_administrators_each_reach_only_their_pages(client):
    log_in(client, ZAOLIN)
    assert client.get("/admin").status_code == 403
    client.cookies.clear()
    log_in(client, "boss")
    assert client.get("/", follow_redirects=False).headers["location"].endswith("/admin")
    refused = client.post("/upload", data={"csrf": csrf_of(client)}, files=[("files", ("a.csv", b"x"))])
    assert refused.status_code == 403


@pytest.mark.slow
def test_the_admin_page_lists_the_reports_gone_stale_as_pipeline_status_does(
    client, settings, register, capsys
):
    from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2, drop

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    assert main(["--quiet", "run"]) == 0  # publishes 2022
    log_in(client, "boss")
    assert "已过时的年度报告" not in client.get("/admin").text
    drop(settings, "枣林街道办事处/项目基本信息2023.csv", REGISTER_CSV.replace("2022", "2023"))
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V2)  # 2022's list corrected while 2023 is reported
    assert main(["--quiet", "run"]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    printed = [line.strip() for line in capsys.readouterr().out.splitlines()]
    stale = printed[printed.index(next(line for line in printed if "已发布的年度报告中有" in line)) :][:2]

    page = client.get("/admin").text

    assert stale[1] == "2022年度：pipeline report --year 2022"
    assert f"<p>{stale[0]}</p>" in page and f"<li>{stale[1]}</li>" in page


def test_users_add_reset_disable_from_the_command_line(settings, registry, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("first-Passw0rd\n"))
    assert main(["users", "add", "zaolin", "--password-stdin"]) == 0  # an alias names the office
    assert f"已新建单位账号（{ZAOLIN}）：{ZAOLIN}" in capsys.readouterr().out
    assert main(["users", "add", ZAOLIN]) == 1
    assert "已存在" in capsys.readouterr().err
    with pytest.raises(AccountError, match="不是 registry/offices.yaml 中登记的单位"):
        add_account(settings, registry.offices, "不存在的单位", PASSWORD)

    with client_for(settings, registry, PortalConfig(allow_http=True)) as client:
        assert log_in(client, "zaolin", "first-Passw0rd").status_code == 303
        assert client.get("/", follow_redirects=False).status_code == 200

        assert main(["users", "reset", ZAOLIN]) == 0
        made = re.search(r"初始密码.*：(\S+)", capsys.readouterr().out).group(1)
        assert client.get("/", follow_redirects=False).status_code == 303  # its sessions ended
        assert log_in(client, ZAOLIN, "first-Passw0rd").status_code == 401
        assert log_in(client, ZAOLIN, made).status_code == 303

        assert main(["users", "disable", ZAOLIN]) == 0
        assert client.get("/", follow_redirects=False).status_code == 303
        assert log_in(client, ZAOLIN, made).status_code == 401


def test_users_reset_and_disable_take_an_office_alias_as_add_and_the_login_do(settings, registry, capsys):
    # `users add zjj` made the account 区住房和城乡建设局; `users reset zjj` said there was no account "zjj" and to
    # create it with `users add`, which then said it existed.
    assert main(["users", "add", "zjj"]) == 0
    capsys.readouterr()

    assert main(["users", "reset", "zjj"]) == 0
    assert f"已重设账号“{ZHUJIAN}”的密码" in capsys.readouterr().out
    assert main(["users", "disable", "区住建局"]) == 0
    assert f"已停用账号“{ZHUJIAN}”" in capsys.readouterr().out
    assert main(["users", "reset", "nobody"]) == 1
    assert "没有账号“nobody”" in capsys.readouterr().err


def test_throttling_counts_by_account_and_by_address(settings):
    config = PortalConfig()
    for _ in range(config.login_failures - 1):
        record_failure(settings, ZAOLIN, "10.0.0.1")
    assert throttled_for(settings, config, ZAOLIN, "10.0.0.2") == 0
    record_failure(settings, ZAOLIN, "10.0.0.1")
    assert 0 < throttled_for(settings, config, ZAOLIN, "10.0.0.2") <= config.lockout_minutes * 60
    assert throttled_for(settings, config, ZHUJIAN, "10.0.0.2") == 0


@pytest.mark.slow  # 5 s or more on two cores
def test_an_offices_file_sent_through_the_inbox_root_is_in_its_history(settings, registry, register, client):
    # The night took it as 枣林's (its 填报单位 line decides at the root) and wrote its receipt to 枣林's folder,
    # but the portal showed it to no one but administrators.
    from pipeline.intake import ingest
    from tests.pipeline.test_intake import COMPOUNDS_V1, drop

    drop(settings, "共享.csv", COMPOUNDS_V1)
    ingest(settings, registry, progress=False)

    log_in(client, ZAOLIN)
    [number] = map(
        int, re.findall(r'data-submission="(\d+)">\s*<td>\d+</td>\s*<td>共享\.csv', client.get("/").text)
    )
    assert client.get(f"/receipts/{number}").status_code == 200
    client.cookies.clear()
    log_in(client, ZHUJIAN)
    assert "共享.csv" not in client.get("/").text
    assert client.get(f"/receipts/{number}").status_code == 404


def test_a_copy_of_a_file_in_the_offices_own_alias_folder_is_told_its_name(
    settings, registry, register, client
):
    # zaolin is 枣林's alias folder: its files are 枣林's own, yet a copy uploaded was told of 另一份文件, and after the
    # night of 此前已接收的一份提交, with no 与第N号提交相同 in the history, as if another office had sent it.
    from pipeline.intake import ingest
    from tests.pipeline.test_intake import COMPOUNDS_V1, drop

    drop(settings, "zaolin/清单.csv", COMPOUNDS_V1)
    log_in(client, ZAOLIN)

    def upload(name: str) -> str:
        files = [("files", (name, COMPOUNDS_V1.encode("utf-8"), "text/csv"))]
        return client.post("/upload", data={"csrf": csrf_of(client)}, files=files).text

    assert "与收件箱中等待今晚接收的“清单.csv”内容完全相同" in upload("再发.csv")
    ingest(settings, registry, progress=False)
    drop(settings, f"{ZAOLIN}/次日再发.csv", COMPOUNDS_V1)
    ingest(settings, registry, progress=False)
    page = client.get("/").text
    [number] = map(int, re.findall(r'data-submission="(\d+)">\s*<td>\d+</td>\s*<td>清单\.csv', page))
    assert f"与第{number}号提交相同" in page
    assert f"与第{number}号提交“清单.csv”内容完全相同" in upload("再发.csv")


@pytest.mark.slow  # 5 s or more on two cores: the withdrawal rebuilds the marts
def test_a_withdrawn_files_receipt_page_gives_the_withdrawal_once(settings, registry, register, client):
    # The summary said 撤回说明：…由root撤回，原因：误报, and the 说明 row below it said the same again.
    from tests.pipeline.test_withdraw import submission

    number = submission(settings, "项目基本信息.csv")
    assert main(["--quiet", "withdraw", str(number), "--reason", "数据误报", "--by", "财政局李明"]) == 0
    log_in(client, ZAOLIN)

    page = client.get(f"/receipts/{number}").text

    assert page.count("原因：数据误报") == 1 and "由财政局李明撤回" in page
    assert "<th>说明</th>" not in page


@pytest.mark.slow  # 5 s or more on two cores
def test_a_withdrawn_file_is_not_said_to_be_replaced_by_a_later_one(settings, registry, register, client):
    # Its history read 已撤回 beside 已被第N号提交替代, and the later file 替代了 it.
    from pipeline.intake import ingest
    from pipeline.withdraw import withdraw
    from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2, drop

    drop(settings, f"{ZAOLIN}/清单.csv", COMPOUNDS_V1)
    ingest(settings, registry, progress=False)
    log_in(client, ZAOLIN)
    [withdrawn] = map(
        int, re.findall(r'data-submission="(\d+)">\s*<td>\d+</td>\s*<td>清单\.csv', client.get("/").text)
    )
    withdraw(settings, registry, withdrawn, "误报")
    drop(settings, f"{ZAOLIN}/清单（重报）.csv", COMPOUNDS_V2)
    ingest(settings, registry, progress=False)

    page = client.get("/").text
    assert "替代" not in page
    assert "已撤回" in page


@pytest.mark.slow  # 5 s or more on two cores
def test_the_history_says_which_file_superseded_which_and_shows_no_other_offices_file(
    settings, registry, register, client
):
    from pipeline.intake import ingest
    from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2, drop

    drop(settings, f"{ZAOLIN}/清单.csv", COMPOUNDS_V1)
    ingest(settings, registry, progress=False)
    drop(settings, f"{ZAOLIN}/清单（更正）.csv", COMPOUNDS_V2)
    drop(
        settings,
        f"{ZHUJIAN}/住建.csv",
        COMPOUNDS_V1.replace("填报单位：枣林街道办事处", f"填报单位：{ZHUJIAN}"),
    )
    ingest(settings, registry, progress=False)

    log_in(client, ZAOLIN)
    page = client.get("/").text
    rows = {
        name: re.search(rf'data-submission="(\d+)">\s*<td>\d+</td>\s*<td>{re.escape(name)}', page)
        for name in ("清单.csv", "清单（更正）.csv")
    }
    old, new = (int(found.group(1)) for found in rows.values())
    assert f"已被第{new}号提交替代" in page and f"替代了第{old}号提交" in page
    assert "住建.csv" not in page
    receipt = client.get(f"/receipts/{old}")
    assert receipt.status_code == 200
    # The page is a receipt as the night's is: its fingerprint, and what became of the file (both were missing).
    from pipeline.warehouse import published_reader

    with published_reader(settings.warehouse) as con:
        [(sha256,)] = con.execute(
            "select sha256 from ops.submissions where submission_id = ?", [old]
        ).fetchall()
    assert f"<code>{sha256}</code>" in receipt.text
    assert (
        f"此文件的数据已被同一单位随后报送的更正版本（第{new}号提交“清单（更正）.csv”）替代" in receipt.text
    )
    download = client.get(f"/receipts/{old}/download")
    assert download.status_code == 200 and "已被更正版本替代" in download.text
    assert download.headers["content-disposition"].startswith("attachment;")

    client.cookies.clear()
    log_in(client, ZHUJIAN)
    assert "住建.csv" in client.get("/").text
    assert client.get(f"/receipts/{old}").status_code == 404
    assert client.get(f"/receipts/{old}/download").status_code == 404


@pytest.mark.slow  # 5 s or more on two cores
def test_a_gbk_folder_beside_its_utf8_twin_shows_in_that_offices_history(
    settings, registry, register, client
):
    from pipeline.intake import ingest
    from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2, drop, query
    from tests.pipeline.test_storage import gbk_twin_drop

    drop(settings, "枣林街道/清单.csv", COMPOUNDS_V1, mtime=1)
    gbk_twin_drop(settings, "枣林街道", "清单.csv", COMPOUNDS_V2, gbk_folder=True, mtime=2)
    ingest(settings, registry, progress=False)
    [(twin,)] = query(settings, "select submission_id from ops.submissions where raw_path is not null")

    log_in(client, ZAOLIN)
    page = client.get("/").text

    # Before, the GBK folder named an office of its own: 枣林 saw neither the file nor its receipt.
    assert re.search(rf'data-submission="{twin}">\s*<td>{twin}</td>\s*<td>清单.csv', page)
    receipt = client.get(f"/receipts/{twin}/download")
    assert receipt.status_code == 200 and "已接收" in receipt.text and "枣林街道办事处" in receipt.text


@pytest.mark.slow  # 5 s or more on two cores
def test_a_copy_sent_for_another_office_does_not_show_that_offices_submission(
    settings, registry, register, client
):
    from pipeline.intake import ingest
    from tests.pipeline.test_intake import COMPOUNDS_V1, drop

    drop(settings, f"{ZAOLIN}/枣林的清单.csv", COMPOUNDS_V1, mtime=10**18)
    ingest(settings, registry, progress=False)
    drop(settings, f"{ZHUJIAN}/代报的清单.csv", COMPOUNDS_V1, mtime=2 * 10**18)  # 区住建局 may send for 枣林
    [outcome] = ingest(settings, registry, progress=False).outcomes

    log_in(client, ZHUJIAN)
    page = client.get("/").text

    assert outcome.status == "duplicate"
    assert "代报的清单.csv" in page and "重复提交" in page
    assert "枣林的清单" not in page and not re.search(r"与第\d+号提交相同", page)
    client.cookies.clear()
    log_in(client, ZAOLIN)
    assert "枣林的清单.csv" in client.get("/").text


def test_blank_templates_download_for_a_logged_in_account_only(client, registry):
    from pipeline.templates import file_name

    template = next(iter(registry.templates.values()))
    assert client.get(f"/templates/{template.id}", follow_redirects=False).status_code == 303
    log_in(client, ZAOLIN)
    blank = client.get(f"/templates/{template.id}")
    assert blank.status_code == 200 and blank.content.startswith(b"PK")
    assert quote(file_name(template)) in blank.headers["content-disposition"]
    assert client.get("/templates/..%2F..%2Fregistry").status_code == 404


def test_an_upload_cut_short_is_refused_whole(settings, client):
    log_in(client, ZAOLIN)
    boundary = "cut"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf_of(client)}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.csv"\r\n\r\n'
        f"{REGISTER_CSV}\r\n--{boundary}\r\n"  # no closing boundary: the last part may be cut short
    ).encode()
    sent = client.post(
        "/upload", content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert sent.status_code == 400 and "上传内容不完整" in sent.text
    assert not (settings.inbox / ZAOLIN).exists()


def test_a_running_night_never_blocks_the_portal(settings, registry, register, client):
    import duckdb

    from pipeline.runlock import run_lock
    from pipeline.warehouse import working_copy
    from tests.pipeline.test_intake import COMPOUNDS_V1

    log_in(client, ZAOLIN)
    assert working_copy(settings.warehouse).exists()
    # As mid-night: the run lock held and the writer's copy open read-write, locked by its process.
    with (
        run_lock(settings, wait_seconds=0, purpose="a night in progress"),
        duckdb.connect(str(working_copy(settings.warehouse))),
    ):
        sent = client.post(
            "/upload",
            data={"csrf": csrf_of(client)},
            files=[("files", ("清单.csv", COMPOUNDS_V1.encode("utf-8"), "text/csv"))],
        )
        assert (
            sent.status_code == 200 and "【将被接收】清单.csv" in sent.text
        )  # its project is in the register
        assert "项目基本信息.csv" in client.get("/").text
    assert (settings.inbox / ZAOLIN / "清单.csv").read_bytes() == COMPOUNDS_V1.encode("utf-8")


def test_a_warehouse_held_by_another_session_is_a_chinese_page_to_retry(settings, client, monkeypatch):
    from pipeline.portal.checker import Checker
    from pipeline.warehouse import WarehouseBusy
    from tests.pipeline.test_intake import COMPOUNDS_V1

    # As open_or_busy raises it when a session holds the published version read-write (a real server, with a
    # real lock held by another process, answered `500 Internal Server Error` in English).
    def busy(self, office, files):
        raise WarehouseBusy("warehouse-1.duckdb 正被另一个以读写方式打开它的会话（PID 1）锁定")

    monkeypatch.setattr(Checker, "check", busy)
    log_in(client, ZAOLIN)
    sent = client.post(
        "/upload",
        data={"csrf": csrf_of(client)},
        files=[("files", ("清单.csv", COMPOUNDS_V1.encode("utf-8"), "text/csv"))],
    )
    assert sent.status_code == 503 and "请稍后重新上传" in sent.text and "<html" in sent.text
    assert "PID" not in sent.text  # the operator's detail stays in the log
    assert not (settings.inbox / ZAOLIN).exists()  # told it was not sent, and it was not


def test_an_address_no_page_has_is_the_chinese_not_found_page(client):
    log_in(client, ZAOLIN)
    for address in ("/receipts/abc", "/receipts/999999"):
        page = client.get(address)
        assert page.status_code == 404 and "找不到这个页面" in page.text, address


def test_the_check_reads_an_upload_beside_the_files_already_waiting_in_the_inbox(
    settings, registry, accounts
):
    from tests.pipeline.test_intake import COMPOUNDS_V1, drop

    # The bureau's register placed a minute ago and not yet taken in: the night reads it before the list. The
    # night's settle window (which leaves a file still being copied for later) does not hide it from the check.
    drop(settings, "区财政局/项目基本信息.csv", REGISTER_CSV)
    settled = dataclasses.replace(settings, settle_seconds=120)
    with client_for(settled, registry, PortalConfig(allow_http=True)) as client:
        log_in(client, ZAOLIN)
        sent = client.post(
            "/upload",
            data={"csrf": csrf_of(client)},
            files=[("files", ("清单.csv", COMPOUNDS_V1.encode("utf-8"), "text/csv"))],
        )
        assert "【将被接收】清单.csv" in sent.text

        # The same bytes again before the night: the night would record them as a duplicate.
        again = client.post(
            "/upload",
            data={"csrf": csrf_of(client)},
            files=[("files", ("清单（再发）.csv", COMPOUNDS_V1.encode("utf-8"), "text/csv"))],
        )
        # And under the very name waiting: placed as 清单（2）.csv beside it, it was told 将被接收.
        same_name = client.post(
            "/upload",
            data={"csrf": csrf_of(client)},
            files=[("files", ("清单.csv", COMPOUNDS_V1.encode("utf-8"), "text/csv"))],
        )
    assert (
        "清单（再发）.csv" in again.text
        and "重复" in again.text
        and "【将被接收】清单（再发）" not in again.text
    )
    # Said of the file it repeats as the clerk knows it, not as sent in this upload; and nothing to correct.
    assert "与收件箱中等待今晚接收的“清单.csv”内容完全相同" in again.text
    assert "无需再次上传" in again.text and "请按下表逐条修改" not in again.text
    assert not (settings.inbox / ZAOLIN / "清单（再发）.csv").exists()  # held back, as a duplicate is
    assert "【将被视为重复提交】清单（2）.csv" in same_name.text
    assert sorted(p.name for p in (settings.inbox / ZAOLIN).iterdir()) == ["清单.csv"]


def test_the_office_is_the_account_and_a_unit_line_follows_the_proxy_rule(settings, register, client):
    from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2

    log_in(client, ZHUJIAN)  # registered as sending for 枣林 (代报)
    sent = client.post(
        "/upload",
        data={"csrf": csrf_of(client)},
        files=[("files", ("代报清单.csv", COMPOUNDS_V1.encode("utf-8"), "text/csv"))],
    )
    assert "【将被接收】代报清单.csv" in sent.text
    assert (settings.inbox / ZHUJIAN / "代报清单.csv").exists()
    # Whose data it becomes, and that it replaces that office's list: the page said only 将被接收.
    said = (
        f"本文件记为{ZAOLIN}的数据（本单位代报）；{ZAOLIN}如已报送同一项目、同一期间的该报表，将以本文件为准"
    )
    assert said in sent.text

    client.cookies.clear()
    log_in(client, ZAOLIN)  # may send only its own
    own = client.post(
        "/upload",
        data={"csrf": csrf_of(client)},
        files=[("files", ("本单位清单.csv", COMPOUNDS_V2.encode("utf-8"), "text/csv"))],
    )
    assert "【将被接收】本单位清单.csv" in own.text and "本单位代报" not in own.text
    claimed = COMPOUNDS_V1.replace(f"填报单位：{ZAOLIN}", f"填报单位：{ZHUJIAN}")
    sent = client.post(
        "/upload",
        data={"csrf": csrf_of(client)},
        files=[("files", ("冒名清单.csv", claimed.encode("utf-8"), "text/csv"))],
    )
    assert "【将被退回】冒名清单.csv" in sent.text
    assert "本单位代报" not in sent.text  # not anyone's data: it is returned
    assert f"报送文件夹“{ZAOLIN}”属于{ZAOLIN}，只能报送本单位的数据" in sent.text
    assert not (settings.inbox / ZAOLIN / "冒名清单.csv").exists()


def test_the_readme_states_every_portal_setting_with_its_default():
    from dataclasses import fields
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    shown = {False: "unset", "": "empty"}
    for setting in fields(PortalConfig):
        default = getattr(PortalConfig(), setting.name)
        row = f"| `PIPELINE_PORTAL_{setting.name.upper()}` | {shown.get(default, default)} |"
        assert row in readme, setting.name


def test_a_file_over_the_size_limit_says_the_files_sent_with_it_were_not_received_either(
    settings, registry, accounts, monkeypatch
):
    from pipeline.settings import Settings

    monkeypatch.setenv("PIPELINE_MAX_FILE_BYTES", "1000")
    with client_for(Settings.from_env(), registry, PortalConfig(allow_http=True)) as client:
        log_in(client, ZAOLIN)
        sent = client.post(
            "/upload",
            data={"csrf": csrf_of(client)},
            files=[("files", ("项目.csv", REGISTER_CSV.encode())), ("files", ("大.csv", b"x" * 2000))],
        )
    assert sent.status_code == 413 and "文件“大.csv”超过" in sent.text
    # Found choosing a good file with one too large: the page named only the large one, and the good one was lost.
    assert "本次上传的所有文件均未接收" in sent.text
    assert not (settings.inbox / ZAOLIN).exists()


def test_content_limits_are_the_pipelines_own_settings(settings, registry, accounts, monkeypatch):
    from pipeline.settings import Settings
    from tests.pipeline.workbooks import compound_sheet, xlsx

    monkeypatch.setenv("PIPELINE_MAX_ROWS", "5")
    limited = Settings.from_env()
    rows = compound_sheet(*[[n, f"小区{n}", "1", "100", "10"] for n in range(1, 7)])
    with client_for(limited, registry, PortalConfig(allow_http=True)) as client:
        log_in(client, ZAOLIN)
        sent = client.post(
            "/upload",
            data={"csrf": csrf_of(client)},
            files=[("files", ("长清单.xlsx", xlsx({"清单": rows})))],
        )
    assert "【将被退回】长清单.xlsx" in sent.text
    assert "超过每个工作表5行的处理上限" in sent.text


def test_serve_refuses_an_inbox_on_object_storage_before_it_listens(settings, monkeypatch, capsys):
    monkeypatch.setenv("PIPELINE_INBOX", "s3://bucket/inbox")
    # An inbox and an archive apart are refused sooner, by the settings.
    monkeypatch.setenv("PIPELINE_ARCHIVE", "s3://bucket/archive")
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: pytest.fail("the server started"))
    assert main(["serve"]) == 1
    assert "对象存储" in capsys.readouterr().err
