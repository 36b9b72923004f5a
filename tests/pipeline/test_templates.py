from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import duckdb
import openpyxl
import pytest

from pipeline.cell_refs import column_letter
from pipeline.cli import main
from pipeline.header import find_header
from pipeline.parse import INSTRUCTIONS_SHEET, parse_file
from pipeline.reader import read_workbook
from pipeline.registry_columns import Column, ColumnType
from pipeline.registry_templates import Template
from pipeline.settings import Settings
from pipeline.template_instructions import TYPE_ZH, instructions
from pipeline.template_layout import header_of, layout_of
from pipeline.templates import LISTS_SHEET, TEMPLATE_STAMP, template_workbook, write_templates

UNIT = "枣林街道办事处"
PROJECT = "枣林街道办事处改造老旧小区"
YEAR = 2022
LINES = {"填报单位": UNIT, "项目名称": PROJECT, "年度": str(YEAR)}
# Rows whose values must agree with each other (suites' cross-row rules); every other template, a new
# source included, is filled column by column from its types alone.
AGREEING_ROWS = {
    # A ledger pays out no more than it has received (paid_exceeds_received).
    "fund_ledger": [
        {"entry_type": "到位", "amount_wan": Decimal("200.5")},
        {"entry_type": "支付", "amount_wan": Decimal("100.25")},
    ],
    "project_register": [{"project_type": "老旧小区改造", "planned_total_investment_wan": Decimal("9163.6")}],
    "satisfaction_survey": [
        {"valid_responses": 100, "satisfied": 80, "basically_satisfied": 15, "dissatisfied": 5},
        {"valid_responses": 50, "satisfied": 41, "basically_satisfied": 0, "dissatisfied": 9},
    ],
    "performance_targets": [
        {"target_text": "≥90%", "reported_value": "93%", "weight": Decimal("45")},
        {"target_text": "16个", "reported_value": "16个", "weight": Decimal("45")},
    ],
    "investment_progress": [
        {"month": 1, "monthly_completed_wan": Decimal("100"), "cumulative_completed_wan": Decimal("100")},
        {"month": 2, "monthly_completed_wan": Decimal("250.5"), "cumulative_completed_wan": Decimal("350.5")},
    ],
    "scale_and_cost": [
        {"category": "投资构成", "item": "工程费用", "quantity": Decimal("9000"), "quantity_unit": "万元"},
        {
            "category": "投资构成",
            "item": "其中：屋面防水",
            "quantity": Decimal("3000"),
            "quantity_unit": "万元",
        },
        {"category": "投资构成", "item": "其他费用", "quantity": Decimal("163.6"), "quantity_unit": "万元"},
        {"category": "建设规模", "item": "改造小区", "quantity": Decimal("16"), "quantity_unit": "个"},
    ],
}


# What staging makes of a filled value: a 其中 part loses its prefix and names the row it belongs to.
STAGED = {"scale_and_cost": {1: {"item": "屋面防水"}}}


def sample(column: Column, template: Template, i: int) -> object:
    """Return a valid value for row `i` (from 1) of a column, as a clerk would type it."""
    if column.name == template.project.column:
        return PROJECT
    return {
        ColumnType.TEXT: f"{column.header}{i}",
        ColumnType.PROSE: f"第{i}段第一句。\n第二句，含全角标点：“引号”。",
        ColumnType.NAME: f"{column.header}{i}",
        ColumnType.ENUM: list(column.values or {"": ()})[(i - 1) % len(column.values or {"": ()})],
        ColumnType.INTEGER: i,
        ColumnType.COUNT: 10 * i,
        ColumnType.DECIMAL: Decimal(i) + Decimal("0.5"),
        ColumnType.MONEY: Decimal("100.25") * i,
        ColumnType.AREA: Decimal("1200.5") * i,
        ColumnType.PERCENT: Decimal("0.95"),
        ColumnType.DATE: dt.date(YEAR, 3, i),
        ColumnType.YEAR: YEAR,
        ColumnType.MONTH: i,
    }[column.type]


def rows_for(template: Template) -> list[dict]:
    """Return the rows to fill in: one value per column of the template's layout."""
    agreeing = AGREEING_ROWS.get(template.id, [{}, {}])
    columns = layout_of(template).columns
    return [{c.name: sample(c, template, i) for c in columns} | extra for i, extra in enumerate(agreeing, 1)]


def fill(blank: bytes, registry, rows: list[dict]) -> bytes:
    """Fill a blank template with openpyxl where the parser finds its lines and columns, as a clerk would."""
    match = find_header(read_workbook(blank, "blank.xlsx").grids[0], registry)
    book = openpyxl.load_workbook(io.BytesIO(blank))
    sheet = book.worksheets[0]
    for label, value, *_ in sheet.iter_rows(min_row=2, max_row=match.first_row):
        # A form's blocks (项目资金, 年度总体目标) sit among the lines; only the `…：` lines are filled here.
        if label.value and label.value.endswith("："):
            value.value = LINES[label.value.rstrip("：")]
    for cell in sheet[match.last_row + 1]:
        # A `1-N月…` header is filled with the months covered, as the instructions ask.
        if isinstance(cell.value, str) and "1-N月" in cell.value:
            cell.value = cell.value.replace("1-N月", "1-7月")
    index = {b.column.name: b.index for b in match.bindings}
    for offset, row in enumerate(rows):
        for name, value in row.items():
            # Excel keeps numbers as binary doubles, so an exact decimal arrives as a float.
            typed = float(value) if isinstance(value, Decimal) else value
            sheet.cell(match.last_row + 2 + offset, index[name] + 1, typed)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory, registry):
    """Generate every template, fill each, drop them all in one inbox and run one ingest."""
    from pipeline.intake import ingest

    with pytest.MonkeyPatch.context() as env:
        env.setenv("PIPELINE_HOME", str(tmp_path_factory.mktemp("round_trip") / "home"))
        for name in ("INBOX", "ARCHIVE", "RECEIPTS", "WAREHOUSE", "REPORTS", "DATA_DOCS"):
            env.delenv(f"PIPELINE_{name}", raising=False)
        settings = Settings.from_env()
        paths = write_templates(registry, tmp_path_factory.mktemp("blank"))
        filled = {}
        for template in registry.templates.values():
            filled[template.id] = rows_for(template)
            target = settings.inbox / UNIT / paths[template.id].name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(fill(paths[template.id].read_bytes(), registry, filled[template.id]))
        yield settings, ingest(settings, registry, progress=False), filled


@pytest.mark.slow  # 5 s or more on two cores
def test_every_filled_template_is_accepted(round_trip, registry):
    _settings, report, _filled = round_trip

    by_template = {tuple(o.templates): o for o in report.outcomes}
    assert sorted(by_template) == sorted((t,) for t in registry.templates)
    for outcome in report.outcomes:
        assert outcome.status == "accepted", [p.message_zh for p in outcome.problems]
        # The instructions sheet is recognised and passed over without a remark.
        assert outcome.problems == []
        assert (outcome.unit, outcome.year) == (UNIT, YEAR)


def test_every_filled_value_reaches_staging(round_trip, registry):
    settings, _report, filled = round_trip

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        for template_id, rows in filled.items():
            names = list(rows[0])
            found = con.execute(
                f"select unit, project_name, year, {', '.join(names)} from staging.{template_id} order by excel_row"
            ).fetchall()
            assert [r[:3] for r in found] == [(UNIT, PROJECT, YEAR)] * len(rows), template_id
            staged = [row | STAGED.get(template_id, {}).get(i, {}) for i, row in enumerate(rows)]
            assert [dict(zip(names, r[3:], strict=True)) for r in found] == staged, template_id
        parts = con.execute(
            "select item, parent_item from staging.scale_and_cost where parent_item is not null"
        )
        assert parts.fetchall() == [("屋面防水", "工程费用")]


def test_the_parser_finds_every_header_with_its_unit(registry):
    for template in registry.templates.values():
        blank = template_workbook(template, registry)
        sheet = read_workbook(blank, "blank.xlsx").grids[0]

        match = find_header(sheet, registry)

        assert match.template.id == template.id
        assert [b.column.name for b in match.bindings] == [c.name for c in layout_of(template).columns]
        assert not match.missing_required
        units = {b.column.name: b.unit for b in match.bindings}
        for column in layout_of(template).columns:
            if column.type is ColumnType.MONEY:
                assert units[column.name] == "万元"
            if column.type is ColumnType.AREA:
                assert units[column.name] == "平方米"


def test_a_column_the_printed_form_lacks_is_left_off_the_blank_template(registry):
    # 预警情况 is some provinces' addition to the 运行监控表: the blank national form was printed with it.
    monitoring = registry.template("performance_monitoring")
    not_printed = [c.name for c in monitoring.columns if not c.printed]

    assert "stated_light" in not_printed
    assert not set(not_printed) & {c.name for c in layout_of(monitoring).columns}


def test_headers_carry_units_as_the_offices_write_them(registry):
    compounds = registry.template("compound_list")
    headers = [header_of(c, registry) for c in layout_of(compounds).columns]

    assert headers[:5] == ["序号", "小区名称", "改造面积（平方米）", "惠及户数（户）", "计划投资（万元）"]


def test_metadata_lines_are_those_the_parser_reads(registry):
    lines = {t: layout_of(registry.template(t)).meta_lines for t in registry.templates}
    columns = {t: [c.name for c in layout_of(registry.template(t)).columns] for t in registry.templates}

    # The 项目名称 and 年度 lines stand in for optional columns, which are then left out.
    assert lines["performance_targets"] == ("填报单位", "项目名称", "年度")
    assert (
        "project_name" not in columns["performance_targets"] and "year" not in columns["performance_targets"]
    )
    assert lines["compound_list"] == ("填报单位", "项目名称", "年度")
    # A required 项目名称 column settles the project, a required 年度 column the year: a line would be ignored. A
    # ledger's 年度 line decides its year before its dates (a 2022 ledger's funds arriving in January 2023).
    assert lines["fund_ledger"] == ("填报单位", "年度")
    assert lines["investment_progress"] == ("填报单位",)
    assert lines["project_register"] == ("填报单位", "年度")
    book = openpyxl.load_workbook(io.BytesIO(template_workbook(registry.template("compound_list"), registry)))
    sheet = book.worksheets[0]
    assert sheet["A1"].value == "老旧小区改造项目清单"
    assert [sheet.cell(r, 1).value for r in (2, 3, 4)] == ["填报单位：", "项目名称：", "年度："]


def test_a_metadata_line_filled_in_is_read(registry):
    template = registry.template("satisfaction_survey")
    filled = fill(template_workbook(template, registry), registry, rows_for(template))

    parsed = parse_file(filled, "满意度.xlsx", registry)

    assert not parsed.errors
    assert (parsed.unit, parsed.years) == (UNIT, [YEAR])
    assert {r["project_name"] for r in parsed.sheets[0].records} == {PROJECT}


def _validations(sheet) -> dict[str, object]:
    return {str(v.sqref).split(":")[0].rstrip("0123456789"): v for v in sheet.data_validations.dataValidation}


def test_enum_columns_have_drop_downs_of_the_registry_values(registry):
    for template in registry.templates.values():
        layout = layout_of(template)
        sheet = openpyxl.load_workbook(io.BytesIO(template_workbook(template, registry))).worksheets[0]
        checks = _validations(sheet)
        for index, column in enumerate(layout.columns):
            if column.type is not ColumnType.ENUM:
                continue
            letter = column_letter(layout.first_column + index)  # a form's table starts right of its 绩效指标
            check = checks[letter]
            assert check.type == "list"
            assert check.formula1 == '"' + ",".join(column.values) + '"'
            assert str(check.sqref) == f"{letter}{layout.first_data_row}:{letter}1048576"


def test_formats_and_validations_follow_column_types(registry):
    layout = layout_of(registry.template("investment_progress"))
    sheet = openpyxl.load_workbook(io.BytesIO(template_workbook(layout.template, registry))).worksheets[0]
    letters = {c.name: column_letter(i) for i, c in enumerate(layout.columns)}
    checks = _validations(sheet)

    assert sheet.column_dimensions[letters["project_name"]].number_format == "@"
    assert sheet.column_dimensions[letters["monthly_completed_wan"]].number_format.startswith("#,##0.00")
    assert (
        checks[letters["month"]].type,
        checks[letters["month"]].formula1,
        checks[letters["month"]].formula2,
    ) == (
        "whole",
        "1",
        "12",
    )
    assert (checks[letters["year"]].formula1, checks[letters["year"]].formula2) == ("2000", "2099")
    money = checks[letters["monthly_completed_wan"]]
    assert (money.type, money.operator, money.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert all(c.errorStyle == "warning" for c in checks.values())

    ledger = layout_of(registry.template("fund_ledger"))
    sheet = openpyxl.load_workbook(io.BytesIO(template_workbook(ledger.template, registry))).worksheets[0]
    date = next(i for i, c in enumerate(ledger.columns) if c.name == "date")
    assert sheet.column_dimensions[column_letter(date)].number_format == "yyyy-mm-dd"
    assert _validations(sheet)[column_letter(date)].type == "date"
    counts = layout_of(registry.template("satisfaction_survey"))
    sheet = openpyxl.load_workbook(io.BytesIO(template_workbook(counts.template, registry))).worksheets[0]
    assert _validations(sheet)["B"].type == "whole" and sheet.column_dimensions["B"].number_format == "#,##0"


def test_every_column_type_is_explained():
    assert set(TYPE_ZH) == set(ColumnType)


def test_instructions_explain_each_column_and_the_rules(registry):
    layout = layout_of(registry.template("compound_list"))
    rows = instructions(layout, registry)
    table = {row[0]: row for row in rows if len(row) == 4}
    text = "\n".join("".join(row) for row in rows)

    assert table["栏目"] == ("栏目", "是否必填", "填写要求", "可选值及其他可识别的写法")
    assert table["惠及户数（户）"][1:3] == ("必填", "不小于0的整数；单位户")
    assert table["开工日期"][1] == "选填"
    others = "、".join(
        unit for unit in registry.units.measures["area"].units if unit != "平方米"
    )  # 万平方米, 公顷…
    assert f"单位平方米（如按{others}填写" in table["改造面积（平方米）"][2]
    assert "同一张表中不能重复" in table["小区名称"][2]
    assert (
        table["改造状态"][3]
        == "未开工；在建（也可写：在建中、施工中）；已完工（也可写：完工、已竣工、竣工、已完成）"
    )
    assert "同一填报单位、项目、年度的数据以最后一次接收的文件为准" in text
    assert "取本单位当年登记的唯一一个“老旧小区改造”项目" in text

    monthly = "\n".join(
        "".join(r) for r in instructions(layout_of(registry.template("investment_progress")), registry)
    )
    assert "同一填报单位、项目、年度、月份的数据" in monthly
    assert "累计完成投资应等于年初至当月各月本月完成投资之和" in monthly
    ledger = "\n".join(
        "".join(r) for r in instructions(layout_of(registry.template("fund_ledger")), registry)
    )
    assert "年度按“日期”栏的日期确定" in ledger
    assert "所列用途：楼堂馆所建设、发放津贴补贴" in ledger and ".md" not in ledger
    costs = "\n".join(
        "".join(r) for r in instructions(layout_of(registry.template("scale_and_cost")), registry)
    )
    assert "“内容”以“其中：”开头的行是上一行的组成部分" in costs
    areas = "、".join(unit for unit in registry.units.measures["area"].units if unit != "平方米")
    assert f"元、亿元换算为万元；{areas}换算为平方米；公里换算为米" in costs
    monitoring = {
        row[0]: row
        for row in instructions(layout_of(registry.template("performance_monitoring")), registry)
        if len(row) == 4
    }
    # An enum that may hold several values says so, and how to write them; one that may not, does not.
    assert monitoring["偏差原因分析"][3].endswith("可填多项，以“、”分隔（如“经费保障、制度保障”）")
    assert "可填多项" not in monitoring["完成目标可能性"][3]


def test_the_instructions_sheet_is_never_taken_for_data(registry):
    for template in registry.templates.values():
        grids = read_workbook(template_workbook(template, registry), "blank.xlsx").grids

        assert [g.name for g in grids][1:] == [INSTRUCTIONS_SHEET]
        assert find_header(grids[1], registry) is None


def test_an_enum_of_several_values_is_explained_with_its_own_values(registry):
    # A new source's 改造内容 was explained with 如“经费保障、制度保障”, values the column refuses.
    base = registry.template("compound_list")
    values = {"屋面防水": ("防水",), "外墙保温": (), "管网改造": ()}
    works = Column(name="works", header="改造内容", type=ColumnType.ENUM, values=values, multiple=True)
    template = base.model_copy(update={"columns": (*base.columns, works)})

    rows = {row[0]: row for row in instructions(layout_of(template), registry) if len(row) == 4}

    assert (
        rows["改造内容"][3]
        == "屋面防水（也可写：防水）；外墙保温；管网改造；可填多项，以“、”分隔（如“屋面防水、外墙保温”）"
    )


def test_a_list_too_long_to_write_inline_goes_to_a_hidden_sheet(registry):
    base = registry.template("satisfaction_survey")
    values = {f"第{i}类很长很长很长很长的选项名称": () for i in range(30)}
    kind = Column(name="kind", header="对象类别", type=ColumnType.ENUM, values=values)
    template = base.model_copy(update={"columns": (*base.columns, kind)})

    blank = template_workbook(template, registry)

    book = openpyxl.load_workbook(io.BytesIO(blank))
    assert book[LISTS_SHEET].sheet_state == "hidden"
    assert [c.value for c in book[LISTS_SHEET]["A"]] == list(values)
    letter = column_letter(len(layout_of(template).columns) - 1)
    assert _validations(book.worksheets[0])[letter].formula1 == f"'{LISTS_SHEET}'!$A$1:$A$30"
    assert [g.name for g in read_workbook(blank, "blank.xlsx").grids] == [base.name_zh, INSTRUCTIONS_SHEET]


def test_the_same_registry_gives_the_same_bytes(registry):
    template = registry.template("fund_ledger")

    first, second = template_workbook(template, registry), template_workbook(template, registry)

    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        core = package.read("docProps/core.xml").decode()
        assert {i.date_time for i in package.infolist()} == {TEMPLATE_STAMP.timetuple()[:6]}
    stamp = TEMPLATE_STAMP.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert core.count(stamp) == 2


def test_the_command_writes_one_file_per_template(settings, registry, tmp_path, capsys):
    out = tmp_path / "模板"

    assert main(["templates", "--out", str(out)]) == 0

    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{t.name_zh}.xlsx" for t in registry.templates.values()
    )
    printed = capsys.readouterr().out
    assert all(f"{t}：{out}" in printed for t in registry.templates)
    assert (out / "老旧小区改造项目清单.xlsx").read_bytes() == template_workbook(
        registry.template("compound_list"), registry
    )


def test_the_command_has_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["templates", "--help"])

    assert exit_.value.code == 0
    assert "usage: pipeline templates [-h] [--home HOME] [-q] --out DIR" in capsys.readouterr().out


def test_a_count_the_suite_refuses_at_0_is_checked_from_1_in_the_blank_template(registry):
    # 有效问卷 0 passed the sheet's own check (≥ 0) and was then returned by the pipeline (no_responses).
    layout = layout_of(registry.template("satisfaction_survey"))
    sheet = openpyxl.load_workbook(io.BytesIO(template_workbook(layout.template, registry))).worksheets[0]
    letters = {c.name: column_letter(layout.first_column + i) for i, c in enumerate(layout.columns)}
    checks = _validations(sheet)

    valid, satisfied = checks[letters["valid_responses"]], checks[letters["satisfied"]]
    assert (valid.operator, valid.formula1) == ("greaterThanOrEqual", "1")
    assert "须大于0" in valid.prompt
    assert (satisfied.operator, satisfied.formula1) == ("greaterThanOrEqual", "0")  # 0 satisfied is an answer


def test_each_templates_description_the_instructions_open_with_is_punctuated_in_chinese(registry):
    # The 填表说明 handed to offices opened 实施单位按月报送, 每次报送当年截至当月的全部台账. and a folded YAML
    # line put a space inside a sentence (执行率、 全年预计执行数).
    for template in registry.templates.values():
        description = template.description or ""
        assert not re.search(r'[,;()"]|\s|\.$', description), (template.id, description)
