"""A file replacing an earlier file's slices is told what of that file stays in force or drops out
(pipeline/intake/replaced.py): projects it leaves out, earlier dates of a ledger, a whole list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pipeline.problems import RULE_ZH, display
from pipeline.warehouse import publish_pending
from pipeline.withdraw import withdraw
from tests.pipeline.test_projects import BUREAU, JIA, YEAR, compounds_csv, marts, register_csv, take_in
from tests.pipeline.test_withdraw import issue_of

JIA_A, JIA_B = "甲老旧小区改造", "甲背街小巷整治"
REGISTER = (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", JIA_A, JIA), ("JIA-02", JIA_B, JIA)))
LEDGER_HEADER = "日期,项目名称,资金来源,类型,金额（万元）,支出用途"


def ledger_csv(*rows: tuple[str, str, str, str, str]) -> str:
    """A 资金台账: rows of (日期, 项目名称, 资金来源, 类型, 金额)."""
    return "\n".join(["项目资金到位及支付台账", LEDGER_HEADER, *(",".join(row) + "," for row in rows)]) + "\n"


def warned(outcome, rule: str) -> list:
    return [p for p in outcome.warnings if p.rule == rule]


RECEIVED_A = (f"{YEAR}-01-20", JIA_A, "区级配套资金", "到位", "500")
# January books 200 to project B by mistake; February's ledger (the whole year so far) moves it to project A.
MISBOOKED = (f"{YEAR}-01-25", JIA_B, "区级配套资金", "到位", "200")
JANUARY = (f"{JIA}/1月台账.csv", ledger_csv(RECEIVED_A, MISBOOKED))
FEBRUARY = (
    f"{JIA}/2月台账.csv",
    ledger_csv(
        RECEIVED_A,
        (MISBOOKED[0], JIA_A, *MISBOOKED[2:]),
        (f"{YEAR}-02-25", JIA_A, "区级配套资金", "支付", "120.5"),
    ),
)


@pytest.mark.parametrize("same_night", [False, True])
def test_a_project_left_out_of_a_resent_ledger_stays_in_force_and_the_receipt_names_it(
    settings, registry, same_night
):
    if same_night:
        outcomes = take_in(settings, registry, REGISTER, JANUARY, FEBRUARY)
        earlier = f"本次一并接收的《{JANUARY[0].split('/')[1]}》"
    else:
        outcomes = take_in(settings, registry, REGISTER, JANUARY) | take_in(settings, registry, FEBRUARY)
        number = outcomes[JANUARY[0]].submission_id
        earlier = f"第{number}号提交《{JANUARY[0].split('/')[1]}》"

    [warning] = warned(outcomes[FEBRUARY[0]], "project_left_in_force")
    assert warning.severity == "warning" and warning.value == JIA_B
    assert f"本表替代了{earlier}中{YEAR}年度项目资金到位及支付台账的部分项目" in warning.message_zh
    assert (
        f"项目“{JIA_B}”的1行（资金来源“{MISBOOKED[2]}”、类型“{MISBOOKED[3]}”的金额{MISBOOKED[4]}万元）"
        in (warning.message_zh)
    )
    assert "该文件的其余数据已由本表替代" in warning.fix
    # The file to withdraw is recorded by number, a file of the same night's once it is stored.
    january = outcomes[JANUARY[0]].submission_id
    assert issue_of(settings, FEBRUARY[0], "project_left_in_force") == ([january], None)
    assert not warned(outcomes[JANUARY[0]], "project_left_in_force")
    assert RULE_ZH["project_left_in_force"]
    # The rule stands as the contract says: project B's January slice stays in force, and is counted.
    assert marts(
        settings, "select project_name, amount_wan from staging.fund_ledger where project_code = 'JIA-02'"
    ) == [(JIA_B, Decimal(MISBOOKED[4]))]
    if not same_night:
        # Doing what the receipt says takes out the money left in force and nothing else.
        assert f"pipeline withdraw {number}" in warning.fix
        withdraw(settings, registry, number, "2月台账已更正项目")
        publish_pending(settings.warehouse)
        # Done: the receipt's warning says so, in its own words still.
        assert issue_of(settings, FEBRUARY[0], "project_left_in_force")[1] == (
            f"所涉第{number}号提交已撤回，其数据已不再有效，此提示不再适用，无需处理。"
        )
        assert marts(
            settings,
            "select project_code, sum(amount_wan) from staging.fund_ledger group by all order by all",
        ) == [("JIA-01", sum(Decimal(row[4]) for row in ledger_rows(FEBRUARY[1])))]


def ledger_rows(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.splitlines()[2:]]


def test_a_project_left_out_after_two_ledgers_holding_it_names_both_to_withdraw(settings, registry):
    # January's and February's ledgers both book the 200 to project B; March's moves it to project A.
    february = (
        f"{JIA}/2月台账.csv",
        ledger_csv(RECEIVED_A, MISBOOKED, (f"{YEAR}-02-10", JIA_A, "区级配套资金", "支付", "50")),
    )
    first = take_in(settings, registry, REGISTER, JANUARY) | take_in(settings, registry, february)
    numbers = [first[JANUARY[0]].submission_id, first[february[0]].submission_id]
    march = (f"{JIA}/3月台账.csv", FEBRUARY[1])

    [warning] = warned(take_in(settings, registry, march)[march[0]], "project_left_in_force")

    assert f"本表替代了第{numbers[1]}号提交《2月台账.csv》中" in warning.message_zh
    assert (
        f"撤回第{numbers[1]}号提交、第{numbers[0]}号提交（命令 pipeline withdraw {numbers[1]}、pipeline withdraw {numbers[0]}；第{numbers[0]}号提交《1月台账.csv》也含有这些数据，只撤回前者会使其恢复有效"
        in (warning.fix)
    )
    for number in reversed(numbers):
        withdraw(settings, registry, number, "3月台账已更正项目")
        publish_pending(settings.warehouse)
        # Withdrawing February alone gives January back its slices: the warning still applies until both are out.
        assert (issue_of(settings, march[0], "project_left_in_force")[1] is None) == (number == numbers[1])
    assert marts(settings, "select distinct project_code from staging.fund_ledger") == [("JIA-01",)]


PROGRESS_HEADER = "项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）"


def progress_csv(*rows: tuple[str, int]) -> str:
    """A 月报: rows of (project, month), 100 a month."""
    lines = [f"{name},{YEAR},{month},1000,100,{100 * month}" for name, month in rows]
    return "\n".join(["投资完成情况月报", PROGRESS_HEADER, *lines]) + "\n"


def test_a_corrected_month_of_a_listed_project_and_files_of_other_projects_say_nothing(settings, registry):
    only_a = (f"{JIA}/甲台账.csv", ledger_csv(RECEIVED_A))
    only_b = (f"{JIA}/乙台账.csv", ledger_csv(MISBOOKED))
    quarter = (f"{JIA}/1-3月.csv", progress_csv((JIA_A, 1), (JIA_A, 2), (JIA_A, 3)))
    take_in(settings, registry, REGISTER, only_a, only_b, quarter)

    outcomes = take_in(
        settings,
        registry,
        (
            f"{JIA}/甲台账（更正）.csv",
            ledger_csv(RECEIVED_A, (f"{YEAR}-02-01", JIA_A, "区级配套资金", "支付", "50")),
        ),
        (f"{JIA}/2月（更正）.csv", progress_csv((JIA_A, 2))),
    )

    assert [o.status for o in outcomes.values()] == ["accepted", "accepted"]
    assert not [p for o in outcomes.values() for p in warned(o, "project_left_in_force")]


def test_a_month_corrected_for_one_project_of_a_monthly_file_of_two_says_nothing_of_the_other(
    settings, registry
):
    # A 月报 is sliced by month: correcting one month of one project is the ordinary way, not a project left out.
    months = (1, 2, 3)
    take_in(
        settings,
        registry,
        REGISTER,
        (f"{JIA}/1-3月.csv", progress_csv(*((p, m) for p in (JIA_A, JIA_B) for m in months))),
    )
    correction = (f"{JIA}/2月（更正）.csv", progress_csv((JIA_A, 2)))

    outcome = take_in(settings, registry, correction)[correction[0]]

    assert outcome.status == "accepted"
    assert not warned(outcome, "project_left_in_force")


def test_a_newer_register_leaving_a_project_out_is_told_the_project_stays_registered(settings, registry):
    first = take_in(settings, registry, REGISTER)[REGISTER[0]]
    newer = (f"{BUREAU}/项目基本信息表（新）.csv", register_csv(("JIA-01", JIA_A, JIA)))

    outcome = take_in(settings, registry, newer)[newer[0]]

    [warning] = warned(outcome, "project_left_in_force")
    planned = REGISTER[1].splitlines()[-1].split(",")[-1]  # as register_csv writes it
    assert (
        f"第{first.submission_id}号提交《项目基本信息表.csv》中{YEAR}年度项目基本信息表" in warning.message_zh
    )
    assert (
        f"项目“{JIA_B}”的1行（项目类型“老旧小区改造”的计划总投资{planned}万元）仍然有效" in warning.message_zh
    )
    assert f"pipeline withdraw {first.submission_id}" in warning.fix
    assert marts(settings, "select project_code from staging.project_register order by all") == [
        ("JIA-01",),
        ("JIA-02",),
    ]


JAN_FEB = (
    RECEIVED_A,
    (f"{YEAR}-02-25", JIA_A, "区级配套资金", "支付", "120.5"),
)
MARCH = (
    (f"{YEAR}-03-10", JIA_A, "中央补助资金", "到位", "1250.1"),
    (f"{YEAR}-03-28", JIA_A, "中央补助资金", "支付", "300"),
)


def test_a_ledger_of_later_months_alone_is_told_which_earlier_entries_drop_out(settings, registry):
    earlier = take_in(settings, registry, REGISTER, (f"{JIA}/1-2月台账.csv", ledger_csv(*JAN_FEB)))
    number = earlier[f"{JIA}/1-2月台账.csv"].submission_id
    march = (f"{JIA}/3月台账.csv", ledger_csv(*MARCH))

    outcome = take_in(settings, registry, march)[march[0]]

    [warning] = warned(outcome, "earlier_dates_dropped")
    assert (warning.excel_row, warning.column_header, warning.value) == (3, "日期", MARCH[0][0])
    assert (
        f"替代第{number}号提交《1-2月台账.csv》中该项目的全部数据；本表最早的日期是{MARCH[0][0]}，该文件中"
        f"{JAN_FEB[0][0]}至{JAN_FEB[1][0]}的2行（资金来源“区级配套资金”、类型“到位”的金额{JAN_FEB[0][4]}万元；"
        f"资金来源“区级配套资金”、类型“支付”的金额{JAN_FEB[1][4]}万元）不再计入报告" in warning.message_zh
    )
    assert "请将本年度截至目前的全部记录（含上述2行）填报齐全后重新报送" in warning.fix
    assert RULE_ZH["earlier_dates_dropped"]
    # Replaced as the contract says: only the receipt is what changed.
    assert marts(settings, "select date from staging.fund_ledger order by all") == [
        (dt.date.fromisoformat(row[0]),) for row in MARCH
    ]


# The rules for rows a replacing file drops.
DROPPED = (
    "earlier_dates_dropped",
    "later_dates_dropped",
    "months_dropped",
    "whole_list_replaced",
    "part_dropped",
)


def night(settings, registry, same_night: bool, earlier: tuple[str, str], *files: tuple[str, str]) -> dict:
    """Take in the register and `earlier`, then `files` the same night or the next; return every outcome."""
    if same_night:
        return take_in(settings, registry, REGISTER, earlier, *files)
    return take_in(settings, registry, REGISTER, earlier) | take_in(settings, registry, *files)


def said(outcomes: dict, earlier: tuple[str, str], same_night: bool) -> str:
    """Say the earlier file as a warning names it: by number once stored, else as a file of the same night."""
    name = earlier[0].split("/")[1]
    if same_night:
        return f"本次一并接收的《{name}》"
    return f"第{outcomes[earlier[0]].submission_id}号提交《{name}》"


FEB = (
    (f"{YEAR}-02-15", JIA_A, "中央补助资金", "到位", "500"),
    (f"{YEAR}-02-20", JIA_A, "中央补助资金", "支付", "100"),
)
MARCH_ONLY = (
    (f"{YEAR}-03-05", JIA_A, "中央补助资金", "支付", "200"),
    (f"{YEAR}-03-12", JIA_A, "中央补助资金", "到位", "300"),
)


@pytest.mark.parametrize("same_night", [False, True])
def test_a_month_extract_starting_under_a_month_after_the_ledger_it_replaces_is_told_its_rows_drop_out(
    settings, registry, same_night
):
    # March's rows alone start 18 days after February's first: February's 到位 500 and 支付 100 drop out.
    february = (f"{JIA}/2月台账.csv", ledger_csv(*FEB))
    march = (f"{JIA}/3月份台账.csv", ledger_csv(*MARCH_ONLY))

    outcomes = night(settings, registry, same_night, february, march)

    [warning] = warned(outcomes[march[0]], "earlier_dates_dropped")
    assert (warning.excel_row, warning.value) == (3, MARCH_ONLY[0][0])
    assert (
        f"替代{said(outcomes, february, same_night)}中该项目的全部数据；本表最早的日期是{MARCH_ONLY[0][0]}，该文件中"
        f"{FEB[0][0]}至{FEB[1][0]}的2行（资金来源“中央补助资金”、类型“到位”的金额500万元；"
        "资金来源“中央补助资金”、类型“支付”的金额100万元）不再计入报告" in warning.message_zh
    )
    assert "请将本年度截至目前的全部记录（含上述2行）填报齐全后重新报送" in warning.fix
    assert "联系财政局撤回本表" in warning.fix
    assert not warned(outcomes[february[0]], "earlier_dates_dropped")


@pytest.mark.parametrize(
    "first_row",
    [
        JAN_FEB[0],  # the whole year so far
        (
            *JAN_FEB[0][:4],
            "450",
        ),  # the whole year so far, January's 到位 corrected: a row changed, none dropped
    ],
)
@pytest.mark.parametrize("same_night", [False, True])
def test_a_ledger_resent_with_its_earlier_dates_says_nothing(settings, registry, first_row, same_night):
    earlier = (f"{JIA}/1-2月台账.csv", ledger_csv(*JAN_FEB))
    resent = (f"{JIA}/1-3月台账.csv", ledger_csv(first_row, JAN_FEB[1], *MARCH))

    outcome = night(settings, registry, same_night, earlier, resent)[resent[0]]

    assert outcome.status == "accepted"
    assert not [w for w in outcome.warnings if w.rule in DROPPED]


def test_a_single_date_dropping_out_is_named_once_not_as_a_span_from_it_to_itself(settings, registry):
    # January and February sent, then January alone: the receipt said 该文件中2022-02-25至2022-02-25的1行.
    earlier = (f"{JIA}/1-2月台账.csv", ledger_csv(*JAN_FEB))
    resent = (f"{JIA}/台账（更正）.csv", ledger_csv(JAN_FEB[0]))

    [warning] = warned(night(settings, registry, False, earlier, resent)[resent[0]], "later_dates_dropped")

    assert f"该文件中{JAN_FEB[1][0]}的1行（" in warning.message_zh
    assert "至" not in warning.expected


@pytest.mark.parametrize("same_night", [False, True])
def test_a_ledger_ending_months_before_the_ledger_it_replaces_is_told_which_later_entries_drop_out(
    settings, registry, same_night
):
    # January to March sent, then January's 到位 alone sent again: February's and March's rows drop out.
    earlier = (f"{JIA}/1-3月台账.csv", ledger_csv(*JAN_FEB, *MARCH))
    resent = (f"{JIA}/台账（更正）.csv", ledger_csv(JAN_FEB[0]))

    outcomes = night(settings, registry, same_night, earlier, resent)

    outcome = outcomes[resent[0]]
    assert outcome.status == "accepted"
    [warning] = [w for w in outcome.warnings if w.rule in DROPPED]
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "later_dates_dropped",
        3,
        "日期",
        JAN_FEB[0][0],
    )
    assert (
        f"替代{said(outcomes, earlier, same_night)}中该项目的全部数据；本表最晚的日期是{JAN_FEB[0][0]}，该文件中"
        f"{JAN_FEB[1][0]}至{MARCH[1][0]}的3行（资金来源“区级配套资金”、类型“支付”的金额{JAN_FEB[1][4]}万元；"
        f"资金来源“中央补助资金”、类型“到位”的金额{MARCH[0][4]}万元；资金来源“中央补助资金”、类型“支付”的金额"
        f"{MARCH[1][4]}万元）不再计入报告" in warning.message_zh
    )
    assert "请将本年度截至目前的全部记录（含上述3行）填报齐全后重新报送" in warning.fix
    assert "联系财政局撤回本表" in warning.fix and "如这些记录确应删除，可忽略此提示" in warning.fix
    assert RULE_ZH["later_dates_dropped"]
    assert not [w for w in outcomes[earlier[0]].warnings if w.rule in DROPPED]
    # Replaced as the contract says: only the receipt is what changed.
    assert marts(settings, "select date from staging.fund_ledger") == [
        (dt.date.fromisoformat(JAN_FEB[0][0]),)
    ]


APRIL = ((f"{YEAR}-04-15", JIA_A, "中央补助资金", "支付", "80"),)


@pytest.mark.parametrize("same_night", [False, True])
def test_a_ledger_leaving_out_a_month_between_its_dates_is_told_that_months_entries_drop_out(
    settings, registry, same_night
):
    # January to April sent, then the whole year so far again with March's rows lost joining the months' extracts:
    # its first and last dates reach as far as before, so neither end's rule said a word.
    earlier = (f"{JIA}/1-4月台账.csv", ledger_csv(*JAN_FEB, *MARCH, *APRIL))
    resent = (f"{JIA}/1-4月台账（更正）.csv", ledger_csv(*JAN_FEB, *APRIL))

    outcomes = night(settings, registry, same_night, earlier, resent)

    outcome = outcomes[resent[0]]
    assert outcome.status == "accepted"
    [warning] = [w for w in outcome.warnings if w.rule in DROPPED]
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "months_dropped",
        4,
        "日期",
        JAN_FEB[1][0],
    )
    assert (
        f"替代{said(outcomes, earlier, same_night)}中该项目的全部数据；本表的日期中没有{YEAR}年3月的记录，该文件中"
        f"{MARCH[0][0]}至{MARCH[1][0]}的2行（资金来源“中央补助资金”、类型“到位”的金额{MARCH[0][4]}万元；"
        f"资金来源“中央补助资金”、类型“支付”的金额{MARCH[1][4]}万元）不再计入报告" in warning.message_zh
    )
    assert "请将本年度截至目前的全部记录（含上述2行）填报齐全后重新报送" in warning.fix
    assert RULE_ZH["months_dropped"]


def test_a_ledger_taking_out_one_entry_of_a_month_it_keeps_says_nothing(settings, registry):
    # March's wrong 支付 taken out, its 到位 kept: the ordinary correction.
    earlier = (f"{JIA}/1-4月台账.csv", ledger_csv(*JAN_FEB, *MARCH, *APRIL))
    resent = (f"{JIA}/1-4月台账（更正）.csv", ledger_csv(*JAN_FEB, MARCH[0], *APRIL))

    outcome = night(settings, registry, False, earlier, resent)[resent[0]]

    assert outcome.status == "accepted"
    assert not [w for w in outcome.warnings if w.rule in DROPPED]


COMPOUNDS = ("棉纺厂东院", "市委小区", "石化小区")


def titled(title: str, text: str) -> str:
    return f"{title}\n{text}"


@pytest.mark.parametrize("same_night", [False, True])
def test_a_supplement_repeating_a_compound_is_told_the_compounds_it_leaves_out(
    settings, registry, same_night
):
    listed = (f"{JIA}/小区清单.csv", compounds_csv(JIA_A, *COMPOUNDS))
    # One compound repeated (its status updated), one new: as a supplement, 4 compounds; as the list, 2.
    added = (
        f"{JIA}/清单.csv",
        titled("老旧小区改造项目补充清单", compounds_csv(JIA_A, COMPOUNDS[2], "育源小区")),
    )

    outcomes = night(settings, registry, same_night, listed, added)

    [warning] = warned(outcomes[added[0]], "whole_list_replaced")
    row = compounds_csv(JIA_A, "x").splitlines()[-1].split(",")
    households, invested = int(row[3]), Decimal(row[4])
    assert (
        f"替代{said(outcomes, listed, same_night)}中该项目的全部数据，本表标题写有“补充”，该文件的小区名称"
        f"“{COMPOUNDS[0]}”、“{COMPOUNDS[1]}”本表未列出，其2行（计划投资合计{display(invested * 2)}万元、惠及户数合计"
        f"{households * 2}户）不再计入报告" in warning.message_zh
    )
    assert "请与原表合并为完整的一份（含上述2行）后重新报送" in warning.fix
    assert "联系财政局撤回本表" in warning.fix
    # Replaced as the contract says: only the receipt is what changed.
    assert marts(settings, "select compound_name from staging.compound_list order by all") == [
        ("石化小区",),
        ("育源小区",),
    ]


@pytest.mark.parametrize(
    ("name", "kept", "warns"),
    [
        ("小区清单（更正）.csv", COMPOUNDS[:2], False),  # one compound taken out: the ordinary correction
        ("小区清单（更正）.csv", COMPOUNDS[:1], True),  # two of three left out: more likely a part
        ("小区清单（补充）.csv", (*COMPOUNDS[:2], "育源小区"), True),  # a supplement leaving any out is asked
        ("小区清单（补充）.csv", (*COMPOUNDS, "育源小区"), False),  # a supplement merged whole: nothing drops
    ],
)
def test_a_list_is_asked_about_when_it_leaves_out_most_compounds_or_any_as_a_supplement(
    settings, registry, name, kept, warns
):
    listed = (f"{JIA}/小区清单.csv", compounds_csv(JIA_A, *COMPOUNDS))
    resent = (f"{JIA}/{name}", compounds_csv(JIA_A, *kept))

    outcome = night(settings, registry, False, listed, resent)[resent[0]]

    assert outcome.status == "accepted"
    assert bool(warned(outcome, "whole_list_replaced")) == warns
    left_out = [c for c in COMPOUNDS if c not in kept]
    for warning in warned(outcome, "whole_list_replaced"):
        assert f"该文件的小区名称{'、'.join(f'“{c}”' for c in left_out)}本表未列出" in warning.message_zh
        assert ("本表文件名写有“补充”" in warning.message_zh) == ("补充" in name)


def test_a_list_sharing_no_compound_with_the_list_it_replaces_is_told_the_whole_list_drops_out(
    settings, registry
):
    listed = ("棉纺厂东院", "石化小区")
    take_in(
        settings, registry, REGISTER, (f"{JIA}/小区清单.csv", compounds_csv(JIA_A, "棉纺厂东院", "市委小区"))
    )
    corrected = (f"{JIA}/清单（更正）.csv", compounds_csv(JIA_A, *listed))
    added = (f"{JIA}/补充清单.csv", compounds_csv(JIA_A, "育源小区"))

    first = take_in(settings, registry, corrected)[corrected[0]]
    outcome = take_in(settings, registry, added)[added[0]]

    assert not warned(first, "whole_list_replaced")  # it keeps 棉纺厂东院 of the list it replaces
    [warning] = warned(outcome, "whole_list_replaced")
    row = compounds_csv(JIA_A, "x").splitlines()[-1].split(",")
    assert (
        f"替代第{first.submission_id}号提交《清单（更正）.csv》中该项目的全部数据，本表文件名写有“补充”，两份没有一个"
        f"相同的小区名称，该文件的{len(listed)}行（计划投资合计{display(Decimal(row[4]) * len(listed))}万元、"
        f"惠及户数合计{int(row[3]) * len(listed)}户）都不再计入报告" in warning.message_zh
    )
    assert "请与原表合并为完整的一份（含上述2行）后重新报送" in warning.fix
    assert RULE_ZH["whole_list_replaced"]


def survey_csv(*rows: tuple[str, int, int, int, int]) -> str:
    """A 群众满意度调查汇总表 of project A: rows of (小区名称, 有效问卷, 满意, 基本满意, 不满意)."""
    lines = [",".join(map(str, row)) for row in rows]
    header = "小区名称,有效问卷（份）,满意（份）,基本满意（份）,不满意（份）"
    return "\n".join([f"项目名称：{JIA_A}", f"年度：{YEAR}", header, *lines]) + "\n"


FIRST_BATCH = (("棉纺厂东院", 100, 80, 10, 10), ("市委小区", 50, 40, 5, 5))


@pytest.mark.parametrize("same_night", [False, True])
def test_a_second_survey_batch_of_other_compounds_is_told_the_first_drops_out(settings, registry, same_night):
    first = (f"{JIA}/满意度调查（第一批）.csv", survey_csv(*FIRST_BATCH))
    second = (f"{JIA}/满意度调查（第二批）.csv", survey_csv(("石化小区", 60, 30, 10, 20)))

    outcomes = night(settings, registry, same_night, first, second)

    [warning] = warned(outcomes[second[0]], "whole_list_replaced")
    sums = [sum(row[i] for row in FIRST_BATCH) for i in range(1, 5)]
    # Each in what the survey counts (份, units.yaml), as 惠及户数 is in 户.
    [unit] = {
        c.counts for c in registry.templates["satisfaction_survey"].columns if c.name == "valid_responses"
    }
    assert (
        f"替代{said(outcomes, first, same_night)}中该项目的全部数据，两份没有一个相同的小区名称，该文件的2行"
        f"（有效问卷合计{sums[0]}{unit}、满意合计{sums[1]}{unit}、基本满意合计{sums[2]}{unit}、"
        f"不满意合计{sums[3]}{unit}）都不再计入报告" in warning.message_zh
    )
    assert not warned(outcomes[first[0]], "whole_list_replaced")


def test_a_survey_resent_with_its_compounds_corrected_says_nothing(settings, registry):
    first = (f"{JIA}/满意度调查.csv", survey_csv(*FIRST_BATCH))
    corrected = (f"{JIA}/满意度调查（更正）.csv", survey_csv(FIRST_BATCH[0], ("市委小区", 50, 42, 3, 5)))

    outcome = night(settings, registry, False, first, corrected)[corrected[0]]

    assert outcome.status == "accepted"
    assert not [w for w in outcome.warnings if w.rule in DROPPED]


def scale_csv(*rows: tuple[str, str, str, str]) -> str:
    """A 建设规模及投资构成表 of project A: rows of (类别, 内容, 数量, 单位)."""
    lines = [",".join((JIA_A, *row)) for row in rows]
    return "\n".join([f"年度：{YEAR}", "项目名称,类别,内容,数量,单位", *lines]) + "\n"


SCALE = (("建设规模", "改造户数", "320", "户"), ("建设规模", "改造面积", "2.5", "万平方米"))
COST = (("投资构成", "工程费用", "1500", "万元"), ("投资构成", "其中：建安工程费", "1200", "万元"))


@pytest.mark.parametrize("same_night", [False, True])
def test_a_scale_and_cost_table_resent_with_its_scale_alone_is_told_its_cost_rows_drop_out(
    settings, registry, same_night
):
    earlier = (f"{JIA}/建设规模及投资构成表.csv", scale_csv(*SCALE, *COST))
    resent = (f"{JIA}/建设规模表（更正）.csv", scale_csv(("建设规模", "改造户数", "330", "户"), SCALE[1]))

    outcomes = night(settings, registry, same_night, earlier, resent)

    outcome = outcomes[resent[0]]
    assert outcome.status == "accepted"
    [warning] = [w for w in outcome.warnings if w.rule in DROPPED]
    assert (warning.rule, warning.column_header, warning.value) == ("part_dropped", "项目名称", JIA_A)
    assert (
        f"替代{said(outcomes, earlier, same_night)}中该项目的全部数据，该文件的类别“投资构成”本表未列出，其2行不再计入报告"
        in warning.message_zh
    )
    assert "请与原表合并为完整的一份（含上述2行）后重新报送" in warning.fix
    assert "联系财政局撤回本表" in warning.fix and "如确为整份替换，可忽略此提示" in warning.fix
    assert RULE_ZH["part_dropped"]
    assert not [w for w in outcomes[earlier[0]].warnings if w.rule in DROPPED]
    # Replaced as the contract says: only the receipt is what changed.
    assert marts(
        settings,
        "select distinct category from raw.scale_and_cost where submission_id = ?",
        [outcome.submission_id],
    ) == [("建设规模",)]


def narrative_csv(title: str, *rows: tuple[str, str]) -> str:
    """A 报告文字材料 of project A: rows of (章节, 内容)."""
    lines = [",".join((JIA_A, *row)) for row in rows]
    return "\n".join([title, f"年度：{YEAR}", "项目名称,章节,内容", *lines]) + "\n"


CHAPTERS = (("项目概况", "改造老旧小区三个。"), ("主要做法", "分批施工。"), ("主要做法", "居民议事。"))


def test_a_narrative_supplement_of_other_chapters_is_told_the_chapters_it_leaves_out(settings, registry):
    earlier = (f"{JIA}/报告文字材料.csv", narrative_csv("报告文字材料", *CHAPTERS))
    added = (
        f"{JIA}/文字材料.csv",
        narrative_csv("报告文字材料（补充）", ("绩效目标", "改善居住条件。"), ("主要做法", "分批施工。")),
    )

    outcome = night(settings, registry, False, earlier, added)[added[0]]

    [warning] = [w for w in outcome.warnings if w.rule in DROPPED]
    assert warning.rule == "part_dropped"
    assert "本表标题写有“补充”，该文件的章节“项目概况”本表未列出，其1行不再计入报告" in warning.message_zh


@pytest.mark.parametrize(
    ("template", "earlier", "resent"),
    [
        ("scale", scale_csv(*SCALE, *COST), scale_csv(("建设规模", "改造户数", "330", "户"), *COST)),
        (
            "narrative",
            narrative_csv("报告文字材料", *CHAPTERS),
            narrative_csv("报告文字材料（更正）", *CHAPTERS[:2]),
        ),
    ],
)
def test_a_form_sent_in_parts_resent_whole_says_nothing(settings, registry, template, earlier, resent):
    # A 建设规模 row taken out, a paragraph of 主要做法 taken out: every part is still there.
    outcome = night(
        settings, registry, False, (f"{JIA}/{template}.csv", earlier), (f"{JIA}/{template}2.csv", resent)
    )

    assert outcome[f"{JIA}/{template}2.csv"].status == "accepted"
    assert not [w for w in outcome[f"{JIA}/{template}2.csv"].warnings if w.rule in DROPPED]
