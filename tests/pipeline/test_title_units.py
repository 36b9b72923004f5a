"""A file whose folder alone says whose it is, titled or named as another office's, is asked about, not taken in as the
folder's. Every file is built here and taken in through the inbox."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from pipeline.cli import main
from pipeline.problems import RULE_ZH
from pipeline.title_units import RULE
from tests.pipeline.test_intake import drop, query
from tests.pipeline.test_projects import BUREAU, take_in
from tests.pipeline.workbooks import xlsx

D = Decimal
JIA, YI = "甲街道办事处", "乙街道办事处"  # neither listed: the register alone names them
OFFICE = JIA
ZAOLIN, SUPERVISOR = "枣林街道办事处", "区住房和城乡建设局"  # listed in registry/offices.yaml
HEADER = "序号,小区名称,改造面积（平方米）,惠及户数（户）,计划投资（万元）,改造状态"
REGISTER = (
    f"{BUREAU}/项目基本信息表.csv",
    "2022年项目基本信息表\n年度：2022\n项目编码,项目名称,项目类型,实施单位,计划总投资（万元）\n"
    f"JIA-01,甲改造项目,老旧小区改造,{JIA},1000\nYI-01,乙改造项目,老旧小区改造,{YI},1000\n",
)


def compound_list(title: str, *compounds: str, line: str = "") -> str:
    """A 老旧小区改造项目清单 with no project named: the sending office's one project of the year."""
    rows = "".join(f"{n},{c},1000,10,100,在建\n" for n, c in enumerate(compounds, start=1))
    return f"{title}\n{line}{HEADER}\n{rows}"


def listed(settings) -> list[tuple]:
    return query(settings, "select unit, compound_name from staging.compound_list order by all")


def test_a_list_titled_as_another_offices_in_an_offices_folder_is_returned_and_replaces_nothing(
    settings, registry
):
    take_in(
        settings,
        registry,
        REGISTER,
        (f"{JIA}/清单.csv", compound_list("甲街道2022年老旧小区改造项目清单", "甲一院")),
    )
    # 乙's list dropped in 甲's folder: read as 甲's, 乙's compounds replaced 甲's in the report.
    stray = (f"{JIA}/乙街道清单.csv", compound_list(f"{YI}2022年老旧小区改造项目清单", "乙一院", "乙二院"))

    [outcome] = take_in(settings, registry, stray).values()

    assert outcome.status == "rejected"
    [problem] = outcome.errors
    assert (problem.rule, problem.excel_row, problem.column_header) == (RULE, 1, "标题")
    assert RULE_ZH[RULE]
    title = f"第1行的标题“{YI}2022年老旧小区改造项目清单”写的是{YI}"
    assert problem.message_zh.startswith(f"{title}，而本文件放在{JIA}的文件夹“{JIA}”中")
    assert f"{YI}的数据可由{YI}、区财政局报送" in problem.fix
    assert f"如是{JIA}本单位的，请在表格上方加一行“填报单位：{JIA}”" in problem.fix
    assert listed(settings) == [(JIA, "甲一院")]


def test_a_list_so_titled_with_its_offices_line_is_taken_in_as_the_line_says(settings, registry):
    take_in(settings, registry, REGISTER)
    said = compound_list(f"{YI}2022年老旧小区改造项目清单", "甲二院", line=f"填报单位：{JIA}\n")

    [outcome] = take_in(settings, registry, (f"{JIA}/清单.csv", said)).values()

    assert outcome.status == "accepted" and not any(p.rule == RULE for p in outcome.warnings)
    assert listed(settings) == [(JIA, "甲二院")]


@pytest.mark.parametrize(
    "title",
    [
        f"{JIA}2022年老旧小区改造项目清单",
        "甲街道2022年老旧小区改造项目清单",
        "2022年老旧小区改造项目清单",
        # A compound's name ends as some offices' do; before a year no registry lists it as an office's.
        "棉纺厂家属院2022年老旧小区改造情况",
        "粮食局东院2022年改造项目清单",
    ],
)
def test_a_list_titled_as_its_own_offices_or_as_nobodys_is_taken_in(settings, registry, title):
    outcomes = take_in(
        settings, registry, REGISTER, (f"{JIA}/2022年清单.csv", compound_list(title, "甲一院"))
    )

    assert {o.status for o in outcomes.values()} == {"accepted"}
    assert listed(settings) == [(JIA, "甲一院")]


def test_a_file_named_as_another_offices_is_returned_naming_the_file(settings, registry):
    named = (f"{JIA}/乙街道2022年清单.csv", compound_list("老旧小区改造项目清单", "乙一院"))

    outcome = take_in(settings, registry, REGISTER, named)[named[0]]

    assert outcome.status == "rejected"
    [problem] = outcome.errors
    assert (problem.rule, problem.excel_row, problem.sheet) == (RULE, None, None)
    assert problem.message_zh.startswith(f"文件名“乙街道2022年清单.csv”写的是{YI}，而本文件放在{JIA}的文件夹")


def test_the_bureau_forwarding_a_list_titled_as_an_offices_is_asked_to_say_so(settings, registry):
    forwarded = (f"{BUREAU}/转报清单.csv", compound_list(f"{YI}2022年老旧小区改造项目清单", "乙一院"))

    outcome = take_in(settings, registry, REGISTER, forwarded)[forwarded[0]]

    # Read as the bureau's own, it also names no project: the bureau implements none.
    assert outcome.status == "rejected"
    [problem] = [p for p in outcome.errors if p.rule == RULE]
    assert problem.fix.startswith(f"如本表是代{YI}报送的，请在表格上方加一行“填报单位：{YI}”")


@pytest.mark.slow  # 5 s or more on two cores: a whole `pipeline run`
def test_the_first_run_tells_a_title_naming_an_office_no_registry_knows_once_and_first(settings, capsys):
    # No register stored, 东关 in neither registry: 枣林's folder's list titled as 东关's was returned for naming no
    # project only, the title told once the clerk had sent it again.
    rows = [
        [f"东关{OFFICE[2:]}2022年老旧小区改造项目清单"],
        HEADER.split(","),
        [1, "东关一院", 1000, 10, 100, "在建"],
    ]
    drop(settings, f"{ZAOLIN}/清单.xlsx", xlsx({"清单": rows}))

    assert main(["--quiet", "run"]) == 0

    [receipt] = settings.receipts.rglob("清单.xlsx*.json")
    told = json.loads(receipt.read_text(encoding="utf-8"))
    rules = [p["rule"] for p in told["problems"] if p["severity"] == "error"]
    # Told once, beside the project it names none of, and as the receipt's reason: the first thing to settle.
    assert told["status"] == "rejected" and sorted(rules) == ["project_unknown", RULE]
    assert told["reason"].startswith(
        f"第1行的标题“东关{OFFICE[2:]}2022年老旧小区改造项目清单”写的是东关{OFFICE[2:]}"
    )
    assert f"如是{ZAOLIN}本单位的，请在表格上方加一行“填报单位：{ZAOLIN}”" in told["reason"]


@pytest.mark.parametrize(
    ("title", "own"),
    [(f"丙{OFFICE[1:]}2022年老旧小区改造项目清单", False), (f"{JIA}2022年老旧小区改造项目清单", True)],
)
def test_an_office_a_stored_register_does_not_name_is_read_from_the_title(settings, registry, title, own):
    outcomes = take_in(settings, registry, REGISTER, (f"{JIA}/清单.csv", compound_list(title, "甲一院")))

    assert outcomes[f"{JIA}/清单.csv"].status == ("accepted" if own else "rejected")
    assert [p.rule for p in outcomes[f"{JIA}/清单.csv"].errors] == ([] if own else [RULE])


SUPERVISED = (
    f"{BUREAU}/项目基本信息表.csv",
    "2022年项目基本信息表\n年度：2022\n项目编码,项目名称,项目类型,实施单位,主管部门,计划总投资（万元）\n"
    f"JIA-01,甲改造项目,老旧小区改造,{JIA},区住建局,1000\nYI-01,乙改造项目,老旧小区改造,{YI},区发展和改革委员会,1000\n",
)


def test_a_list_titled_as_its_projects_supervising_department_is_taken_in_with_a_warning(settings, registry):
    # The bureau's template's title, copied: 区住建局 is 甲's project's 主管部门, no sender of it, and was refused.
    titled = (f"{JIA}/清单.csv", compound_list("区住建局2022年老旧小区改造项目清单", "甲一院"))

    outcome = take_in(settings, registry, SUPERVISED, titled)[titled[0]]

    assert outcome.status == "accepted"
    [warning] = [p for p in outcome.warnings if p.rule == RULE]
    assert warning.message_zh.startswith(
        f"第1行的标题“区住建局2022年老旧小区改造项目清单”写的是{SUPERVISOR}，即项目基本信息表中{JIA}所实施项目的"
        f"主管部门，而非报送单位；本文件放在{JIA}的文件夹“{JIA}”中，已按{JIA}的数据接收。"
    )
    assert listed(settings) == [(JIA, "甲一院")]


@pytest.mark.parametrize("implements", [True, False])
def test_a_supervising_department_that_sends_or_supervises_other_projects_is_still_refused(
    settings, registry, implements
):
    # 区住建局 implementing a project of its own sends its own lists; 区发展和改革委员会 supervises 乙's project, not 甲's.
    own = f"ZJJ-01,住建局改造项目,老旧小区改造,{SUPERVISOR},区财政局,1000\n"
    register = (SUPERVISED[0], SUPERVISED[1] + own) if implements else SUPERVISED
    title = (
        "区住建局2022年老旧小区改造项目清单" if implements else "区发展和改革委员会2022年老旧小区改造项目清单"
    )

    outcome = take_in(settings, registry, register, (f"{JIA}/清单.csv", compound_list(title, "甲一院")))[
        f"{JIA}/清单.csv"
    ]

    assert outcome.status == "rejected" and [p.rule for p in outcome.errors] == [RULE]
    assert listed(settings) == []
