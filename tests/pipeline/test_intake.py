from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipeline import intake, locations, parse, pools, receipts
from pipeline import storage as storage_module
from pipeline.intake import cutting, ingest, load, pending_rows, work, work_format
from pipeline.local_read import local_marker
from pipeline.problems import RULE_ZH
from pipeline.settings import Settings
from pipeline.suites import rule_titles
from pipeline.warehouse import working_copy
from tests.conftest import REGISTER_CSV
from tests.pipeline.test_validate import CLEAN, DEFECTS
from tests.pipeline.workbooks import PROGRESS_HEADER, xlsx

COMPOUNDS_V1 = """枣林街道办事处2022年老旧小区改造项目清单
填报单位：枣林街道办事处
项目名称：枣林街道办事处改造老旧小区
序号,小区名称,改造面积（万平方米）,惠及户数（户）,计划投资（万元）
1,棉纺厂东院,2.8650,370,1075.97
2,市委小区,1.9320,249,725.58
"""
COMPOUNDS_V2 = COMPOUNDS_V1 + "3,石化小区,2.4150,312,906.97\n"


def drop(settings: Settings, relative: str, content: bytes | str, mtime: int | None = None) -> Path:
    """Put a file into the inbox as an office would."""
    path = settings.inbox / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    if mtime is not None:
        os.utime(path, ns=(mtime, mtime))
    return path


def sender(text: str) -> str:
    """Return the office a sheet's `填报单位：` line names: the folder that office drops it in."""
    return re.search(r"填报单位：(\S+)", text).group(1)


def query(settings: Settings, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def warehouse_state(settings: Settings) -> dict[str, list[tuple]]:
    """Every row of every ops and raw table but the run log, for comparing runs."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where schema_name in ('ops', 'raw') and table_name <> 'runs'"
        ).fetchall()
        return {t: sorted(map(str, con.execute(f"select * from {t}").fetchall())) for (t,) in tables}


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def test_demo_inbox_loads_every_file_with_the_reports_figures_but_the_draft_its_office_gets_back(
    settings, registry, demo_inbox, demo
):
    report = ingest(settings, registry, progress=False)

    statuses = {o.inbox_path: o.status for o in report.outcomes}
    assert statuses == {
        str(p.relative_to(settings.inbox)): "rejected" if demo.is_returned(p) else "accepted"
        for p in demo_inbox
    }
    assert list(statuses.values()).count("rejected") == len(demo.RETURNED) == 1
    [returned] = [o for o in report.outcomes if o.status == "rejected"]
    assert [(p.rule, p.excel_row, p.column_header, p.value) for p in returned.errors] == [
        ("type", 9, "惠及户数（户）", "约200")
    ]
    compounds = query(
        settings,
        "select count(*), sum(area_m2), sum(households), sum(planned_investment_wan) from staging.compound_list",
    )
    assert compounds == [(16, Decimal("244000"), 3148, Decimal("9163.6"))]
    funds = query(
        settings,
        "select fund_source, sum(amount_wan) from staging.fund_ledger "
        "where entry_type = '到位' and project_name = '枣林街道办事处改造老旧小区' group by 1 order by 1",
    )
    assert funds == [("中央补助资金", Decimal("1250.1")), ("中央预算内投资", Decimal("1786"))]
    costs = dict(
        query(
            settings,
            "select item, quantity from staging.scale_and_cost where category = '投资构成' and parent_item is null",
        )
    )
    assert sum(costs.values()) == Decimal("112774.31")
    assert costs["其他费用"] == Decimal("3360")


def test_every_row_traces_to_its_file_sheet_excel_row_and_header(settings, registry, demo_inbox):
    ingest(settings, registry, progress=False)

    row = query(
        settings,
        "select s.original_name, c.sheet, c.excel_row, h.column_header, h.excel_column, c.households "
        "from staging.compound_list c join ops.submissions s using (submission_id) "
        "join ops.sheet_columns h on h.submission_id = c.submission_id and h.sheet = c.sheet "
        "and h.column_name = 'households' where c.compound_name = '鸭河口水库小区'",
    )
    # The demo writes this compound's 200 households as the text `200户` in the two-row header's sub-column.
    assert len(row) == 1
    name, sheet, excel_row, header, letter, households = row[0]
    assert (name, header, households) == ("枣林街道2022年老旧小区改造项目清单.xlsx", "惠及户数（户）", 200)
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(settings.inbox / "枣林街道办事处" / name))
    cells = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    column = ord(letter) - ord("A")
    assert cells[excel_row - 1][column] == "200户"
    assert cells[excel_row - 1][1] == "鸭河口水库小区"


@pytest.mark.slow  # two whole nights: make test-slow
def test_a_second_run_changes_nothing(settings, registry, demo_inbox):
    ingest(settings, registry, progress=False)
    before = warehouse_state(settings)

    again = ingest(settings, registry, progress=False)

    assert again.outcomes == [] and again.unchanged == len(demo_inbox)
    assert warehouse_state(settings) == before
    assert query(settings, "select new_files, unchanged from ops.runs order by finished_at") == [
        (len(demo_inbox), 0),
        (0, len(demo_inbox)),
    ]


def test_a_touched_but_unchanged_file_is_not_taken_in_again(settings, registry, register):
    path = drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    assert [o.status for o in ingest(settings, registry, progress=False).outcomes] == ["accepted"]
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)

    report = ingest(settings, registry, progress=False)

    assert report.outcomes == []
    assert query(settings, "select count(*) from ops.submissions") == [(2,)]  # the register and the list


def test_a_night_with_nothing_new_walks_the_inbox_once_and_counts_it_as_a_night_with_new_files_does(
    settings, registry, monkeypatch
):
    path = drop(
        settings, "枣林街道办事处/项目基本信息.csv", REGISTER_CSV
    )  # taken in: a returned one is sent again
    ingest(settings, registry, progress=False)
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)  # touched, its bytes as taken in
    walks = []
    scan = storage_module.LocalStorage.scan
    monkeypatch.setattr(storage_module.LocalStorage, "scan", lambda self: walks.append(1) or scan(self))

    report = ingest(settings, registry, progress=False)

    # The loader counts the inbox as the night's scan found it: a night of 10,000 files walked it twice.
    assert (len(walks), report.outcomes, report.unchanged) == (1, [], 1)
    assert query(settings, "select mtime_ns from ops.inbox_files") == [(path.stat().st_mtime_ns,)]

    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2)
    walks.clear()
    report = ingest(settings, registry, progress=False)
    # With files to load, the loader scans again, as the DAG's does, for what changed while they were parsed.
    assert (len(walks), report.unchanged, len(report.outcomes)) == (2, 1, 1)


class RecordedPools:
    """Stand in for the loader's ThreadPoolExecutor, remembering each pool's size by its threads' name."""

    def __init__(self):
        self.sizes: dict[str, int] = {}

    def __call__(self, max_workers: int, thread_name_prefix: str = ""):
        self.sizes[thread_name_prefix] = max_workers
        return ThreadPoolExecutor(max_workers, thread_name_prefix=thread_name_prefix)


def test_on_a_local_disk_archive_copies_and_receipts_are_written_by_few_threads(
    settings, registry, register, monkeypatch
):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    recorded = RecordedPools()
    monkeypatch.setattr(load, "ThreadPoolExecutor", recorded)
    monkeypatch.setattr(pools, "ThreadPoolExecutor", recorded)  # one file: no process beside the loader

    report = ingest(settings, registry, progress=False)

    assert [o.status for o in report.outcomes] == ["accepted"]
    assert recorded.sizes == {"archive": load.ARCHIVE_THREADS, "receipts": receipts.RECEIPT_THREADS}
    assert load.ARCHIVE_THREADS < locations.OBJECT_STORE_THREADS
    assert receipts.RECEIPT_THREADS < locations.OBJECT_STORE_THREADS


def test_the_inbox_is_never_modified_and_the_archive_holds_each_file_byte_for_byte(
    settings, registry, demo_inbox
):
    before = tree(settings.inbox)

    ingest(settings, registry, progress=False)

    assert tree(settings.inbox) == before
    archived = tree(settings.archive)
    assert sorted(Path(p).stem for p in archived) == sorted(before.values())
    assert all(Path(p).stem == sha for p, sha in archived.items())


def test_a_byte_identical_resubmission_is_a_duplicate_and_loads_nothing(settings, registry, register):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    ingest(settings, registry, progress=False)
    drop(settings, "枣林街道办事处/清单（再次报送）.csv", COMPOUNDS_V1)

    report = ingest(settings, registry, progress=False)

    assert [(o.status, o.inbox_path) for o in report.outcomes] == [
        ("duplicate", "枣林街道办事处/清单（再次报送）.csv")
    ]
    assert query(settings, "select status, duplicate_of from ops.submissions order by submission_id") == [
        ("accepted", None),
        ("accepted", None),
        ("duplicate", 2),
    ]
    assert query(settings, "select count(*) from raw.compound_list") == [(2,)]


@pytest.mark.parametrize(
    ("resent_as", "mtime"),
    [("清单（重报）.csv", 3 * 10**18), ("清单.csv", 3 * 10**18), ("清单.csv", 10**18)],
    ids=["under another name", "where it lies", "copied over itself, its mtime kept"],
)
def test_a_file_returned_for_want_of_its_register_is_taken_in_when_sent_again(
    settings, registry, resent_as, mtime
):
    # The receipt asks for the register first; the clerk then sends the very same list again, or saves it again
    # where it lies, or copies it over itself (Explorer and `cp -p` keep its mtime): not a file only touched.
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    [first] = ingest(settings, registry, progress=False).outcomes
    drop(settings, "枣林街道办事处/项目基本信息.csv", REGISTER_CSV, mtime=2 * 10**18)
    drop(settings, f"枣林街道办事处/{resent_as}", COMPOUNDS_V1, mtime=mtime)

    outcomes = ingest(settings, registry, progress=False).outcomes

    assert (first.status, [p.rule for p in first.errors]) == ("rejected", ["unknown_project"])
    assert [(o.inbox_path, o.status) for o in outcomes] == [
        ("枣林街道办事处/项目基本信息.csv", "accepted"),
        (f"枣林街道办事处/{resent_as}", "accepted"),
    ]
    assert query(settings, "select count(*) from raw.compound_list") == [(2,)]
    # Taken in as it is now: the next night finds it unchanged.
    assert ingest(settings, registry, progress=False).outcomes == []


@pytest.mark.slow  # 5 s or more on two cores
def test_a_correction_supersedes_the_earlier_file_which_stays_queryable(settings, registry, register):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    ingest(settings, registry, progress=False)
    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=2 * 10**18)

    ingest(settings, registry, progress=False)

    assert query(settings, "select original_name, status from ops.submissions order by submission_id") == [
        ("项目基本信息.csv", "accepted"),
        ("清单.csv", "superseded"),
        ("清单（更正）.csv", "accepted"),
    ]
    assert query(settings, "select count(*), sum(households) from staging.compound_list") == [(3, 931)]
    assert query(settings, "select submission_id, count(*) from raw.compound_list group by 1 order by 1") == [
        (2, 2),
        (3, 3),
    ]


@pytest.mark.parametrize(
    ("draft_ns", "correction_ns", "odd"),
    [
        # The draft copied from a machine whose clock says 2100 stands over the correction sent after it.
        (4102444800 * 10**9, None, "2100-01-01 08:00:00"),
        # The correction stamped 1970 (a tool, a share) loses to the draft sent before it.
        (None, 0, "1970-01-01 08:00:00"),
    ],
)
def test_two_versions_of_a_night_ordered_by_an_implausible_modified_time_are_both_warned(
    settings, registry, register, clock_checked, draft_ns, correction_ns, odd
):
    an_hour_ago = int((dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).timestamp()) * 10**9
    drop(settings, "枣林街道办事处/清单（旧稿）.csv", COMPOUNDS_V1, mtime=draft_ns or an_hour_ago - 10**9)
    drop(
        settings,
        "枣林街道办事处/清单（更正）.csv",
        COMPOUNDS_V2,
        mtime=an_hour_ago if correction_ns is None else correction_ns,
    )

    outcomes = {o.inbox_path: o for o in ingest(settings, registry, progress=False).outcomes}

    # The order stays as documented (the later modified time stands: the draft, either way), but the clerk is
    # told it rests on the clock.
    standing = "清单（旧稿）.csv"
    assert query(settings, "select original_name from ops.submissions where status = 'superseded'") == [
        ("清单（更正）.csv",)
    ]
    for name in ("清单（旧稿）.csv", "清单（更正）.csv"):
        outcome = outcomes[f"枣林街道办事处/{name}"]
        [warning] = [p for p in outcome.warnings if p.rule == "odd_modified_time"]
        assert f"{odd}（北京时间）（不合常理" in warning.message_zh
        assert f"两者之中以“{standing}”的数据为准" in warning.message_zh
        assert "请核对哪一份是最新的；如需以另一份为准，请重新报送该份" in warning.message_zh
        other = "清单（更正）.csv" if name == "清单（旧稿）.csv" else "清单（旧稿）.csv"
        assert f"“{other}”的修改时间为" in warning.message_zh
    assert RULE_ZH["odd_modified_time"]


def test_two_versions_of_a_night_at_plausible_times_are_not_warned_of_the_clock(
    settings, registry, register, clock_checked
):
    an_hour_ago = int((dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).timestamp()) * 10**9
    drop(settings, "枣林街道办事处/清单（旧稿）.csv", COMPOUNDS_V1, mtime=an_hour_ago - 10**9)
    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=an_hour_ago)

    outcomes = ingest(settings, registry, progress=False).outcomes

    assert query(settings, "select original_name from ops.submissions where status = 'superseded'") == [
        ("清单（旧稿）.csv",)
    ]
    assert not [p for o in outcomes for p in o.problems if p.rule == "odd_modified_time"]


@pytest.mark.slow  # 5 s or more on two cores
def test_the_same_path_overwritten_with_a_correction_supersedes(settings, registry, register):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    ingest(settings, registry, progress=False)
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V2)

    ingest(settings, registry, progress=False)

    assert query(settings, "select status from ops.submissions order by submission_id") == [
        ("accepted",),
        ("superseded",),
        ("accepted",),
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("坏文件.xlsx", b"PK\x03\x04" + bytes(range(256)) * 4, "损坏"),
        ("空文件.xlsx", b"", "文件为空"),
        ("说明.txt", "请查收附件".encode(), "不是电子表格文件"),
        ("照片.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "不是电子表格文件"),
        ("只有标题.csv", "2022年清单\n填报单位：枣林街道办事处\n", "无法识别的报表模板"),
    ],
)
def test_unreadable_files_are_rejected_with_a_reason_and_the_rest_still_load(
    settings, registry, register, name, content, reason
):
    drop(settings, f"枣林街道办事处/{name}", content, mtime=10**18)
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=2 * 10**18)

    report = ingest(settings, registry, progress=False)

    statuses = {o.inbox_path.rsplit("/", 1)[-1]: o for o in report.outcomes}
    assert statuses[name].status == "rejected"
    assert reason in statuses[name].reason
    # The folder tells who sent it, so the receipt reaches that office.
    assert (settings.receipts / "枣林街道办事处" / f"{name}.回执.json").is_file()
    assert statuses["清单.csv"].status == "accepted"
    assert query(
        settings,
        "select status, reason like ? from ops.submissions where original_name = ?",
        [f"%{reason}%", name],
    ) == [("rejected", True)]
    assert query(settings, "select count(*) from raw.compound_list") == [(2,)]


def test_a_file_whose_unit_and_year_cannot_be_told_is_rejected_saying_which(settings, registry, register):
    drop(settings, "清单.csv", COMPOUNDS_V1.replace("填报单位：枣林街道办事处\n", "").replace("2022年", ""))

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.status == "rejected"
    assert {p.rule for p in outcome.errors} == {"unit_unknown", "year_unknown"}


# A 月报 returned for rows of 2022 and 2023 was filed, and told on its receipt, as 2023年度, as if its 2022 rows were
# the slip; a ledger whose dates span two years is 年度未知, and so is it now.
def test_a_file_returned_for_rows_of_two_years_is_of_no_one_year(settings, registry):
    folder = sender(CLEAN["investment_progress"])
    drop(settings, f"{folder}/月报.csv", progress_file(JANUARY, FEBRUARY.replace("2022,2,", "2023,2,")))

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.status == "rejected" and "year_span" in {p.rule for p in outcome.errors}
    assert outcome.year is None
    [(year, receipt_path)] = query(settings, "select year, receipt_path from ops.submissions")
    assert year is None
    receipt = json.loads(Path(receipt_path).with_suffix(".json").read_text("utf-8"))
    assert receipt["year"] is None


def test_a_failure_while_loading_leaves_no_trace_of_that_file(settings, registry, register, monkeypatch):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    real_insert = pending_rows.insert_rows

    def failing_insert(con, table, columns, rows, **options):
        real_insert(con, table, columns, rows, **options)
        if table.startswith("raw."):
            raise OSError("disk full")

    monkeypatch.setattr(pending_rows, "insert_rows", failing_insert)
    with pytest.raises(OSError):
        ingest(settings, registry, progress=False)
    monkeypatch.undo()

    assert query(settings, "select count(*) from ops.submissions") == [(1,)]
    assert query(settings, "select count(*) from raw.compound_list") == [(0,)]
    # The next run takes the file in as if nothing had happened.
    assert [o.status for o in ingest(settings, registry, progress=False).outcomes] == ["accepted"]


def test_a_list_naming_no_project_takes_the_units_single_project_from_the_register_sent_later(
    settings, registry, demo
):
    drop(
        settings,
        "枣林街道办事处/清单.csv",
        COMPOUNDS_V1.replace("项目名称：枣林街道办事处改造老旧小区\n", ""),
        mtime=10**18,
    )
    register = settings.inbox / "区财政局" / "登记表.xlsx"
    register.parent.mkdir(parents=True)
    demo.write_xlsx(register, demo.project_register())
    os.utime(register, ns=(2 * 10**18,) * 2)

    report = ingest(settings, registry, progress=False)

    assert sorted(o.status for o in report.outcomes) == ["accepted", "accepted"]
    assert query(settings, "select distinct project_name from staging.compound_list") == [
        ("枣林街道办事处改造老旧小区",)
    ]


def test_archive_survives_a_deleted_inbox(settings, registry, demo_inbox):
    ingest(settings, registry, progress=False)
    shutil.rmtree(settings.inbox)

    paths = query(settings, "select archive_path, sha256 from ops.submissions")

    for archive_path, sha in paths:
        assert hashlib.sha256((settings.archive / archive_path).read_bytes()).hexdigest() == sha


# Intake of one file per rule of submissions.md, all in one run beside the clean files: every defect is
# caught where a clerk would look for it, and the clean files still load.
INTAKE_DEFECTS = {
    **{case: (text, expected) for case, (_, text, expected) in DEFECTS.items()},
    "missing_column": (
        CLEAN["compound_list"]
        .replace(",惠及户数（户）", "")
        .replace(",370,", ",")
        .replace(",249,", ",")
        .replace(",312,", ","),
        ("missing_column", "error", 4, "惠及户数"),
    ),
    "total_mismatch": (
        CLEAN["compound_list"] + "合计,,7.2120,931,2708.62,\n",
        ("total_mismatch", "error", 8, "计划投资（万元）"),
    ),
}


@pytest.fixture(scope="module")
def defects_run(tmp_path_factory, registry):
    """Ingest every clean sheet and every one-defect file in a single run; return (settings, outcomes)."""
    settings = Settings.from_env(tmp_path_factory.mktemp("defects"))
    files = {f"clean_{t}": text for t, text in CLEAN.items()} | {
        c: text for c, (text, _) in INTAKE_DEFECTS.items()
    }
    for number, (name, text) in enumerate(files.items(), 1):
        drop(settings, f"{sender(text)}/{name}.csv", text, mtime=number * 10**9)
    report = ingest(settings, registry, progress=False)
    return settings, {o.inbox_path.split("/", 1)[1].removesuffix(".csv"): o for o in report.outcomes}


@pytest.mark.parametrize("case", INTAKE_DEFECTS)
def test_each_rule_is_caught_at_intake_and_named_on_the_receipt(defects_run, case):
    settings, outcomes = defects_run
    rule, severity, excel_row, header = INTAKE_DEFECTS[case][1]
    outcome = outcomes[case]
    receipt = settings.receipts / outcome.unit / f"{case}.csv.回执.json"
    facts = json.loads(receipt.read_text(encoding="utf-8"))

    assert outcome.status == ("rejected" if severity == "error" else "accepted")
    assert len(facts["problems"]) == 1, facts["problems"]
    [problem] = facts["problems"]
    assert (problem["rule"], problem["severity"], problem["sheet"], problem["excel_row"]) == (
        rule,
        severity,
        case,
        excel_row,
    )
    assert problem["column_header"] == header
    # A suite's own rule (compound_several) is titled by its suite, the pipeline's by RULE_ZH: both as receipts are.
    assert problem["rule_zh"] == rule_titles()[rule]
    assert problem["expected"] and problem["fix"]
    html = receipt.with_suffix(".html").read_text(encoding="utf-8")
    assert rule_titles()[rule] in html and header in html
    if excel_row is not None:
        assert problem["value"] is not None or rule in ("required", "missing_column")
        assert f"第{excel_row}" in problem["message_zh"]
    stored = query(
        settings,
        "select rule, severity, excel_row, column_header from ops.validation_issues where submission_id = ?",
        [outcome.submission_id],
    )
    assert stored == [(rule, severity, excel_row, header)]


def test_rejected_files_reach_no_table_and_clean_files_all_load(defects_run):
    settings, outcomes = defects_run
    rejected = [o.submission_id for o in outcomes.values() if o.status == "rejected"]
    clean = {name: o.status for name, o in outcomes.items() if name.startswith("clean_")}

    assert clean == {name: "accepted" for name in clean}
    assert len(rejected) == sum(expected[1] == "error" for _, expected in INTAKE_DEFECTS.values())
    loaded = query(
        settings,
        " union all ".join(f"select submission_id from raw.{t}" for t in CLEAN),
    )
    assert not {s for (s,) in loaded} & set(rejected)


def test_cumulative_is_checked_against_months_already_in_the_warehouse(settings, registry):
    months_1_to_3 = CLEAN["investment_progress"]
    header, *rows = months_1_to_3.splitlines()[:2]
    drop(settings, "区财政局/登记表.csv", CLEAN["project_register"], mtime=1)
    drop(settings, f"{sender(months_1_to_3)}/1至3月.csv", months_1_to_3, mtime=2)
    ingest(settings, registry, progress=False)
    april = "示范区双铺棚户区改造项目,2022,4,18000,1000,11030.50"
    drop(
        settings,
        f"{sender(header)}/4月.csv",
        "\n".join([header, *rows, april.replace("11030.50", "11000")]),
        mtime=3,
    )

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.status == "accepted"
    assert [(p.rule, p.excel_row, p.expected) for p in outcome.warnings] == [
        ("cumulative_mismatch", 3, "应等于1至4月本月完成投资之和11030.5")
    ]


# Monthly reports split over files, as offices send them: the clean sheet's lines above its rows, then months.
PROGRESS_TOP = CLEAN["investment_progress"].splitlines()[:2]
JANUARY, FEBRUARY, MARCH = CLEAN["investment_progress"].splitlines()[2:]  # 本月 2600, 3150, 4280.50


def progress_file(*months: str) -> str:
    """Return a monthly report of these data rows (Excel rows from 3) under the clean sheet's lines."""
    return "\n".join([*PROGRESS_TOP, *months]) + "\n"


def warnings_by_file(report) -> dict[str, list[tuple]]:
    return {
        Path(o.inbox_path).name: [(p.rule, p.excel_row, p.expected) for p in o.warnings]
        for o in report.outcomes
    }


@pytest.mark.parametrize("march_mtime", [30, 5], ids=["march_sent_last", "march_sent_first"])
def test_cumulative_is_checked_against_months_of_another_file_of_the_same_run(
    settings, registry, march_mtime
):
    folder = sender(CLEAN["investment_progress"])
    drop(settings, "区财政局/登记表.csv", CLEAN["project_register"], mtime=1)
    drop(settings, f"{folder}/1至2月.csv", progress_file(JANUARY, FEBRUARY), mtime=20)
    drop(
        settings, f"{folder}/3月.csv", progress_file(MARCH.replace("10030.50", "4280.50")), mtime=march_mtime
    )

    report = ingest(settings, registry, progress=False)

    assert report.count("accepted") == 3
    assert warnings_by_file(report) == {
        "登记表.csv": [],
        "1至2月.csv": [],
        "3月.csv": [
            (
                "cumulative_mismatch",
                3,
                "应等于1至3月本月完成投资之和10030.5（其中1、2月取自本次同时报送的“1至2月.csv”）",
            )
        ],
    }


def test_a_right_cumulative_over_files_of_one_run_is_checked_and_passes(registry):
    folder = sender(CLEAN["investment_progress"])
    files = {
        "区财政局/登记表.csv": CLEAN["project_register"],
        f"{folder}/1至2月.csv": progress_file(JANUARY, FEBRUARY),
        f"{folder}/3月.csv": progress_file(MARCH),
    }

    candidates, validation = intake.prepare(
        None, registry, [(path, text.encode(), None) for path, text in files.items()]
    )

    assert [(c.outcome.status, c.outcome.problems) for c in candidates] == [("accepted", [])] * 3
    [gaps] = [r for name, r in validation.results if name == "investment_progress.cumulative_per_row"]
    [checked] = [r for r in gaps.results if r.expectation_config.kwargs["column"] == "cumulative_gap"]
    assert checked.result["element_count"] == 3  # March's row too, against January's and February's


def test_a_month_sent_again_in_the_run_stands_over_the_warehouses(settings, registry):
    folder = sender(CLEAN["investment_progress"])
    drop(settings, "区财政局/登记表.csv", CLEAN["project_register"], mtime=1)
    drop(settings, f"{folder}/1至2月.csv", progress_file(JANUARY, FEBRUARY), mtime=2)
    ingest(settings, registry, progress=False)
    # February corrected from 3150 to 3250 beside March, whose 累计 still adds up the warehouse's February.
    corrected = FEBRUARY.replace("3150,5750", "3250,5850")
    drop(settings, f"{folder}/1至2月更正.csv", progress_file(JANUARY, corrected), mtime=3)
    drop(settings, f"{folder}/3月.csv", progress_file(MARCH), mtime=4)

    report = ingest(settings, registry, progress=False)

    assert warnings_by_file(report) == {
        "1至2月更正.csv": [],
        "3月.csv": [
            (
                "cumulative_mismatch",
                3,
                "应等于1至3月本月完成投资之和10130.5（其中1、2月取自本次同时报送的“1至2月更正.csv”）",
            )
        ],
    }


def test_a_returned_files_months_judge_no_other_file(settings, registry):
    folder = sender(CLEAN["investment_progress"])
    drop(settings, "区财政局/登记表.csv", CLEAN["project_register"], mtime=1)
    drop(settings, f"{folder}/1至2月.csv", progress_file(JANUARY, FEBRUARY), mtime=2)
    ingest(settings, registry, progress=False)
    # A correction of February sent back (约18000 is no amount): the warehouse's February stays in force, and
    # March's 累计 adds it up.
    returned = progress_file(
        JANUARY.replace(",18000,", ",约18000,"), FEBRUARY.replace("3150,5750", "3250,5850")
    )
    drop(settings, f"{folder}/1至2月更正.csv", returned, mtime=3)
    drop(settings, f"{folder}/3月.csv", progress_file(MARCH), mtime=4)

    report = ingest(settings, registry, progress=False)

    assert {Path(o.inbox_path).name: o.status for o in report.outcomes} == {
        "1至2月更正.csv": "rejected",
        "3月.csv": "accepted",
    }
    assert warnings_by_file(report)["3月.csv"] == []


# The steps the nightly DAG runs as separate tasks: find (read-only), parse one file each, load them all.


def test_find_new_files_lists_what_is_new_and_never_writes(settings, registry, register):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=5 * 10**18)
    os.utime(register, ns=(2, 2))  # touched, same bytes
    before = settings.warehouse.read_bytes()

    assert intake.find_new_files(settings) == ["枣林街道办事处/清单.csv"]

    assert settings.warehouse.read_bytes() == before
    assert query(settings, "select mtime_ns from ops.inbox_files") == [(1,)]


def test_find_new_files_creates_no_warehouse(settings):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)

    assert intake.find_new_files(settings) == ["枣林街道办事处/清单.csv"]
    assert not settings.warehouse.exists()


def test_find_new_files_reads_a_first_load_left_unpublished_in_the_writers_copy(settings, registry):
    # nightly_ingest leaves its load for annual_indicators to publish; until the first publication (that DAG
    # paused, or its rebuild failed) every file looked new again each night, and every shard parsed the inbox again.
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    [outcome] = intake.ingest(settings, registry, progress=False, publish_it=False).outcomes
    assert not settings.warehouse.exists() and working_copy(settings.warehouse).is_file()

    assert intake.find_new_files(settings) == []

    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V1.replace("1", "2"))
    assert intake.find_new_files(settings) == ["枣林街道办事处/清单（更正）.csv"]


def test_parse_one_turns_bad_data_into_a_rejection_and_a_missing_file_into_a_skip(settings, registry):
    drop(settings, "枣林街道办事处/坏文件.xlsx", b"not a workbook")

    path = intake.parse_one(
        settings, registry, "枣林街道办事处/坏文件.xlsx", run_key="manual__2026-01-01T02:00+08:00"
    )

    # A key relative to the work location, never a host's path: a loader elsewhere resolves it.
    assert Path(path).parent == Path("manual__2026-01-01T02_00_08_00")
    assert (settings.work_root / path).is_file()
    gone = intake.parse_one(
        settings, registry, "枣林街道办事处/已删除.xlsx", run_key="manual__2026-01-01T02:00+08:00"
    )
    report = intake.load_parsed(settings, registry, [path, gone])
    [outcome] = report.outcomes
    assert outcome.status == "rejected"
    assert [p.rule for p in outcome.errors] == ["unreadable"]
    assert [(s.path, s.kind) for s in report.skipped] == [("枣林街道办事处/已删除.xlsx", "vanished")]
    assert query(settings, "select inbox_path, kind from ops.inbox_skips") == [
        ("枣林街道办事处/已删除.xlsx", "vanished")
    ]
    assert not (settings.work_root / path).parent.exists()


def test_parsed_files_load_in_the_order_received_and_a_repeated_load_stores_nothing_twice(
    settings, registry, register
):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=5 * 10**18)
    drop(settings, "枣林街道办事处/清单（副本）.csv", COMPOUNDS_V1, mtime=6 * 10**18)
    os.utime(register, ns=(2, 2))
    # Mapped tasks finish in any order; the copy of the same bytes must still be the duplicate.
    paths = [intake.parse_one(settings, registry, p) for p in reversed(intake.find_new_files(settings))]
    kept = [(settings.work_root / p).read_bytes() for p in paths]

    report = intake.load_parsed(settings, registry, paths)

    assert [(o.inbox_path, o.status) for o in report.outcomes] == [
        ("枣林街道办事处/清单.csv", "accepted"),
        ("枣林街道办事处/清单（副本）.csv", "duplicate"),
    ]
    assert report.unchanged == 1  # the touched register, whose new stat is now remembered
    assert query(settings, "select mtime_ns from ops.inbox_files where inbox_path like '%项目基本信息%'") == [
        (2,)
    ]
    assert not (settings.home / "work").exists() or not any((settings.home / "work").iterdir())
    # A load retried after it had stored its files finds them taken in, not duplicates of themselves.
    for path, content in zip(paths, kept, strict=True):
        (settings.work_root / path).parent.mkdir(parents=True, exist_ok=True)
        (settings.work_root / path).write_bytes(content)
    assert intake.load_parsed(settings, registry, paths).outcomes == []
    assert query(settings, "select count(*) from ops.submissions") == [(3,)]


def test_a_loader_clears_the_scratch_a_killed_loader_left_and_no_other(
    settings, registry, tmp_path, monkeypatch
):
    # A loader fetches spools from object storage into a scratch folder; one killed (kill -9, out of memory) left it,
    # spools and all, in the temporary folder for good.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    killed = tmp_path / f"pipeline-load-{int(ended.stdout)}-x1"
    (killed / "0.spool").parent.mkdir()
    (killed / "0.spool").write_bytes(b"spool")
    running = tmp_path / f"pipeline-load-{os.getppid()}-x2"  # a loader alive now, on this host
    running.mkdir()
    others = [tmp_path / "pipeline-load-abc", tmp_path / "something-else-1"]
    for folder in others:
        folder.mkdir()
    settings.inbox.mkdir(parents=True)

    intake.load_parsed(settings, registry, [])

    assert not killed.exists()
    assert running.is_dir() and all(folder.is_dir() for folder in others)
    assert [
        p.name for p in tmp_path.glob(f"pipeline-load-{os.getpid()}-*")
    ] == []  # its own, removed at the end


def test_ingest_times_each_step(settings, registry):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)

    timings = ingest(settings, registry, progress=False).timings

    assert set(timings) == {"scan", "parse", "validate", "load"}
    assert all(seconds > 0 for seconds in timings.values())


def _mixed_inbox(settings: Settings, demo) -> None:
    """The demo inbox, then a list, its twin, its correction, an unreadable file and a register sent last."""
    demo.write_inbox(settings.inbox)
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    drop(settings, "枣林街道办事处/清单（副本）.csv", COMPOUNDS_V1, mtime=2 * 10**18)
    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=3 * 10**18)
    drop(settings, "枣林街道办事处/坏文件.xlsx", b"not a workbook", mtime=4 * 10**18)
    register = demo.project_register()
    path = settings.inbox / "区财政局" / "登记表（晚到）.xlsx"
    demo.write_xlsx(path, register)
    os.utime(path, ns=(5 * 10**18,) * 2)


def _comparable(settings: Settings) -> dict[str, list[tuple]]:
    """What a run stored, without the moment it ran or when its files were written."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        state = {
            "ops.submissions": con.execute(
                "select submission_id, inbox_path, status, duplicate_of, reason, error_count, warning_count "
                "from ops.submissions order by 1"
            ).fetchall(),
            "ops.inbox_files": con.execute(
                "select * exclude (mtime_ns, marker) from ops.inbox_files order by 1"
            ).fetchall(),
        }
    for table, rows in warehouse_state(settings).items():
        state.setdefault(table, rows)
    return state


def receipts_in_one_piece_and_in_chunks(
    tmp_path: Path,
    registry,
    monkeypatch: pytest.MonkeyPatch,
    *files: tuple[str, str],
    before: tuple[tuple[str, str], ...] = (),
) -> tuple[dict[str, dict], dict[str, dict]]:
    """Take the same files in, in this order, in one piece and then a file a chunk, `before` taken in by a run of
    their own first; return what each run's receipts say (status, reason, problems), by inbox path."""
    said = []
    for name in ("one", "cut"):
        settings = Settings.from_env(tmp_path / name)
        for at, (path, content) in enumerate(before, start=1):
            drop(settings, path, content, mtime=at * 10**15)
        if before:
            ingest(settings, registry, progress=False)
        for at, (path, content) in enumerate(files, start=len(before) + 1):
            drop(settings, path, content, mtime=at * 10**15)
        if name == "cut":
            monkeypatch.setattr(cutting, "FILES_PER_CHUNK", 1)
        ingest(settings, registry, progress=False)
        said.append(receipts_said(settings))
    return said[0], said[1]


def receipts_said(settings: Settings) -> dict[str, dict]:
    """Return what each receipt says (status, reason, problems), by inbox path."""
    receipts = {}
    for path, receipt_path in query(settings, "select inbox_path, receipt_path from ops.submissions"):
        receipt = json.loads(Path(receipt_path).with_suffix(".json").read_text("utf-8"))
        receipts[path] = {key: receipt[key] for key in ("status", "reason", "problems")}
    return receipts


@pytest.mark.slow
def test_chunks_batches_and_parse_workers_store_exactly_what_one_pass_stores(
    tmp_path, registry, demo, monkeypatch
):
    one_pass = Settings.from_env(tmp_path / "one")
    _mixed_inbox(one_pass, demo)
    report = ingest(one_pass, registry, progress=False)
    assert {"accepted", "duplicate", "rejected", "superseded"} <= set(
        s for (s,) in query(one_pass, "select status from ops.submissions")
    )

    cut_up = dataclasses.replace(Settings.from_env(tmp_path / "cut"), workers=2)
    _mixed_inbox(cut_up, demo)
    monkeypatch.setattr(work, "PARALLEL_FROM", 2)
    monkeypatch.setattr(cutting, "FILES_PER_CHUNK", 3)
    monkeypatch.setattr(cutting, "FILES_PER_BATCH", 2)
    cut_report = ingest(cut_up, registry, progress=False)

    assert [(o.inbox_path, o.status, o.reason) for o in cut_report.outcomes] == [
        (o.inbox_path, o.status, o.reason) for o in report.outcomes
    ]
    assert _comparable(cut_up) == _comparable(one_pass)
    assert not any((cut_up.home / "work").iterdir())


@pytest.mark.parametrize("files_per_chunk", [5000, 1], ids=["one chunk", "a file a chunk"])
def test_a_workbook_carrying_a_register_replaces_an_older_list_of_the_same_night(
    settings, registry, register, monkeypatch, files_per_chunk
):
    monkeypatch.setattr(cutting, "FILES_PER_CHUNK", files_per_chunk)
    # Registers are stored first, so a list in a later chunk finds its project; the newer workbook's list must
    # still replace the older list received with it, as any later file of the night does.
    rows = [line.split(",") for line in COMPOUNDS_V2.splitlines()]
    register_rows = [line.split(",") for line in REGISTER_CSV.splitlines()]
    drop(settings, "枣林街道办事处/清单（旧）.csv", COMPOUNDS_V1, mtime=10**18)
    drop(
        settings,
        "枣林街道办事处/清单及项目信息（新）.xlsx",
        xlsx({"项目信息": register_rows, "清单": rows}),
        mtime=2 * 10**18,
    )

    ingest(settings, registry, progress=False)

    assert dict(
        query(settings, "select original_name, status from ops.submissions where submission_id > 1")
    ) == {
        "清单（旧）.csv": "superseded",
        "清单及项目信息（新）.xlsx": "accepted",
    }
    assert query(settings, "select count(*) from staging.compound_list") == [(3,)]


def _progress(done: int) -> list[list]:
    """枣林's January investment progress sheet, `done` 万元 in the month."""
    return [
        ["投资完成情况月报"],
        PROGRESS_HEADER,
        ["枣林街道办事处改造老旧小区", 2022, 1, 9163.6, done, done],
    ]


@pytest.mark.parametrize("files_per_chunk", [5000, 1], ids=["one chunk", "a file a chunk"])
def test_a_file_moved_before_a_register_carrying_workbook_takes_the_older_files_of_its_slices_with_it(
    settings, registry, register, monkeypatch, files_per_chunk
):
    monkeypatch.setattr(cutting, "FILES_PER_CHUNK", files_per_chunk)
    # The middle file holds the workbook's January and the list: moved before the workbook, the older list must
    # come before it too, or it replaces the newer list as the later file.
    rows = [line.split(",") for line in COMPOUNDS_V2.splitlines()]
    register_rows = [line.split(",") for line in REGISTER_CSV.splitlines()]
    drop(settings, "枣林街道办事处/清单（一）.csv", COMPOUNDS_V1, mtime=10**18)
    drop(
        settings,
        "枣林街道办事处/清单及1月（二）.xlsx",
        xlsx({"清单": rows, "投资进度": _progress(100)}),
        mtime=2 * 10**18,
    )
    drop(
        settings,
        "枣林街道办事处/项目信息及1月（三）.xlsx",
        xlsx({"项目信息": register_rows, "投资进度": _progress(120)}),
        mtime=3 * 10**18,
    )

    ingest(settings, registry, progress=False)

    assert query(
        settings, "select original_name, status from ops.submissions where submission_id > 1 order by 1"
    ) == [
        ("清单及1月（二）.xlsx", "accepted"),
        ("清单（一）.csv", "superseded"),
        ("项目信息及1月（三）.xlsx", "accepted"),
    ]
    assert query(settings, "select count(*) from staging.compound_list") == [(3,)]
    assert query(settings, "select monthly_completed_wan from staging.investment_progress") == [
        (Decimal(120),)
    ]


def test_a_night_of_several_chunks_reads_ahead_only_files_of_a_register_carrying_workbooks_forms(
    settings, registry, register, monkeypatch
):
    # Ordered before they are cut into chunks: the registers and the files of the workbook's forms received before
    # it are read for their slices, one at a time, and settled in one chunk; January's progress is read only when
    # its own chunk is.
    monkeypatch.setattr(cutting, "FILES_PER_CHUNK", 1)
    rows = [line.split(",") for line in COMPOUNDS_V2.splitlines()]
    register_rows = [line.split(",") for line in REGISTER_CSV.splitlines()]
    drop(settings, "枣林街道办事处/清单（旧）.csv", COMPOUNDS_V1, mtime=10**18)
    drop(settings, "枣林街道办事处/1月.xlsx", xlsx({"投资进度": _progress(100)}), mtime=2 * 10**18)
    drop(
        settings,
        "枣林街道办事处/清单及项目信息（新）.xlsx",
        xlsx({"项目信息": register_rows, "清单": rows}),
        mtime=3 * 10**18,
    )
    read, settled = [], []
    real_candidate, real_settle = work_format.WorkFile.candidate, load.settle

    def candidate(self):
        read.append(self.inbox_path.split("/")[-1])
        return real_candidate(self)

    def settle(con, registry, candidates, *args):
        settled.append(sorted(c.inbox_path.split("/")[-1] for c in candidates))
        return real_settle(con, registry, candidates, *args)

    monkeypatch.setattr(work_format.WorkFile, "candidate", candidate)
    monkeypatch.setattr(load, "settle", settle)
    ingest(settings, registry, progress=False)

    assert sorted(read) == sorted(
        ["清单（旧）.csv"] * 2 + ["1月.xlsx"] + ["清单及项目信息（新）.xlsx"] * 3  # its register, its slices
    )
    assert settled == [["清单及项目信息（新）.xlsx", "清单（旧）.csv"], ["1月.xlsx"]]
    assert query(settings, "select count(*) from staging.compound_list") == [(3,)]


def test_a_twin_in_an_earlier_chunk_is_named_as_sent_in_the_same_run(
    settings, registry, register, monkeypatch
):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    drop(settings, "枣林街道办事处/清单（副本）.csv", COMPOUNDS_V1, mtime=2 * 10**18)
    monkeypatch.setattr(cutting, "FILES_PER_CHUNK", 1)

    outcomes = ingest(settings, registry, progress=False).outcomes

    assert [(o.status, o.reason) for o in outcomes] == [
        ("accepted", None),
        ("duplicate", "与本次同时报送的“清单.csv”内容完全相同。"),
    ]
    assert query(settings, "select duplicate_of from ops.submissions where status = 'duplicate'") == [
        (outcomes[0].submission_id,)
    ]


def ingest_killed_at_the_second_batch(settings, registry, monkeypatch) -> None:
    """Run an ingest of one file a batch that dies as its second batch is stored, the first committed."""
    monkeypatch.setattr(cutting, "FILES_PER_BATCH", 1)
    store_batch, calls = load.store_batch, []

    def killed_at_the_second(*args):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("killed")  # not an Exception: nothing on the way out rolls back or commits
        return store_batch(*args)

    with monkeypatch.context() as dying:
        dying.setattr(load, "store_batch", killed_at_the_second)
        with pytest.raises(SystemExit):
            ingest(settings, registry, progress=False)


def test_a_copy_loaded_after_a_run_killed_once_its_original_was_stored_is_told_as_sent_with_it(
    settings, registry, register, monkeypatch
):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    drop(settings, "枣林街道办事处/清单（副本）.csv", COMPOUNDS_V1, mtime=2 * 10**18)
    ingest_killed_at_the_second_batch(settings, registry, monkeypatch)
    outcomes = ingest(settings, registry, progress=False).outcomes

    # The retry takes the copy in as the killed run's later batch: as in one piece, a copy of a file sent with it.
    assert [(o.status, o.reason) for o in outcomes] == [
        ("accepted", None),
        ("duplicate", "与本次同时报送的“清单.csv”内容完全相同。"),
    ]
    assert query(settings, "select duplicate_of from ops.submissions where status = 'duplicate'") == [
        (outcomes[0].submission_id,)
    ]


def test_a_failing_batch_keeps_the_batches_stored_before_it(settings, registry, register, monkeypatch):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=2 * 10**18)
    monkeypatch.setattr(cutting, "FILES_PER_BATCH", 1)
    real_insert = pending_rows.insert_rows

    def failing_insert(con, table, columns, rows, **options):
        real_insert(con, table, columns, rows, **options)
        if table == "raw.compound_list" and len(rows) == 3:
            raise OSError("disk full")

    monkeypatch.setattr(pending_rows, "insert_rows", failing_insert)
    with pytest.raises(OSError):
        ingest(settings, registry, progress=False)
    monkeypatch.undo()

    # The writer's copy keeps the committed batch; the published file waits for a run that succeeds.
    work = dataclasses.replace(settings, warehouse=working_copy(settings.warehouse))
    assert query(work, "select original_name, status from ops.submissions order by 1") == [
        ("清单.csv", "accepted"),
        ("项目基本信息.csv", "accepted"),
    ]
    assert query(work, "select count(*) from raw.compound_list") == [(2,)]
    # The run that succeeds takes the correction in and counts the list the failed run stored as its own.
    assert [(o.inbox_path, o.status) for o in ingest(settings, registry, progress=False).outcomes] == [
        ("枣林街道办事处/清单.csv", "accepted"),
        ("枣林街道办事处/清单（更正）.csv", "accepted"),
    ]
    assert query(settings, "select status from ops.submissions where original_name = '清单.csv'") == [
        ("superseded",)
    ]


def test_a_chunk_reads_back_only_its_own_work_files(settings, registry, register, monkeypatch):
    for number in range(3):
        drop(
            settings, f"枣林街道办事处/清单{number}.csv", COMPOUNDS_V1 + f"{3 + number},小区{number},1,1,1\n"
        )
    monkeypatch.setattr(cutting, "FILES_PER_CHUNK", 1)
    opened = []
    real_candidate = work_format.WorkFile.candidate

    def candidate(self):
        opened.append(self.inbox_path)
        assert len(opened) - len(ingested) <= 1  # never more than one chunk's files in memory
        return real_candidate(self)

    ingested = []
    real_store = load.store_batch

    def store(con, batch, *rest):
        real_store(con, batch, *rest)
        ingested.extend(c.inbox_path for c, _ in batch)

    monkeypatch.setattr(work_format.WorkFile, "candidate", candidate)
    monkeypatch.setattr(load, "store_batch", store)
    assert [o.status for o in ingest(settings, registry, progress=False).outcomes] == ["accepted"] * 3
    assert opened == ingested


def test_a_file_over_the_size_limit_is_refused_and_archived_without_being_read_whole(
    settings, registry, register, monkeypatch
):
    big = COMPOUNDS_V1 + "".join(f"{n},小区{n},1,1,1\n" for n in range(3, 400))
    drop(settings, "枣林街道办事处/大文件.csv", big)
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    limited = dataclasses.replace(settings, limits=dataclasses.replace(settings.limits, max_file_bytes=2_000))
    real_read = storage_module.read_whole

    def read_whole(handle, before, path, raw=None):
        assert path != "枣林街道办事处/大文件.csv", "the oversized file was read whole"
        return real_read(handle, before, path, raw)

    monkeypatch.setattr(storage_module, "read_whole", read_whole)
    outcomes = {o.inbox_path: o for o in ingest(limited, registry, progress=False).outcomes}

    refused = outcomes["枣林街道办事处/大文件.csv"]
    assert refused.status == "rejected"
    assert [p.rule for p in refused.errors] == ["too_large"]
    assert "超过" in refused.reason and "2,000字节" in refused.reason
    assert refused.sha256 == hashlib.sha256(big.encode("utf-8")).hexdigest()
    [(archive_path,)] = query(
        settings, "select archive_path from ops.submissions where original_name = '大文件.csv'"
    )
    assert (settings.archive / archive_path).read_bytes() == big.encode("utf-8")
    assert outcomes["枣林街道办事处/清单.csv"].status == "accepted"


def test_a_fault_while_parsing_one_sheet_rejects_only_that_file_naming_the_sheet(
    settings, registry, register, monkeypatch, caplog
):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    drop(settings, "枣林街道办事处/另一份.csv", COMPOUNDS_V2)
    real_parse_sheet = parse.parse_sheet

    def parse_sheet(grid, match, registry):
        if grid.name == "另一份":
            raise KeyError("a bug of ours")
        return real_parse_sheet(grid, match, registry)

    monkeypatch.setattr(parse, "parse_sheet", parse_sheet)
    outcomes = {o.inbox_path: o for o in ingest(settings, registry, progress=False).outcomes}

    faulty = outcomes["枣林街道办事处/另一份.csv"]
    assert faulty.status == "rejected"
    assert [(p.rule, p.sheet) for p in faulty.errors] == [("unreadable", "另一份")]
    assert "系统内部错误" in faulty.reason
    assert "KeyError" in caplog.text and "另一份" in caplog.text
    assert outcomes["枣林街道办事处/清单.csv"].status == "accepted"


def test_ingest_removes_work_left_by_a_killed_run_but_not_by_a_live_one(settings, registry):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    killed = work.work_dir(settings, f"ingest-{dead.pid}-1")
    live = work.work_dir(settings, f"ingest-{os.getppid()}-1")
    for folder in (killed, live):
        folder.mkdir(parents=True)
        (folder / "a.pickle").write_bytes(b"")
    settings.inbox.mkdir(parents=True)  # an inbox that is not there fails the night (a broken data root)

    ingest(settings, registry, progress=False)

    assert not killed.exists()
    assert live.exists()


def test_a_load_removes_archive_copies_a_killed_run_left_unfinished(settings, registry, demo_inbox):
    ingest(settings, registry, progress=False)
    archived = tree(settings.archive)
    stale = settings.archive / "ab" / ".partial-killed"
    fresh = settings.archive / ".partial-in-progress"
    for partial in (stale, fresh):
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(b"half a file")
    os.utime(stale, (1, 1))

    ingest(settings, registry, progress=False)

    assert not stale.exists()
    assert fresh.exists()
    fresh.unlink()
    assert tree(settings.archive) == archived


@pytest.mark.parametrize(
    ("files", "per_shard", "most", "sizes"),
    [
        (0, 500, 16, [0]),
        (1, 500, 16, [1]),
        (1001, 500, 16, [334, 334, 333]),
        (100, 5, 16, [7] * 4 + [6] * 12),
    ],
)
def test_new_files_are_cut_into_at_least_one_and_at_most_the_set_number_of_shards(
    files, per_shard, most, sizes
):
    from pipeline.intake.scan import shards_of

    paths = [f"f{i}" for i in range(files)]
    shards = shards_of(paths, per_shard, most)
    assert [len(s) for s in shards] == sizes
    assert [p for s in shards for p in s] == paths  # every file once, oldest first


def test_a_shard_reports_what_it_took_in_and_one_bad_file_never_fails_it(settings, registry, register):
    from pipeline.intake import parse_shard

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    drop(settings, "枣林街道办事处/坏文件.xlsx", b"not a workbook")
    shard = ["枣林街道办事处/清单.csv", "枣林街道办事处/坏文件.xlsx", "枣林街道办事处/已删除.csv"]

    summary = parse_shard(settings, registry, shard, run_key="scheduled__1")

    assert {k: v for k, v in summary.items() if k != "work_files"} == {
        "files": 3,
        "parsed": 1,
        "rejected_by_parser": 1,
        "not_taken_in": 1,
        "inbox_files": shard,
    }
    report = intake.load_parsed(settings, registry, summary["work_files"])
    assert sorted(o.status for o in report.outcomes) == ["accepted", "rejected"]


def test_a_retried_shard_leaves_no_spool_behind_once_its_run_is_loaded(settings, registry, register):
    from pipeline.intake import parse_shard

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    shard = ["枣林街道办事处/清单.csv"]
    parse_shard(settings, registry, shard, run_key="scheduled__2")  # its task retried after it wrote…
    retried = parse_shard(
        settings, registry, shard, run_key="scheduled__2"
    )  # …and the loader gets the retry's
    run = settings.work_root / "scheduled__2"
    assert len(list(run.iterdir())) == 2

    report = intake.load_parsed(settings, registry, retried["work_files"])

    assert [o.status for o in report.outcomes] == ["accepted"]
    assert not run.exists()  # the first try's spool went with the run's folder


def test_a_shard_parsed_before_a_command_took_in_the_files_correction_never_stores_the_old_version(
    settings, registry, register
):
    # Found by a real scheduler's night: while a shard parsed, the office replaced its list with a correction (a
    # sync tool keeping the file's old time) and `pipeline ingest` took the correction in; the DAG's load then
    # stored the version its shard had read as the newest, in force over the correction, which every later night
    # called a duplicate of a superseded file.
    from pipeline.intake import parse_shard

    listed = drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    shard = parse_shard(settings, registry, ["枣林街道办事处/清单.csv"], run_key="scheduled__4")
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V2, mtime=10**18 + 10**9)
    assert [o.status for o in ingest(settings, registry, progress=False).outcomes] == ["accepted"]

    report = intake.load_parsed(settings, registry, shard["work_files"])

    assert report.outcomes == [] and report.unchanged == 2
    in_force = query(
        settings,
        "select sha256 from ops.submissions where inbox_path = ? and status = 'accepted'",
        ["枣林街道办事处/清单.csv"],
    )
    assert in_force == [(hashlib.sha256(listed.read_bytes()).hexdigest(),)]
    assert query(
        settings,
        "select count(*) from raw.compound_list r join ops.submissions s using "
        "(submission_id) where s.status = 'accepted'",
    ) == [(3,)]


def test_a_file_that_could_not_be_read_and_now_can_is_taken_in_by_the_dags_load(
    settings, registry, register, monkeypatch
):
    # Its folder's group opened to the service account: the file as recorded (no fingerprint) is as it is now, yet
    # the version the shard read is its first, never one overtaken by a command's.
    from pipeline.inbox_entries import Unreadable
    from pipeline.intake import parse_shard

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    with monkeypatch.context() as closed:
        closed.setattr(
            storage_module.LocalStorage,
            "read_inbox",
            lambda *a, **k: (_ for _ in ()).throw(Unreadable("权限不够")),
        )
        assert [o.status for o in ingest(settings, registry, progress=False).outcomes] == ["rejected"]
    shard = parse_shard(settings, registry, intake.find_new_files(settings), run_key="scheduled__6")

    report = intake.load_parsed(settings, registry, shard["work_files"])

    assert [(o.inbox_path, o.status) for o in report.outcomes] == [("枣林街道办事处/清单.csv", "accepted")]


def test_a_load_retried_after_an_attempt_that_finished_it_stores_nothing_and_does_not_fail(
    settings, registry, register
):
    # Its worker killed, an attempt Airflow judged failed had loaded every file and removed the work files: the
    # retry failed the night for good with MissingWorkFile, telling to run the DAG again for nothing.
    from pipeline.intake import parse_shard

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    keys = parse_shard(settings, registry, intake.find_new_files(settings), run_key="scheduled__7")[
        "work_files"
    ]
    first = intake.load_parsed(settings, registry, keys)
    stored = query(settings, "select inbox_path, status from ops.submissions order by 1")
    runs = query(settings, "select count(*) from ops.runs")

    again = intake.load_parsed(settings, registry, keys)

    assert [o.status for o in first.outcomes] == ["accepted"] and first.loaded_before is None
    assert again.outcomes == [] and again.loaded_before is not None
    assert query(settings, "select inbox_path, status from ops.submissions order by 1") == stored
    assert query(settings, "select count(*) from ops.runs") == runs
    # Work files of a run no load took in are still missing, as before: written where the loader cannot see.
    with pytest.raises(work.MissingWorkFile):
        intake.load_parsed(settings, registry, [key.replace("scheduled__7", "scheduled__8") for key in keys])


def test_a_shard_that_fails_removes_its_own_spool(settings, registry, register, monkeypatch):
    from pipeline.intake import parse_shard, work

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    read = work.read_inbox_file
    calls = []

    def failing(*args, **kwargs):  # the pipeline's own I/O failing on the second file, as a full disk would
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return read(*args, **kwargs)

    monkeypatch.setattr(work, "read_inbox_file", failing)
    with pytest.raises(OSError):
        parse_shard(settings, registry, ["枣林街道办事处/清单.csv"] * 2, run_key="scheduled__3")
    assert list((settings.work_root / "scheduled__3").iterdir()) == []


def test_a_shard_under_a_broken_suite_fails_before_reading_a_file(settings, registry, monkeypatch):
    # The DAG's parse tasks read the inbox and wrote work files; the load after them died with a traceback.
    import pipeline.suites as suites_module
    import pipeline.validate as validate_module
    from pipeline.intake import parse_shard
    from pipeline.suites import SuiteError
    from tests.pipeline.test_validate import _renamed_column

    suite = _renamed_column(suites_module.suite_documents, "compound_list", "households", "household_count")
    monkeypatch.setattr(validate_module, "suite_documents", suite)
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)

    with pytest.raises(SuiteError, match=r"compound_list\.json: .*'household_count'"):
        parse_shard(settings, registry, ["枣林街道办事处/清单.csv"], run_key="scheduled__1")

    assert not Path(settings.work_root).exists() or not any(Path(settings.work_root).rglob("*"))


def test_insert_rows_stores_decimals_dates_bytes_lists_and_nulls_exactly_as_given(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(
        "create table t (n integer, amount decimal(18, 4), day date, raw blob, names varchar[], note varchar)"
    )
    rows = [
        [1, Decimal("1250.1000"), dt.date(2024, 3, 1), b"\xc4\xe3", ["甲", "乙"], "全角１"],
        [2, Decimal("-0.0001"), None, None, [], None],
        [3, None, None, b"", None, ""],
    ]

    pending_rows.insert_rows(con, "t", ["n", "amount", "day", "raw", "names", "note"], rows)

    assert con.execute("select * from t order by n").fetchall() == [tuple(row) for row in rows]


def test_a_column_of_one_class_beside_blanks_goes_in_as_the_text_each_value_has_on_its_own(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create table t (amount decimal(38, 6), year integer, day date, note varchar, flag varchar)")
    # One class a column (beside blanks and text), as most are; a class without a text of its own (bool) as ever.
    columns = {
        "amount": [Decimal("1E+2"), None, Decimal("-0.000100"), Decimal("12345678901234567890.123456")],
        "year": [2024, 2023, 2022, 2021],
        "day": [dt.date(2024, 3, 1), None, dt.date(2023, 12, 31), None],
        "note": ["甲", None, 1.5, "乙"],
        "flag": [True, None, "否", False],
    }
    rows = [list(row) for row in zip(*columns.values(), strict=True)]

    pending_rows.insert_rows(con, "t", list(columns), rows)

    texts = {name: pending_rows._as_column(values) for name, values in columns.items()}
    assert texts == {
        name: [v if v is None or isinstance(v, str) else pending_rows._as_text(v) for v in values]
        for name, values in columns.items()
    }
    assert texts["amount"][0] == "100" and texts["flag"][0] == "True"
    assert con.execute("select amount, year, day from t order by year desc").fetchall() == [
        (a, y, d) for a, y, d in zip(columns["amount"], columns["year"], columns["day"], strict=True)
    ]


def test_a_duplicate_is_recorded_under_the_office_that_resent_it_with_year_and_templates(
    settings, registry, register
):
    from pipeline.status import status

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    drop(settings, "枣林街道办事处/清单（副本）.csv", COMPOUNDS_V1, mtime=2 * 10**18)
    ingest(settings, registry, progress=False)
    drop(settings, "枣林街道办事处/清单（又发一次）.csv", COMPOUNDS_V1, mtime=3 * 10**18)
    # At the inbox root, a shared folder, the 填报单位 line names the office, as it did for the first copy.
    drop(settings, "清单（根目录）.csv", COMPOUNDS_V1, mtime=4 * 10**18)

    outcomes = ingest(settings, registry, progress=False).outcomes

    assert [(o.status, o.unit) for o in outcomes] == [("duplicate", "枣林街道办事处")] * 2
    assert (
        query(
            settings,
            "select unit, year, templates from ops.submissions where status = 'duplicate' order by 1",
        )
        == [("枣林街道办事处", 2022, ["compound_list"])] * 3
    )
    # The receipt, in the office's folder, names the office too (it said 未知单位).
    facts = json.loads(
        (settings.receipts / "枣林街道办事处" / "清单（又发一次）.csv.回执.json").read_text(encoding="utf-8")
    )
    assert (facts["unit"], facts["year"], facts["templates"]) == ("枣林街道办事处", 2022, ["compound_list"])
    counted = status(settings).by_unit
    assert list(counted) == ["枣林街道办事处"]
    assert (counted["枣林街道办事处"]["accepted"], counted["枣林街道办事处"]["duplicate"]) == (2, 3)


def test_a_line_feed_or_carriage_return_in_a_file_name_cannot_forge_a_line_of_the_status(settings, registry):
    from pipeline.status import render, render_rejected, status

    forged = ["B\nfake line [已接收] 伪造.xlsx", "D\r[已接收] 覆盖.xlsx", "E\u2028[已接收] 另起.xlsx"]
    for name in forged:
        drop(settings, f"枣林街道办事处/{name}", f"not a workbook: {name}".encode())  # no two alike
    ingest(settings, registry, progress=False)
    result = status(settings)

    listed = render_rejected(result).splitlines()
    summary = render(result).splitlines()

    assert len(listed) == 2 + 2 * len(forged)  # a title, a header, and two lines a file
    assert not any(line.startswith(("fake", "[已接收]")) for line in listed + summary)
    assert sum("[已接收]" in line for line in listed) == 2 * len(forged)  # in the name and its receipt's name
    assert len(render_rejected(result).split("\r")) == 1 and "\u2028" not in render_rejected(result)


def test_a_corrected_file_copied_in_with_its_old_size_and_mtime_is_taken_in(settings, registry, register):
    first = drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    ingest(settings, registry, progress=False)
    corrected = COMPOUNDS_V1.replace("249,725.58", "248,725.58")
    assert len(corrected.encode()) == first.stat().st_size
    # As `cp -p` or a sync tool delivers it: new bytes under the old name, the old size and mtime kept.
    drop(settings, "枣林街道办事处/清单.csv", corrected, mtime=10**18)

    report = ingest(settings, registry, progress=False)

    assert [(o.inbox_path, o.status) for o in report.outcomes] == [("枣林街道办事处/清单.csv", "accepted")]
    assert query(settings, "select households from staging.compound_list order by households") == [
        (248,),
        (370,),
    ]


def test_a_file_only_moved_on_disk_is_fingerprinted_again_and_found_unchanged(settings, registry, register):
    path = drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    ingest(settings, registry, progress=False)
    os.chmod(path, 0o600)  # the ctime moves, the bytes do not

    report = ingest(settings, registry, progress=False)

    assert report.outcomes == [] and report.unchanged == 2
    assert query(settings, "select count(*) from ops.submissions") == [(2,)]
    # The new ctime is remembered, so the next night does not read the file again.
    assert query(settings, "select marker from ops.inbox_files where inbox_path like '%清单%'") == [
        (local_marker(path.stat()),)
    ]


def test_a_data_root_copied_with_cp_a_takes_in_none_of_its_files_again_whatever_their_outcome(
    settings, registry, register, monkeypatch
):
    from pipeline.inbox_entries import Unreadable

    # 37O: a letter O for a zero, rejected; put right with the size and mtime kept, as `cp -p` delivers it.
    draft = COMPOUNDS_V1.replace(",370,", ",37O,")
    drop(settings, "枣林街道办事处/清单.csv", draft, mtime=10**18)
    drop(settings, "枣林街道办事处/清单（锁定）.csv", COMPOUNDS_V2, mtime=10**18)
    opened = storage_module.LocalStorage._open

    def closed(self, path):  # the tests run as root: a file the service account may not read, by its name
        if "锁定" in path:
            raise Unreadable("权限不够")
        return opened(self, path)

    monkeypatch.setattr(storage_module.LocalStorage, "_open", closed)
    first = ingest(settings, registry, progress=False).outcomes
    assert sorted(o.status for o in first) == ["rejected", "rejected"]
    # A backup restored, or the data root moved to a new disk: every file has a new inode and ctime, mtimes kept.
    home = settings.inbox.parent
    subprocess.run(["cp", "-a", str(home), str(home.with_name("restored"))], check=True)
    monkeypatch.setenv("PIPELINE_HOME", str(home.with_name("restored")))
    restored = Settings.from_env()
    hashed = []
    sha256 = storage_module.LocalStorage.inbox_sha256
    monkeypatch.setattr(
        storage_module.LocalStorage,
        "inbox_sha256",
        lambda self, path: hashed.append(path) or sha256(self, path),
    )

    report = ingest(restored, registry, progress=False)

    assert (report.outcomes, report.unchanged) == ([], 3)
    assert sorted(hashed) == ["枣林街道办事处/清单.csv", "枣林街道办事处/项目基本信息.csv"]
    assert query(restored, "select status, count(*) from ops.submissions group by 1 order by 1") == [
        ("accepted", 1),
        ("rejected", 2),
    ]
    # The new markers are remembered: the next night reads no file.
    hashed.clear()
    assert (ingest(restored, registry, progress=False).outcomes, hashed) == ([], [])

    drop(restored, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    assert len(COMPOUNDS_V1.encode()) == len(draft.encode())

    outcomes = ingest(restored, registry, progress=False).outcomes

    assert [(o.inbox_path, o.status) for o in outcomes] == [("枣林街道办事处/清单.csv", "accepted")]


def test_a_run_reads_every_file_by_the_day_it_started_and_records_it(
    settings, registry, register, monkeypatch
):
    from pipeline import read_day

    # The clock turns to 1 April after its first reading: a run started on 31 March still reads its last file by it.
    readings = iter([dt.date(2022, 3, 31)])
    monkeypatch.setattr(read_day, "today", lambda: next(readings, dt.date(2022, 4, 1)))
    header = "项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）"
    project = "枣林街道办事处改造老旧小区"
    for at, name in enumerate(("1月.csv", "4月.csv"), start=2):
        # April's 80 is investment of a month not yet begun on 31 March: returned, on either file.
        rows = [f"{project},2022,1,1000,100,100", f"{project},2022,4,1000,80,180"]
        drop(
            settings,
            f"枣林街道办事处/{name}",
            "\n".join(["投资完成情况月报", header, *rows]) + "\n",
            mtime=at,
        )

    outcomes = ingest(settings, registry, progress=False).outcomes

    assert [o.status for o in outcomes] == ["rejected", "rejected"]
    for outcome in outcomes:
        [problem] = [p for p in outcome.problems if p.rule == "month_not_begun"]
        assert "本表读取于2022年3月31日" in problem.message_zh
    assert query(
        settings,
        "select original_name, read_on from ops.submissions where original_name like '%月.csv' order by 1",
    ) == [("1月.csv", dt.date(2022, 3, 31)), ("4月.csv", dt.date(2022, 3, 31))]
