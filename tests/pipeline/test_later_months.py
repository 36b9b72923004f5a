"""A monthly file that stops before a month an earlier file of its office still holds (pipeline/intake/later_months)."""

from __future__ import annotations

import pytest

from pipeline.problems import RULE_ZH
from pipeline.warehouse import publish_pending
from pipeline.withdraw import withdraw
from tests.pipeline.test_intake import receipts_in_one_piece_and_in_chunks
from tests.pipeline.test_projects import BUREAU, JIA, YEAR, ledger_csv, marts, register_csv, take_in
from tests.pipeline.test_withdraw import issue_of, receipt_of
from tests.pipeline.workbooks import PROGRESS_HEADER, xlsx

PROJECT = "甲项目"
HEADER = "项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）"


def progress_csv(*months: tuple[int, str, str]) -> str:
    """An investment progress sheet: rows of (month, 本月完成, 累计完成)."""
    rows = [f"{PROJECT},{YEAR},{month},1000,{done},{so_far}" for month, done, so_far in months]
    return "\n".join(["投资完成情况月报", HEADER, *rows]) + "\n"


REGISTER = (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", PROJECT, JIA)))
# June mistyped as 7; the correction has months 1–2 and the real June.
FIRST = (f"{JIA}/投资进度.csv", progress_csv((1, "100", "100"), (2, "100", "200"), (7, "100", "300")))
CORRECTED = (
    f"{JIA}/投资进度（更正）.csv",
    progress_csv((1, "100", "100"), (2, "100", "200"), (6, "100", "300")),
)


@pytest.mark.parametrize("same_night", [False, True])
def test_a_correction_stopping_before_a_month_still_in_force_is_a_flagged_warning(
    settings, registry, same_night
):
    if same_night:
        outcomes = take_in(settings, registry, REGISTER, FIRST, CORRECTED)
    else:
        outcomes = take_in(settings, registry, REGISTER, FIRST) | take_in(settings, registry, CORRECTED)

    corrected = outcomes[CORRECTED[0]]
    [warning] = [p for p in corrected.warnings if p.rule == "later_month_in_force"]
    assert (
        "本表报至6月，但此前报送的《投资进度.csv》中7月的数据仍然有效，报告将以7月为最新月份"
        in warning.message_zh
    )
    assert warning.excel_row == 5  # the row of the file's last month
    # The first file keeps nothing else in force: withdrawing it takes out the mistyped month alone.
    assert warning.fix.startswith("如7月的数据有误，请联系财政局撤回原文件；")
    assert not [p for p in outcomes[FIRST[0]].warnings if p.rule == "later_month_in_force"]
    # The file to withdraw is recorded by number, a file of the same night's once it is stored.
    assert issue_of(settings, CORRECTED[0], "later_month_in_force") == (
        [outcomes[FIRST[0]].submission_id],
        None,
    )
    assert RULE_ZH["later_month_in_force"]
    # The month stays in force, as the contract's per-month slices say: the warning is what changed.
    assert marts(settings, "select max(month) from staging.investment_progress") == [(7,)]


# The first file with a ledger besides its months; the ledger sent again on its own before the correction.
FIRST_WITH_LEDGER = (
    f"{JIA}/投资进度及台账.xlsx",
    xlsx(
        {
            "投资进度": [
                ["投资完成情况月报"],
                PROGRESS_HEADER,
                *([PROJECT, YEAR, m, 1000, 100, so_far] for m, so_far in ((1, 100), (2, 200), (7, 300))),
            ],
            "资金台账": [line.split(",") for line in ledger_csv(PROJECT, "100", "50").splitlines()],
        }
    ),
)
LEDGER_AGAIN = (f"{JIA}/资金台账.csv", ledger_csv(PROJECT, "100", "60"))


@pytest.mark.parametrize(
    "files",
    [
        [REGISTER, FIRST, (f"{JIA}/投资进度（副本）.csv", FIRST[1]), CORRECTED],
        [REGISTER, FIRST_WITH_LEDGER, LEDGER_AGAIN, CORRECTED],
    ],
    ids=["a copy of the file corrected", "its other form replaced before"],
)
def test_a_run_in_chunks_advises_on_a_month_left_in_force_as_a_run_in_one_piece_does(
    tmp_path, registry, monkeypatch, files
):
    one_piece, chunked = receipts_in_one_piece_and_in_chunks(tmp_path, registry, monkeypatch, *files)

    # The file to withdraw is the one taken in, and withdrawing it takes out the mistyped month alone.
    [said] = [p for p in one_piece[CORRECTED[0]]["problems"] if p["rule"] == "later_month_in_force"]
    assert f"此前报送的《{files[1][0].split('/')[-1]}》中7月的数据仍然有效" in said["message_zh"]
    assert said["fix"].startswith("如7月的数据有误，请联系财政局撤回原文件；") and said["named_submissions"]
    assert chunked == one_piece


def test_a_correction_reaching_the_latest_month_says_nothing(settings, registry):
    take_in(settings, registry, REGISTER, FIRST)
    outcome = take_in(settings, registry, (CORRECTED[0], progress_csv((6, "100", "300"), (7, "0", "300"))))[
        CORRECTED[0]
    ]

    assert not [p for p in outcome.warnings if p.rule == "later_month_in_force"]


# Months 1–3 in one file: a correction of February alone leaves January and March of it in force.
QUARTER = (f"{JIA}/1至3月.csv", progress_csv((1, "100", "100"), (2, "100", "200"), (3, "100", "300")))
FEBRUARY = (f"{JIA}/2月（更正）.csv", progress_csv((2, "100", "200")))


def test_a_correction_before_a_later_months_own_file_names_that_month_as_the_latest_and_no_withdrawal(
    settings, registry
):
    april = (f"{JIA}/4月.csv", progress_csv((4, "100", "400")))
    take_in(settings, registry, REGISTER, QUARTER, april)

    outcome = take_in(settings, registry, FEBRUARY)[FEBRUARY[0]]

    [warning] = [p for p in outcome.warnings if p.rule == "later_month_in_force"]
    assert (
        "《1至3月.csv》中3月的数据仍然有效，报告以《4月.csv》中的4月为最新月份，3月照常计入"
        in warning.message_zh
    )
    assert "将以3月为最新月份" not in warning.message_zh
    assert "撤回" not in warning.message_zh  # nothing of the first file is wrong for all the receipt knows
    assert marts(settings, "select max(month) from staging.investment_progress") == [(4,)]


def test_a_correction_leaving_an_earlier_month_of_the_file_in_force_says_withdrawing_takes_it_too(
    settings, registry
):
    take_in(settings, registry, REGISTER, QUARTER)

    outcome = take_in(settings, registry, FEBRUARY)[FEBRUARY[0]]

    [warning] = [p for p in outcome.warnings if p.rule == "later_month_in_force"]
    assert "中3月的数据仍然有效，报告将以3月为最新月份" in warning.message_zh
    assert "撤回原文件，撤回后其中仍然有效的1月的数据也不再计入，须随后重新报送" in warning.fix


def test_earlier_months_sent_after_a_later_one_correct_nothing_and_say_nothing(settings, registry):
    take_in(settings, registry, REGISTER, (f"{JIA}/3月.csv", progress_csv((3, "100", "300"))))
    outcome = take_in(
        settings, registry, (f"{JIA}/1至2月.csv", progress_csv((1, "100", "100"), (2, "100", "200")))
    )

    assert not [p for p in outcome[f"{JIA}/1至2月.csv"].warnings if p.rule == "later_month_in_force"]


# January to April each in a file of its own; then February's 本月 corrected from 50 to 70.
MONTHS = [
    (f"{JIA}/{month}月.csv", progress_csv((month, done, so_far)))
    for month, done, so_far in ((1, "100", "100"), (2, "50", "150"), (3, "90", "240"), (4, "60", "300"))
]


def test_a_corrected_month_that_puts_later_months_cumulatives_off_says_which_to_send_again(
    settings, registry
):
    correction = (f"{JIA}/2月（更正）.csv", progress_csv((2, "70", "170")))
    outcomes = take_in(settings, registry, REGISTER, *MONTHS) | take_in(settings, registry, correction)

    [warning] = [p for p in outcomes[correction[0]].warnings if p.rule == "cumulative_stale"]
    assert (warning.severity, warning.excel_row) == ("warning", 3)
    assert (
        "此前报送的《3月.csv》、《4月.csv》中3月、4月的累计完成投资（240万元、300万元）"
        "与1月至该月本月完成投资之和（260万元、320万元）不再相符" in warning.message_zh
    )
    assert "请一并更正3月、4月的累计完成投资后重新报送这些月份" in warning.message_zh


def test_a_stale_cumulative_of_a_file_kept_in_yuan_is_quoted_with_its_unit(settings, registry):
    # 3月.csv holds 2400000 元: a bare `（240、…）` matches nothing the clerk sees in it; 240万元 is that cell.
    in_yuan = [
        (path, text.replace("（万元）", "（元）").replace(",1000,90,240", ",10000000,900000,2400000"))
        for path, text in MONTHS[2:3]
    ]
    correction = (f"{JIA}/2月（更正）.csv", progress_csv((2, "70", "170")))
    outcomes = take_in(settings, registry, REGISTER, *MONTHS[:2], *in_yuan) | take_in(
        settings, registry, correction
    )

    [warning] = [p for p in outcomes[correction[0]].warnings if p.rule == "cumulative_stale"]
    assert (
        "《3月.csv》中3月的累计完成投资（240万元）与1月至该月本月完成投资之和（260万元）"
        in warning.message_zh
    )
    assert RULE_ZH["cumulative_stale"]
    assert not [p for o in outcomes.values() for p in o.warnings if p.rule == "cumulative_mismatch"]


def test_later_months_sent_the_same_night_as_the_correction_are_told_on_their_own_receipts(
    settings, registry
):
    correction = (f"{JIA}/2月（更正）.csv", progress_csv((2, "70", "170")))

    outcomes = take_in(settings, registry, REGISTER, *MONTHS, correction)

    told = {
        path: [p.rule for p in outcome.warnings if p.rule in ("cumulative_mismatch", "cumulative_stale")]
        for path, outcome in outcomes.items()
    }
    assert told[MONTHS[2][0]] == told[MONTHS[3][0]] == ["cumulative_mismatch"]
    assert told[correction[0]] == []  # told once, where the 累计 is


# The months of a run, each file in a chunk of its own: February corrected after March and April came (their 累计
# are off by it), a 累计 off from the start (April's), and one the correction makes add up (March's).
@pytest.mark.parametrize(
    "months",
    [
        [*MONTHS, (f"{JIA}/2月（更正）.csv", progress_csv((2, "70", "170")))],
        [*MONTHS[:3], (f"{JIA}/4月.csv", progress_csv((4, "60", "310")))],
        [
            *MONTHS[:2],
            (f"{JIA}/3月.csv", progress_csv((3, "90", "260"))),
            (f"{JIA}/2月（更正）.csv", progress_csv((2, "70", "170"))),
        ],
    ],
    ids=["corrected later", "off from the start", "made to add up later"],
)
def test_a_run_in_chunks_tells_each_cumulative_as_a_run_in_one_piece_does(
    tmp_path, registry, monkeypatch, months
):
    one_piece, chunked = receipts_in_one_piece_and_in_chunks(
        tmp_path, registry, monkeypatch, REGISTER, *months
    )

    told = {p["rule"] for r in one_piece.values() for p in r["problems"]}
    assert "cumulative_stale" not in told  # in one piece each 累计 is told on its own receipt, if at all
    assert chunked == one_piece


def test_a_correction_sent_twice_the_same_night_is_told_on_the_file_taken_in_not_on_its_copy(
    settings, registry
):
    correction = (f"{JIA}/2月（更正）.csv", progress_csv((2, "70", "170")))
    take_in(settings, registry, REGISTER, *MONTHS)

    outcomes = take_in(settings, registry, correction, (f"{JIA}/2月（更正）（副本）.csv", correction[1]))

    assert [p.rule for p in outcomes[correction[0]].warnings] == ["cumulative_stale"]


def test_a_correction_that_leaves_every_later_cumulative_right_says_nothing(settings, registry):
    # February moved from 50 to 70 and March from 90 to 70: March's and April's 累计 still add up.
    take_in(settings, registry, REGISTER, *MONTHS)
    correction = (f"{JIA}/2至3月（更正）.csv", progress_csv((2, "70", "170"), (3, "70", "240")))

    outcome = take_in(settings, registry, correction)[correction[0]]

    assert not [p for p in outcome.warnings if p.rule in ("cumulative_stale", "cumulative_mismatch")]


def test_months_sent_before_later_ones_that_they_make_add_up_say_nothing(settings, registry):
    # March came first with its 累计 (240) counting months not yet sent; January and February now make it add up.
    take_in(settings, registry, REGISTER, MONTHS[2])

    outcome = take_in(settings, registry, MONTHS[0], MONTHS[1])

    assert not [p for o in outcome.values() for p in o.warnings if p.rule == "cumulative_stale"]


def test_the_cumulative_check_finds_a_renamed_projects_earlier_months_by_its_code(settings, registry):
    # The register renames JIA-01 between January and February: January is still the project's month.
    take_in(settings, registry, REGISTER, MONTHS[0])
    renamed = (f"{BUREAU}/项目基本信息表（更正）.csv", register_csv(("JIA-01", "甲项目（更名）", JIA)))
    february = (f"{JIA}/2月.csv", progress_csv((2, "50", "150")).replace(PROJECT, "甲项目（更名）"))

    outcomes = take_in(settings, registry, renamed, february)

    assert outcomes[february[0]].status == "accepted"
    assert not [p for p in outcomes[february[0]].warnings if p.rule == "cumulative_mismatch"]


@pytest.mark.slow  # 5 s or more on two cores
def test_a_stale_cumulative_warning_no_longer_applies_once_every_month_file_it_names_is_out_of_force_and_again_after(
    settings, registry
):
    correction = (f"{JIA}/2月（更正）.csv", progress_csv((2, "70", "170")))
    take_in(settings, registry, REGISTER, *MONTHS)
    take_in(settings, registry, correction)
    number = dict(marts(settings, "select inbox_path, submission_id from ops.submissions"))
    march, april = number[MONTHS[2][0]], number[MONTHS[3][0]]
    assert issue_of(settings, correction[0], "cumulative_stale") == ([march, april], None)
    warnings = receipt_of(settings, correction[0])[0]["warning_count"]

    withdraw(settings, registry, march, "3月误报")
    publish_pending(settings.warehouse)
    assert issue_of(settings, correction[0], "cumulative_stale") == (
        [march, april],
        None,
    )  # April still stands

    april_again = (f"{JIA}/4月（更正）.csv", progress_csv((4, "60", "320")))
    take_in(settings, registry, april_again)
    note = (
        f"所涉第{march}号提交已撤回、第{april}号提交已被之后报送的更正版本替代，其数据已不再有效，"
        "此提示不再适用，无需处理。"
    )
    assert issue_of(settings, correction[0], "cumulative_stale") == ([march, april], note)
    receipt, _ = receipt_of(settings, correction[0])
    assert (receipt["warning_count"], receipt["stale_warning_count"]) == (warnings - 1, 1)

    # The April correction withdrawn: April's own file is in force again, and so is the warning.
    withdraw(
        settings, registry, marts(settings, "select max(submission_id) from ops.submissions")[0][0], "误报"
    )
    publish_pending(settings.warehouse)
    assert issue_of(settings, correction[0], "cumulative_stale") == ([march, april], None)
    receipt, _ = receipt_of(settings, correction[0])
    assert (receipt["warning_count"], receipt["stale_warning_count"]) == (warnings, 0)
    assert marts(
        settings, "select warning_count from ops.submissions where inbox_path = ?", [correction[0]]
    ) == [(warnings,)]


@pytest.mark.slow  # 5 s or more on two cores
def test_warnings_about_later_months_no_longer_apply_once_those_months_are_sent_again_and_again_after(
    settings, registry
):
    # The first file stays in force for January once its March is sent again: the warnings named March, not it all.
    first_quarter = (f"{JIA}/1-3月.csv", progress_csv((1, "100", "100"), (2, "50", "150"), (3, "90", "240")))
    correction = (f"{JIA}/2月（更正）.csv", progress_csv((2, "70", "170")))
    take_in(settings, registry, REGISTER, first_quarter, MONTHS[3])
    take_in(settings, registry, correction)
    number = dict(marts(settings, "select inbox_path, submission_id from ops.submissions"))
    first, april = number[first_quarter[0]], number[MONTHS[3][0]]
    assert issue_of(settings, correction[0], "later_month_in_force") == ([first], None)
    assert issue_of(settings, correction[0], "cumulative_stale") == ([first, april], None)
    warnings = receipt_of(settings, correction[0])[0]["warning_count"]

    resent = (f"{JIA}/3-4月（更正）.csv", progress_csv((3, "90", "260"), (4, "60", "320")))
    take_in(settings, registry, resent)

    assert marts(settings, "select status from ops.submissions where submission_id = ?", [first]) == [
        ("accepted",)
    ]  # January still stands
    resent_note = "所涉第{}号提交中提示所涉的月份已由之后报送的同月数据替代"
    assert issue_of(settings, correction[0], "later_month_in_force") == (
        [first],
        resent_note.format(first) + "，其数据已不再有效，此提示不再适用，无需处理。",
    )
    assert issue_of(settings, correction[0], "cumulative_stale") == (
        [first, april],
        resent_note.format(first) + f"、第{april}号提交已被之后报送的更正版本替代，其数据已不再有效，"
        "此提示不再适用，无需处理。",
    )
    receipt, _ = receipt_of(settings, correction[0])
    assert (receipt["warning_count"], receipt["stale_warning_count"]) == (warnings - 2, 2)

    # The months sent again withdrawn: March and April are the earlier files' again, and so are the warnings.
    withdraw(
        settings, registry, marts(settings, "select max(submission_id) from ops.submissions")[0][0], "误报"
    )
    publish_pending(settings.warehouse)
    assert issue_of(settings, correction[0], "later_month_in_force") == ([first], None)
    assert issue_of(settings, correction[0], "cumulative_stale") == ([first, april], None)
    assert receipt_of(settings, correction[0])[0]["warning_count"] == warnings


@pytest.mark.slow  # 5 s or more on two cores
def test_a_cumulative_told_off_its_unsent_months_no_longer_applies_once_they_come_and_again_after(
    settings, registry
):
    # March sent alone: its 累计 300 is told off, January and February counted as 0.
    march = (f"{JIA}/3月.csv", progress_csv((3, "100", "300")))
    take_in(settings, registry, REGISTER, march)
    assert issue_of(settings, march[0], "cumulative_mismatch")[1] is None
    assert receipt_of(settings, march[0])[0]["warning_count"] == 1

    earlier = (f"{JIA}/1-2月.csv", progress_csv((1, "100", "100"), (2, "100", "200")))
    take_in(settings, registry, earlier)

    note = issue_of(settings, march[0], "cumulative_mismatch")[1]
    assert note and "不再适用" in note
    receipt, page = receipt_of(settings, march[0])
    assert (receipt["warning_count"], receipt["stale_warning_count"]) == (0, 1)
    assert "因之后报送的数据已不成立" in page

    # January and February withdrawn: March's 累计 is off again, and so is its warning.
    withdraw(
        settings, registry, marts(settings, "select max(submission_id) from ops.submissions")[0][0], "误报"
    )
    publish_pending(settings.warehouse)
    assert issue_of(settings, march[0], "cumulative_mismatch")[1] is None
    assert receipt_of(settings, march[0])[0]["warning_count"] == 1
