"""One compound in two lists: the implementing unit's list of its project stands whichever came first, and a
compound two projects list is asked about on both receipts. Every file is built here and taken in through the
inbox."""

from __future__ import annotations

import pytest

from pipeline.problems import RULE_ZH
from tests.pipeline.test_intake import query
from tests.pipeline.test_projects import BUREAU, JIA, YI, compounds_csv, register_csv, take_in


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
    assert take_in(settings, registry, corrected)[corrected[0]].status == "accepted"
    assert query(settings, "select unit, count(*) from staging.compound_list group by all") == [(JIA, 3)]
    assert submission(settings, "甲清单.csv")[1] == "superseded"
