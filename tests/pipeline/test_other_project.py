"""A compound listed figure for figure under two projects of one year: both stay counted, both receipts ask. Every
file is built here and taken in through the inbox."""

from __future__ import annotations

import pytest

from pipeline.problems import RULE_ZH
from tests.pipeline.test_intake import query
from tests.pipeline.test_projects import BUREAU, JIA, YEAR, YI, register_csv, take_in

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
