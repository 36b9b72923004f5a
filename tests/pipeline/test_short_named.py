"""What an unlisted unit sent under its short name stops counting once a file of the unit, the register naming it
both short and in full, holds the same project and period. Every file is built here and taken in through the inbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.indicators import build_indicators
from pipeline.registered_units import RULE
from pipeline.withdraw import withdraw
from tests.pipeline.test_intake import query
from tests.pipeline.test_overlap import issues, submission
from tests.pipeline.test_projects import BUREAU, ledger_csv, marts, register_csv, take_in, targets_csv

D = Decimal
# Neither is listed in registry/offices.yaml: the registers alone name the unit, short for 2023, in full for 2024.
UNIT, SHORT = "七里园街道办事处", "七里园街道"
REGISTERS = [
    (f"{BUREAU}/{year}年项目基本信息表.csv", register_csv(("QLY-01", "七里园项目", unit), year=year))
    for year, unit in ((2023, SHORT), (2024, UNIT))
]
OLD = (
    f"{BUREAU}/七里园台账（转报）.csv",
    f"填报单位：{SHORT}\n{ledger_csv('七里园项目', '800', '300', year=2023)}",
)


def _fund_figures(settings, registry) -> list[tuple]:
    build_indicators(settings, registry)
    return marts(settings, "select year, received_wan, paid_wan from mart.funds_by_source order by year")


@pytest.mark.parametrize("named", [UNIT, SHORT])
def test_a_ledger_stored_under_the_short_name_is_replaced_by_the_units_once_the_register_names_it_in_full(
    settings, registry, named
):
    # 2023's ledger was stored under 七里园街道, as 2023's register named the unit; the corrected 2023 ledger, sent
    # once 2024's register named it in full, was stored under 七里园街道办事处 and the marts added the two up.
    assert not any(o.name in (UNIT, SHORT) for o in registry.offices.offices)
    take_in(settings, registry, REGISTERS[0], OLD)
    corrected = (f"{named}/资金台账（更正）.csv", ledger_csv("七里园项目", "500", "200", year=2023))

    outcome = take_in(settings, registry, REGISTERS[1], corrected)[corrected[0]]

    assert outcome.status == "accepted" and outcome.unit == UNIT
    assert not any(p.rule == "beside_other_unit" for p in outcome.warnings)
    [took] = [p for p in outcome.warnings if p.rule == RULE and "此前以" in p.message_zh]
    number = submission(settings, "七里园台账（转报）.csv")[0]
    assert f"支付台账此前以“{SHORT}”报送（第{number}号提交“七里园台账（转报）.csv”）" in took.message_zh
    assert took.value == "七里园项目"
    # The file under the short name is out of force, told why on its receipt and by a warning on its row.
    assert submission(settings, "七里园台账（转报）.csv")[1] == "superseded"
    [(severity, said, named_by)] = issues(settings, "七里园台账（转报）.csv", RULE)
    taker = submission(settings, "资金台账（更正）.csv")[0]
    assert severity == "warning" and named_by == [taker]
    assert f"现以{UNIT}随后报送的第{taker}号提交“资金台账（更正）.csv”为准" in said
    assert query(settings, "select unit, sum(amount_wan) from staging.fund_ledger group by all") == [
        (UNIT, D("700"))
    ]
    assert _fund_figures(settings, registry) == [(2023, D("500"), D("200"))]
    assert marts(settings, "select count(*) from mart.shared_slices") == [(0,)]


def test_a_later_file_of_the_unit_keeps_the_short_names_slice_and_a_withdrawal_gives_it_back(
    settings, registry
):
    take_in(settings, registry, REGISTERS[0], OLD)
    first = (f"{UNIT}/资金台账（更正）.csv", ledger_csv("七里园项目", "500", "200", year=2023))
    second = (f"{UNIT}/资金台账（再更正）.csv", ledger_csv("七里园项目", "600", "250", year=2023))
    take_in(settings, registry, REGISTERS[1], first)

    outcome = take_in(settings, registry, second)[second[0]]

    # Kept out of force in the first correction's place, said once: on the first correction's receipt.
    assert not any(p.rule == RULE for p in outcome.warnings)
    for name in ("七里园台账（转报）.csv", "资金台账（更正）.csv"):
        assert submission(settings, name)[1] == "superseded"
    [(_, _, named_by)] = issues(settings, "七里园台账（转报）.csv", RULE)
    assert named_by == [
        submission(settings, name)[0] for name in ("资金台账（更正）.csv", "资金台账（再更正）.csv")
    ]
    assert _fund_figures(settings, registry) == [(2023, D("600"), D("250"))]

    # Both corrections withdrawn, the ledger under the short name counts again.
    for name in ("资金台账（再更正）.csv", "资金台账（更正）.csv"):
        withdraw(settings, registry, submission(settings, name)[0], "报错了")
    assert _fund_figures(settings, registry) == [(2023, D("800"), D("300"))]


def test_a_self_evaluation_under_the_short_name_is_replaced_not_a_second_form_refused(settings, registry):
    # One form answers for a project and period: the unit's corrected 自评表 was returned as another office's.
    old = (
        f"{BUREAU}/七里园自评（转报）.csv",
        f"填报单位：{SHORT}\n{targets_csv('七里园项目', '按期完成', year=2023)}",
    )
    take_in(settings, registry, REGISTERS[0], old)
    corrected = (f"{UNIT}/自评表.csv", targets_csv("七里园项目", "已完成", year=2023))

    outcome = take_in(settings, registry, REGISTERS[1], corrected)[corrected[0]]

    assert outcome.status == "accepted", [p.message_zh for p in outcome.errors]
    assert submission(settings, "七里园自评（转报）.csv")[1] == "superseded"
    assert query(settings, "select unit, reported_value from staging.performance_targets") == [
        (UNIT, "已完成")
    ]


@pytest.mark.parametrize(
    ("registered", "other"),
    [
        (SHORT, "七里园东街道办事处"),  # another office whose name merely starts the same
        (SHORT, "七里园街道社区卫生服务中心"),
    ],
)
def test_another_offices_file_takes_nothing_the_short_name_holds(settings, registry, registered, other):
    registers = [
        (f"{BUREAU}/2023年项目基本信息表.csv", register_csv(("QLY-01", "七里园项目", registered), year=2023)),
        (f"{BUREAU}/2024年项目基本信息表.csv", register_csv(("QLY-02", "七里园东项目", other), year=2024)),
    ]
    take_in(settings, registry, registers[0], OLD)
    theirs = (f"{other}/资金台账.csv", ledger_csv("七里园项目", "500", "200", year=2023))

    outcome = take_in(settings, registry, registers[1], theirs)[theirs[0]]

    assert outcome.unit == other
    assert not any(p.rule == RULE for p in outcome.warnings)
    assert submission(settings, "七里园台账（转报）.csv")[1] == "accepted"
    assert sorted(
        query(settings, "select unit, sum(amount_wan) from staging.fund_ledger group by all")
    ) == sorted([(SHORT, D("1100")), (other, D("700"))])


def test_a_listed_offices_file_takes_nothing(settings, registry):
    # 枣林街道办事处 is listed: its files are read as it, and nothing is stored under an unlisted name of it.
    listed = "枣林街道办事处"
    assert any(o.name == listed for o in registry.offices.offices)
    registers = [
        (f"{BUREAU}/{year}年项目基本信息表.csv", register_csv(("ZL-01", "枣林项目", unit), year=year))
        for year, unit in ((2023, "枣林街道"), (2024, listed))
    ]
    old = (
        f"{BUREAU}/枣林台账（转报）.csv",
        f"填报单位：枣林街道\n{ledger_csv('枣林项目', '800', '300', year=2023)}",
    )
    take_in(settings, registry, registers[0], old)
    corrected = (f"{listed}/资金台账（更正）.csv", ledger_csv("枣林项目", "500", "200", year=2023))

    outcome = take_in(settings, registry, registers[1], corrected)[corrected[0]]

    assert not any(p.rule == RULE for p in outcome.warnings)
    assert submission(settings, "枣林台账（转报）.csv")[1] == "superseded"  # one office, one slice, as ever
    assert _fund_figures(settings, registry) == [(2023, D("500"), D("200"))]


def _progress_csv(*months: tuple[int, str, str]) -> str:
    """A 2023 investment progress sheet of 七里园项目: rows of (month, 本月完成, 累计完成)."""
    header = "项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）"
    rows = [f"七里园项目,2023,{month},1000,{done},{so_far}" for month, done, so_far in months]
    return "\n".join(["投资完成情况月报", header, *rows]) + "\n"


def test_a_monthly_form_of_the_unit_is_told_the_months_still_counted_under_the_short_name(settings, registry):
    # The unit's 3–4月 replace the short name's 3月; its 1–2月 stay, and the marts carried its 2月 累计 forward
    # beside the unit's 4月: told, until the unit sends those months again under its full name.
    old = (
        f"{BUREAU}/七里园月报（转报）.csv",
        f"填报单位：{SHORT}\n{_progress_csv((1, '100', '100'), (2, '100', '200'), (3, '100', '300'))}",
    )
    take_in(settings, registry, REGISTERS[0], old)
    number = submission(settings, "七里园月报（转报）.csv")[0]
    later = (f"{UNIT}/月报.csv", _progress_csv((3, "100", "300"), (4, "100", "400")))

    outcome = take_in(settings, registry, REGISTERS[1], later)[later[0]]

    told = [p.message_zh for p in outcome.warnings if p.rule == RULE]
    assert len(told) == 2 and any("3月的投资完成情况月报此前以" in t for t in told)
    [months] = [t for t in told if "仍以" in t]
    assert f"2023年度1月、2月的投资完成情况月报仍以“{SHORT}”报送的数据计入（第{number}号提交）" in months
    assert f"请以“{UNIT}”重新报送这些月份" in months
    assert submission(settings, "七里园月报（转报）.csv")[1] == "accepted"  # in force for 1–2月

    whole = (f"{UNIT}/月报（1-4月）.csv", _progress_csv(*((m, "100", str(100 * m)) for m in range(1, 5))))
    outcome = take_in(settings, registry, whole)[whole[0]]

    assert not any("仍以" in p.message_zh for p in outcome.warnings if p.rule == RULE)
    assert submission(settings, "七里园月报（转报）.csv")[1] == "superseded"
    build_indicators(settings, registry)
    assert marts(settings, "select completed_investment_wan from mart.project_year where year = 2023") == [
        (D("400"),)
    ]
