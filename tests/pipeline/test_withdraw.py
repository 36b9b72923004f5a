"""Withdrawing a wrongly accepted file: its slices fall back, the default year holds, everything stays in ops."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main
from pipeline.indicators import NoDataError, build_indicators, default_year
from pipeline.intake import ingest
from pipeline.intake.retell import retell
from pipeline.projects import derived_code
from pipeline.settings import TIMEZONE
from pipeline.warehouse import publish_pending
from pipeline.warehouse_schema import ensure_schema
from pipeline.withdraw import WithdrawError, off_sum_lines, withdraw
from tests.conftest import REGISTER_CSV
from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2, drop, query

THIS_YEAR = dt.datetime.now(TIMEZONE).year


def register_for(year: int) -> str:
    return (
        f"{year}年项目基本信息表\n序号,项目名称,项目类型,实施单位,计划总投资（万元）\n"
        f"1,枣林街道办事处改造老旧小区,老旧小区改造,枣林街道办事处,9163.6\n"
    )


def submission(settings, name: str) -> int:
    [(number,)] = query(settings, "select submission_id from ops.submissions where original_name = ?", [name])
    return number


@pytest.mark.slow  # 5 s or more on two cores
def test_withdrawing_a_correction_brings_back_the_file_it_superseded(settings, registry, register):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10)
    ingest(settings, registry, progress=False)
    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=20)
    ingest(settings, registry, progress=False)
    first, second = submission(settings, "清单.csv"), submission(settings, "清单（更正）.csv")
    assert query(settings, "select count(*) from staging.compound_list") == [(3,)]

    done = withdraw(settings, registry, second, "更正版误报")

    # Left for the marts' rebuild to publish: no version shows it withdrawn while the marts still count it.
    assert query(settings, "select status from ops.submissions where submission_id = ?", [second]) == [
        ("accepted",)
    ]
    publish_pending(settings.warehouse)
    assert done.status_before == "accepted" and done.restored == [(first, "清单.csv")]
    assert dict(
        query(
            settings,
            "select submission_id, status from ops.submissions where submission_id in (?, ?)",
            [first, second],
        )
    ) == {
        first: "accepted",
        second: "withdrawn",
    }
    assert query(settings, "select count(*) from staging.compound_list") == [(2,)]
    [(who, why, before)] = query(
        settings,
        "select withdrawn_by, reason, status_before from ops.withdrawals where submission_id = ?",
        [second],
    )
    assert who == "管理员" and why == "更正版误报" and before == "accepted"  # none named: never the OS login
    assert query(settings, "select count(*) from raw.compound_list where submission_id = ?", [second]) == [
        (3,)
    ]
    receipts = {
        number: json.loads(Path(path).with_suffix(".json").read_text(encoding="utf-8"))
        for number, path in query(settings, "select submission_id, receipt_path from ops.submissions")
    }
    assert receipts[second]["status_zh"] == "已撤回" and "更正版误报" in receipts[second]["reason"]
    assert receipts[first]["status"] == "accepted"
    assert "已撤回" in Path(
        query(settings, "select receipt_path from ops.submissions where submission_id = ?", [second])[0][0]
    ).read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_file_for_next_year_never_moves_the_report_and_withdrawing_it_removes_its_data(settings, registry):
    drop(settings, "枣林街道办事处/项目.csv", register_for(THIS_YEAR), mtime=10)
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1.replace("2022", str(THIS_YEAR)), mtime=11)
    ingest(settings, registry, progress=False)
    assert build_indicators(settings, registry) == THIS_YEAR
    drop(settings, "枣林街道办事处/明年项目.csv", register_for(THIS_YEAR + 1), mtime=20)
    drop(settings, "枣林街道办事处/明年清单.csv", COMPOUNDS_V2.replace("2022", str(THIS_YEAR + 1)), mtime=21)
    outcomes = ingest(settings, registry, progress=False).outcomes
    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    assert build_indicators(settings, registry) == THIS_YEAR  # next year has data, yet is no default

    wrong = submission(settings, "明年清单.csv")
    assert main(["withdraw", str(wrong), "--reason", "年度填错"]) == 0

    assert query(settings, "select distinct year from staging.compound_list") == [(THIS_YEAR,)]
    assert query(settings, "select status from ops.submissions where submission_id = ?", [wrong]) == [
        ("withdrawn",)
    ]
    assert query(settings, "select count(*) from ops.submissions") == [
        (4,)
    ]  # the withdrawn file stays visible
    years = query(settings, "select distinct year from mart.project_year order by 1")
    assert (THIS_YEAR,) in years
    assert build_indicators(settings, registry) == THIS_YEAR


@pytest.mark.slow
def test_a_withdrawal_cut_short_before_publishing_is_finished_by_running_it_again(
    settings, registry, register
):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10)
    ingest(settings, registry, progress=False)
    build_indicators(settings, registry)
    number = submission(settings, "清单.csv")
    withdraw(settings, registry, number, "误报")  # as `pipeline withdraw` killed before it rebuilt the marts

    assert query(settings, "select status from ops.submissions where submission_id = ?", [number]) == [
        ("accepted",)
    ]
    assert main(["withdraw", str(number), "--reason", "误报"]) == 0

    assert query(settings, "select status from ops.submissions where submission_id = ?", [number]) == [
        ("withdrawn",)
    ]
    assert query(settings, "select count(*) from mart.renovated_compounds") == [(0,)]


@pytest.mark.slow  # 5 s or more on two cores
def test_a_copy_of_a_withdrawn_or_superseded_file_is_a_duplicate_that_says_its_data_is_not_in_force(
    settings, registry, register
):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10)
    ingest(settings, registry, progress=False)
    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=20)
    ingest(settings, registry, progress=False)
    second = submission(settings, "清单（更正）.csv")
    withdraw(settings, registry, second, "更正版误报")
    drop(settings, "枣林街道办事处/清单（再次）.csv", COMPOUNDS_V2, mtime=30)  # the withdrawn bytes again
    drop(settings, "枣林街道办事处/清单（旧）.csv", COMPOUNDS_V1, mtime=31)  # the file in force again

    outcomes = {Path(o.inbox_path).name: o for o in ingest(settings, registry, progress=False).outcomes}

    again, old = outcomes["清单（再次）.csv"], outcomes["清单（旧）.csv"]
    assert again.status == "duplicate" and "已被撤回，其数据不在数据仓库中" in again.reason
    assert old.status == "duplicate" and "撤回" not in old.reason and "替代" not in old.reason


def duplicate_receipt(settings, name: str) -> tuple[str, str]:
    """Return a duplicate's reason as its receipt's JSON says it, and the receipt's page."""
    [(path,)] = query(settings, "select receipt_path from ops.submissions where original_name = ?", [name])
    page = Path(path).read_text(encoding="utf-8")
    facts = json.loads(
        Path(path).with_name(Path(path).name.removesuffix(".html") + ".json").read_text("utf-8")
    )
    return facts["reason"], page


@pytest.mark.slow  # 5 s or more on two cores
def test_a_duplicates_receipt_is_retold_when_the_file_it_repeats_goes_out_of_force_and_back(
    settings, registry, register
):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10)
    ingest(settings, registry, progress=False)
    drop(settings, "枣林街道办事处/清单（重发）.csv", COMPOUNDS_V1, mtime=20)
    ingest(settings, registry, progress=False)
    reason, summary = duplicate_receipt(settings, "清单（重发）.csv")
    assert "撤回" not in reason and "替代" not in reason and "无需任何操作" in summary

    # A correction supersedes the file it repeats: its data is no longer in force.
    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=30)
    ingest(settings, registry, progress=False)
    reason, summary = duplicate_receipt(settings, "清单（重发）.csv")
    assert "现行数据是更正版本的" in reason and "无需任何操作" not in summary
    # Named as the file it repeats names it in its own receipt: the clerk is told which correction stands.
    [(corrected,)] = query(
        settings, "select submission_id from ops.submissions where original_name = '清单（更正）.csv'"
    )
    assert f"更正版本（第{corrected}号提交“清单（更正）.csv”）替代" in reason

    # The correction withdrawn: the file it repeats is in force again.
    withdraw(settings, registry, submission(settings, "清单（更正）.csv"), "更正版误报")
    reason, summary = duplicate_receipt(settings, "清单（重发）.csv")
    assert "替代" not in reason and "无需任何操作" in summary

    # The file it repeats withdrawn: its data is not in the warehouse, whatever the duplicate said.
    withdraw(settings, registry, submission(settings, "清单.csv"), "误报")
    reason, summary = duplicate_receipt(settings, "清单（重发）.csv")
    assert "已被撤回，其数据不在数据仓库中" in reason and "无需任何操作" not in summary


def issue_of(settings, inbox_path: str, rule: str) -> tuple[list[int] | None, str | None]:
    """Return the submissions a stored warning names and its stale note, by the file it is on."""
    [found] = query(
        settings,
        "select i.named_submissions, i.stale_note from ops.validation_issues as i "
        "join ops.submissions as s using (submission_id) where s.inbox_path = ? and i.rule = ?",
        [inbox_path, rule],
    )
    return found


def receipt_of(settings, inbox_path: str) -> tuple[dict, str]:
    """Return a file's receipt as its JSON and its page say it."""
    [(path,)] = query(settings, "select receipt_path from ops.submissions where inbox_path = ?", [inbox_path])
    page = Path(path).read_text(encoding="utf-8")
    return json.loads(Path(path).with_suffix(".json").read_text(encoding="utf-8")), page


ZAOLIN = "枣林街道办事处改造老旧小区"  # the project REGISTER_CSV registers and COMPOUNDS_V1 names
LANES = "枣林街道办事处背街小巷改造"
ZAOLIN_ROW = REGISTER_CSV.splitlines()[-1]


def list_for(project: str) -> str:
    return COMPOUNDS_V1.replace(f"项目名称：{ZAOLIN}", f"项目名称：{project}")


def _progress_csv(*months: tuple[int, int, int]) -> str:
    """枣林's investment progress: rows of (month, 本月完成, 累计完成)."""
    header = "项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）"
    rows = [f"枣林街道办事处改造老旧小区,2022,{m},9163.6,{done},{so_far}" for m, done, so_far in months]
    return "\n".join(["投资完成情况月报", header, *rows]) + "\n"


@pytest.mark.slow  # 5 s or more on two cores
def test_withdrawing_a_correction_names_the_later_months_whose_cumulative_it_leaves_off_their_sum(
    settings, registry, register
):
    # February's 本月 corrected from 50 to 70, then April's 累计 sent adding up with it: withdrawn, the correction
    # leaves April's 320 off the 300 of the months in force, which the report still reads as sent.
    nights = [
        ("1-3月.csv", _progress_csv((1, 100, 100), (2, 50, 150), (3, 90, 240))),
        ("2月更正.csv", _progress_csv((2, 70, 170))),
        ("4月.csv", _progress_csv((4, 60, 320))),
    ]
    for at, (name, text) in enumerate(nights, start=2):
        drop(settings, f"枣林街道办事处/{name}", text, mtime=at)
        ingest(settings, registry, progress=False)

    done = withdraw(settings, registry, submission(settings, "2月更正.csv"), "误报")

    # March adds up again (240): only April is named.
    assert [(o.original_name, o.month, o.cumulative, o.months_sum) for o in done.off_sums] == [
        ("4月.csv", 4, Decimal(320), Decimal(300))
    ]
    [said] = [line for line in off_sum_lines(done) if "4月.csv" in line]
    assert "2022年4月：累计320万元，1月至4月本月完成投资之和300万元" in said
    # The office is told too, on April's receipt, at its 累计 cell: it alone can send the months again.
    facts, page = receipt_of(settings, "枣林街道办事处/4月.csv")
    [told] = [p for p in facts["problems"] if p["rule"] == "cumulative_mismatch"]
    assert (told["excel_row"], told["column_header"], told["value"]) == (3, "累计完成投资（万元）", "320")
    assert f"第{submission(settings, '2月更正.csv')}号提交“2月更正.csv”撤回后" in told["message_zh"]
    assert "（300万元）不再相符" in told["message_zh"] and "重新报送" in page
    publish_pending(settings.warehouse)
    assert query(settings, "select warning_count from ops.submissions where original_name = '4月.csv'") == [
        (1,)
    ]
    # February's correction sent again, April adds up once more: the warning says it no longer applies.
    drop(settings, "枣林街道办事处/2月再更正.csv", _progress_csv((2, 70, 170)) + "\n", mtime=9)
    ingest(settings, registry, progress=False)
    facts, _ = receipt_of(settings, "枣林街道办事处/4月.csv")
    [told] = [p for p in facts["problems"] if p["rule"] == "cumulative_mismatch"]
    assert told["stale_note"] is not None
    assert query(settings, "select warning_count from ops.submissions where original_name = '4月.csv'") == [
        (0,)
    ]
    # Withdrawn in turn, April is off again: told once, by the warning it has.
    assert withdraw(settings, registry, submission(settings, "2月再更正.csv"), "误报").off_sums
    facts, _ = receipt_of(settings, "枣林街道办事处/4月.csv")
    assert [p["stale_note"] for p in facts["problems"] if p["rule"] == "cumulative_mismatch"] == [None]
    # Withdrawing April leaves the months in force adding up: nothing to name.
    assert withdraw(settings, registry, submission(settings, "4月.csv"), "误报").off_sums == []


def test_withdrawing_a_register_names_the_files_in_force_whose_projects_it_alone_registered(
    settings, registry
):
    # 项目一 registers both projects; 项目二 registers 背街小巷 again, so only 改造老旧小区 rests on 项目一 alone.
    drop(
        settings,
        "枣林街道办事处/项目一.csv",
        f"{REGISTER_CSV}{ZAOLIN_ROW.replace(ZAOLIN, LANES)}\n",
        mtime=10,
    )
    drop(settings, "枣林街道办事处/项目二.csv", REGISTER_CSV.replace(ZAOLIN, LANES), mtime=11)
    drop(settings, "枣林街道办事处/清单一.csv", list_for(ZAOLIN), mtime=12)
    drop(settings, "枣林街道办事处/清单二.csv", list_for(LANES), mtime=13)
    assert {o.status for o in ingest(settings, registry, progress=False).outcomes} == {"accepted"}
    wrong, orphan = submission(settings, "项目一.csv"), submission(settings, "清单一.csv")

    done = withdraw(settings, registry, wrong, "登记表有误")

    assert [(f.submission_id, f.original_name, f.unit, f.forms, f.projects) for f in done.unregistered] == [
        (
            orphan,
            "清单一.csv",
            "枣林街道办事处",
            (registry.templates["compound_list"].name_zh,),
            ((ZAOLIN, 2022, derived_code("枣林街道办事处", ZAOLIN)),),
        )
    ]
    # What the message says of the report: the list is still counted, its project has no register entry.
    build_indicators(settings, registry)
    counted = dict(query(settings, "select project_name, compounds from mart.renovated_compounds"))
    compounds = [line for line in COMPOUNDS_V1.splitlines() if line[:1].isdigit()]
    assert counted == dict.fromkeys((ZAOLIN, LANES), len(compounds))
    registered = dict(
        query(settings, "select project_name, planned_total_investment_wan from mart.project_year")
    )
    assert registered[ZAOLIN] is None and registered[LANES] is not None


@pytest.mark.slow  # 5 s or more on two cores
def test_a_project_the_register_restored_by_a_withdrawal_lists_has_lost_nothing(settings, registry, register):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10)
    drop(settings, "枣林街道办事处/项目（更正）.csv", REGISTER_CSV.replace("9163.6", "9200"), mtime=11)
    ingest(settings, registry, progress=False)
    first, correction = submission(settings, register.name), submission(settings, "项目（更正）.csv")

    done = withdraw(settings, registry, correction, "更正版有误")

    assert done.restored == [(first, register.name)] and done.unregistered == []


def test_only_accepted_or_superseded_files_can_be_withdrawn_and_a_reason_is_required(
    settings, registry, register
):
    drop(settings, "枣林街道办事处/坏.csv", "无法识别\n甲,乙\n")
    ingest(settings, registry, progress=False)
    rejected = submission(settings, "坏.csv")

    with pytest.raises(WithdrawError, match="已退回"):
        withdraw(settings, registry, rejected, "误报")
    with pytest.raises(WithdrawError, match="没有第9999号提交"):
        withdraw(settings, registry, 9999, "误报")
    with pytest.raises(WithdrawError, match="--reason"):
        withdraw(settings, registry, rejected, "  ")
    assert main(["withdraw", str(rejected), "--reason", "误报"]) == 1


def test_the_default_year_is_the_latest_registered_one_not_in_the_future():
    assert default_year([2021, 2022, THIS_YEAR + 1], {2021, 2022, THIS_YEAR + 1}) == 2022
    assert default_year([2021, 2022], {2021}) == 2021
    with pytest.raises(NoDataError, match="--year"):
        default_year([THIS_YEAR + 1], {THIS_YEAR + 1})


def test_an_older_data_roots_submissions_table_gains_the_withdrawn_status_and_keeps_its_rows(
    tmp_path, registry
):
    with duckdb.connect(str(tmp_path / "old.duckdb")) as con:
        con.execute("create schema ops")
        con.execute(
            "create table ops.submissions (submission_id integer primary key, sha256 varchar not null, "
            "original_name varchar not null, inbox_path varchar not null, unit varchar, templates varchar[], "
            "year integer, received_at timestamptz not null, status varchar not null check (status in "
            "('accepted', 'rejected', 'duplicate', 'superseded')), error_count integer not null, "
            "warning_count integer not null, receipt_path varchar, receipt_status varchar, "
            "archive_path varchar not null, reason varchar, duplicate_of integer)"
        )
        con.execute(
            "insert into ops.submissions values (1, 'ab', 'x.csv', 'u/x.csv', 'u', ['compound_list'], 2022, "
            "now(), 'accepted', 0, 0, null, null, 'ab/ab.csv', null, null)"
        )
        ensure_schema(con, registry)
        con.execute("update ops.submissions set status = 'withdrawn' where submission_id = 1")
        assert con.execute(
            "select original_name, status, sending_folder from ops.submissions"
        ).fetchall() == [("x.csv", "withdrawn", None)]


def test_an_older_data_roots_issues_gain_the_retelling_columns_and_are_all_still_open(tmp_path, registry):
    with duckdb.connect(str(tmp_path / "old.duckdb")) as con:
        con.execute("create schema ops")
        con.execute(
            "create table ops.validation_issues (submission_id integer not null, sheet varchar, excel_row integer, "
            "column_header varchar, value varchar, severity varchar not null check (severity in ('error', "
            "'warning')), rule varchar not null, message_zh varchar not null, expected varchar, fix varchar)"
        )
        con.execute(
            "insert into ops.validation_issues values (1, 'Sheet1', 3, null, null, 'warning', "
            "'same_as_other_year', '与第0号提交相同', null, null)"
        )
        ensure_schema(con, registry)
        retell(con)  # an issue stored before names were recorded names nothing: it stays as it was

        assert con.execute("select rule, named_submissions, stale_note from ops.open_issues").fetchall() == [
            ("same_as_other_year", None, None)
        ]


@pytest.mark.slow  # 5 s or more on two cores: the command rebuilds the marts
@pytest.mark.parametrize(("by", "named"), [(["--by", " 财政局 李明 "], "财政局 李明"), ([], "管理员")])
def test_the_receipt_names_who_withdrew_it_as_the_command_did_never_the_os_login(
    settings, registry, register, by, named
):
    # It said 由root撤回: the machine's account, which the office cannot ask and should not be shown.
    number = submission(settings, "项目基本信息.csv")

    assert main(["--quiet", "withdraw", str(number), "--reason", "误报", *by]) == 0

    [(who,)] = query(settings, "select withdrawn_by from ops.withdrawals where submission_id = ?", [number])
    assert who == named
    [(path,)] = query(settings, "select receipt_path from ops.submissions where submission_id = ?", [number])
    said = json.loads(Path(path).with_suffix(".json").read_text(encoding="utf-8"))["reason"]
    assert re.fullmatch(rf"\d{{4}}-\d\d-\d\d \d\d:\d\d由{named}撤回，原因：误报", said), said
