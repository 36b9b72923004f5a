"""A file whose rows repeat another year's rows of its office, form and project (pipeline/intake/other_year)."""

from __future__ import annotations

import json

import pytest

from pipeline.problems import RULE_ZH
from pipeline.warehouse import publish_pending
from pipeline.withdraw import withdraw
from tests.pipeline.test_intake import query, receipts_in_one_piece_and_in_chunks
from tests.pipeline.test_later_months import progress_csv
from tests.pipeline.test_projects import BUREAU, JIA, YEAR, YI, register_csv, take_in
from tests.pipeline.test_withdraw import issue_of, receipt_of

NEXT = YEAR + 1
COMPOUNDS = (("棉纺厂东院", "1.0", "100", "300"), ("市委小区", "0.5", "60", "120"))


def compounds_csv(year: int, project: str = "甲项目", rows=COMPOUNDS) -> str:
    """A 老旧小区改造项目清单 of `project` for `year`: rows of (小区名称, 改造面积, 惠及户数, 计划投资)."""
    lines = [
        f"项目名称：{project}",
        f"年度：{year}",
        "序号,小区名称,改造面积（万平方米）,惠及户数（户）,计划投资（万元）",
    ]
    lines += [",".join((str(n), *row)) for n, row in enumerate(rows, 1)]
    return "\n".join(lines) + "\n"


PROJECTS = (("JIA-01", "甲项目", JIA), ("JIA-02", "甲二项目", JIA), ("YI-01", "乙项目", YI))
# The registers of both years list the same projects alike: a register may repeat, and is not told.
REGISTERS = [(f"{BUREAU}/项目基本信息表{y}.csv", register_csv(*PROJECTS, year=y)) for y in (YEAR, NEXT)]
WRONG_YEAR = (f"{JIA}/枣林清单.csv", compounds_csv(YEAR))  # 2023's list, its year written 2022
FIXED = (f"{JIA}/枣林清单（更正年度）.csv", compounds_csv(NEXT))


def same_year_warnings(outcome) -> list:
    return [p for p in outcome.warnings if p.rule == "same_as_other_year"]


def test_a_list_sent_again_for_another_year_with_the_same_rows_is_taken_with_a_warning_naming_the_first(
    settings, registry
):
    first = take_in(settings, registry, *REGISTERS, WRONG_YEAR)
    outcome = take_in(settings, registry, FIXED)[FIXED[0]]
    [(number,)] = query(
        settings, "select submission_id from ops.submissions where inbox_path = ?", [WRONG_YEAR[0]]
    )

    assert outcome.status == "accepted"
    [warning] = same_year_warnings(outcome)
    form = registry.templates["compound_list"].name_zh
    assert warning.message_zh == (
        f"第1行本表项目“甲项目”{NEXT}年度的各行数据与已入库的{YEAR}年度《{form}》（第{number}号提交“枣林清单.csv”）"
        f"完全相同：若本表是更正年度填写错误，请联系财政局撤回第{number}号提交；若是沿用{YEAR}年度的表格，"
        "请核对数据后重新报送；如确属两个年度数据相同，可忽略此提示。"
    )
    assert not [p for o in first.values() for p in same_year_warnings(o)]  # nor the register of NEXT
    stored = query(
        settings,
        "select i.rule from ops.validation_issues as i join ops.submissions using (submission_id) "
        "where inbox_path = ?",
        [FIXED[0]],
    )
    assert ("same_as_other_year",) in stored
    receipt = json.loads((settings.receipts / JIA / "枣林清单（更正年度）.csv.回执.json").read_text("utf-8"))
    [said] = [p for p in receipt["problems"] if p["rule"] == "same_as_other_year"]
    assert said["rule_zh"] == RULE_ZH["same_as_other_year"] and f"第{number}号提交" in said["message_zh"]


def test_the_same_rows_for_two_years_in_one_run_warn_the_later_file(settings, registry):
    outcomes = take_in(settings, registry, *REGISTERS, WRONG_YEAR, FIXED)

    assert [outcomes[f[0]].status for f in (WRONG_YEAR, FIXED)] == ["accepted", "accepted"]
    assert not same_year_warnings(outcomes[WRONG_YEAR[0]])
    [warning] = same_year_warnings(outcomes[FIXED[0]])
    assert f"与本次同时接收的{YEAR}年度《" in warning.message_zh
    assert "请联系财政局撤回“枣林清单.csv”" in warning.fix


def test_a_monthly_report_copied_from_last_year_is_compared_whole(settings, registry):
    months = ((1, "100", "100"), (2, "100", "200"))
    last = (f"{JIA}/投资进度{YEAR}.csv", progress_csv(*months))
    copied = (f"{JIA}/投资进度{NEXT}.csv", progress_csv(*months).replace(f",{YEAR},", f",{NEXT},"))
    outcomes = take_in(settings, registry, *REGISTERS, last, copied)

    [warning] = same_year_warnings(outcomes[copied[0]])
    assert f"{YEAR}年度《{registry.templates['investment_progress'].name_zh}》" in warning.message_zh


ZERO = (("空院", "0", "0", "0"),)


@pytest.mark.parametrize(
    "other",
    [
        (f"{JIA}/甲二清单.csv", compounds_csv(NEXT, project="甲二项目")),  # another project of the office
        (f"{YI}/乙清单.csv", compounds_csv(NEXT, project="乙项目")),  # another office
        (f"{JIA}/改了一户.csv", compounds_csv(NEXT, rows=(COMPOUNDS[0], ("市委小区", "0.5", "61", "120")))),
        (
            f"{JIA}/全为零.csv",
            compounds_csv(NEXT, project="甲二项目", rows=ZERO),
        ),  # figures all 0 say nothing
    ],
    ids=["other project", "other office", "one value changed", "no figures"],
)
def test_rows_that_differ_or_belong_to_another_project_or_office_say_nothing(settings, registry, other):
    zero = (f"{JIA}/去年为零.csv", compounds_csv(YEAR, project="甲二项目", rows=ZERO))
    take_in(settings, registry, *REGISTERS, WRONG_YEAR, zero)
    outcomes = take_in(settings, registry, other, FIXED)

    assert outcomes[other[0]].status == "accepted"
    assert not same_year_warnings(outcomes[other[0]])
    assert same_year_warnings(outcomes[FIXED[0]])  # the same night, the list repeated as it was is told


def test_a_file_sent_again_for_its_own_year_is_a_duplicate_or_correction_not_told(settings, registry):
    take_in(settings, registry, *REGISTERS, WRONG_YEAR)
    again = (f"{JIA}/再次报送.csv", WRONG_YEAR[1])
    retitled = (f"{JIA}/更正.csv", "老旧小区改造项目清单\n" + WRONG_YEAR[1])
    outcomes = take_in(settings, registry, again, retitled, FIXED)

    assert [outcomes[f[0]].status for f in (again, retitled)] == ["duplicate", "accepted"]
    assert not same_year_warnings(outcomes[again[0]]) and not same_year_warnings(outcomes[retitled[0]])
    # The year's list in force is now the correction of this run: the repeat names it, not the first.
    [warning] = same_year_warnings(outcomes[FIXED[0]])
    assert "“更正.csv”" in warning.message_zh and "枣林清单.csv" not in warning.message_zh


@pytest.mark.slow  # 5 s or more on two cores
@pytest.mark.parametrize("same_night", [False, True])
def test_the_warning_naming_a_file_since_withdrawn_is_kept_as_said_with_a_note_and_no_longer_counted(
    settings, registry, same_night
):
    if same_night:  # the file named is of the same run: numbered once stored
        outcome = take_in(settings, registry, *REGISTERS, WRONG_YEAR, FIXED)[FIXED[0]]
    else:
        take_in(settings, registry, *REGISTERS, WRONG_YEAR)
        outcome = take_in(settings, registry, FIXED)[FIXED[0]]
    [warning] = same_year_warnings(outcome)
    [(number,)] = query(
        settings, "select submission_id from ops.submissions where inbox_path = ?", [WRONG_YEAR[0]]
    )
    assert issue_of(settings, FIXED[0], "same_as_other_year") == ([number], None)
    before, _ = receipt_of(settings, FIXED[0])
    assert before["warning_count"] == len(outcome.warnings) and before["stale_warning_count"] == 0

    withdraw(settings, registry, number, "年度填错")
    publish_pending(settings.warehouse)

    note = f"所涉第{number}号提交已撤回，其数据已不再有效，此提示不再适用，无需处理。"
    assert issue_of(settings, FIXED[0], "same_as_other_year") == ([number], note)
    open_issues = "select count(*) from ops.open_issues as i join ops.submissions as s using (submission_id) "
    assert query(
        settings, open_issues + "where s.inbox_path = ? and i.rule = 'same_as_other_year'", [FIXED[0]]
    ) == [(0,)]
    assert query(settings, "select warning_count from ops.submissions where inbox_path = ?", [FIXED[0]]) == [
        (len(outcome.warnings) - 1,)
    ]
    after, page = receipt_of(settings, FIXED[0])
    [said] = [p for p in after["problems"] if p["rule"] == "same_as_other_year"]
    assert said["message_zh"] == warning.message_zh and said["stale_note"] == note  # the words as on arrival
    assert after["warning_count"] == len(outcome.warnings) - 1 and after["stale_warning_count"] == 1
    assert f"{warning.message_zh}【{note}】" in page and "1处警告所涉的提交已撤回或被替代，不再适用" in page


def test_a_run_in_chunks_names_a_file_of_the_run_stored_in_an_earlier_chunk_as_a_run_in_one_piece_does(
    tmp_path, registry, monkeypatch
):
    one_piece, chunked = receipts_in_one_piece_and_in_chunks(
        tmp_path, registry, monkeypatch, *REGISTERS, WRONG_YEAR, FIXED
    )

    [said] = [p for p in chunked[FIXED[0]]["problems"] if p["rule"] == "same_as_other_year"]
    assert f"与本次同时接收的{YEAR}年度《" in said["message_zh"] and "号提交" not in said["message_zh"]
    assert chunked == one_piece
