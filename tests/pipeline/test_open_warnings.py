"""The report's 数据质量提示 names each warning that may leave a figure wrong while its file is in force
(pipeline.problems.FIGURE_WARNINGS, mart.open_warnings), in the page, the Word report and the workbook alike."""

from __future__ import annotations

import re
from functools import partial

import duckdb
import pytest

from pipeline.indicators import build_indicators, register_rows_in_force
from pipeline.problems import FIGURE_WARNINGS, RULE_ZH
from pipeline.registry import load_registry
from pipeline.report import write_report_files
from pipeline.report_wording import load_report_notes
from pipeline.warehouse_schema import SQL_DIR, ensure_schema
from pipeline.withdraw import withdraw
from tests.pipeline.report_outline import html_outline
from tests.pipeline.test_other_year import FIXED, NEXT, REGISTERS, WRONG_YEAR
from tests.pipeline.test_projects import JIA, marts, register_csv
from tests.pipeline.test_replaced import FEBRUARY, JANUARY, JIA_A, JIA_B, REGISTER
from tests.pipeline.test_report import _Page


def report_texts(settings, registry, year: int) -> tuple[str, str, bytes]:
    """Rebuild the marts and write the year's report: its page's text, its Word text and the page's bytes."""
    import docx

    files = write_report_files(settings, build_indicators(settings, registry, year), registry)
    word = "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs)
    return _Page(files.html.read_text(encoding="utf-8")).text, word, files.html.read_bytes()


def notes(text: str) -> list[str]:
    return re.findall(r"数据质量提示：[^。]*。", text)


def reading_note(whose: str, rule: str, times: int = 1) -> str:
    """Return the 数据质量提示 line of the `reading` family for one rule of one form: `whose` is 甲项目2022年度的<form>."""
    return (
        f"数据质量提示：{whose}有填写的读法不明确（{RULE_ZH[rule]}{times}处），"
        "已按最可能的读法计入，相关数字和得分可能有误，已在回执中请报送单位核实。"
    )


def published_sources(settings, year: int) -> dict[str, str]:
    """Return each line of the published workbook's 数据质量提示 sheet with its 来源 cell."""
    [workbook] = (settings.reports / str(year)).glob("*.xlsx")
    return dict(workbook_notes(workbook.read_bytes())[1])


def header_source(settings, year: int, submission_id: int, rows: tuple[int, ...] = ()) -> str:
    """Return the source line the workbook writes for a file's sheet at these Excel rows (by default its header),
    numbered as in its appendix."""
    import io

    import openpyxl

    from pipeline.report_model import Source
    from pipeline.report_text import source_line

    [(name, sha256, unit, sheet, header)] = marts(
        settings,
        "select original_name, sha256, unit, sheet, header_first_row from ops.submissions "
        "join ops.sheets using (submission_id) where submission_id = ?",
        [submission_id],
    )
    [workbook] = (settings.reports / str(year)).glob("*.xlsx")
    appendix = openpyxl.load_workbook(io.BytesIO(workbook.read_bytes()))["数据来源"]
    [number] = [row[0] for row in appendix.iter_rows(min_row=3, values_only=True) if row[4] == sha256]
    return source_line(Source(submission_id, name, sha256, unit, sheet, rows or (header,)), number)


def test_every_warning_that_may_leave_a_figure_wrong_is_a_rule_of_a_family_the_templates_word():
    from pipeline.report_notes import worded_families
    from pipeline.report_templates import DEFAULT_TEMPLATES
    from pipeline.report_wording import load_report_notes

    templates = (DEFAULT_TEMPLATES / "open_warning.html.j2").read_text(encoding="utf-8")
    assert set(FIGURE_WARNINGS) <= set(RULE_ZH)
    # The last family is the template's `else`; every other is asked for by name.
    *named, _ = dict.fromkeys(FIGURE_WARNINGS.values())
    assert all(f'w.family == "{family}"' in templates for family in named)
    assert worded_families([DEFAULT_TEMPLATES]) is None  # the shipped notes word every family themselves
    # A family worded rule by rule has words for each of its rules.
    wording = load_report_notes().rule_wording
    for family in ("replaced", "scale", "unsaved", "file", "unread"):
        assert {r for r, f in FIGURE_WARNINGS.items() if f == family} <= set(wording), family
    # Any other column left unread (联系人, a second 备注) leaves no figure in doubt: the receipt alone tells it.
    assert "unread_column" in RULE_ZH and "unread_column" not in FIGURE_WARNINGS


def test_the_rows_warnings_are_placed_on_are_every_templates_and_a_new_ones_with_no_sql_edited(tmp_path):
    registry = load_registry()
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ensure_schema(con, registry)
        con.execute("create schema if not exists intermediate")
        register_rows_in_force(con)
        [(definition,)] = con.execute(
            "select macro_definition from duckdb_functions() where function_name = 'rows_in_force'"
        ).fetchall()
        assert set(re.findall(r'\bstaging\."?(\w+)', definition)) == set(registry.templates)
        # A template added since (its staging view made by `pipeline new-source`): placed, with no model edited.
        con.execute(
            "create view staging.street_lights as select 7 as submission_id, '表' as sheet, 3 as excel_row, "
            "'LIGHT-01' as project_code, '路灯' as project_name, 2022 as year"
        )
        register_rows_in_force(con)
        rows = con.execute(
            "select * from intermediate.rows_in_force() where project_code = 'LIGHT-01'"
        ).fetchall()
    assert rows == [(7, "表", 3, "LIGHT-01", "路灯", 2022)]
    assert "rows_in_force()" in (SQL_DIR / "mart" / "open_warnings.sql").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("withdrawn", ["the resent ledger", "the ledger left in force"])
def test_a_project_left_out_of_a_resent_ledger_is_named_until_either_file_is_withdrawn(
    settings, registry, withdrawn
):
    from tests.pipeline.test_projects import take_in

    outcomes = take_in(settings, registry, REGISTER, JANUARY) | take_in(settings, registry, FEBRUARY)
    assert [p.rule for p in outcomes[FEBRUARY[0]].warnings] == ["project_left_in_force"]
    ledger = registry.templates["fund_ledger"].name_zh
    note = (
        f"数据质量提示：{JIA_B}2022年度的{ledger}经报送单位整份重新报送，新表未列该项目，原先报送的该项目数据仍计入"
        "报告；如这些数据不应再计入，相关数字会多计，已在回执中请报送单位核实。"
    )

    html, word, first = report_texts(settings, registry, 2022)
    assert note in notes(html)
    assert note in notes(word)  # the Word report, the one a bureau sends on
    # It prints no figure; the workbook's line names, as figures are named, the rows of January's ledger that still
    # count (the project's one row, Excel row 4) and the resent ledger it is warned on.
    assert published_sources(settings, 2022)[note] == "\n".join(
        [
            header_source(settings, 2022, outcomes[JANUARY[0]].submission_id, (4,)),
            header_source(settings, 2022, outcomes[FEBRUARY[0]].submission_id),
        ]
    )
    assert not [n for n in notes(html) if JIA_A in n and "重新报送" in n]  # the project listed is not named
    assert report_texts(settings, registry, 2022)[2] == first  # rebuilt, byte for byte the same

    # The resent ledger withdrawn, January's is whole again; January's withdrawn, nothing of B is left to count.
    source = FEBRUARY if withdrawn == "the resent ledger" else JANUARY
    withdraw(settings, registry, outcomes[source[0]].submission_id, "误报")
    html, word, _ = report_texts(settings, registry, 2022)
    assert not [n for n in notes(html) + notes(word) if "重新报送" in n]


@pytest.mark.slow
@pytest.mark.parametrize("withdrawn", ["the repeating list", "the list it repeats"])
def test_a_list_repeating_another_years_rows_is_named_in_its_years_report_until_either_is_withdrawn(
    settings, registry, withdrawn
):
    from tests.pipeline.test_projects import take_in

    outcomes = take_in(settings, registry, *REGISTERS, WRONG_YEAR)
    outcomes |= take_in(settings, registry, FIXED)
    assert [p.rule for p in outcomes[FIXED[0]].warnings] == ["same_as_other_year"]
    form = registry.templates["compound_list"].name_zh
    note = (
        f"数据质量提示：甲项目{NEXT}年度的{form}各行数据与本单位另一年度报送的完全相同，可能沿用了其他年度的表格或"
        "年度填写有误，相关数字可能失真，已在回执中请报送单位核实。"
    )

    html, word, _ = report_texts(settings, registry, NEXT)
    assert note in notes(html) and note in notes(word)
    # The warning is on the later file: the earlier year's report says nothing of it.
    assert not [n for n in notes(report_texts(settings, registry, NEXT - 1)[0]) if "另一年度" in n]

    # The repeating list withdrawn, its rows are out of force; the list it repeats withdrawn (the year written wrong
    # there), the warning no longer applies (ops.open_issues) while the repeating list stays in force.
    source = FIXED if withdrawn == "the repeating list" else WRONG_YEAR
    withdraw(settings, registry, outcomes[source[0]].submission_id, "年度填错")
    html, word, _ = report_texts(settings, registry, NEXT)
    assert not [n for n in notes(html) + notes(word) if "另一年度" in n]


@pytest.mark.slow
def test_an_implausible_area_names_only_the_project_of_its_row_and_goes_when_corrected(settings, registry):
    from tests.pipeline.test_other_year import REGISTERS
    from tests.pipeline.test_projects import JIA, YEAR, take_in

    def listing(area: str) -> str:
        # Two projects on one sheet: 甲项目's 市委小区 holds 30 万平方米 for 60 households, 5,000 平方米 a household
        # (3 typed as 30, or households left out; ten times it would be returned: area_impossible).
        return (
            f"年度：{YEAR}\n项目名称,小区名称,改造面积（万平方米）,惠及户数（户）,计划投资（万元）\n"
            f"甲项目,棉纺厂东院,1.0,100,300\n甲项目,市委小区,{area},60,120\n乙项目,糖厂家属院,0.8,90,200\n"
        )

    first = take_in(settings, registry, *REGISTERS[:1], (f"{JIA}/清单.csv", listing("30")))
    assert first[f"{JIA}/清单.csv"].status == "accepted"
    [warning] = [p for p in first[f"{JIA}/清单.csv"].warnings if p.rule == "area_implausible"]
    assert warning.excel_row == 4
    form = registry.templates["compound_list"].name_zh
    note = (
        f"数据质量提示：甲项目{YEAR}年度的{form}有1处改造面积按每户面积看不合常理，疑似平方米与万平方米填反，"
        "改造面积可能失真，已在回执中请报送单位核实。"
    )

    html, word, _ = report_texts(settings, registry, YEAR)
    assert note in notes(html) and note in notes(word)
    assert [n for n in notes(html) if "改造面积" in n] == [note]  # 乙项目, on the same sheet, is not named

    # The list corrected (a newer file of the same slices), the warning is of a file no longer in force.
    take_in(settings, registry, (f"{JIA}/清单（更正）.csv", listing("0.5")))
    html, word, _ = report_texts(settings, registry, YEAR)
    assert not [n for n in notes(html) + notes(word) if "改造面积" in n]


@pytest.mark.slow
def test_a_correction_that_puts_a_later_months_cumulative_off_is_named_until_that_month_is_sent_again(
    settings, registry
):
    from tests.pipeline.test_later_months import MONTHS, REGISTER, progress_csv
    from tests.pipeline.test_projects import JIA, YEAR, take_in

    # February's 本月 50 → 70: April's 累计 300 stands, printed as the year's progress (30 %), while its months now
    # add up to 320. The receipt said so; the report said nothing.
    take_in(settings, registry, REGISTER, *MONTHS)
    take_in(settings, registry, (f"{JIA}/2月（更正）.csv", progress_csv((2, "70", "170"))))
    form = registry.templates["investment_progress"].name_zh
    note = (
        f"数据质量提示：甲项目{YEAR}年度的{form}经更正本月完成投资后，有1处此前报送月份的累计完成投资与各月"
        "本月完成投资之和不再相符，年度计划投资完成率、投资进度和预警按填报的累计完成投资计算，可能失真，"
        "已在回执中请报送单位核实。"
    )

    html, word, _ = report_texts(settings, registry, YEAR)
    assert note in notes(html) and note in notes(word)

    # March and April sent again with their 累计 put right: the months it named are replaced.
    take_in(settings, registry, (f"{JIA}/3至4月.csv", progress_csv((3, "90", "260"), (4, "60", "320"))))
    html, word, _ = report_texts(settings, registry, YEAR)
    assert not [n for n in notes(html) + notes(word) if "不再相符" in n]


@pytest.mark.slow
def test_a_correction_stopping_before_a_later_month_still_in_force_is_named_until_that_file_is_withdrawn(
    settings, registry
):
    from tests.pipeline.test_later_months import CORRECTED, FIRST, REGISTER
    from tests.pipeline.test_projects import YEAR, take_in

    # June mistyped as 7 in the first file, the correction has 1, 2 and 6: the report read the mistyped July as the
    # latest month (累计（截至7月）, a July light) with nothing said; only the receipt did.
    outcomes = take_in(settings, registry, REGISTER, FIRST) | take_in(settings, registry, CORRECTED)
    form = registry.templates["investment_progress"].name_zh
    note = (
        f"数据质量提示：甲项目{YEAR}年度的{form}经重新报送，新表未报到此前报送的更晚月份，有1处这样的月份仍然计入，"
        "报告以其为最新月份计算累计完成投资、年度计划投资完成率和预警；如该月份有误，相关数字会失真，"
        "已在回执中请报送单位核实。"
    )

    html, word, _ = report_texts(settings, registry, YEAR)
    assert note in notes(html) and note in notes(word)

    withdraw(settings, registry, outcomes[FIRST[0]].submission_id, "7月为6月之误")
    html, word, _ = report_texts(settings, registry, YEAR)
    assert not [n for n in notes(html) + notes(word) if "更晚月份" in n]


# 单位：万元 above, （元） in the header of three columns (one place, their header row): read in 元, 完成投资 printed as
# 0.12万元 where the line gives 1,200 万元, with nothing said but on the receipt (unit_conflict).
# No unit in the headers nor above them: read in 万元, as the receipt says (unit_assumed). Kept in 元, each amount is
# printed ten thousand times too large, and one below the project's 计划总投资 is no `amount_doubts` either: the
# report said nothing of it, while it names a unit line differing from its header (unit_conflict).
@pytest.mark.slow
@pytest.mark.parametrize(
    ("rule", "lines", "header", "amounts"),
    [
        ("unit_conflict", ["单位：万元"], "（元）", (1200, 100)),
        ("unit_assumed", [], "", (600, 50)),
    ],
)
def test_amounts_read_in_a_unit_the_sheet_leaves_in_doubt_are_named(
    settings, registry, rule, lines, header, amounts
):
    from tests.pipeline.test_later_months import HEADER, PROJECT, REGISTER
    from tests.pipeline.test_projects import JIA, YEAR, take_in

    planned, monthly = amounts
    rows = [f"{PROJECT},{YEAR},{m},{planned},{monthly},{monthly * m}" for m in range(1, 13)]
    text = "\n".join(["投资完成情况月报", *lines, HEADER.replace("（万元）", header), *rows]) + "\n"
    outcomes = take_in(settings, registry, REGISTER, (f"{JIA}/月报.csv", text))
    assert [p.rule for p in outcomes[f"{JIA}/月报.csv"].warnings] == [rule] * 3
    form = registry.templates["investment_progress"].name_zh

    html, word, _ = report_texts(settings, registry, YEAR)
    note = reading_note(f"甲项目{YEAR}年度的{form}", rule)
    assert note in notes(html) and note in notes(word)


@pytest.mark.slow
def test_a_score_merged_over_indicators_counted_for_the_first_only_is_named(
    settings, registry, register, demo
):
    from pipeline.intake import ingest
    from tests.pipeline.test_intake import drop
    from tests.pipeline.test_national_forms import GOALS, UNIT, as_national
    from tests.pipeline.workbooks import national_self_evaluation, xlsx

    # One 得分 merged over three indicators: read as the first's, the other two blank, and the published 自评得分 of
    # each follows; the clerk may have meant the group's. Only the receipt asked.
    targets = as_national(demo.TARGETS)
    scores = [15, None, None, *[t[5] for t in targets[3:]]]
    rows, merges = national_self_evaluation(targets, goals=GOALS, scores=scores, total=(100, 75))
    first = next(n for n, row in enumerate(rows, start=1) if "一级指标" in row) + 1
    score = chr(ord("A") + rows[first - 2].index("得分"))
    drop(
        settings,
        f"{UNIT}/自评表.xlsx",
        xlsx({"自评表": rows}, merges={"自评表": [*merges, f"{score}{first}:{score}{first + 2}"]}),
    )
    [outcome] = [
        o for o in ingest(settings, registry, progress=False).outcomes if o.inbox_path.endswith("自评表.xlsx")
    ]
    assert outcome.status == "accepted" and "merged_amount" in {p.rule for p in outcome.warnings}

    html, word, _ = report_texts(settings, registry, outcome.year)
    [note] = [n for n in notes(html) if RULE_ZH["merged_amount"] in n]
    assert f"{RULE_ZH['merged_amount']}2处" in note and note in notes(word)


# A hidden amount column is counted as a hidden row is: the clerk may have hidden it as dropped.
@pytest.mark.slow
@pytest.mark.parametrize("rule", ["hidden_rows", "hidden_columns"])
def test_a_hidden_ledger_row_counted_as_sent_is_named(settings, registry, rule):
    from tests.pipeline.test_projects import JIA, YEAR, take_in
    from tests.pipeline.workbooks import xlsx

    # Row 4, a payment of 300, hidden: counted (支付 400) though the clerk may have hidden it as dropped (100).
    rows = [
        ["项目资金到位及支付台账"],
        ["日期", "项目名称", "资金来源", "类型", "金额（万元）", "支出用途"],
        [f"{YEAR}-03-01", "甲项目", "中央补助资金", "到位", 500, None],
        [f"{YEAR}-04-01", "甲项目", "中央补助资金", "支付", 300, "工程款"],
        [f"{YEAR}-05-01", "甲项目", "中央补助资金", "支付", 100, "工程款"],
    ]
    hidden = {"hidden_rows": {"台账": [4]}, "hidden_columns": {"台账": ["E"]}}[rule]
    content = xlsx({"台账": rows}, **{rule: hidden})
    outcomes = take_in(settings, registry, *REGISTERS[:1], (f"{JIA}/台账.xlsx", content))
    assert [p.rule for p in outcomes[f"{JIA}/台账.xlsx"].warnings] == [rule]
    form = registry.templates["fund_ledger"].name_zh

    html, word, _ = report_texts(settings, registry, YEAR)
    note = reading_note(f"甲项目{YEAR}年度的{form}", rule)
    assert note in notes(html) and note in notes(word)


@pytest.mark.slow
def test_a_ledger_row_whose_note_reads_as_a_total_counted_as_a_row_is_named(settings, registry):
    from tests.pipeline.test_projects import JIA, YEAR, take_in

    # A whole row noted 合计（2笔）, equal to the two payments above: counted as a third (支付 400, not 200).
    text = (
        "项目资金到位及支付台账\n日期,项目名称,资金来源,类型,金额（万元）,支出用途,摘要\n"
        f"{YEAR}-03-01,甲项目,中央补助资金,到位,500,,第一批\n"
        f"{YEAR}-04-01,甲项目,中央补助资金,支付,100,工程款,进度款\n"
        f"{YEAR}-05-01,甲项目,中央补助资金,支付,100,工程款,进度款\n"
        f"{YEAR}-05-31,甲项目,中央补助资金,支付,200,工程款,合计（2笔）\n"
    )
    outcomes = take_in(settings, registry, *REGISTERS[:1], (f"{JIA}/台账.csv", text))
    assert [p.rule for p in outcomes[f"{JIA}/台账.csv"].warnings] == ["total_word_in_note"]
    form = registry.templates["fund_ledger"].name_zh

    html, word, _ = report_texts(settings, registry, YEAR)
    note = reading_note(f"甲项目{YEAR}年度的{form}", "total_word_in_note")
    assert note in notes(html) and note in notes(word)


@pytest.mark.slow
def test_a_ledger_row_typed_twice_is_named_while_its_file_is_in_force(settings, registry):
    from tests.pipeline.test_projects import JIA, YEAR, take_in

    def ledger(*payments: str) -> str:
        lines = [f"{YEAR}-03-01,甲项目,中央补助资金,到位,500,宛财建〔{YEAR}〕8号,", *payments]
        return (
            "项目资金到位及支付台账\n日期,项目名称,资金来源,类型,金额（万元）,文号/凭证号,支出用途\n"
            + "\n".join(lines)
        )

    payment = f"{YEAR}-04-01,甲项目,中央补助资金,支付,100,记-04-011,工程款"
    # The payment typed twice, word for word: both count, 支付 200 and 40 %, where the receipt says it may be once.
    first = take_in(settings, registry, *REGISTERS[:1], (f"{JIA}/台账.csv", ledger(payment, payment)))
    assert [p.rule for p in first[f"{JIA}/台账.csv"].warnings] == ["duplicate_row"]
    form = registry.templates["fund_ledger"].name_zh
    note = (
        f"数据质量提示：甲项目{YEAR}年度的{form}有1处两行各栏完全相同，两行都已计入；如是重复录入，相关金额会多计，"
        "已在回执中请报送单位核实。"
    )

    html, word, _ = report_texts(settings, registry, YEAR)
    assert note in notes(html) and note in notes(word)

    take_in(settings, registry, (f"{JIA}/台账（更正）.csv", ledger(payment)))
    html, word, _ = report_texts(settings, registry, YEAR)
    assert not [n for n in notes(html) + notes(word) if "两行各栏完全相同" in n]


@pytest.mark.slow
def test_a_satisfaction_rate_written_off_its_counts_is_named_while_its_file_is_in_force(settings, registry):
    from tests.pipeline.test_projects import JIA, YEAR, take_in

    def survey(rate: str) -> str:
        return (
            f"项目名称：甲项目\n年度：{YEAR}\n小区名称,有效问卷（份）,满意（份）,基本满意（份）,不满意（份）,满意度\n"
            f"棉纺厂东院,111,84,19,8,92.79%\n市委小区,75,58,12,5,{rate}\n"
        )

    # 70 ÷ 75 is 93.33 %: the 88% written beside it leaves one of them wrong, and the report computes from the counts.
    first = take_in(settings, registry, *REGISTERS[:1], (f"{JIA}/满意度.csv", survey("88%")))
    assert [p.rule for p in first[f"{JIA}/满意度.csv"].warnings] == ["satisfaction_mismatch"]
    form = registry.templates["satisfaction_survey"].name_zh
    note = (
        f"数据质量提示：甲项目{YEAR}年度的{form}有1处填写的满意度与其满意、基本满意和有效问卷的份数不符，"
        "报告中的满意度按份数计算；如份数有误，满意度及其指标得分会失真，已在回执中请报送单位核实。"
    )

    html, word, _ = report_texts(settings, registry, YEAR)
    assert note in notes(html) and note in notes(word)

    take_in(settings, registry, (f"{JIA}/满意度（更正）.csv", survey("93.33%")))
    html, word, _ = report_texts(settings, registry, YEAR)
    assert not [n for n in notes(html) + notes(word) if "填写的满意度" in n]


@pytest.mark.slow
def test_a_satisfaction_rate_not_written_exactly_is_named_until_a_corrected_survey_replaces_it(
    settings, monkeypatch, registry
):
    from pipeline.cli import main
    from tests.pipeline.test_projects import JIA, YEAR
    from tests.pipeline.test_report_world import cli_night

    def survey(rate: str) -> str:
        return (
            f"项目名称：甲项目\n年度：{YEAR}\n小区名称,有效问卷（份）,满意（份）,基本满意（份）,不满意（份）,满意度\n"
            f"棉纺厂东院,100,80,15,5,{rate}\n"
        )

    # 约95% is not read, so the counts the report computes 95 % from were held to nothing: only the receipt said so.
    monkeypatch.setenv("PIPELINE_SETTLE_SECONDS", "0")
    assert main(["init"]) == 0
    report = cli_night(settings, YEAR, *REGISTERS[:1], (f"{JIA}/满意度.csv", survey("约95%")))
    receipt = (settings.receipts / JIA / "满意度.csv.回执.html").read_text(encoding="utf-8")
    assert RULE_ZH["rate_unread"] in receipt
    form = registry.templates["satisfaction_survey"].name_zh
    note = (
        f"数据质量提示：甲项目{YEAR}年度的{form}有1处填写的满意度不是确切的百分比（如“约95%”“较高”），"
        "未能与其满意、基本满意和有效问卷的份数核对，报告中的满意度按份数计算；如份数有误，满意度及其指标得分会失真，"
        "已在回执中请报送单位核实。"
    )
    sheets = "\n".join(str(row[0]) for rows in report.workbook.values() for row in rows if row and row[0])
    for where, text in {"page": report.page, "word": "\n".join(report.word), "workbook": sheets}.items():
        assert note in notes(text), where

    report = cli_night(settings, YEAR, (f"{JIA}/满意度（更正）.csv", survey("95%")))
    assert not [n for n in notes(report.page) + notes("\n".join(report.word)) if "确切的百分比" in n]


# A filled column left unread that a column of the form may have meant: its template, its file (the column, then
# without it) and the rule.
_UNREAD = {
    "a finer grade": (
        "satisfaction_survey",
        "满意度",
        "小区名称,有效问卷（份）,非常满意（份）,满意（份）,基本满意（份）,不满意（份）\n棉纺厂东院,100,30,80,15,5\n",
        "小区名称,有效问卷（份）,满意（份）,基本满意（份）,不满意（份）\n棉纺厂东院,100,80,15,5\n",
        "unread_finer_column",
    ),
    "a look-alike": (
        "compound_list",
        "清单",
        "序号,小区名称,改造面积（万平方米）,惠及户数（户）,计划投资（万元）,完工时间\n1,棉纺厂东院,1.2,120,360,2022-10-31\n",
        "序号,小区名称,改造面积（万平方米）,惠及户数（户）,计划投资（万元）,完工日期\n1,棉纺厂东院,1.2,120,360,2022-10-31\n",
        "unread_lookalike_column",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(_UNREAD))
def test_a_column_unread_that_the_forms_own_may_be_is_named_until_a_corrected_file_replaces_it(
    settings, monkeypatch, registry, kind
):
    """A survey's 非常满意 left out of 满意, or 完工时间 where the list's 完工日期 was not found, was told on the
    receipt only (unread_column, which also covers a 联系人 beside the form): the report printed the figures short
    or empty without a word. Now a rule of their own names them in the page, the Word file and the workbook."""
    from pipeline.cli import main
    from tests.pipeline.test_projects import JIA, YEAR
    from tests.pipeline.test_report_world import cli_night

    template, name, unread, fixed, rule = _UNREAD[kind]

    def sent(body: str) -> str:
        return f"项目名称：甲项目\n年度：{YEAR}\n{body}"

    monkeypatch.setenv("PIPELINE_SETTLE_SECONDS", "0")
    assert main(["init"]) == 0
    report = cli_night(settings, YEAR, *REGISTERS[:1], (f"{JIA}/{name}.csv", sent(unread)))
    receipt = (settings.receipts / JIA / f"{name}.csv.回执.html").read_text(encoding="utf-8")
    assert RULE_ZH[rule] in receipt
    note = (
        f"数据质量提示：甲项目{YEAR}年度的{registry.templates[template].name_zh}中"
        f"{load_report_notes().rule_wording[rule]}（1处），相关数字可能缺失或少计，已在回执中请报送单位核实。"
    )
    sheets = "\n".join(str(row[0]) for rows in report.workbook.values() for row in rows if row and row[0])
    for where, text in {"page": report.page, "word": "\n".join(report.word), "workbook": sheets}.items():
        assert note in notes(text), where

    report = cli_night(settings, YEAR, (f"{JIA}/{name}（更正）.csv", sent(fixed)))
    assert not [n for n in notes(report.page) + notes("\n".join(report.word)) if "未读取" in n]


@pytest.mark.slow
@pytest.mark.parametrize("ledger", [False, True], ids=["no ledger", "a ledger"])
def test_a_written_execution_rate_off_the_forms_own_figures_is_named_where_no_ledger_gives_the_rate(
    settings, registry, ledger
):
    from tests.pipeline.test_projects import BUREAU, JIA, NAME, YEAR, ledger_csv, register_csv, take_in
    from tests.pipeline.workbooks import national_monitoring, national_self_evaluation, xlsx

    def form(rate: str) -> bytes:
        # 全年执行数 40 of a 全年预算数 100 is 40 %; the 执行率 written is the one asked for.
        rows, merges = national_self_evaluation(
            [("产出指标", "数量指标", "新建设施", "≥16个", "16个", 90)],
            project=NAME, unit=JIA, budget=("100", "100", "40", 10, rate, "6"),
        )  # fmt: skip
        return xlsx({"自评表": rows}, merges={"自评表": merges})

    rows, merges = national_monitoring(
        [("产出指标", "数量指标", "新建设施", "≥16个", "8个", "16个", None, "确定能", None)],
        months=6, project=NAME, unit=JIA, budget=("1000", "400", "60%", "1000"),
    )  # fmt: skip
    files = [(f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", NAME, JIA)))]
    files += [
        (f"{JIA}/自评表.xlsx", form("60%")),
        (f"{JIA}/监控表.xlsx", xlsx({"监控表": rows}, merges={"监控表": merges})),
    ]
    if ledger:
        files.append((f"{JIA}/资金台账.csv", ledger_csv(NAME, "100", "40")))
    outcomes = take_in(settings, registry, *files)
    assert all(
        "rate_mismatch" in [p.rule for p in outcomes[f"{JIA}/{name}"].warnings]
        for name in ("自评表.xlsx", "监控表.xlsx")
    )
    stated = (
        f"数据质量提示：{NAME}自评表填报的执行率60%与其全年执行数÷全年预算数（40%）不符，"
        "预算执行率按全年执行数÷全年预算数计分，请核实。"
    )
    # The 运行监控表's written 执行率 is always the one set against 时间进度 (mart.monitoring_findings).
    monitoring = (
        f"数据质量提示：{NAME}{YEAR}年度的{registry.templates['performance_monitoring'].name_zh}有1处填报的执行率"
        "与其执行数÷预算数不符，报告中的预算执行率按填报的执行率与时间进度比较，可能失真，已在回执中请报送单位核实。"
    )

    html, word, first = report_texts(settings, registry, YEAR)
    assert (
        monitoring in notes(html)
        and monitoring in notes(word)
        and monitoring in published_sources(settings, YEAR)
    )
    if ledger:
        # The ledger gives the rate scored: the written one is compared with it, and not said to be scored.
        assert not [n for n in notes(html) + notes(word) if "计分" in n and "执行率" in n]
        assert f"{NAME}自评表填报的预算执行率60%，按资金台账计算为40%" in html
        return
    assert stated in notes(html) and stated in notes(word) and stated in published_sources(settings, YEAR)
    assert report_texts(settings, registry, YEAR)[2] == first  # rebuilt, byte for byte the same

    # The form corrected, the warning no longer stands and the note goes.
    take_in(settings, registry, (f"{JIA}/自评表（更正）.xlsx", form("40%")))
    html, word, _ = report_texts(settings, registry, YEAR)
    assert not [n for n in notes(html) + notes(word) if "计分" in n and "执行率" in n]


def test_each_family_is_worded_in_the_page_and_the_word_report_with_its_rules_and_counts(tmp_path, registry):
    import io

    import docx
    import duckdb

    from pipeline.report_docx import render_docx
    from pipeline.report_read import build_report
    from pipeline.report_render import render_html
    from tests.pipeline.test_report import CONFIG, YEAR, ZAOLIN, figure, lineage, make_warehouse

    def warned(template: str, rule: str, count: int, row: int):
        return figure(
            "open_warning", f"{count}处", detail=f"{template}|{rule}", position=93, value=count, unit="处",
            decimals=0, src=lineage(1, "表", row),
        )  # fmt: skip

    # As mart.report_figures gives them, out of FIGURE_WARNINGS' order: the report puts them in it.
    rows = [
        warned("performance_targets", "indicator_unit_assumed", 1, 9),
        warned("performance_targets", "percent_ambiguous", 2, 8),
        warned("compound_list", "whole_list_replaced", 1, 3),
        warned("fund_ledger", "later_dates_dropped", 1, 5),
        warned("fund_ledger", "months_dropped", 1, 6),
        warned("fund_ledger", "earlier_dates_dropped", 1, 4),
        warned("fund_ledger", "whole_list_replaced", 1, 3),
        warned("investment_progress", "cumulative_mismatch", 1, 7),
    ]
    path = make_warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(path)) as con:
        con.executemany("insert into mart.report_figures values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        report = build_report(con, YEAR, CONFIG, registry)
    form = {
        t: registry.templates[t].name_zh
        for t in ("performance_targets", "compound_list", "fund_ledger", "investment_progress")
    }
    expected = [
        f"数据质量提示：{ZAOLIN}{YEAR}年度的{form['compound_list']}经重新报送，原表中新表未列出的行不再计入；"
        "如新表不完整，相关数字会少计，已在回执中请报送单位核实。",
        f"数据质量提示：{ZAOLIN}{YEAR}年度的{form['fund_ledger']}经重新报送，原表中早于新表最早日期的数据不再计入；"
        "原表中晚于新表最晚日期的数据不再计入；原表中新表缺少的月份的数据不再计入；原表中新表未列出的行不再计入；如新表不完整，相关数字会少计，已在回执中请报送单位核实。",
        f"数据质量提示：{ZAOLIN}{YEAR}年度的{form['investment_progress']}有1处累计完成投资与各月本月完成投资之和不符，"
        "年度计划投资完成率、投资进度和预警按填报的累计完成投资计算，可能失真，已在回执中请报送单位核实。",
        f"数据质量提示：{ZAOLIN}{YEAR}年度的{form['performance_targets']}有填写的读法不明确"
        f"（{RULE_ZH['percent_ambiguous']}2处；{RULE_ZH['indicator_unit_assumed']}1处），已按最可能的读法计入，"
        "相关数字和得分可能有误，已在回执中请报送单位核实。",
    ]

    page = notes(_Page(render_html(report)).text)
    word = notes("\n".join(p.text for p in docx.Document(io.BytesIO(render_docx(report))).paragraphs))

    assert [n for n in page if "核实。" in n and "累计支付" not in n] == expected
    assert [n for n in word if "核实。" in n and "累计支付" not in n] == expected


def test_a_percentage_most_likely_its_fraction_is_its_own_note_in_the_page_and_the_word_report(
    tmp_path, registry
):
    import io

    import docx
    import duckdb

    from pipeline.report_docx import render_docx
    from pipeline.report_read import build_report
    from pipeline.report_render import render_html
    from tests.pipeline.test_report import CONFIG, YEAR, ZAOLIN, figure, lineage, make_warehouse

    # `0.95%` against `≥90%` is kept as read and scores near nothing: not "the likeliest reading", as a bare 1 is.
    rows = [
        figure(
            "open_warning", "2处", detail="performance_targets|percent_fraction", position=93, value=2, unit="处",
            decimals=0, src=lineage(1, "表", 9),
        )
    ]  # fmt: skip
    path = make_warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(path)) as con:
        con.executemany("insert into mart.report_figures values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        report = build_report(con, YEAR, CONFIG, registry)
    expected = [
        f"数据质量提示：{ZAOLIN}{YEAR}年度的{registry.templates['performance_targets'].name_zh}有2处填报的百分比"
        "不足1%而目标在50%以上，疑为小数后误加了百分号（如把95%写成0.95%），已按所填数值计算，相关数字和得分可能偏低，"
        "已在回执中请报送单位核实。"
    ]

    page = notes(_Page(render_html(report)).text)
    word = notes("\n".join(p.text for p in docx.Document(io.BytesIO(render_docx(report))).paragraphs))

    assert [n for n in page if "核实。" in n and "累计支付" not in n] == expected
    assert [n for n in word if "核实。" in n and "累计支付" not in n] == expected


@pytest.mark.slow
@pytest.mark.parametrize("stored", ["naming its project", "before warnings named their project"])
def test_a_list_replaced_for_one_project_of_a_two_project_sheet_names_that_project_only(
    settings, registry, stored
):
    from pipeline.warehouse import writer
    from tests.pipeline.test_projects import JIA, YEAR, take_in
    from tests.pipeline.test_replaced import REGISTER

    def listing(*compounds: tuple[str, str]) -> str:
        rows = "".join(f"{project},{compound},1.0,100,300\n" for project, compound in compounds)
        return f"年度：{YEAR}\n项目名称,小区名称,改造面积（万平方米）,惠及户数（户）,计划投资（万元）\n{rows}"

    # Both projects on the resent sheet: 甲's list keeps one compound of three (more likely a part), 乙's is whole
    # (resent as it was; or new, for a warning stored without its project, told by the slices its file took over).
    yi = [(JIA_B, "糖厂家属院"), (JIA_B, "石化小区")]
    first = (
        f"{JIA}/清单.csv",
        listing(*((JIA_A, c) for c in COMPOUNDS), *(yi if stored == "naming its project" else [])),
    )
    resent = (f"{JIA}/清单（更正）.csv", listing((JIA_A, COMPOUNDS[0]), *yi))
    take_in(settings, registry, REGISTER, first)
    outcome = take_in(settings, registry, resent)[resent[0]]
    [warning] = [p for p in outcome.warnings if p.rule == "whole_list_replaced"]
    assert warning.excel_row is None and warning.value == JIA_A  # on the sheet, with the project it is about
    if stored != "naming its project":
        with writer(settings.warehouse) as con:
            con.execute("update ops.validation_issues set value = null where rule = 'whole_list_replaced'")

    html, word, _ = report_texts(settings, registry, YEAR)
    form = registry.templates["compound_list"].name_zh
    replaced = [n for n in notes(html) if "经重新报送" in n]
    assert replaced == [f"数据质量提示：{JIA_A}{YEAR}年度的{form}经重新报送，原表中新表未列出的行不再计入；如新表不完整，"
                        "相关数字会少计，已在回执中请报送单位核实。"]  # fmt: skip
    assert [n for n in notes(word) if "经重新报送" in n] == replaced
    # The workbook's line names the resent list the warning is on, at its header (a warning of the sheet as a whole).
    assert published_sources(settings, YEAR)[replaced[0]] == header_source(
        settings, YEAR, outcome.submission_id
    )


COMPOUNDS = ("棉纺厂东院", "市委小区", "育源小区")


def workbook_notes(content: bytes) -> tuple[list[str], list[tuple[str, str]]]:
    """Return a workbook's sheet names and its 数据质量提示 sheet's rows under the header: (提示, 来源)."""
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = book["数据质量提示"].iter_rows(min_row=3, values_only=True)
    return book.sheetnames, [(text, sources or "") for text, sources in rows]


def test_the_workbook_lists_the_pages_notes_in_its_order_and_words_with_their_sources(tmp_path, registry):
    import duckdb

    from pipeline.report_read import build_report
    from pipeline.report_render import render_html
    from pipeline.report_xlsx import render_xlsx
    from tests.pipeline.test_report import CONFIG, YEAR, make_warehouse

    path = make_warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(path)) as con:
        quiet = build_report(con, YEAR, CONFIG, registry)
        _add_two_open_warnings(con)
        warned = build_report(con, YEAR, CONFIG, registry)

    # Nothing open: the lines the page has, as the page words them (the synthetic year has no 月报).
    names, rows = workbook_notes(render_xlsx(quiet))
    assert names[:2] == ["汇总", "数据质量提示"]  # after 表1, as on the page
    assert (
        [text for text, _ in rows]
        == notes(_Page(render_html(quiet)).text)
        == [
            "数据质量提示：未发现累计支付超过累计到位的项目。",
            "数据质量提示：总体情况中未列完成投资：枣林街道办事处改造老旧小区（未报送投资完成情况月报），请核实是否漏报。",
        ]
    )

    content = render_xlsx(warned)
    _, rows = workbook_notes(content)
    page = notes(_Page(render_html(warned)).text)
    assert [text for text, _ in rows] == page and len(page) == 4
    # A line's figures bring their rows, as every table of the workbook cites them.
    [reading] = [sources for text, sources in rows if "读法不明确" in text]
    assert "工作表“表” 第8行" in reading
    # A note printing no figure names the rows of what it is about: the list replaced, warned at its row 3.
    [replaced] = [sources for text, sources in rows if "经重新报送" in text]
    assert "工作表“表” 第3行" in replaced
    assert render_xlsx(warned) == content  # rebuilt, byte for byte the same


def word_paragraphs(content: bytes) -> list[str]:
    """Return the text of each paragraph of a Word file's body, read from its XML."""
    import io
    import zipfile
    from html import unescape

    with zipfile.ZipFile(io.BytesIO(content)) as package:
        body = package.read("word/document.xml").decode("utf-8")
    paragraphs = re.findall(r"<w:p[ >].*?</w:p>", body, re.DOTALL)
    return [unescape("".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", p))) for p in paragraphs]


@pytest.mark.parametrize("templates", ["default", "the bureau's"])
def test_the_word_file_prints_the_pages_notes_in_their_order_and_words(tmp_path, registry, templates):
    """docs/report-templates.md: quality_notes.html.j2 words the notes of the page, the workbook and the Word file."""
    import duckdb

    from pipeline.report_docx import render_docx
    from pipeline.report_read import build_report
    from pipeline.report_render import render_html
    from pipeline.report_templates import DEFAULT_TEMPLATES
    from pipeline.report_xlsx import render_xlsx
    from tests.pipeline.test_report import CONFIG, YEAR, make_warehouse

    prefix, own = "数据质量提示：", None
    if templates != "default":  # a deployment's folder holding its own wording of the notes only
        prefix, own = "请注意（本局用语）：", tmp_path / "bureau"
        own.mkdir()
        for name in ("quality_notes.html.j2", "open_warning.html.j2"):  # the notes, and each warning's
            words = (DEFAULT_TEMPLATES / name).read_text(encoding="utf-8")
            assert words.count("数据质量提示：") > 1
            words = words.replace("数据质量提示：", prefix).replace(
                "已按最可能的读法计入", "暂按最可能的读法计入"
            )
            (own / name).write_text(words, encoding="utf-8")
    path = make_warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(path)) as con:
        _add_two_open_warnings(con)
        report = build_report(con, YEAR, CONFIG, registry, own)

    page = [p for p in html_outline(render_html(report))["paragraphs"] if p.startswith(prefix)]
    content = render_docx(report)
    word = [p for p in word_paragraphs(content) if p.startswith(prefix)]
    _, rows = workbook_notes(render_xlsx(report))
    assert word == page == [text for text, _ in rows] and len(page) == 4
    assert any("2处" in note and "读法计入" in note for note in word)  # a figure, printed as Word prints it
    if own is not None:
        assert "暂按最可能的读法计入" in word[-1]
        assert not [
            p for p in word_paragraphs(content) if "数据质量提示" in p
        ]  # no copy of the default words
    assert render_docx(report) == content  # rendered again, byte for byte the same


def test_a_bureaus_notes_template_that_prints_nothing_leaves_no_note_in_the_word_file(tmp_path, registry):
    """As on the page; the workbook's sheet, which cannot be empty, says there is nothing to note."""
    import duckdb

    from pipeline.report_docx import render_docx
    from pipeline.report_notes import NOTHING
    from pipeline.report_read import build_report
    from pipeline.report_xlsx import render_xlsx
    from tests.pipeline.test_report import CONFIG, YEAR, make_warehouse

    own = tmp_path / "bureau"
    own.mkdir()
    (own / "quality_notes.html.j2").write_text("{# 本局报告不印数据质量提示 #}\n", encoding="utf-8")
    with duckdb.connect(str(make_warehouse(tmp_path / "warehouse.duckdb"))) as con:
        report = build_report(con, YEAR, CONFIG, registry, own)

    paragraphs = word_paragraphs(render_docx(report))
    assert "测试区2022年度预算绩效管理工作开展情况" in paragraphs  # the Word file was read
    assert not [p for p in paragraphs if "数据质量" in p or "累计到位" in p]
    assert workbook_notes(render_xlsx(report))[1] == [(NOTHING.text, "")]


def _add_two_open_warnings(con) -> None:
    """Add to the test warehouse's figures two open warnings: a percent read one of two ways, a list replaced."""
    from tests.pipeline.test_report import figure, lineage

    con.executemany(
        "insert into mart.report_figures values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            figure("open_warning", "2处", detail="performance_targets|percent_ambiguous", position=93, value=2,
                   unit="处", decimals=0, src=lineage(1, "表", 8)),
            figure("open_warning", "1处", detail="fund_ledger|whole_list_replaced", position=93, value=1,
                   unit="处", decimals=0, src=lineage(1, "表", 3)),
        ],
    )  # fmt: skip


# The notes of the Word template as shipped since 8aa39ef: the page's, printed by one loop.
NOTES_LOOP = (
    "<w:p><w:r><w:t>{%p for note in quality_notes %}</w:t></w:r></w:p>"
    '<w:p><w:pPr><w:ind w:firstLine="480"/></w:pPr><w:r><w:t>{{ note }}</w:t></w:r></w:p>'
    "<w:p><w:r><w:t>{%p endfor %}</w:t></w:r></w:p>"
)


def old_word_template(folder, rule_words: str | None = None) -> None:
    """Write into a bureau's folder a report.docx as copied before 8aa39ef: its own words of the notes, no loop;
    with `rule_words`, its words of a list replaced too, a rule's words given so."""

    def paragraph(text: str) -> str:
        return f'<w:p><w:pPr><w:ind w:firstLine="480"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>'

    def tag(text: str) -> str:
        return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"

    own_words = (
        tag("{%p if doubts %}")
        + paragraph("数据质量提示：{{ doubts|length }}个项目累计支付超过累计到位，请核实资金台账。")
        + tag("{%p else %}")
        + paragraph("数据质量提示：未发现累计支付超过累计到位的项目（本局旧副本）。")
        + tag("{%p endif %}")
    )
    if rule_words is not None:
        own_words += (
            tag('{%p for w in open_warnings if w.family == "replaced" %}')
            + paragraph(
                "数据质量提示：{{ w.project.name }}{{ year }}年度的{{ w.form }}经重新报送，{% for rule in w.rules %}"
                f"{{% if not loop.first %}}；{{% endif %}}{rule_words}{{% endfor %}}；如新表不完整，相关数字会少计，"
                "已在回执中请报送单位核实。"
            )
            + tag("{%p endfor %}")
        )

    def edit(body: str) -> str:
        assert body.count(NOTES_LOOP) == 1  # the shipped template as this test knows it
        return body.replace(NOTES_LOOP, own_words)

    shipped_word_template(folder, edit)


def shipped_word_template(folder, edit) -> None:
    """Write into a bureau's folder the shipped report.docx, its body (word/document.xml) passed through `edit`."""
    import zipfile

    from pipeline.report_templates import DEFAULT_TEMPLATES

    with (
        zipfile.ZipFile(DEFAULT_TEMPLATES / "report.docx") as shipped,
        zipfile.ZipFile(folder / "report.docx", "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for member in shipped.infolist():
            data = shipped.read(member)
            if member.filename == "word/document.xml":
                data = edit(data.decode("utf-8")).encode("utf-8")
            copy.writestr(member, data)


def test_the_shipped_word_template_prints_the_pages_notes_so_the_report_never_checks_it(tmp_path):
    from pipeline.report_notes import docx_notes_warning
    from pipeline.report_templates import template_folders

    assert docx_notes_warning(template_folders(None)) is None
    old_word_template(tmp_path)
    assert "quality_notes" in (docx_notes_warning(template_folders(tmp_path)) or "")


def test_a_bureaus_word_template_without_the_notes_under_its_tables_is_warned_of(tmp_path):
    """A report.docx copied before the notes under 表1 and the 附表 (table_notes) prints none of them: said."""
    from pipeline.report_notes import docx_notes_warning
    from pipeline.report_templates import template_folders

    loops = re.compile(
        r"<w:p><w:r><w:t>\{%p for note in table_notes\[[^]]*\] %\}</w:t></w:r></w:p>.*?"
        r"<w:p><w:r><w:t>\{%p endfor %\}</w:t></w:r></w:p>"
    )

    def edit(body: str) -> str:
        body, taken = loops.subn("", body)
        assert taken == 2  # under 表1 and under each 附表
        return body

    shipped_word_template(tmp_path, edit)

    warning = docx_notes_warning(template_folders(tmp_path)) or ""
    assert str(tmp_path / "report.docx") in warning and "table_notes[none]" in warning
    assert "quality_notes" not in warning  # its 数据质量提示 are the page's


def test_a_bureaus_report_docx_that_is_no_word_document_is_named_not_a_traceback(settings, tmp_path):
    import dataclasses

    from pipeline.report_model import ReportError
    from pipeline.report_notes import docx_notes_warning
    from pipeline.report_templates import template_folders
    from pipeline.status import template_warnings

    (tmp_path / "report.docx").write_text("a .wps renamed", encoding="utf-8")
    with pytest.raises(ReportError, match="不是可以打开的 Word 文档"):
        docx_notes_warning(template_folders(tmp_path))
    [told] = template_warnings(dataclasses.replace(settings, report_templates=tmp_path))
    assert str(tmp_path / "report.docx") in told and "另存为 .docx" in told


@pytest.mark.slow
def test_a_bureaus_word_template_with_its_own_old_notes_is_warned_of_and_the_report_still_written(
    settings, registry, tmp_path, monkeypatch, capsys, caplog
):
    """docs/report-templates.md: a report.docx copied before the notes loop is named, wherever templates are."""
    import dataclasses
    import logging

    import docx

    from pipeline.cli import main
    from pipeline.report_notes import docx_notes_warning
    from pipeline.report_templates import template_folders
    from pipeline.status import render, status
    from tests.pipeline.test_projects import take_in

    own = tmp_path / "bureau"
    own.mkdir()
    old_word_template(own)
    assert docx_notes_warning(template_folders(None)) is None  # the shipped template prints the page's notes
    warning = docx_notes_warning(template_folders(own))
    assert warning is not None and str(own / "report.docx") in warning and "quality_notes" in warning

    take_in(settings, registry, REGISTER, JANUARY)
    monkeypatch.setenv("PIPELINE_REPORT_TEMPLATES", str(own))
    settings = dataclasses.replace(settings, report_templates=own)
    capsys.readouterr()
    with caplog.at_level(logging.WARNING, logger="pipeline.report"):
        assert main(["report", "--year", "2022"]) == 0  # written all the same
    out, err = capsys.readouterr()
    assert f"报告模板提示：{warning}" in err.splitlines()
    assert [r.getMessage() for r in caplog.records if r.name == "pipeline.report"] == [warning]
    [word] = (settings.reports / "2022").glob("*.docx")
    assert "数据质量提示：未发现累计支付超过累计到位的项目（本局旧副本）。" in [
        p.text for p in docx.Document(str(word)).paragraphs
    ]
    assert f"  {warning}" in render(status(settings)).splitlines()

    # The bureau's template mended (the loop back in), nothing is said.
    (own / "report.docx").unlink()
    (own / "report.docx").write_bytes((template_folders(None)[0] / "report.docx").read_bytes())
    capsys.readouterr()
    assert main(["report", "--year", "2022"]) == 0
    assert "报告模板提示" not in capsys.readouterr().err
    assert "报告模板提示" not in render(status(settings))


def test_indicators_with_nothing_reported_or_computed_are_named_with_the_score_they_count(registry):
    # No ledger and no 项目资金 block: 预算执行率 printed —（无数据） and counted 0 of its 10 points without a word.
    from pipeline.report_read import build_report
    from pipeline.report_render import render_html
    from tests.pipeline.test_indicators import Warehouse, ledger
    from tests.pipeline.test_indicators import register as register_project
    from tests.pipeline.test_report import CONFIG

    wh = Warehouse(registry)
    register_project(wh, "甲")
    row = {"project_name": "甲", "level1": "产出指标", "level2": "数量指标", "target_text": "按计划推进"}
    wh.submit(
        "performance_targets",
        [
            row | {"level3": "工程进度", "reported_value": "达成", "weight": 60},
            row | {"level3": "安全生产", "reported_value": None, "weight": 30},
        ],
    )
    wh.build()

    page = notes(_Page(render_html(build_report(wh.con, 2022, CONFIG, registry))).text)
    # 预算执行率 is no 实际完成值 the unit left blank: its own note says what is missing (test_report_quality.py).
    assert [n for n in page if "没有填报实际完成值" in n] == [
        "数据质量提示：甲自评表中1项指标没有填报实际完成值，也没有可据以计算的数据：安全生产（得分0.00分），"
        "自评总分按这些得分计入，请核实是否漏报。"
    ]
    assert [n for n in page if "预算执行率" in n and "缺少数据" in n]
    ledger(wh, "甲", received="100", paid="50")
    wh.build()
    page = notes(_Page(render_html(build_report(wh.con, 2022, CONFIG, registry))).text)
    assert [n for n in page if "没有填报实际完成值" in n] == [
        "数据质量提示：甲自评表中1项指标没有填报实际完成值，也没有可据以计算的数据：安全生产（得分0.00分），"
        "自评总分按这些得分计入，请核实是否漏报。"
    ]
    assert not [n for n in page if "缺少数据" in n]


def test_a_rule_without_words_prints_its_name_not_a_failed_report(tmp_path, registry, monkeypatch):
    """A rule registry/report_notes.yaml gives no words (one added since) is worded by the rule's name."""
    import duckdb

    from pipeline import report_context
    from pipeline.report_read import build_report
    from pipeline.report_render import render_html
    from pipeline.report_wording import load_report_notes
    from tests.pipeline.test_report import CONFIG, YEAR, make_warehouse

    shipped = load_report_notes()
    assert "whole_list_replaced" in shipped.rule_wording  # the shipped wording as this test knows it
    wording = {rule: words for rule, words in shipped.rule_wording.items() if rule != "whole_list_replaced"}
    monkeypatch.setattr(
        report_context, "load_report_notes", lambda: shipped.model_copy(update={"rule_wording": wording})
    )
    with duckdb.connect(str(make_warehouse(tmp_path / "warehouse.duckdb"))) as con:
        _add_two_open_warnings(con)
        report = build_report(con, YEAR, CONFIG, registry)

    [replaced] = [note for note in notes(_Page(render_html(report)).text) if "经重新报送" in note]
    assert f"经重新报送，{RULE_ZH['whole_list_replaced']}；如新表不完整" in replaced


# A survey row writing each count in 人次, two of them the same `5人次`: four cells warned on the receipt were three
# places in the note (one per row and text), now one each; a header in 人次 over three columns stays one, its row.
@pytest.mark.slow
def test_cells_warned_are_counted_one_place_each_and_a_headers_columns_one(settings, registry):
    from tests.pipeline.test_later_months import PROJECT, REGISTER
    from tests.pipeline.test_projects import JIA, YEAR, take_in

    cells = "有效问卷（份）,满意（份）,基本满意（份）,不满意（份）"
    header = "有效问卷（人次）,满意（人次）,基本满意（份）,不满意（人次）"
    survey = (
        "\n".join(
            [
                "群众满意度调查汇总表",
                f"项目名称：{PROJECT}",
                f"年度：{YEAR}",
                f"小区名称,{cells}",
                "小区1,100人次,90人次,5人次,5人次",
                "小区2,50,40,5,5",
            ]
        )
        + "\n"
    )
    headed = (
        "\n".join(
            [
                "群众满意度调查汇总表",
                f"项目名称：{PROJECT}",
                f"年度：{YEAR}",
                f"调查对象,{header}",
                "小区1,100,90,5,5",
            ]
        )
        + "\n"
    )
    form = registry.templates["satisfaction_survey"].name_zh

    outcomes = take_in(settings, registry, REGISTER, (f"{JIA}/调查.csv", survey))
    assert [p.rule for p in outcomes[f"{JIA}/调查.csv"].warnings] == ["count_word"] * 4
    html, word, _ = report_texts(settings, registry, YEAR)
    note = reading_note(f"甲项目{YEAR}年度的{form}", "count_word", 4)
    assert note in notes(html) and note in notes(word)

    outcomes = take_in(settings, registry, (f"{JIA}/调查（修订）.csv", headed))
    assert [p.rule for p in outcomes[f"{JIA}/调查（修订）.csv"].warnings] == ["count_word"] * 3
    html, word, _ = report_texts(settings, registry, YEAR)
    note = reading_note(f"甲项目{YEAR}年度的{form}", "count_word")
    assert note in notes(html) and note in notes(word)


def _targets(*rows: str) -> str:
    """A 自评表 of 甲项目 whose indicator rows (三级指标,年度指标值,实际完成值,分值 under 产出指标·数量指标) are given."""
    from tests.pipeline.test_projects import YEAR

    head = f"项目名称：甲项目\n年度：{YEAR}\n一级指标,二级指标,三级指标,年度指标值,实际完成值,分值\n"
    return head + "".join(f"产出指标,数量指标,{row}\n" for row in rows)


def _compounds(project: str, compound: str, remark: str = "") -> str:
    """A 清单 of one project, one compound, a 备注 column."""
    from tests.pipeline.test_projects import YEAR

    return (
        f"项目名称：{project}\n年度：{YEAR}\n序号,小区名称,改造面积（万平方米）,惠及户数（户）,计划投资（万元）,备注\n"
        f"1,{compound},1.2,120,360,{remark}\n"
    )


def _progress(month: str) -> str:
    """A 月报 of 甲项目 holding one month, written as given."""
    from tests.pipeline.test_projects import YEAR

    return (
        "投资完成情况月报\n项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）\n"
        f"甲项目,{YEAR},{month},1200,100,100\n"
    )


def _monitoring(title: str | None = None, budget: str = "800.00") -> bytes:
    """A 1-7月 运行监控表 of 甲项目 (its title as given), 1-7月执行数 as given of a 年初预算数 of 1,570."""
    from tests.pipeline.test_national_forms import MONITORING
    from tests.pipeline.test_projects import JIA
    from tests.pipeline.workbooks import national_monitoring, xlsx

    rows, merges = national_monitoring(
        MONITORING[:2], project="甲项目", unit=JIA, budget=("1570.00", budget, None, "1570.00")
    )
    if title:
        rows[0][0] = title
    return xlsx({"监控表": rows}, merges={"监控表": merges})


def _dated_list(year_line: str = "") -> str:
    """A 清单 of 甲项目 whose title writes its year only in the day it runs to, 2023年1月, unless a 年度 line says it."""
    return (
        f"甲项目老旧小区改造项目清单（截至2023年1月）\n项目名称：甲项目\n{year_line}"
        "序号,小区名称,改造面积（万平方米）,惠及户数（户）,计划投资（万元）\n1,棉纺厂东院,1.2,120,360\n"
    )


def _scale(green: str = "1000,平方米", others: str = "200", extra: str = "") -> str:
    """A 建设规模及投资构成表 of 甲项目: its 其中 row's 数量 and 单位, its 其他费用 (万元) and any rows after."""
    from tests.pipeline.test_projects import YEAR

    return (
        f"年度：{YEAR}\n项目名称,类别,内容,数量,单位\n甲项目,建设规模,改造面积,5000,平方米\n"
        f"甲项目,建设规模,其中：绿化,{green}\n甲项目,投资构成,工程费用,800,万元\n甲项目,投资构成,其他费用,{others},万元\n"
        + extra
    )


def _rows(text: str) -> list[list[str]]:
    """Return a CSV sheet's lines as a workbook's rows."""
    return [line.split(",") for line in text.strip().split("\n")]


def _titled_progress(title_month: int, month: int = 5) -> str:
    """A 月报 of 甲项目 for one month whose title names a month, as given."""
    from tests.pipeline.test_projects import YEAR

    return f"{YEAR}年{title_month}月投资完成情况月报\n" + _progress(str(month)).split("\n", 1)[1]


def _hidden_list(hidden: bool = True) -> bytes:
    """A 清单 of 甲项目 as a workbook, beside a hidden sheet of another 清单 of its, unless `hidden` is false."""
    from tests.pipeline.workbooks import xlsx

    sheets = {"清单": _rows(_compounds("甲项目", "棉纺厂东院"))}
    if hidden:
        sheets["旧清单"] = _rows(_compounds("甲项目", "市委小区"))
    return xlsx(sheets, hidden=["旧清单"] if hidden else [])


def _unsaved_survey(saved: bool = False) -> bytes | str:
    """A survey of 甲项目 whose 基本满意 is a formula: an .xls holding no result of it, or, `saved`, a CSV of 15."""
    from tests.pipeline.test_projects import YEAR
    from tests.pipeline.workbooks import xls, xls_formula

    head = [
        ["项目名称：甲项目"],
        [f"年度：{YEAR}"],
        ["小区名称", "有效问卷（份）", "满意（份）", "基本满意（份）", "不满意（份）"],
    ]
    if saved:
        return "\n".join(",".join(map(str, row)) for row in [*head, ["棉纺厂东院", 100, 80, 15, 5]]) + "\n"
    return xls({"调查": [*head, ["棉纺厂东院", 100, 80, xls_formula("B4-C4-E4"), 5]]})


def _unsaved_total() -> bytes:
    """A 清单 of 甲项目 as a workbook whose 合计 row is formulas saved without results."""
    from tests.pipeline.workbooks import xlsx

    total = ["合计", None, "=SUM(C4:C5)", "=SUM(D4:D5)", "=SUM(E4:E5)", None]
    return xlsx(
        {
            "清单": [
                *_rows(_compounds("甲项目", "棉纺厂东院")),
                ["2", "市委小区", "0.5", "60", "120", ""],
                total,
            ]
        }
    )


# Each warning that may leave a figure wrong and reached the receipt alone: (rule, form, files sent, corrected files,
# the words of its note, or for a reading how many places it names). The corrected files replace the warned one (the same slice), or the one it was warned
# against.
FIGURES_ONCE_UNTOLD = [
    (
        "voided_row_maybe",
        "compound_list",
        [("清单.csv", _compounds("甲项目", "棉纺厂东院", "不再改造，取消"))],
        [("清单（更正）.csv", _compounds("甲项目", "棉纺厂东院"))],
        None,
    ),
    (
        "indicator_scale",
        "performance_targets",
        [("自评表.csv", _targets("新建设施完成率,≥90,0.93,90"))],
        [("自评表（更正）.csv", _targets("新建设施完成率,≥90%,93%,90"))],
        None,
    ),
    (
        "month_with_day",
        "investment_progress",
        [("月报.csv", _progress("2022年1月20日"))],
        [("月报（更正）.csv", _progress("1"))],
        None,
    ),
    (
        "months_title",
        "performance_monitoring",
        [("监控表.xlsx", _monitoring("2022年1-6月项目支出绩效运行监控表"))],
        [("监控表（更正）.xlsx", _monitoring("2022年1-7月项目支出绩效运行监控表"))],
        None,
    ),
    (
        "months_filename",
        "performance_monitoring",
        [("2022年1-6月运行监控表.xlsx", _monitoring())],
        [("2022年1-7月运行监控表.xlsx", _monitoring(budget="801.00"))],
        None,
    ),
    (
        "year_from_date",
        "compound_list",
        [("清单.csv", _dated_list())],
        [("清单（更正）.csv", _dated_list("年度：2023\n"))],
        None,
    ),
    (
        "part_unit",
        "scale_and_cost",
        [("规模.csv", _scale(green="1000,户"))],
        [("规模（更正）.csv", _scale())],
        "中“其中”项的单位与所属行不同，未能与所属行核对（1处），报告照所填列出，相关数字可能有误，",
    ),
    (
        "cost_unit",
        "scale_and_cost",
        [("规模.csv", _scale(extra="甲项目,投资构成,绿化面积,300,平方米\n"))],
        [("规模（更正）.csv", _scale(extra="甲项目,建设规模,绿化面积,300,平方米\n"))],
        "中投资构成的单位不是金额，未计入与计划总投资的核对（1处），报告照所填列出，相关数字可能有误，",
    ),
    (
        "cost_vs_total",
        "scale_and_cost",
        [("规模.csv", _scale(others="100"))],
        [("规模（更正）.csv", _scale())],
        "中投资构成合计与计划总投资不符（1处），报告照所填列出，相关数字可能有误，",
    ),
    (
        "planned_total_differs",
        "project_register",
        [("项目基本信息表.csv", register_csv(("JIA-01", "甲项目", JIA)).replace(",1000\n", ",1200\n"))],
        [("项目基本信息表（更正）.csv", register_csv(("JIA-01", "甲项目", JIA)))],
        2,  # a reading told on both registers: the bureau's, whose figure the report no longer takes, and 甲's
    ),
    (
        "indicator_qualitative",
        "performance_targets",
        [("自评表.csv", _targets("工程进度,按计划推进,如期,90"))],
        [("自评表（更正）.csv", _targets("工程进度,按计划推进,达成,90"))],
        "有1处定性指标的实际完成情况无法判定是否达成，按0分计入自评总分；如实际已达成，得分和评价等级会偏低，",
    ),
    (
        "indicator_outcome_word",
        "performance_targets",
        [("自评表.csv", _targets("新建设施,≥16个,已完成,90"))],
        [("自评表（更正）.csv", _targets("新建设施,≥16个,16个,90"))],
        "有1处数值指标的实际完成值未写数值，已按所写的完成情况（如“达成”）计分，未能与年度指标值比较；"
        "如与实际完成的数值不符，得分会失真，",
    ),
    (
        "listed_in_other_project",
        "compound_list",
        [("甲清单.csv", _compounds("甲项目", "棉纺厂东院")), ("甲二清单.csv", _compounds("甲二项目", "棉纺厂东院"))],
        [("甲二清单（更正）.csv", _compounds("甲二项目", "育源小区"))],
        "有1处小区及其各项数字与另一项目清单中的完全相同，两个项目都已计入；如是同一小区重复列入，相关数字会重复计算，",
    ),
    (
        "year_conflict",
        "compound_list",
        [("2021年清单.csv", _compounds("甲项目", "棉纺厂东院"))],
        [("清单（更正）.csv", _compounds("甲项目", "棉纺厂东院", "已更正文件名"))],
        "有1处写明的年度与所取的2022年度不一致，报告按2022年度计入；如该表是另一年度的数据，相关数字会计入错误的年度，",
    ),
    (
        "month_title",
        "investment_progress",
        [("月报.csv", _titled_progress(6))],
        [("月报（更正）.csv", _titled_progress(5))],
        "有1处标题或文件名写的月份与表中各行的月份不同，报告按各行的月份计入；如该表是标题所写月份的数据，相关月份的数字和预警会失真，",
    ),
    (
        "formula_unsaved",
        "satisfaction_survey",
        [("调查.xls", _unsaved_survey())],
        [("调查（更正）.csv", _unsaved_survey(saved=True))],
        "中有单元格是公式而文件中没有保存计算结果，已按未填写读取（1处），报告中的相关数字可能与报送单位在Excel或WPS中看到的不同，",
    ),
    (
        "total_unsaved",
        "compound_list",
        [("清单.xlsx", _unsaved_total())],
        [("清单（更正）.csv", _compounds("甲项目", "棉纺厂东院") + "2,市委小区,0.5,60,120,\n")],
        "中合计行是公式而文件中没有保存计算结果，已按其下各行计入，未能与合计核对（1处），"
        "报告中的相关数字可能与报送单位在Excel或WPS中看到的不同，",
    ),
    (
        "hidden_sheet",
        "compound_list",
        [("清单.xlsx", _hidden_list())],
        [("清单（更正）.xlsx", _hidden_list(hidden=False))],
        f"取自{JIA}报送的“清单.xlsx”：所在文件另有一张表头与本表相同的隐藏工作表，隐藏的工作表未读取；"
        "如另一份文件（或隐藏的工作表）才是要报送的数据，相关数字会有误，",
    ),
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rule", "template", "sent", "corrected", "words"),
    FIGURES_ONCE_UNTOLD,
    ids=[c[0] for c in FIGURES_ONCE_UNTOLD],
)
def test_a_warning_that_may_leave_a_figure_wrong_is_named_until_a_corrected_file_replaces_it(
    settings, monkeypatch, registry, rule, template, sent, corrected, words
):
    from pipeline.cli import main
    from tests.pipeline.test_projects import JIA, YEAR
    from tests.pipeline.test_report_world import cli_night

    monkeypatch.setenv("PIPELINE_SETTLE_SECONDS", "0")
    assert main(["init"]) == 0
    year = NEXT if rule == "year_from_date" else YEAR  # the 2023 a list's title writes only in a day
    report = cli_night(settings, year, *REGISTERS, *((f"{JIA}/{name}", text) for name, text in sent))
    receipt = (settings.receipts / JIA / f"{sent[0][0]}.回执.html").read_text(encoding="utf-8")
    assert RULE_ZH[rule] in receipt  # the clerk was told, and now the reader is
    whose = f"甲项目{year}年度的{registry.templates[template].name_zh}"
    if isinstance(words, str):
        note = f"数据质量提示：{whose}{words}已在回执中请报送单位核实。"
    else:  # a reading, told in as many places as given (once by default)
        note = reading_note(whose, rule, words or 1)
    sheets = "\n".join(str(row[0]) for rows in report.workbook.values() for row in rows if row and row[0])
    for where, text in {"page": report.page, "word": "\n".join(report.word), "workbook": sheets}.items():
        assert note in notes(text), where

    report = cli_night(settings, year, *((f"{JIA}/{name}", text) for name, text in corrected))
    assert not [n for n in notes(report.page) + notes("\n".join(report.word)) if n == note]
    assert not [
        n for n in notes(report.page) if RULE_ZH[rule] in n or (isinstance(words, str) and words[:12] in n)
    ]


@pytest.mark.slow
@pytest.mark.parametrize("ledger", [False, True], ids=["no ledger", "a ledger"])
def test_a_forms_execution_above_its_budget_is_named_where_it_scores_the_rate(
    settings, monkeypatch, registry, ledger
):
    from pipeline.cli import main
    from tests.pipeline.test_projects import BUREAU, JIA, NAME, YEAR, ledger_csv, register_csv
    from tests.pipeline.test_report_world import cli_night
    from tests.pipeline.workbooks import national_self_evaluation, xlsx

    def form(executed: str) -> bytes:
        # 全年执行数 of a 全年预算数 of 100, and the 执行率 they give, written.
        rows, merges = national_self_evaluation(
            [("产出指标", "数量指标", "新建设施", "≥16个", "16个", 90)],
            project=NAME, unit=JIA, budget=("100", "100", executed, 10, f"{executed}%", "10"),
        )  # fmt: skip
        return xlsx({"自评表": rows}, merges={"自评表": merges})

    # 120 spent of 100: 120 %, full marks for 预算执行率, though one of the two is likely off; the receipt alone said so.
    monkeypatch.setenv("PIPELINE_SETTLE_SECONDS", "0")
    assert main(["init"]) == 0
    files = [
        (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", NAME, JIA))),
        (f"{JIA}/自评表.xlsx", form("120")),
    ]
    if ledger:
        files.append((f"{JIA}/资金台账.csv", ledger_csv(NAME, "100", "90")))
    report = cli_night(settings, YEAR, *files)
    receipt = (settings.receipts / JIA / "自评表.xlsx.回执.html").read_text(encoding="utf-8")
    assert RULE_ZH["executed_exceeds_budget"] in receipt
    note = (
        f"数据质量提示：{NAME}{YEAR}年度的{registry.templates['performance_targets'].name_zh}有1处全年执行数超过全年预算数，"
        "预算执行率超过100%，按满分计入自评总分；如其中一数有误，预算执行率和得分会失真，已在回执中请报送单位核实。"
    )
    sheets = "\n".join(str(row[0]) for rows in report.workbook.values() for row in rows if row and row[0])
    for where, text in {"page": report.page, "word": "\n".join(report.word), "workbook": sheets}.items():
        # With a ledger the rate scored is the ledger's (90 %): the form's figures are not used, nothing to name.
        assert (note in notes(text)) is not ledger, where

    report = cli_night(settings, YEAR, (f"{JIA}/自评表（更正）.xlsx", form("100")))
    assert not [
        n for n in notes(report.page) + notes("\n".join(report.word)) if "全年执行数超过全年预算数" in n
    ]


def _file_note(registry, template: str, standing: str, rule: str) -> str:
    """Return the `file` note of 甲项目's form of this template, taken from 甲's file `standing`, for one rule."""
    from tests.pipeline.test_projects import YEAR

    return (
        f"数据质量提示：甲项目{YEAR}年度的{registry.templates[template].name_zh}取自{JIA}报送的“{standing}”："
        f"{load_report_notes().rule_wording[rule]}；如另一份文件（或隐藏的工作表）才是要报送的数据，相关数字会有误，"
        "已在回执中请报送单位核实。"
    )


def _registered_root(settings, monkeypatch) -> int:
    """Make the data root and drop the registers in its inbox; return an hour ago in ns, a plausible modified time."""
    import datetime as dt

    from pipeline.cli import main
    from tests.pipeline.test_intake import drop
    from tests.pipeline.test_projects import later

    monkeypatch.setenv("PIPELINE_SETTLE_SECONDS", "0")
    assert main(["init"]) == 0
    for path, content in REGISTERS:
        drop(settings, path, content, mtime=later())
    return int((dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).timestamp()) * 10**9


def _night_notes(settings) -> list[list[str]]:
    """Run `pipeline ingest` and `pipeline report`; return the 数据质量提示 of the page, the Word file and the
    workbook."""
    from pipeline.cli import main
    from tests.pipeline.test_projects import YEAR
    from tests.pipeline.test_report_world import printed

    assert main(["ingest"]) == 0
    assert main(["report", "--year", str(YEAR)]) == 0
    report = printed(settings.reports / str(YEAR))
    sheets = "\n".join(str(row[0]) for rows in report.workbook.values() for row in rows if row and row[0])
    return [notes(report.page), notes("\n".join(report.word)), notes(sheets)]


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["odd_modified_time", "same_name_twin"])
def test_a_file_standing_over_another_it_may_not_be_meant_to_is_named_until_a_corrected_file_replaces_it(
    settings, monkeypatch, registry, clock_checked, rule
):
    from tests.pipeline.test_intake import drop
    from tests.pipeline.test_storage import gbk_twin_drop

    night = partial(_night_notes, settings)
    an_hour_ago = _registered_root(settings, monkeypatch)
    if rule == "odd_modified_time":  # a draft copied from a machine whose clock says 2100: it stands
        standing = "清单（旧稿）.csv"
        drop(settings, f"{JIA}/{standing}", _compounds("甲项目", "棉纺厂东院", "旧稿"), mtime=an_hour_ago * 2)
        drop(settings, f"{JIA}/清单.csv", _compounds("甲项目", "棉纺厂东院"), mtime=an_hour_ago)
    else:  # two files both named 清单.csv, one written in GBK: the later modified stands
        standing = "清单.csv"
        drop(
            settings, f"{JIA}/清单.csv", _compounds("甲项目", "棉纺厂东院", "旧稿"), mtime=an_hour_ago - 10**9
        )
        gbk_twin_drop(
            settings, JIA, "清单.csv", _compounds("甲项目", "棉纺厂东院"), gbk_folder=False, mtime=an_hour_ago
        )
    words = load_report_notes().rule_wording[rule]
    note = _file_note(registry, "compound_list", standing, rule)
    for where, said in zip(("page", "word", "workbook"), night(), strict=True):
        assert note in said, where

    drop(
        settings, f"{JIA}/清单（更正）.csv", _compounds("甲项目", "棉纺厂东院", "更正"), mtime=an_hour_ago * 3
    )
    assert not [n for said in night() for n in said if words in n]


def _months_sent(*months: int, plan: str = "900") -> str:
    """A 月报 of 甲项目 holding these months, each 100 of investment, its 累计 adding up."""
    from tests.pipeline.test_projects import YEAR

    return (
        "投资完成情况月报\n项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）\n"
        + "".join(f"甲项目,{YEAR},{month},{plan},100,{100 * month}\n" for month in months)
    )


@pytest.mark.slow
@pytest.mark.parametrize("settled", ["replaced", "withdrawn"])
@pytest.mark.parametrize("rule", ["odd_modified_time", "same_name_twin"])
def test_a_file_standing_over_another_is_named_no_more_once_the_other_is_replaced_or_withdrawn(
    settings, monkeypatch, registry, clock_checked, rule, settled
):
    """The doubt is which of two files counts: once the one standing aside is withdrawn, or its months are sent
    again, the clerk has settled it, and the file standing, still in force for its own later month, is named no
    more; before, the note stayed until the standing file itself was replaced."""
    from tests.pipeline.test_intake import drop, query
    from tests.pipeline.test_storage import gbk_twin_drop

    night = partial(_night_notes, settings)
    an_hour_ago = _registered_root(settings, monkeypatch)
    # The file standing holds January to March, the other January and February: the standing one holds them.
    aside = f"{JIA}/月报.csv"
    if rule == "odd_modified_time":  # a copy from a machine whose clock says 2100 stands
        standing = "月报（旧稿）.csv"
        drop(settings, f"{JIA}/{standing}", _months_sent(1, 2, 3), mtime=an_hour_ago * 2)
        drop(settings, aside, _months_sent(1, 2, plan="950"), mtime=an_hour_ago)
    else:  # two files both named 月报.csv, one written in GBK: the later modified stands
        standing = "月报.csv"
        drop(settings, aside, _months_sent(1, 2, plan="950"), mtime=an_hour_ago - 10**9)
        gbk_twin_drop(settings, JIA, standing, _months_sent(1, 2, 3), gbk_folder=False, mtime=an_hour_ago)
    words = load_report_notes().rule_wording[rule]
    note = _file_note(registry, "investment_progress", standing, rule)
    for where, said in zip(("page", "word", "workbook"), night(), strict=True):
        assert note in said, where
    [(other,)] = query(settings, "select submission_id from ops.submissions where inbox_path = ?", [aside])
    if (
        settled == "replaced"
    ):  # its two months sent again: they stand over the standing file's, its March stays
        drop(settings, f"{JIA}/月报（更正）.csv", _months_sent(1, 2, plan="980"), mtime=an_hour_ago * 3)
    else:
        withdraw(settings, registry, other, "误报")
    assert not [n for said in night() for n in said if words in n]
    standing_in_force = query(
        settings,
        "select count(*) from ops.current_slices join ops.submissions using (submission_id) "
        "where original_name = ? and inbox_path <> ?",
        [standing, aside],
    )
    # Its months (March alone, once the others are sent again): the note went with the doubt, not with the file.
    assert standing_in_force == [(1 if settled == "replaced" else 3,)]


# The `replaced` family's words for each rule in the shipped open_warning.html.j2 (from registry/report_notes.yaml).
SHIPPED_RULE_WORDS = (
    "经重新报送，{% for words in w.words %}{% if not loop.first %}；{% endif %}{{ words }}{% endfor %}"
)


def _bureau_notes_before(folder, family: str | None, rule_words: str | None = None) -> None:
    """Write into a bureau's folder its quality_notes.html.j2 as copied before `family` had words (its open
    warnings worded in it, `else` calling the rest readings), or, None, before open warnings were named at all;
    `rule_words`: its `replaced` family's words for a rule, in place of the shipped `w.words` loop."""
    from pipeline.report_templates import DEFAULT_TEMPLATES

    shipped = (DEFAULT_TEMPLATES / "quality_notes.html.j2").read_text(encoding="utf-8")
    each = (DEFAULT_TEMPLATES / "open_warning.html.j2").read_text(encoding="utf-8")
    if rule_words is not None:
        assert each.count(SHIPPED_RULE_WORDS) == 1  # the replaced family's, as this test knows it
        each = each.replace(
            SHIPPED_RULE_WORDS,
            "经重新报送，{% for rule in w.rules %}{% if not loop.first %}；{% endif %}"
            f"{rule_words}{{% endfor %}}",
        )
    loop = '{% for w in open_warnings %}\n{% include "open_warning.html.j2" %}\n{% endfor %}\n'
    unworded = re.search(r"\{#- 本单位自己的.*?\{% endfor %\}\n", shipped, re.DOTALL)
    assert shipped.count(loop) == 1 and unworded  # the shipped template as this test knows it
    older = ""
    if family is not None:
        [branch] = re.findall(rf'\{{% elif w.family == "{family}" %\}}\n.*?\n(?=\{{% elif)', each, re.DOTALL)
        older = "{% for w in open_warnings %}\n" + each.replace(branch, "") + "{% endfor %}\n"
    own = shipped.replace(unworded.group(0), "").replace(loop, older)
    (folder / "quality_notes.html.j2").write_text(own, encoding="utf-8")


def _bureau_notes(tmp_path, registry, own, rule: str) -> tuple[list[str], list[str], list[str]]:
    """Return the 数据质量提示 of the page, the Word file and the workbook of the test warehouse's report, made with
    the bureau's templates in `own`, its two open warnings and a third of this rule on the 资金台账."""
    import duckdb

    from pipeline.report_docx import render_docx
    from pipeline.report_read import build_report
    from pipeline.report_render import render_html
    from pipeline.report_xlsx import render_xlsx
    from tests.pipeline.test_report import CONFIG, YEAR, figure, lineage, make_warehouse

    with duckdb.connect(str(make_warehouse(tmp_path / "warehouse.duckdb"))) as con:
        _add_two_open_warnings(con)
        con.execute(
            "insert into mart.report_figures values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            figure("open_warning", "1处", detail=f"fund_ledger|{rule}", position=93, value=1, unit="处",
                   decimals=0, src=lineage(1, "表", 4)),
        )  # fmt: skip
        report = build_report(con, YEAR, CONFIG, registry, own)
    page = notes(_Page(render_html(report)).text)
    word = [p for p in word_paragraphs(render_docx(report)) if p.startswith("数据质量提示：")]
    sheet = [text for text, _ in workbook_notes(render_xlsx(report))[1]]
    return page, word, sheet


# A bureau's words for the `replaced` family's rules, in the forms quality_notes.html.j2 took before 7070270 moved
# them into registry/report_notes.yaml, each a table of the rules of its day (git log -p of the template).
_OWN_WORDS = '{"earlier_dates_dropped": "本局措辞：较早日期的数据不再计入", "whole_list_replaced": "本局措辞：未列出的行不再计入"}'
_OLD_RULE_TABLES = {
    "indexed": f"{{{{ {_OWN_WORDS}[rule] }}}}",  # before 3d34173
    "set, then indexed": f"{{% set said = {_OWN_WORDS} %}}{{{{ said[rule] }}}}",
    "looked up with get": f"{{{{ {_OWN_WORDS}.get(rule, w.parts[loop.index0][0]) }}}}",  # 3d34173 to 7070270
}


@pytest.mark.parametrize("table", list(_OLD_RULE_TABLES))
def test_a_bureaus_table_of_rule_words_older_than_a_rule_prints_it_in_the_shipped_words(
    tmp_path, registry, table
):
    """A bureau's notes indexing its own table of the `replaced` rules' words (`{…}[rule]`) stopped the year's
    report once a rule added since (months_dropped) was open; it is printed in the shipped words, the rules the
    table knows in the bureau's, in the page, the Word file and the workbook alike. So does a table looked up
    with `.get(rule, w.parts[loop.index0][0])`, which printed the rule's receipt name (it fails without that)."""
    from tests.pipeline.test_report import YEAR, ZAOLIN

    own = tmp_path / "bureau"
    own.mkdir()
    _bureau_notes_before(own, "year", _OLD_RULE_TABLES[table])
    # Its Word template too, copied before 8aa39ef: its own words of the notes, the same table among them.
    old_word_template(own, _OLD_RULE_TABLES[table])
    page, word, sheet = _bureau_notes(tmp_path, registry, own, "months_dropped")

    added = load_report_notes().rule_wording["months_dropped"]
    replaced = (
        f"数据质量提示：{ZAOLIN}{YEAR}年度的{registry.templates['fund_ledger'].name_zh}经重新报送，{added}；"
        "本局措辞：未列出的行不再计入；如新表不完整，相关数字会少计，已在回执中请报送单位核实。"
    )
    for said in (page, word, sheet):
        assert [n for n in said if "经重新报送" in n] == [replaced]
    assert page == sheet


@pytest.mark.parametrize("before", ["duplicate", None], ids=["a family", "open warnings"])
def test_a_bureaus_notes_copied_before_a_family_print_its_warnings_in_the_shipped_words(
    tmp_path, registry, before
):
    """A warning of a family a bureau's older quality_notes.html.j2 has no words for was printed by its `else` as a
    reading in doubt (已按最可能的读法计入), or, older still, not at all: it is printed in the shipped words."""
    from pipeline.report_notes import worded_families
    from pipeline.report_templates import DEFAULT_TEMPLATES
    from tests.pipeline.test_report import YEAR, ZAOLIN

    own = tmp_path / "bureau"
    own.mkdir()
    _bureau_notes_before(own, before)
    worded = worded_families([own, DEFAULT_TEMPLATES])
    assert "duplicate" not in worded and ("reading" in worded) is (before is not None)
    page, word, sheet = _bureau_notes(tmp_path, registry, own, "duplicate_row")

    ledger = registry.templates["fund_ledger"].name_zh
    duplicate = (
        f"数据质量提示：{ZAOLIN}{YEAR}年度的{ledger}有1处两行各栏完全相同，两行都已计入；如是重复录入，相关金额会多计，"
        "已在回执中请报送单位核实。"
    )
    for said in (page, word, sheet):
        assert duplicate in said
        assert not [n for n in said if RULE_ZH["duplicate_row"] in n]  # never a reading in doubt
        # The warnings the copy words stay its own: one note each, the reading in its own words.
        assert len([n for n in said if "读法不明确" in n]) == 1
        assert len([n for n in said if "经重新报送" in n]) == 1
    assert page == word == sheet
