"""An office the registry does not list, named short, is the registered implementing unit it abbreviates: its file
replaces the unit's, never stands beside it. Every file is built here and taken in through the inbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.indicators import build_indicators
from pipeline.offices import Office, Offices, office_key
from pipeline.parse import parse_file
from pipeline.problems import FIGURE_WARNINGS, RULE_ZH
from pipeline.projects import ProjectRegister, RegisteredProject
from pipeline.registered_units import RULE, registered_in_full, registered_units
from tests.pipeline.test_intake import query
from tests.pipeline.test_projects import BUREAU, ledger_csv, marts, register_csv, take_in

D = Decimal
# Neither is listed in registry/offices.yaml: the register alone names the unit.
UNIT, SHORT = "七里园街道办事处", "七里园街道"
# A register naming the unit both ways, a project under each name.
_BOTH_ROWS = [("QLY-01", "七里园项目", SHORT), ("QLY-02", "七里园二期项目", UNIT)]


def _unlisted(registry) -> None:
    assert not any(o.name in (UNIT, SHORT) for o in registry.offices.offices)


@pytest.mark.parametrize("same_night", [True, False])
@pytest.mark.parametrize("forwarded_first", [False, True])
def test_a_ledger_forwarded_for_an_unlisted_unit_named_short_replaces_the_units_own_and_counts_once(
    settings, registry, same_night, forwarded_first
):
    _unlisted(registry)
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("QLY-01", "七里园项目", UNIT)))
    own = (f"{UNIT}/资金台账.csv", ledger_csv("七里园项目", "100", "40"))
    forwarded = (
        f"{BUREAU}/七里园台账（转报）.csv",
        f"填报单位：{SHORT}\n{ledger_csv('七里园项目', '120', '50')}",
    )
    first, second = (forwarded, own) if forwarded_first else (own, forwarded)
    if same_night:
        outcomes = take_in(settings, registry, register, first, second)
    else:
        outcomes = take_in(settings, registry, register, first) | take_in(settings, registry, second)

    assert {o.status for o in outcomes.values()} == {"accepted"}
    assert {o.unit for path, o in outcomes.items() if path != register[0]} == {UNIT}
    [told] = [p for p in outcomes[forwarded[0]].warnings if p.rule == RULE]
    assert (told.excel_row, told.column_header, told.value) == (1, "填报单位", SHORT)
    assert f"实施单位“{UNIT}”的简称，本表已按{UNIT}报送的数据读取" in told.message_zh
    assert not any(p.rule == "beside_other_unit" for o in outcomes.values() for p in o.warnings)
    assert not any(p.rule == RULE for p in outcomes[own[0]].warnings)

    # One slice: the later file's figures stand alone, not added to the earlier one's.
    received, paid = ("100", "40") if forwarded_first else ("120", "50")
    assert query(settings, "select unit, sum(amount_wan) from staging.fund_ledger group by all") == [
        (UNIT, D(received) + D(paid))
    ]
    build_indicators(settings, registry)
    assert marts(settings, "select received_wan, paid_wan from mart.funds_by_source") == [
        (D(received), D(paid))
    ]
    assert marts(settings, "select count(*) from mart.shared_slices") == [(0,)]
    # While the forwarded file is in force, the report's 数据质量提示 names the reading.
    warned = marts(settings, "select project_code, warnings from mart.open_warnings where rule = ?", [RULE])
    assert warned == ([] if forwarded_first else [("QLY-01", 1)])


def test_an_unlisted_folder_named_short_is_the_unit_and_its_corrected_ledger_replaces_the_forwarded_one(
    settings, registry
):
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("QLY-01", "七里园项目", UNIT)))
    forwarded = (
        f"{BUREAU}/七里园台账（转报）.csv",
        f"填报单位：{UNIT}\n{ledger_csv('七里园项目', '100', '40')}",
    )
    own = (f"{SHORT}/资金台账.csv", ledger_csv("七里园项目", "120", "50"))

    outcomes = take_in(settings, registry, register, forwarded) | take_in(settings, registry, own)

    assert outcomes[own[0]].unit == UNIT
    [told] = [p for p in outcomes[own[0]].warnings if p.rule == RULE]
    assert told.value == SHORT and told.message_zh.startswith(f"报送文件夹“{SHORT}”：")
    assert query(settings, "select unit, sum(amount_wan) from staging.fund_ledger group by all") == [
        (UNIT, D("170"))
    ]
    build_indicators(settings, registry)
    warned = marts(settings, "select project_code, warnings from mart.open_warnings where rule = ?", [RULE])
    assert warned == [("QLY-01", 1)]


@pytest.mark.parametrize("sent_from", [BUREAU, "公共收件"])
def test_an_unlisted_units_own_folder_is_the_unit_its_register_names_short_and_counts_once(
    settings, registry, sent_from
):
    # The register names the unit short; its own folder writes the name in full; the forwarded file (or one left in
    # the shared intake) names it as registered. Read as two offices, the report added the two ledgers up.
    _unlisted(registry)
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("QLY-01", "七里园项目", SHORT)))
    own = (f"{UNIT}/资金台账.csv", ledger_csv("七里园项目", "100", "40"))
    forwarded = (
        f"{sent_from}/七里园台账（转报）.csv",
        f"填报单位：{SHORT}\n{ledger_csv('七里园项目', '120', '50')}",
    )

    outcomes = take_in(settings, registry, register, own, forwarded)

    assert {o.status for o in outcomes.values()} == {"accepted"}
    assert {o.unit for path, o in outcomes.items() if path != register[0]} == {SHORT}
    [told] = [p for p in outcomes[own[0]].warnings if p.rule == RULE]
    assert told.value == UNIT and told.message_zh.startswith(f"报送文件夹“{UNIT}”：")
    assert (
        f"项目基本信息表登记的实施单位“{SHORT}”是它的简称，本表已按{SHORT}报送的数据读取" in told.message_zh
    )
    assert not any(p.rule in (RULE, "beside_other_unit") for p in outcomes[forwarded[0]].warnings)
    assert query(settings, "select unit, sum(amount_wan) from staging.fund_ledger group by all") == [
        (SHORT, D("170"))
    ]
    build_indicators(settings, registry)
    assert marts(settings, "select received_wan, paid_wan from mart.funds_by_source") == [(D("120"), D("50"))]
    assert marts(settings, "select count(*) from mart.shared_slices") == [(0,)]


@pytest.mark.parametrize(
    ("registered", "folder"),
    [
        (SHORT, "七里园街道办"),
        ("七里园镇", "七里园镇人民政府"),
        ("七里园乡", "七里园乡政府"),
        ("七里园社区", "七里园社区居委会"),
        ("七里园", UNIT),  # a name ending as no office's does, going on to a 街道's office
    ],
)
def test_an_unlisted_folder_completing_a_registered_places_name_to_its_office_is_the_unit(
    settings, registry, registered, folder
):
    # The counter-case to the offices below: what follows the registered name completes the place's own office.
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("QLY-01", "七里园项目", registered)))
    own = (f"{folder}/资金台账.csv", ledger_csv("七里园项目", "100", "40"))
    forwarded = (
        f"{BUREAU}/七里园台账（转报）.csv",
        f"填报单位：{registered}\n{ledger_csv('七里园项目', '120', '50')}",
    )

    outcomes = take_in(settings, registry, register, own, forwarded)

    assert {o.unit for path, o in outcomes.items() if path != register[0]} == {registered}
    [told] = [p for p in outcomes[own[0]].warnings if p.rule == RULE]
    assert told.value == folder and f"实施单位“{registered}”是它的简称" in told.message_zh
    build_indicators(settings, registry)
    assert marts(settings, "select received_wan, paid_wan from mart.funds_by_source") == [(D("120"), D("50"))]


@pytest.mark.parametrize("named_by", ["folder", "line"])
@pytest.mark.parametrize(
    ("registered", "other"),
    [
        (SHORT, "七里园街道社区卫生服务中心"),
        (SHORT, "七里园街道第二社区居委会"),
        (SHORT, f"{UNIT}财务科"),
        ("七里园镇", "七里园镇卫生院"),
        ("七里园", "七里园社区居委会"),  # a 街道 and a 社区 in it often share a name
    ],
)
def test_an_unlisted_office_going_on_from_a_registered_short_name_to_another_office_is_its_own(
    settings, registry, registered, other, named_by
):
    # Read as the unit, the other office's ledger replaced the unit's own, under a warning that said only "read as".
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("QLY-01", "七里园项目", registered)))
    forwarded = (
        f"{BUREAU}/七里园台账（转报）.csv",
        f"填报单位：{registered}\n{ledger_csv('七里园项目', '100', '40')}",
    )
    others = (
        (f"{other}/资金台账.csv", ledger_csv("七里园项目", "120", "50"))
        if named_by == "folder"
        else (f"{BUREAU}/{other}台账.csv", f"填报单位：{other}\n{ledger_csv('七里园项目', '120', '50')}")
    )

    outcomes = take_in(settings, registry, register, forwarded, others)

    assert outcomes[others[0]].unit == other and outcomes[forwarded[0]].unit == registered
    assert not any(p.rule == RULE for o in outcomes.values() for p in o.warnings)
    assert sorted(
        query(settings, "select unit, sum(amount_wan) from staging.fund_ledger group by all")
    ) == sorted([(registered, D("140")), (other, D("170"))])


@pytest.mark.parametrize("folder", ["七里园东街道办事处", f"{UNIT}财务科"])
def test_an_unlisted_office_is_not_a_registered_full_name_its_own_holds(settings, registry, folder):
    # The register's 七里园街道办事处 is a full name: an office whose name holds it is another office.
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(("QLY-01", "七里园项目", UNIT)))
    other = (f"{folder}/资金台账.csv", ledger_csv("七里园项目", "120", "50"))

    outcomes = take_in(settings, registry, register, other)

    assert outcomes[other[0]].unit == folder
    assert not any(p.rule == RULE for p in outcomes[other[0]].warnings)


@pytest.mark.parametrize("named_by", ["line", "folder"])
def test_a_short_name_fitting_two_registered_units_is_refused_naming_both(settings, registry, named_by):
    # 七里园街道 abbreviates both: taking either would be a guess, and as its own office's its ledger was added up
    # beside the unit's own, so the clerk is asked for the full name.
    other = "七里园街道社区服务中心"
    register = (
        f"{BUREAU}/项目基本信息表.csv",
        register_csv(("QLY-01", "七里园项目", UNIT), ("QLY-02", "七里园社区项目", other)),
    )
    own = (f"{UNIT}/资金台账.csv", ledger_csv("七里园项目", "100", "40"))
    short = (
        (f"{BUREAU}/七里园台账（转报）.csv", f"填报单位：{SHORT}\n{ledger_csv('七里园项目', '120', '50')}")
        if named_by == "line"
        else (f"{SHORT}/资金台账.csv", ledger_csv("七里园项目", "120", "50"))
    )

    outcomes = take_in(settings, registry, register, own, short)

    assert outcomes[own[0]].status == "accepted" and outcomes[short[0]].status == "rejected"
    assert not any(p.rule == RULE for p in outcomes[short[0]].warnings)
    [told] = outcomes[short[0]].errors
    assert told.rule == "unit_ambiguous" and told.value == SHORT
    assert f"它可以指项目基本信息表登记的实施单位{UNIT}、{other}" in told.message_zh
    assert "请填写单位全称" in told.message_zh
    assert not any(p.rule == "beside_other_unit" for o in outcomes.values() for p in o.warnings)
    build_indicators(settings, registry)
    assert marts(settings, "select received_wan, paid_wan from mart.funds_by_source") == [(D("100"), D("40"))]


def test_a_full_name_going_on_from_two_registered_short_names_is_refused_naming_both(settings, registry):
    register = (
        f"{BUREAU}/项目基本信息表.csv",
        register_csv(("QLY-01", "七里园项目", SHORT), ("QLY-02", "七里园片区项目", "七里园")),
    )
    own = (f"{UNIT}/资金台账.csv", ledger_csv("七里园项目", "100", "40"))

    outcomes = take_in(settings, registry, register, own)

    assert outcomes[own[0]].status == "rejected"
    [told] = outcomes[own[0]].errors
    assert told.rule == "unit_ambiguous" and told.value == UNIT
    assert told.message_zh.startswith(
        f"报送文件夹“{UNIT}”：单位名录中没有“{UNIT}”，它可以指项目基本信息表登记的实施单位"
    )
    assert f"{SHORT}、七里园" in told.message_zh


def test_the_warning_is_named_for_the_receipt_and_the_reports_reading_notes():
    assert RULE_ZH[RULE] and FIGURE_WARNINGS[RULE] == "reading"


def test_the_registered_units_are_read_once_per_register_state_and_office_registry(registry):
    # Asked of every file an unlisted office sends, they were read again from every project each time.
    register = ProjectRegister([RegisteredProject("QLY-01", "七里园项目", implementing_unit=SHORT)])
    first = registered_units(register, registry.offices)
    assert first == {SHORT: SHORT}
    assert registered_units(register, registry.offices) is first

    # A project added (a register arriving in the night) or another office registry is read anew.
    csv = register_csv(("QLY-02", "七里园社区项目", "七里园街道社区服务中心")).encode()
    register.add_from(parse_file(csv, f"{BUREAU}/项目基本信息表.csv", registry))
    assert list(registered_units(register, registry.offices).values()) == [SHORT, "七里园街道社区服务中心"]
    listing = Offices(offices=(*registry.offices.offices, Office(name=UNIT)))
    assert registered_units(register, listing)[office_key(UNIT)] == UNIT


@pytest.mark.parametrize(("folder", "year"), [(UNIT, 2022), (SHORT, 2023)])
def test_a_list_naming_no_project_finds_the_units_project_however_each_years_register_writes_the_unit(
    settings, registry, folder, year
):
    # 2022's register names the unit short, 2023's in full: both names registered, the list the unit sent under the
    # other name was returned as if its year's register held no project of the unit's.
    _unlisted(registry)
    registers = [
        (
            f"{BUREAU}/{y}年项目基本信息表.csv",
            register_csv((f"QLY-{y}", f"七里园{y}年项目", unit, f"{y}-03-01", f"{y}-11-30"), year=y),
        )
        for y, unit in ((2022, SHORT), (2023, UNIT))
    ]
    rows = "序号,小区名称,改造面积（万平方米）,惠及户数（户）,计划投资（万元）\n1,棉纺厂东院,1.0,100,300\n"
    listed = (f"{folder}/{year}年老旧小区改造项目清单.csv", f"{year}年老旧小区改造项目清单\n{rows}")

    outcomes = take_in(settings, registry, *registers, listed)

    assert outcomes[listed[0]].status == "accepted", [p.message_zh for p in outcomes[listed[0]].errors]
    assert query(settings, "select project_code, year from staging.compound_list") == [(f"QLY-{year}", year)]


def _both_names_registered(both_in_one_year: bool) -> list[tuple[str, str]]:
    """The registers of 2023 and 2024 for one project of the unit, naming it short in one year and in full in the
    other, or both names in 2024's (a second project under the full name)."""
    if both_in_one_year:
        return [(f"{BUREAU}/2024年项目基本信息表.csv", register_csv(*_BOTH_ROWS, year=2024))]
    return [
        (f"{BUREAU}/{year}年项目基本信息表.csv", register_csv(("QLY-01", "七里园项目", unit), year=year))
        for year, unit in ((2023, SHORT), (2024, UNIT))
    ]


@pytest.mark.parametrize("both_in_one_year", [False, True])
@pytest.mark.parametrize("forwarded_first", [False, True])
def test_a_ledger_named_short_where_both_names_are_registered_is_the_full_name_unit_and_counts_once(
    settings, registry, both_in_one_year, forwarded_first
):
    # Both names registered, the forwarded ledger named short was stored as an office of its own beside the unit's
    # own ledger under the full name, and the report added the two up (flagged `beside_other_unit`, still wrong).
    _unlisted(registry)
    own = (f"{UNIT}/资金台账.csv", ledger_csv("七里园项目", "800", "300", year=2024))
    forwarded = (
        f"{BUREAU}/七里园台账（转报）.csv",
        f"填报单位：{SHORT}\n{ledger_csv('七里园项目', '2300', '900', year=2024)}",
    )
    first, second = (forwarded, own) if forwarded_first else (own, forwarded)

    outcomes = take_in(settings, registry, *_both_names_registered(both_in_one_year), first, second)

    assert {o.status for o in outcomes.values()} == {"accepted"}
    assert outcomes[own[0]].unit == outcomes[forwarded[0]].unit == UNIT
    [told] = [p for p in outcomes[forwarded[0]].warnings if p.rule == RULE]
    assert (told.excel_row, told.column_header, told.value) == (1, "填报单位", SHORT)
    assert (
        f"单位名录中没有“{SHORT}”和“{UNIT}”" in told.message_zh
        and f"本表已按{UNIT}报送的数据读取" in told.message_zh
    )
    assert not any(p.rule in (RULE, "beside_other_unit") for p in outcomes[own[0]].warnings)
    assert not any(p.rule == "beside_other_unit" for p in outcomes[forwarded[0]].warnings)
    received, paid = ("800", "300") if forwarded_first else ("2300", "900")
    build_indicators(settings, registry)
    assert marts(settings, "select received_wan, paid_wan from mart.funds_by_source") == [
        (D(received), D(paid))
    ]
    assert marts(settings, "select count(*) from mart.shared_slices") == [(0,)]


def test_a_short_name_registered_beside_two_names_writing_it_in_full_is_refused_naming_both(
    settings, registry
):
    # 七里园街道办 and 七里园街道办事处 both write 七里园街道 in full: taking either would be a guess.
    rows = [
        ("QLY-01", "七里园项目", SHORT),
        ("QLY-02", "七里园二期项目", UNIT),
        ("QLY-03", "七里园三期项目", "七里园街道办"),
    ]
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(*rows))
    short = (
        f"{BUREAU}/七里园台账（转报）.csv",
        f"填报单位：{SHORT}\n{ledger_csv('七里园项目', '120', '50')}",
    )

    outcome = take_in(settings, registry, register, short)[short[0]]

    assert outcome.status == "rejected"
    [told] = outcome.errors
    assert told.rule == "unit_ambiguous" and told.value == SHORT
    assert f"它可以指项目基本信息表登记的实施单位七里园街道办、{UNIT}，" in told.message_zh


@pytest.mark.parametrize(
    ("folder", "read_as"), [("七里园", UNIT), ("七里园东街道办事处", "七里园东街道办事处")]
)
def test_a_name_fitting_a_unit_registered_both_ways_is_the_full_name_and_another_office_is_its_own(
    settings, registry, folder, read_as
):
    # 七里园 abbreviates both names of one unit: one fit, not two. 七里园东街道办事处 only starts the same.
    _unlisted(registry)
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(*_BOTH_ROWS))
    sent = (f"{folder}/资金台账.csv", ledger_csv("七里园项目", "120", "50"))

    outcome = take_in(settings, registry, register, sent)[sent[0]]

    assert outcome.status == "accepted" and outcome.unit == read_as
    assert [p.rule for p in outcome.warnings if p.rule == RULE] == ([RULE] if read_as == UNIT else [])


def test_a_register_naming_the_unit_both_ways_makes_no_full_name_of_a_listed_office(settings, registry):
    # 枣林街道 abbreviates the listed 枣林街道办事处: its files are the listed office's, read by the office registry.
    listed = "枣林街道办事处"
    rows = [("ZL-01", "枣林项目", "枣林街道"), ("ZL-02", "枣林二期项目", listed)]
    register = (f"{BUREAU}/项目基本信息表.csv", register_csv(*rows))
    short = (f"{BUREAU}/枣林台账（转报）.csv", f"填报单位：枣林街道\n{ledger_csv('枣林项目', '120', '50')}")

    outcome = take_in(settings, registry, register, short)[short[0]]

    assert outcome.unit == listed and not any(p.rule == RULE for p in outcome.warnings)
    assert (
        registered_in_full(
            ProjectRegister([RegisteredProject(*r[:2], implementing_unit=r[2]) for r in rows]),
            registry.offices,
        )
        == {}
    )
