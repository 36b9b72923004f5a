"""One hostile night: the demo's valid files beside every odd entry a shared inbox holds; the night goes on.

Usage: python -m bench.hostile_trials --night [--settle 10] [--out DIR]   (part of make trials)

Beside the demo inbox (backdated past the settle window) it plants: a file name in GBK bytes, one of UTF-8 with
a stray GBK character, a name of spaces, a web page saved as .xls, WPS .et and .wps files, a zip of workbooks,
an empty file, an office lock file, a symlink to itself, a folder named as a table, a file 40 folders deep, a
name of 80 Chinese characters, a name whose text after the last dot is long, a `填报单位：` line of 150 characters, a FIFO,
a dangling symlink, a symlink to /dev/zero, symlinks to files outside the inbox (/etc/passwd and a register
that would be accepted), a file the pipeline may not read, a file deleted mid-run, a control character in an
accepted cell, and a CSV ledger still being appended to, cut mid-row. `pipeline run` runs under a 6 GB
address-space limit; as root, without the capabilities that let root read any file, so the unreadable file is
unreadable. Then the appender finishes, the settle window passes, and a second run must take the whole ledger.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
ADDRESS_SPACE = 6 * 1024**3
RUN_TIMEOUT_S = 600
UNIT = "测试街道办事处"
LEDGER_PROJECT = "测试台账项目"
REGISTER = (
    "2022年项目基本信息表\n序号,项目名称,项目类型,实施单位,计划总投资（万元）\n"
    f"1,控制字符\x01测试项目,其他,{UNIT},100\n2,{LEDGER_PROJECT},其他,{UNIT},500\n"
)
LEDGER_HEAD = f"{LEDGER_PROJECT}2022年资金台账\n填报单位：{UNIT}\n日期,项目名称,资金来源,类型,金额（万元）\n"


def _demo():
    spec = importlib.util.spec_from_file_location("make_inbox", REPO / "demo" / "make_inbox.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(slots=True)
class Night:
    """What was planted, by inbox path: what each must come to."""

    home: Path
    valid: list[str] = field(default_factory=list)  # must be accepted
    recorded: list[str] = field(default_factory=list)  # regular files: a status and a receipt
    skipped: dict[str, str] = field(default_factory=dict)  # entry → kind, never opened or recorded
    outside: list[Path] = field(default_factory=list)  # must never reach the archive
    vanishing: str = ""
    # The valid file the vanishing one supersedes when it is read before its deletion lands.
    replaced: str = ""
    appending: str = ""
    appended_rows: int = 0

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"


def plant(home: Path) -> Night:
    """Write the demo inbox and every hostile entry; date every finished file an hour back."""
    night = Night(home)
    inbox = night.inbox
    demo = _demo()
    for path in demo.write_inbox(inbox):
        # The demo's draft its office gets back is a rejection with a receipt, as it is in `make demo`.
        (night.recorded if demo.is_returned(path) else night.valid).append(path.relative_to(inbox).as_posix())
    unit = inbox / UNIT
    unit.mkdir(parents=True)
    (unit / "项目基本信息表.csv").write_text(REGISTER, encoding="utf-8")
    night.valid.append(f"{UNIT}/项目基本信息表.csv")
    zaolin = inbox / "枣林街道办事处"
    gbk = "枣林街道2022年情况说明.csv".encode("gbk")
    with open(os.path.join(os.fsencode(zaolin), gbk), "wb") as handle:
        handle.write("情况说明\n第一条,没有表头\n".encode("gbk"))
    night.recorded.append("枣林街道办事处/枣林街道2022年情况说明.csv")
    long_name = "枣林" + "很" * 76 + "长的文件名.csv"
    (zaolin / long_name).write_text("无法识别的内容\n甲,乙\n", encoding="utf-8")
    night.recorded.append(f"枣林街道办事处/{long_name}")
    long_suffix = "报表.二〇二二年十二月最终版修改后再改一次的版本确认无误后报送"
    (zaolin / long_suffix).write_bytes(os.urandom(512))
    night.recorded.append(f"枣林街道办事处/{long_suffix}")
    long_unit = "填报单位：" + "长" * 150
    # At the inbox root the line decides who sent it, so its receipt folder is named by the 150 characters.
    (inbox / "单位很长.csv").write_text(
        f"2022年满意度调查汇总表\n{long_unit}\n小区名称,有效问卷（份）,满意（份）,基本满意（份）,不满意（份）\n甲,1,1,0,0\n",
        encoding="utf-8",
    )
    night.recorded.append("单位很长.csv")
    os.mkfifo(zaolin / "管道.csv")
    night.skipped["枣林街道办事处/管道.csv"] = "fifo"
    for name, target in (
        ("悬空链接.xlsx", "/nonexistent/报表.xlsx"),
        ("零设备.csv", "/dev/zero"),
        ("系统文件.csv", "/etc/passwd"),
    ):
        os.symlink(target, zaolin / name)
        night.skipped[f"枣林街道办事处/{name}"] = "symlink"
    secret = home / "outside" / "项目基本信息表.csv"
    secret.parent.mkdir()
    secret.write_text(REGISTER.replace("100\n", "999\n"), encoding="utf-8")
    os.symlink(secret, zaolin / "外部文件.csv")
    night.skipped["枣林街道办事处/外部文件.csv"] = "symlink"
    os.symlink(secret.parent, inbox / "外部文件夹")
    night.skipped["外部文件夹"] = "symlink"
    night.outside += [secret, Path("/etc/passwd")]
    _plant_shared_folder(night, zaolin)
    locked = zaolin / "无权限.xlsx"
    locked.write_bytes(b"PK\x03\x04 never read")
    locked.chmod(0)
    night.recorded.append("枣林街道办事处/无权限.xlsx")
    an_hour_ago = time.time() - 3600
    for path in inbox.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, (an_hour_ago, an_hour_ago), follow_symlinks=False)
    # Read last (files are taken oldest first), so it is deleted after the listing, while others are parsed.
    night.vanishing = f"{UNIT}/稍后删除.csv"
    night.replaced = f"{UNIT}/项目基本信息表.csv"
    (inbox / night.vanishing).write_text(REGISTER.replace("100\n", "101\n"), encoding="utf-8")
    os.utime(inbox / night.vanishing, (an_hour_ago + 60, an_hour_ago + 60))
    night.appending = f"{UNIT}/正在写入的台账.csv"
    return night


# A UTF-8 name with a stray GBK 东 in it: read as written, the stray bytes escaped, not as GB18030 mojibake.
MIXED_NAME = "清单_(副本)".encode() + "东".encode("gbk") + b".csv"
MIXED_WRITTEN = "清单_(副本)\\xb6\\xab.csv"


def _plant_shared_folder(night: Night, zaolin: Path) -> None:
    """Plant what a shared folder gathers besides: odd names, a web page and WPS files sent as tables, a zip of
    workbooks, an empty file, an office's lock file, a link to itself, a folder named as a table, deep folders."""
    with open(os.path.join(os.fsencode(zaolin), MIXED_NAME), "wb") as handle:
        handle.write("情况说明\n第一条,没有表头\n".encode())
    night.recorded.append(f"枣林街道办事处/{MIXED_WRITTEN}")
    recorded = {
        "   ": b"a name of spaces",
        "网页导出.xls": b"<html><body><table><tr><td>\xe5\xb0\x8f\xe5\x8c\xba</td></tr></table></body></html>",
        "报表.et": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
        "说明.wps": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
        "空文件.xlsx": b"",
        "报表.zip": _zip_of({"清单.csv": "小区名称,户数\n甲,1\n".encode()}),
        "假装是表格.xlsx/内层.csv": b"\xe6\x97\xa0\xe8\xa1\xa8\xe5\xa4\xb4\n",
        "/".join(f"第{n}层" for n in range(40)) + "/很深.csv": b"\xe6\x97\xa0\xe8\xa1\xa8\xe5\xa4\xb4\n",
    }
    for name, content in recorded.items():
        (zaolin / name).parent.mkdir(parents=True, exist_ok=True)
        (zaolin / name).write_bytes(content)
        night.recorded.append(f"枣林街道办事处/{name}")
    night.skipped["枣林街道办事处/假装是表格.xlsx"] = "folder"
    (zaolin / "~$清单.xlsx").write_bytes(b"\x0c" + bytes(161))
    night.skipped["枣林街道办事处/~$清单.xlsx"] = "office_lock"
    os.symlink("自己.csv", zaolin / "自己.csv")
    night.skipped["枣林街道办事处/自己.csv"] = "symlink"


def _zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, data in members.items():
            package.writestr(name, data)
    return buffer.getvalue()


class Appender(threading.Thread):
    """Append ledger rows a piece at a time, as a slow copy does, until stopped; leave a row cut mid-way."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path = path
        self.rows = 0
        self.stop = threading.Event()

    def run(self) -> None:
        with open(self.path, "w", encoding="utf-8") as handle:
            handle.write(LEDGER_HEAD + f"2022-01-05,{LEDGER_PROJECT},中央补助资金,到位,400\n")
            self.rows = 1
            while not self.stop.is_set():
                month = self.rows % 12 + 1
                handle.write(f"2022-{month:02d}-10,{LEDGER_PROJECT},中央补助资金,支付,3")
                handle.flush()
                time.sleep(0.1)
                handle.write(".5\n")
                handle.flush()
                self.rows += 1
                time.sleep(0.1)


class Deleter(threading.Thread):
    """Delete one inbox file once the run has listed the inbox and begun parsing (a work file appears)."""

    def __init__(self, home: Path, path: Path):
        super().__init__(daemon=True)
        self.home, self.path = home, path
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            # A parsed file waits in a work file of its own, or in its parse worker's spool.
            if any((self.home / "work").glob("*/*.pickle")) or any((self.home / "work").glob("*/*.spool")):
                self.path.unlink(missing_ok=True)
                return
            time.sleep(0.002)


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_pipeline(home: Path, settle: float) -> tuple[int, float, str]:
    """Run `pipeline run` as the nightly job would; as root, without the power to read every file."""
    script = Path(sys.executable).with_name("pipeline")
    program = [str(script)] if script.exists() else [sys.executable, "-m", "pipeline.cli"]
    if os.geteuid() == 0 and shutil.which("setpriv"):
        drop = "-dac_override,-dac_read_search"
        program = ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", *program]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    env |= {
        "PIPELINE_HOME": str(home),
        "PIPELINE_SETTLE_SECONDS": str(settle),
        "GX_ANALYTICS_ENABLED": "False",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [*program, "--quiet", "run"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=RUN_TIMEOUT_S,
        preexec_fn=_limit_address_space,
    )
    return done.returncode, time.perf_counter() - started, done.stdout + done.stderr


@dataclass(slots=True)
class Verdict:
    """Each acceptance check of the night, by name, with what was seen."""

    checks: dict[str, tuple[bool, str]] = field(default_factory=dict)

    def check(self, name: str, ok: bool, seen: object = "") -> None:
        self.checks[name] = (bool(ok), str(seen))

    @property
    def ok(self) -> bool:
        return all(ok for ok, _ in self.checks.values())

    def print(self) -> None:
        for name, (ok, seen) in self.checks.items():
            print(f"  [{'ok' if ok else 'FAILED'}] {name}{f': {seen}' if seen else ''}")
        print("OK" if self.ok else "FAILED")


def _rows(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def judge_first_night(night: Night, status: int, seconds: float, started: float, verdict: Verdict) -> None:
    """Check the first run against the acceptance list."""
    verdict.check("the run exits 0", status == 0, f"exit {status} after {seconds:.0f} s")
    stored = {
        path: (state, receipt)
        for path, state, receipt in _rows(
            night.home, "select inbox_path, status, receipt_path from ops.submissions"
        )
    }
    # Read whole before its deletion landed (a loaded machine), the later copy of the unit's register stands and the
    # earlier one is superseded by it, as any later version of a slice supersedes the one before.
    read = stored.get(night.vanishing, ("",))[0] == "accepted"
    wanted = {p: "superseded" if read and p == night.replaced else "accepted" for p in night.valid}
    not_accepted = [p for p, state in wanted.items() if stored.get(p, ("",))[0] != state]
    verdict.check(
        "every valid file accepted", not not_accepted, f"{len(night.valid)} valid; not: {not_accepted}"
    )
    missing = [
        p
        for p in night.recorded
        if p not in stored or stored[p][1] is None or not Path(stored[p][1]).is_file()
    ]
    verdict.check(
        "every regular file recorded with a status and a receipt", not missing, f"missing: {missing}"
    )
    names = dict(_rows(night.home, "select inbox_path, original_name from ops.submissions"))
    mixed = names.get(f"枣林街道办事处/{MIXED_WRITTEN}")
    verdict.check("a name of UTF-8 and stray GBK bytes reads as written", mixed == MIXED_WRITTEN, mixed)
    unreadable = stored.get("枣林街道办事处/无权限.xlsx", ("",))[0]
    verdict.check("the unreadable file is rejected", unreadable == "rejected", unreadable)
    skips = dict(_rows(night.home, "select inbox_path, kind from ops.inbox_skips"))
    wrong = {p: skips.get(p) for p, kind in night.skipped.items() if skips.get(p) != kind or p in stored}
    verdict.check("links, FIFO never opened: logged as skipped, not recorded", not wrong, f"wrong: {wrong}")
    archived = {p.name.split(".")[0] for p in (night.home / "archive").rglob("*") if p.is_file()}
    leaked = [str(p) for p in night.outside if _sha(p) in archived]
    verdict.check("nothing from outside the inbox archived", not leaked, f"leaked: {leaked}")
    kind = skips.get(night.appending)
    verdict.check(
        "the CSV being written is deferred, not recorded",
        kind in {"settling", "changed"} and night.appending not in stored,
        kind,
    )
    vanished = skips.get(night.vanishing)
    landed = vanished == "vanished"
    verdict.check(
        "the file deleted mid-run is logged as vanished (or was read whole before the deletion)",
        landed or stored.get(night.vanishing, ("",))[0] == "accepted",
        "deleted between listing and reading" if landed else "read before the deletion landed",
    )
    reports = [p for p in (night.home / "reports" / "2022").glob("*") if p.is_file()]
    fresh = sorted(p.suffix for p in reports if p.stat().st_mtime >= started)
    verdict.check("the report rebuilt in all three formats", fresh == [".docx", ".html", ".xlsx"], fresh)
    html = next((p for p in reports if p.suffix == ".html"), None)
    verdict.check(
        "no raw control character in the report",
        html is not None and "\x01" not in html.read_text(encoding="utf-8"),
    )


# Runs one night on a data root with a settle window: (exit status, seconds, output).
Runner = Callable[[Path, float], tuple[int, float, str]]


def night(home: Path, settle: float, run: Runner = run_pipeline) -> Verdict:
    """Plant the night, run it twice around the appender finishing; return every check.

    `run` is `pipeline run` by default; the DAG test passes both DAGs run by Airflow instead.
    """
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    planted = plant(home)
    verdict = Verdict()
    appender = Appender(planted.inbox / planted.appending)
    appender.start()
    deleter = Deleter(home, planted.inbox / planted.vanishing)
    deleter.start()
    time.sleep(max(0.5, min(settle, 2)))  # rows are being appended when the run lists the inbox
    started = time.time()
    status, seconds, output = run(home, settle)
    deleter.done.set()
    appender.stop.set()
    appender.join()
    judge_first_night(planted, status, seconds, started, verdict)
    if status != 0:
        print(output[-4000:])
    time.sleep(settle + 1)  # the writer has finished: past the settle window, its file is whole
    status, seconds, output = run(home, settle)
    verdict.check(
        "a second run over the same inbox exits 0", status == 0, f"exit {status} after {seconds:.0f} s"
    )
    rows = _rows(
        home,
        "select s.status, count(r.submission_id) from ops.submissions s "
        "left join raw.fund_ledger r using (submission_id) where s.inbox_path = ? group by all",
        [planted.appending],
    )
    verdict.check(
        "the CSV written meanwhile is taken in whole on the next run",
        rows == [("accepted", appender.rows)],
        f"{rows} for {appender.rows} rows written",
    )
    if status != 0:
        print(output[-4000:])
    return verdict


def main(out: Path, settle: float) -> int:
    """Run the hostile night and print every check."""
    started = time.perf_counter()
    verdict = night(out / "night", settle)
    print(f"hostile night ({time.perf_counter() - started:.0f} s, settle window {settle:g} s):")
    verdict.print()
    return 0 if verdict.ok else 1
