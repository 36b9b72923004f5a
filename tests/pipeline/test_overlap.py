"""One compound in two lists: the implementing unit's list of its project stands whichever came first, and a
compound two projects list is asked about on both receipts. Every file is built here and taken in through the
inbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.indicators import build_indicators
from pipeline.problems import RULE_ZH
from pipeline.settings import Settings
from tests.pipeline.test_intake import query, receipts_in_one_piece_and_in_chunks
from tests.pipeline.test_projects import BUREAU, JIA, YEAR, YI, compounds_csv, register_csv, take_in
from tests.pipeline.workbooks import xlsx


def issues(settings, name: str, rule: str) -> list[tuple]:
    """Return (severity, message, named submissions) of one rule told on a file's receipt, as stored."""
    return query(
        settings,
        "select i.severity, i.message_zh, i.named_submissions from ops.validation_issues i "
        "join ops.submissions s using (submission_id) where s.original_name = ? and i.rule = ?",
        [name, rule],
    )


def submission(settings, name: str) -> tuple:
    """Return (number, status, warning count) of the latest submission of a file name."""
    return query(
        settings,
        "select submission_id, status, warning_count from ops.submissions where original_name = ? "
        "order by submission_id desc limit 1",
        [name],
    )[0]


@pytest.mark.parametrize("same_night", [True, False])
def test_the_implementing_units_list_stands_when_another_offices_list_of_its_compound_came_first(
    settings, registry, same_night
):
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", "甲项目", JIA)))
    stray = (f"{YI}/乙清单.csv", compounds_csv("甲项目", "棉纺厂东院"))  # 乙 may not send for 甲
    own = (f"{JIA}/甲清单.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区"))
    if same_night:
        outcomes = take_in(settings, registry, register, stray, own)
    else:
        outcomes = take_in(settings, registry, register, stray) | take_in(settings, registry, own)

    assert outcomes[own[0]].status == "accepted"
    assert query(settings, "select unit, count(*) from staging.compound_list group by all") == [(JIA, 2)]
    if same_night:  # never in force: returned, as when it comes after the unit's list
        [problem] = outcomes[stray[0]].errors
        assert (problem.rule, problem.value) == ("listed_by_other_unit", "棉纺厂东院")
        assert f"已列在{JIA}报送的项目“甲项目”" in problem.message_zh
        return
    number, status, warnings = submission(settings, "乙清单.csv")
    own_number = submission(settings, "甲清单.csv")[0]
    assert (status, warnings) == ("superseded", 1)
    [(severity, message, _)] = issues(settings, "乙清单.csv", "listed_by_other_unit")
    assert severity == "warning" and f"项目实施单位{JIA}报送的第{own_number}号提交“甲清单.csv”" in message
    receipt = (settings.receipts / YI / "乙清单.csv.回执.html").read_text(encoding="utf-8")
    assert f"项目实施单位随后报送的第{own_number}号提交替代" in receipt and "同一单位随后报送" not in receipt
    [problem] = [p for p in outcomes[own[0]].warnings if p.rule == "took_other_unit_list"]
    assert f"已列在{YI}报送的第{number}号提交“乙清单.csv”" in problem.message_zh
    assert RULE_ZH["took_other_unit_list"]

    # The unit's corrected list keeps 乙's out, and leaves its first list superseded, not half in force.
    corrected = (f"{JIA}/甲清单（更正）.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区", "育源小区"))
    outcome = take_in(settings, registry, corrected)[corrected[0]]
    assert outcome.status == "accepted"
    assert query(settings, "select unit, count(*) from staging.compound_list group by all") == [(JIA, 3)]
    assert submission(settings, "甲清单.csv")[1] == "superseded"
    # Its receipt, the one in force, says so as the first list's did: that one is superseded with its warning.
    [kept] = [p for p in outcome.warnings if p.rule == "took_other_unit_list"]
    assert kept.message_zh == problem.message_zh and (kept.excel_row, kept.value) == (
        problem.excel_row,
        "棉纺厂东院",
    )
    [(_, _, named)] = issues(settings, "甲清单（更正）.csv", "took_other_unit_list")
    assert named == [number]


def test_a_units_corrected_list_naming_none_of_the_offices_rows_it_keeps_out_says_so(settings, registry):
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", "甲项目", JIA)))
    stray = (f"{YI}/乙清单.csv", compounds_csv("甲项目", "棉纺厂东院", "育才小区"))
    own = (f"{JIA}/甲清单.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区"))
    take_in(settings, registry, register, stray)
    take_in(settings, registry, own)
    stray_number = submission(settings, "乙清单.csv")[0]

    # The unit drops the compound both listed: its list still holds 乙's slice, so neither list counts 棉纺厂东院 or
    # 育才小区 now. Nothing in force said so before: the only warning was on the list the correction replaced.
    corrected = (f"{JIA}/甲清单（更正）.csv", compounds_csv("甲项目", "市委小区", "育源小区"))
    outcome = take_in(settings, registry, corrected)[corrected[0]]
    assert outcome.status == "accepted"
    assert query(settings, "select unit, count(*) from staging.compound_list group by all") == [(JIA, 2)]
    [kept] = [p for p in outcome.warnings if p.rule == "took_other_unit_list"]
    assert kept.excel_row == 4 and kept.value is None  # its first row of the project: it names no row of 乙's
    assert f"第4行所在的项目“甲项目”{YEAR}年度的各行未再列出{YI}报送的第{stray_number}号提交“乙清单.csv”" in (
        kept.message_zh
    )
    assert "“棉纺厂东院”、“育才小区”" in kept.message_zh and "仍不计入" in kept.message_zh
    [(severity, _, named)] = issues(settings, "甲清单（更正）.csv", "took_other_unit_list")
    assert severity == "warning" and named == [stray_number]

    # What it asks for works: 乙's list of its own compounds, sent again, is taken in and counts, and the warning no
    # longer applies.
    again = (f"{YI}/乙清单（重报）.csv", compounds_csv("甲项目", "育才小区"))
    assert take_in(settings, registry, again)[again[0]].status == "accepted"
    assert query(
        settings, "select unit, count(*) from staging.compound_list group by all order by 1"
    ) == sorted([(JIA, 2), (YI, 1)])
    [(_, receipt)] = query(
        settings,
        "select i.submission_id, i.stale_note from ops.validation_issues i join ops.submissions s "
        "using (submission_id) where s.original_name = '甲清单（更正）.csv' and i.rule = 'took_other_unit_list'",
    )
    assert receipt is not None and "不再适用" in receipt


@pytest.mark.parametrize("units_file", ["a list", "a workbook with its register"])
def test_an_offices_own_list_sent_before_the_units_the_same_night_stays_in_force(
    tmp_path, registry, monkeypatch, units_file
):
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", "甲项目", JIA)))
    stray = (f"{YI}/乙清单.csv", compounds_csv("甲项目", "棉纺厂东院", "育才小区"))
    # 乙 drops the unit's compound and keeps its own; the unit's list comes later the same night. As on nights of
    # their own, 乙's correction replaces its list first, and the unit's list finds nothing of 乙's to take.
    fixed = (f"{YI}/乙清单（更正）.csv", compounds_csv("甲项目", "育才小区"))
    own = (f"{JIA}/甲清单.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区"))
    if units_file != "a list":  # stored with the registers: the files sharing its slices go before it
        sheets = {"项目信息": register[1], "清单": own[1]}
        own = (
            f"{JIA}/甲清单.xlsx",
            xlsx({n: [r.split(",") for r in t.splitlines()] for n, t in sheets.items()}),
        )
    one, cut = receipts_in_one_piece_and_in_chunks(
        tmp_path, registry, monkeypatch, fixed, own, before=(register, stray)
    )

    assert one == cut
    assert [one[path]["status"] for path in (stray[0], fixed[0], own[0])] == [
        "superseded",
        "accepted",
        "accepted",
    ]
    assert one[own[0]]["problems"] == []
    for name in ("one", "cut"):
        assert query(
            Settings.from_env(tmp_path / name),
            "select unit, compound_name from staging.compound_list order by all",
        ) == sorted([(JIA, "市委小区"), (JIA, "棉纺厂东院"), (YI, "育才小区")])


def test_another_offices_list_of_the_night_naming_the_units_compound_is_returned_however_the_night_is_cut(
    tmp_path, registry, monkeypatch
):
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", "甲项目", JIA)))
    stray = (
        f"{YI}/乙清单.csv",
        compounds_csv("甲项目", "棉纺厂东院"),
    )  # received first, in a chunk of its own
    own = (f"{JIA}/甲清单.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区"))
    one, cut = receipts_in_one_piece_and_in_chunks(
        tmp_path, registry, monkeypatch, stray, own, before=(register,)
    )

    assert one == cut
    assert (one[stray[0]]["status"], [p["rule"] for p in one[stray[0]]["problems"]]) == (
        "rejected",
        ["listed_by_other_unit"],
    )
    assert one[own[0]] == {"status": "accepted", "reason": None, "problems": []}


def test_the_units_list_the_suites_return_returns_no_other_offices_list_of_the_night(settings, registry):
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", "甲项目", JIA)))
    take_in(settings, registry, register)
    # 甲's list names 市委小区 twice, which only the suites find: returned, it is in force nowhere, so 乙's list of
    # the night naming 棉纺厂东院 repeats nothing, as on a night of its own either way round.
    own = (f"{JIA}/甲清单.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区", "市委小区"))
    stray = (f"{YI}/乙清单.csv", compounds_csv("甲项目", "棉纺厂东院"))
    outcomes = take_in(settings, registry, own, stray)

    assert [p.rule for p in outcomes[own[0]].errors] == ["unique_compound"]
    assert (outcomes[stray[0]].status, outcomes[stray[0]].problems) == ("accepted", [])
    assert query(settings, "select unit, compound_name from staging.compound_list") == [(YI, "棉纺厂东院")]


STALE = "所涉第{}号提交已撤回，其数据已不再有效，此提示不再适用，无需处理。"


def compounds_book(*lists: tuple[str, tuple[str, ...]]) -> bytes:
    """A workbook of one compound list sheet per (project, compounds), as `compounds_csv` words each."""
    return xlsx(
        {
            name: [
                [float(c) if c[:1].isdigit() else c for c in line.split(",")] for line in text.splitlines()
            ]
            for name, text in ((p, compounds_csv(p, *c)) for p, c in lists)
        }
    )


def counted(settings, registry) -> dict[tuple[str, str], int]:
    """Return the compounds the report counts, by office and project, rebuilt from what is in force now."""
    build_indicators(settings, registry)
    return {
        (u, p): n
        for u, p, n in query(settings, "select unit, project_name, compounds from mart.renovated_compounds")
    }


def receipt(settings, name: str) -> tuple[dict, str]:
    """Return the latest receipt of a file name, as its JSON and its page say it."""
    [(path,)] = query(
        settings,
        "select receipt_path from ops.submissions where original_name = ? order by submission_id desc limit 1",
        [name],
    )
    page = Path(path).read_text(encoding="utf-8")
    return json.loads(Path(path).with_suffix(".json").read_text(encoding="utf-8")), page


def told(receipt_json: dict, rule: str) -> dict:
    [problem] = [p for p in receipt_json["problems"] if p["rule"] == rule]
    return problem


@pytest.mark.slow  # 5 s or more on two cores
@pytest.mark.parametrize("with_the_units_list", [False, True])
def test_a_copy_of_a_list_the_units_list_took_says_the_units_list_stands_not_a_correction(
    settings, registry, with_the_units_list
):
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", "甲项目", JIA)))
    stray = (f"{YI}/乙清单.csv", compounds_csv("甲项目", "棉纺厂东院"))
    own = (f"{JIA}/甲清单.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区"))
    copy = (f"{YI}/乙清单（再报）.csv", compounds_csv("甲项目", "棉纺厂东院"))  # the same bytes, sent again
    take_in(settings, registry, register, stray)
    # The unit's list takes 乙's slice: 乙's list is superseded, not by a correction of its own. Sent the same night,
    # the copy arrives while 乙's list is still in force, and is told once the night's statuses are settled.
    if with_the_units_list:
        outcome = take_in(settings, registry, own, copy)[copy[0]]
    else:
        take_in(settings, registry, own)
        outcome = take_in(settings, registry, copy)[copy[0]]

    assert outcome.status == "duplicate"
    facts, page = receipt(settings, "乙清单（再报）.csv")
    assert "项目实施单位报送的同一项目报表，以实施单位的为准" in facts["reason"]
    assert "更正版本" not in facts["reason"]  # what a copy of an office's own corrected file is told
    assert "无需任何操作" not in page

    # The unit's list withdrawn, 乙's is in force again: the copy's receipt is retold without the note.
    assert main(["withdraw", str(submission(settings, "甲清单.csv")[0]), "--reason", "清单误报"]) == 0
    facts, page = receipt(settings, "乙清单（再报）.csv")
    assert "实施单位" not in facts["reason"] and "替代" not in facts["reason"] and "无需任何操作" in page


def _two_projects_csv(*rows: tuple[str, str]) -> str:
    """A 项目清单 naming each row's project in a column: rows of (project, compound)."""
    lines = "".join(
        f"{n},{project},{compound},1.0,100,300\n" for n, (project, compound) in enumerate(rows, 1)
    )
    return (
        f"年度：{YEAR}\n序号,项目名称,小区名称,改造面积（万平方米）,惠及户数（户）,计划投资（万元）\n{lines}"
    )


@pytest.mark.slow  # 5 s or more on two cores
def test_a_copy_of_a_list_the_units_list_took_in_part_says_which_part_stands_elsewhere(settings, registry):
    register = (
        f"{BUREAU}/项目基本信息表.csv",
        register_csv(("JIA-01", "甲项目", JIA), ("YI-01", "乙项目", YI)),
    )
    both = _two_projects_csv(("甲项目", "棉纺厂东院"), ("乙项目", "育源小区"))
    mixed = (f"{YI}/乙清单.csv", both)  # 乙's own project, and one compound of 甲's
    own = (f"{JIA}/甲清单.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区"))
    copy = (f"{YI}/乙清单（再报）.csv", both)  # the same bytes, sent again
    take_in(settings, registry, register, mixed)
    take_in(settings, registry, own)  # takes 乙's slice of 甲项目; 乙项目's stays 乙's
    outcome = take_in(settings, registry, copy)[copy[0]]

    assert submission(settings, "乙清单.csv")[1] == "accepted" and outcome.status == "duplicate"
    facts, page = receipt(settings, "乙清单（再报）.csv")
    assert "内容完全相同" in facts["reason"]
    assert "部分数据已由项目实施单位随后报送的同一项目报表替代" in facts["reason"]
    assert "更正版本" not in facts["reason"]

    # The unit's list withdrawn, 乙's list holds all it sent again: the copy is a plain copy once more.
    assert main(["withdraw", str(submission(settings, "甲清单.csv")[0]), "--reason", "清单误报"]) == 0
    facts, _ = receipt(settings, "乙清单（再报）.csv")
    assert "实施单位" not in facts["reason"] and "替代" not in facts["reason"]


@pytest.mark.slow  # 5 s or more on two cores
@pytest.mark.parametrize("only_that_list", [True, False])
def test_withdrawing_the_units_list_gives_the_slice_back_and_retells_the_other_offices_receipt(
    settings, registry, only_that_list
):
    register = (
        f"{BUREAU}/项目基本信息表.csv",
        register_csv(("JIA-01", "甲项目", JIA), ("YI-01", "乙项目", YI)),
    )
    lists = [("甲项目", ("棉纺厂东院",))] + ([] if only_that_list else [("乙项目", ("育源小区", "石化小区"))])
    stray = (f"{YI}/乙清单.xlsx", compounds_book(*lists))  # 乙 lists a compound of 甲's project
    own = (f"{JIA}/甲清单.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区"))
    yi_own = {} if only_that_list else {(YI, "乙项目"): 2}
    take_in(settings, registry, register, stray)  # night 1
    assert counted(settings, registry) == {(YI, "甲项目"): 1} | yi_own
    before, _ = receipt(settings, "乙清单.xlsx")

    take_in(settings, registry, own)  # night 2: the unit's list takes 乙's slice of its project
    number, status, _ = submission(settings, "乙清单.xlsx")
    own_number = submission(settings, "甲清单.csv")[0]
    assert status == ("superseded" if only_that_list else "accepted")
    assert counted(settings, registry) == {(JIA, "甲项目"): 2} | yi_own
    taken, _ = receipt(settings, "乙清单.xlsx")
    assert (taken["reason"] is None) is not only_that_list  # why it is out of force, if it is
    assert told(taken, "listed_by_other_unit")["stale_note"] is None
    assert taken["warning_count"] == before["warning_count"] + 1

    assert main(["withdraw", str(own_number), "--reason", "清单误报"]) == 0

    # 乙's rows count again, and its receipt says so: in force, no reason of a replacement, the warning kept in
    # its words with a note that it no longer applies, and counted no more.
    assert submission(settings, "乙清单.xlsx")[:2] == (number, "accepted")
    assert counted(settings, registry) == {(YI, "甲项目"): 1} | yi_own
    after, page = receipt(settings, "乙清单.xlsx")
    assert after["status"] == "accepted" and after["reason"] is None
    warning = told(after, "listed_by_other_unit")
    assert warning["message_zh"] == told(taken, "listed_by_other_unit")["message_zh"]
    assert warning["stale_note"] == STALE.format(own_number)
    assert (after["warning_count"], after["stale_warning_count"]) == (before["warning_count"], 1)
    assert "文件已通过校验，数据已入库" in page and "替代" not in page.split("警告")[0]
    assert f"【{STALE.format(own_number)}】" in page


@pytest.mark.slow  # 5 s or more on two cores
def test_the_units_corrected_list_keeps_the_slice_and_the_other_offices_warning_until_both_are_withdrawn(
    settings, registry
):
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", "甲项目", JIA)))
    stray = (f"{YI}/乙清单.csv", compounds_csv("甲项目", "棉纺厂东院"))
    own = (f"{JIA}/甲清单.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区"))
    corrected = (f"{JIA}/甲清单（更正）.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区", "育源小区"))
    take_in(settings, registry, register, stray)
    take_in(settings, registry, own)
    take_in(settings, registry, corrected)
    first, second = submission(settings, "甲清单.csv")[0], submission(settings, "甲清单（更正）.csv")[0]
    # The corrected list holds 乙's slice as the first did: the warning still applies.
    assert submission(settings, "乙清单.csv")[1:] == ("superseded", 1)
    assert told(receipt(settings, "乙清单.csv")[0], "listed_by_other_unit")["stale_note"] is None

    assert main(["withdraw", str(second), "--reason", "更正版误报"]) == 0
    assert counted(settings, registry) == {(JIA, "甲项目"): 2}  # the first list is back, and holds the slice
    assert submission(settings, "乙清单.csv")[1:] == ("superseded", 1)
    assert told(receipt(settings, "乙清单.csv")[0], "listed_by_other_unit")["stale_note"] is None

    assert main(["withdraw", str(first), "--reason", "清单误报"]) == 0
    assert counted(settings, registry) == {(YI, "甲项目"): 1}
    after, _ = receipt(settings, "乙清单.csv")
    assert (after["status"], after["reason"], after["warning_count"]) == ("accepted", None, 0)
    note = "所涉第{}号提交已撤回、第{}号提交已撤回，其数据已不再有效，此提示不再适用，无需处理。"
    assert told(after, "listed_by_other_unit")["stale_note"] == note.format(first, second)


@pytest.mark.slow  # 5 s or more on two cores
def test_withdrawing_the_other_offices_list_leaves_the_units_list_as_it_stands(settings, registry):
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", "甲项目", JIA)))
    stray = (f"{YI}/乙清单.csv", compounds_csv("甲项目", "棉纺厂东院"))
    own = (f"{JIA}/甲清单.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区"))
    take_in(settings, registry, register, stray)
    take_in(settings, registry, own)
    number, own_number = submission(settings, "乙清单.csv")[0], submission(settings, "甲清单.csv")[0]
    before, _ = receipt(settings, "甲清单.csv")

    assert main(["withdraw", str(number), "--reason", "乙不应报送"]) == 0

    assert submission(settings, "甲清单.csv")[:2] == (own_number, "accepted")
    assert counted(settings, registry) == {(JIA, "甲项目"): 2}
    after, _ = receipt(settings, "甲清单.csv")
    # Its list took 乙's slice and still holds it: the warning saying so stands, counted, as before.
    assert (after["status"], after["reason"]) == ("accepted", None)
    assert (
        after["problems"] == before["problems"] and told(after, "took_other_unit_list")["stale_note"] is None
    )
    assert (after["warning_count"], after["stale_warning_count"]) == (before["warning_count"], 0)


TAKEN = "此文件的数据已由项目实施单位随后报送的第{}号提交替代"


@pytest.mark.slow  # 5 s or more on two cores
def test_the_other_offices_receipt_names_the_units_list_now_in_force_as_it_changes(settings, registry):
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", "甲项目", JIA)))
    stray = (f"{YI}/乙清单.csv", compounds_csv("甲项目", "棉纺厂东院"))
    own = (f"{JIA}/甲清单.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区"))
    corrected = (f"{JIA}/甲清单（更正）.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区", "育源小区"))
    take_in(settings, registry, register, stray)
    take_in(settings, registry, own)
    first = submission(settings, "甲清单.csv")[0]
    assert receipt(settings, "乙清单.csv")[0]["reason"].startswith(TAKEN.format(first))

    take_in(settings, registry, corrected)  # it keeps 乙's slice in the first list's place
    second = submission(settings, "甲清单（更正）.csv")[0]
    told_now, page = receipt(settings, "乙清单.csv")
    assert told_now["reason"].startswith(TAKEN.format(second)) and f"第{first}号" not in told_now["reason"]
    assert TAKEN.format(second) in page

    assert main(["withdraw", str(second), "--reason", "更正版误报"]) == 0  # the first list holds it again
    told_now, page = receipt(settings, "乙清单.csv")
    assert told_now["reason"].startswith(TAKEN.format(first)) and f"第{second}号" not in told_now["reason"]


@pytest.mark.slow  # 5 s or more on two cores
@pytest.mark.parametrize("with_its_own_project", [False, True])
def test_the_other_offices_old_list_is_retold_when_its_own_later_list_holds_what_it_held(
    settings, registry, with_its_own_project
):
    register = (
        f"{BUREAU}/项目基本信息表.csv",
        register_csv(("JIA-01", "甲项目", JIA), ("YI-01", "乙项目", YI)),
    )
    if (
        with_its_own_project
    ):  # its list of 甲's project is taken, and stays so; its own project it sends again
        stray = (f"{YI}/乙清单.xlsx", compounds_book(("甲项目", ("棉纺厂东院",)), ("乙项目", ("石化小区",))))
        again = (f"{YI}/乙清单（更正）.xlsx", compounds_book(("乙项目", ("石化小区", "化纤厂小区"))))
        counts = {(JIA, "甲项目"): 2, (YI, "乙项目"): 2}
    else:  # it takes its slice of 甲's project back, listing only a compound the unit's list does not
        stray = (f"{YI}/乙清单.xlsx", compounds_book(("甲项目", ("棉纺厂东院",))))
        again = (f"{YI}/乙清单（更正）.xlsx", compounds_book(("甲项目", ("育源小区",))))
        counts = {(JIA, "甲项目"): 2, (YI, "甲项目"): 1}
    own = (f"{JIA}/甲清单.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区"))
    take_in(settings, registry, register, stray)
    take_in(settings, registry, own)
    own_number = submission(settings, "甲清单.csv")[0]

    assert take_in(settings, registry, again)[again[0]].status == "accepted"
    assert counted(settings, registry) == counts
    number, status, _ = submission(settings, "乙清单.xlsx")
    later = submission(settings, "乙清单（更正）.xlsx")[0]
    assert status == "superseded"
    told_now, page = receipt(settings, "乙清单.xlsx")
    summary = page.split("</p>")[1]
    if with_its_own_project:  # each part says what holds it now
        assert told_now["reason"] == (
            f"此文件的数据已由项目实施单位随后报送的第{own_number}号提交和本单位随后报送的第{later}号提交替代，"
            "现以这些提交为准（见下列警告）；原文件仍存档备查。"
        )
        return
    # An office's own correction, as any: named.
    assert told_now["reason"] == (
        f"此文件的数据已被同一单位随后报送的更正版本（第{later}号提交“乙清单（更正）.xlsx”）替代，现以更正版本为准；"
        "原文件仍存档备查。"
    )
    assert "同一单位随后报送的更正版本（" in summary and "实施单位" not in summary
    # It did what the warning asked (its own rows only, sent again): the warning says so, and no longer counts.
    [warning] = [p for p in told_now["problems"] if p["rule"] == "listed_by_other_unit"]
    assert warning["stale_note"] == (
        f"本单位随后报送的第{later}号提交已重新报送该项目中本单位负责的各行，现以其为准，此提示不再适用，无需处理。"
    )
    assert submission(settings, "乙清单.xlsx")[2] == 0

    assert main(["withdraw", str(later), "--reason", "更正版误报"]) == 0  # 甲's list holds the slice again
    assert submission(settings, "乙清单.xlsx") == (number, "superseded", 1)
    told_again = receipt(settings, "乙清单.xlsx")[0]
    assert told_again["reason"].startswith(TAKEN.format(own_number))
    [warning] = [p for p in told_again["problems"] if p["rule"] == "listed_by_other_unit"]
    assert warning.get("stale_note") is None


@pytest.mark.slow  # 5 s or more on two cores
@pytest.mark.parametrize("ends_by", ["its own later list", "withdrawing the units list"])
def test_the_units_warning_that_it_took_another_offices_list_no_longer_applies_once_it_holds_that_slice_no_more(
    settings, registry, ends_by
):
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", "甲项目", JIA)))
    stray = (f"{YI}/乙清单.csv", compounds_csv("甲项目", "棉纺厂东院"))
    own = (f"{JIA}/甲清单.csv", compounds_csv("甲项目", "棉纺厂东院", "市委小区"))
    take_in(settings, registry, register, stray)
    take_in(settings, registry, own)
    number, own_number = submission(settings, "乙清单.csv")[0], submission(settings, "甲清单.csv")[0]
    before, _ = receipt(settings, "甲清单.csv")
    assert told(before, "took_other_unit_list")["stale_note"] is None

    if (
        ends_by == "its own later list"
    ):  # 乙 sends again only a compound of its own: its slice is its own again
        again = (f"{YI}/乙清单（更正）.csv", compounds_csv("甲项目", "育源小区"))
        assert take_in(settings, registry, again)[again[0]].status == "accepted"
        holder, status = submission(settings, "乙清单（更正）.csv")[0], "accepted"
        assert counted(settings, registry) == {(JIA, "甲项目"): 2, (YI, "甲项目"): 1}
    else:  # 乙's list holds its slice again, in force
        assert main(["withdraw", str(own_number), "--reason", "清单误报"]) == 0
        holder, status = number, "withdrawn"
        assert counted(settings, registry) == {(YI, "甲项目"): 1}

    # 乙's rows of the project count (its own list's): the unit's receipt asks no more to check with 乙, and the
    # warning leaves the counts of open warnings, in its words as on arrival with the note why.
    after, page = receipt(settings, "甲清单.csv")
    assert after["status"] == status
    warning = told(after, "took_other_unit_list")
    assert warning["message_zh"] == told(before, "took_other_unit_list")["message_zh"]
    note = f"{YI}报送的该项目清单现以其第{holder}号提交为准，本单位的清单已不再替代其数据，此提示不再适用，无需处理。"
    assert warning["stale_note"] == note and f"【{note}】" in page
    assert (after["warning_count"], after["stale_warning_count"]) == (before["warning_count"] - 1, 1)
    assert submission(settings, "甲清单.csv")[2] == before["warning_count"] - 1
    assert not query(
        settings,
        "select 1 from ops.open_issues where submission_id = ? and rule = 'took_other_unit_list'",
        [own_number],
    )
