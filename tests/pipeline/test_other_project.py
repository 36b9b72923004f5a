"""A compound listed figure for figure under two projects of one year: both stay counted, both receipts ask. Every
file is built here and taken in through the inbox."""

from __future__ import annotations

import pytest

from pipeline.cli import main
from pipeline.problems import RULE_ZH
from tests.pipeline.test_intake import query
from tests.pipeline.test_projects import BING, BUREAU, JIA, YEAR, YI, register_csv, take_in

REGISTER = (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", "甲项目", JIA), ("YI-01", "乙项目", YI)))


def listing(project: str, *rows: tuple[str, str, int]) -> str:
    """Return a compound list of a project: (小区名称, 改造面积 in 万平方米, 惠及户数), each planned at 300万元."""
    body = "".join(
        f"{n},{name},{area},{households},300\n" for n, (name, area, households) in enumerate(rows, 1)
    )
    return f"项目名称：{project}\n年度：{YEAR}\n序号,小区名称,改造面积（万平方米）,惠及户数（户）,计划投资（万元）\n{body}"


def told(settings, name: str) -> list[tuple]:
    """Return (message, named submissions) of each listed_in_other_project warning on a file's receipt, as stored."""
    return query(
        settings,
        "select i.message_zh, i.named_submissions from ops.validation_issues i join ops.submissions s "
        "using (submission_id) where s.original_name = ? and i.rule = 'listed_in_other_project' and "
        "i.severity = 'warning'",
        [name],
    )


def number(settings, name: str) -> tuple[int, int]:
    """Return (submission number, warning count) of a file."""
    return query(
        settings, "select submission_id, warning_count from ops.submissions where original_name = ?", [name]
    )[0]


@pytest.mark.parametrize("same_night", [True, False])
def test_a_compound_listed_figure_for_figure_under_two_projects_stays_counted_and_both_receipts_ask(
    settings, registry, same_night
):
    jia = (f"{JIA}/甲清单.csv", listing("甲项目", ("棉纺厂东院", "1.2", 370), ("市委小区", "0.8", 90)))
    yi = (f"{YI}/乙清单.csv", listing("乙项目", ("育源小区", "0.5", 60), ("棉纺厂东院", "1.20", 370)))
    if same_night:
        outcomes = take_in(settings, registry, REGISTER, jia, yi)
    else:
        outcomes = take_in(settings, registry, REGISTER, jia) | take_in(settings, registry, yi)

    assert {o.status for o in outcomes.values()} == {"accepted"}
    assert query(
        settings, "select unit, sum(households) from staging.compound_list group by all order by all"
    ) == [(YI, 430), (JIA, 460)]  # fmt: skip: both counted, as the clerks may yet say they are two compounds
    first, second = number(settings, "甲清单.csv")[0], number(settings, "乙清单.csv")[0]
    [(on_jia, named_jia)] = told(settings, "甲清单.csv")
    [(on_yi, named_yi)] = told(settings, "乙清单.csv")
    assert RULE_ZH["listed_in_other_project"]
    assert on_jia.startswith("第4行小区名称“棉纺厂东院”及其各项数字与") and "第5行" in on_jia
    assert "项目“乙项目”" in on_jia and "“乙清单.csv”" in on_jia and "重复计算" in on_jia
    assert (
        on_yi.startswith("第5行小区名称“棉纺厂东院”及其各项数字与")
        and "第4行" in on_yi
        and "项目“甲项目”" in on_yi
    )
    assert list(named_yi) == [first] and list(named_jia) == [second]  # retold once the other is out of force
    if not same_night:  # the list in force is told by the number of the one after it, and its count follows
        assert f"第{second}号提交" in on_jia and f"第{first}号提交" in on_yi
        assert number(settings, "甲清单.csv")[1] == 1


def test_a_compound_of_one_name_with_other_figures_under_another_project_is_no_doubt(settings, registry):
    # Two sub-districts may each have a 棉纺厂东院: a name alone says nothing.
    jia = (f"{JIA}/甲清单.csv", listing("甲项目", ("棉纺厂东院", "1.2", 370)))
    yi = (f"{YI}/乙清单.csv", listing("乙项目", ("棉纺厂东院", "0.6", 120)))

    outcomes = take_in(settings, registry, REGISTER, jia, yi)

    assert {o.status for o in outcomes.values()} == {"accepted"}
    assert told(settings, "甲清单.csv") == told(settings, "乙清单.csv") == []


@pytest.mark.slow  # 5 s or more on two cores
def test_a_warning_naming_a_list_the_units_list_took_is_told_as_the_units_list_now_holds_it(
    settings, registry
):
    # 丙 lists 棉纺厂东院 under 甲项目 (丙 is not its implementing unit), 乙 under its own project, figure for figure.
    bing = (f"{BING}/丙清单.csv", listing("甲项目", ("棉纺厂东院", "1.2", 370)))
    yi = (f"{YI}/乙清单.csv", listing("乙项目", ("育源小区", "0.5", 60), ("棉纺厂东院", "1.20", 370)))
    take_in(settings, registry, REGISTER, bing, yi)
    taken = number(settings, "丙清单.csv")[0]
    [(_, named)] = told(settings, "乙清单.csv")
    assert list(named) == [taken]

    # 甲, the implementing unit, lists it too: 丙's list is superseded by the unit's, not by a correction of its own.
    jia = (f"{JIA}/甲清单.csv", listing("甲项目", ("棉纺厂东院", "1.2", 370), ("市委小区", "0.8", 90)))
    assert take_in(settings, registry, jia)[jia[0]].status == "accepted"
    unit = number(settings, "甲清单.csv")[0]
    notes = {tuple(n): note for n, note in stale(settings, "乙清单.csv")}
    # The warning naming 丙's list no longer applies, and says why truly; the unit's list, in force, is asked about.
    assert notes[(taken,)] == (
        f"所涉第{taken}号提交已由项目实施单位报送的同一项目报表替代，其数据已不再有效，此提示不再适用，无需处理。"
    )
    assert notes[(unit,)] is None and number(settings, "乙清单.csv")[1] == 1
    page = (settings.receipts / YI / "乙清单.csv.回执.html").read_text(encoding="utf-8")
    assert "更正版本" not in page and "1处警告所涉的提交已撤回或被替代，不再适用" in page

    # The unit's list withdrawn, 丙's is in force again, and so is the warning naming it.
    assert main(["withdraw", str(unit), "--reason", "清单误报"]) == 0
    notes = {tuple(n): note for n, note in stale(settings, "乙清单.csv")}
    assert notes[(taken,)] is None and notes[(unit,)].startswith(f"所涉第{unit}号提交已撤回")
    assert number(settings, "乙清单.csv")[1] == 1


def stale(settings, name: str) -> list[tuple]:
    """Return (named submissions, note) of each listed_in_other_project warning on a file's receipt, as stored."""
    return query(
        settings,
        "select i.named_submissions, i.stale_note from ops.validation_issues i join ops.submissions s "
        "using (submission_id) where s.original_name = ? and i.rule = 'listed_in_other_project'",
        [name],
    )
