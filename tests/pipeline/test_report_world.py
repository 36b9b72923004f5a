"""A black-box round on the published report: three years of real-shaped files from three offices, taken in by
`pipeline ingest` and reported by `pipeline report`, every figure of the opening paragraph, 表1 and each project's
overview held against a hand calculation from the files written here, and each indicator's 实际完成值 in the page, the
Word file and the workbook."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import docx
import openpyxl
import pytest

from pipeline.cli import main
from tests.pipeline.test_report import _Page

D = Decimal
BUREAU = "区财政局"
ZAOLIN = "枣林街道办事处"
SHIYE = "南阳市城乡一体化示范区建设实业有限公司"


@dataclass(frozen=True)
class Project:
    """One project of a year, as its files state it."""

    code: str
    name: str
    kind: str
    unit: str
    planned: str  # 计划总投资（万元）
    compounds: tuple[
        tuple[str, str, int, str], ...
    ] = ()  # 小区名称, 改造面积（平方米）, 户数, 计划投资（万元）
    ledger_yuan: tuple[tuple[str, str, str, str], ...] = ()  # 日期, 资金来源, 类型, 金额（元）
    plan: str = "0"  # 年度计划投资（万元）
    monthly: tuple[str, ...] = ()  # 本月完成投资（万元）, from January
    survey: tuple[tuple[str, int, int, int, int], ...] = ()  # 小区, 有效, 满意, 基本满意, 不满意
    targets: tuple[tuple[str, str, int], ...] = ()  # 三级指标, 年度指标值, 分值 (产出指标·数量指标)


WORLD = {
    2022: (
        Project(
            "ZL-2022-001",
            "枣林街道老旧小区改造",
            "老旧小区改造",
            ZAOLIN,
            "3000.5",
            compounds=(("棉纺厂东院", "28650", 370, "1075.97"), ("市委小区", "19320.5", 249, "725.584")),
            ledger_yuan=(
                ("2022-03-10", "中央补助资金", "到位", "5000000.00"),
                ("2022-04-12", "中央补助资金", "支付", "356800.50"),
                ("2022-06-15", "发改资金", "到位", "12345678.90"),
                ("2022-08-26", "发改资金", "支付", "6930400.00"),
            ),
            plan="1801.554",
            monthly=("100", "200.5", "0", "300", "150.25", "100", "200", "150", "100", "100", "100", "200"),
            survey=(("棉纺厂东院", 111, 84, 19, 8), ("市委小区", 75, 58, 12, 5)),
        ),
        Project(
            "SF-2022-001",
            "双铺棚户区改造",
            "棚户区改造",
            SHIYE,
            "112774.31",
            ledger_yuan=(
                ("2022-02-01", "专项债券", "到位", "300000000"),
                ("2022-05-01", "专项债券", "支付", "123456789.12"),
            ),
            plan="30000",
            monthly=("2500",) * 11,
        ),
    ),
    2023: (
        Project(
            "ZL-2023-001",
            "枣林街道老旧小区改造二期",
            "老旧小区改造",
            ZAOLIN,
            "1200",
            compounds=(("石化小区", "24150", 312, "906.97"), ("育源小区", "12000", 150, "293.03")),
            ledger_yuan=(
                ("2023-03-01", "中央补助资金", "到位", "8000000"),
                ("2023-05-01", "中央补助资金", "支付", "7999999.99"),
            ),
            plan="1200",
            monthly=("100",) * 12,
            survey=(("石化小区", 94, 71, 16, 7), ("育源小区", 49, 37, 9, 3)),
        ),
    ),
    # Counts and money printed in a target's unit of ten thousands: 619 户 printed 0.062万户 against ≥0.06万户, and
    # 1,250.005万元 0.13亿元 against ≥0.1亿元.
    2024: (
        Project(
            "ZL-2024-001",
            "枣林街道老旧小区改造三期",
            "老旧小区改造",
            ZAOLIN,
            "1250.005",
            compounds=(("纺织厂家属院", "12345.67", 619, "1250.005"),),
            ledger_yuan=(
                ("2024-03-01", "中央补助资金", "到位", "12500050"),
                ("2024-04-01", "中央补助资金", "支付", "500"),
            ),
            plan="1250.005",
            monthly=("100.005",) + ("100",) * 11,
            targets=(("惠及户数", "≥0.06万户", 50), ("计划投资", "≥0.1亿元", 40)),
        ),
    ),
}


def csv_files(year: int, projects: tuple[Project, ...]) -> dict[str, str]:
    """Return each file of a year (office/name → CSV text) as offices send them."""
    files = {
        f"{BUREAU}/{year}年项目基本信息表.csv": "\n".join(
            [f"{year}年度预算绩效项目基本信息表", "项目编码,项目名称,项目类型,实施单位,计划总投资（万元）"]
            + [f"{p.code},{p.name},{p.kind},{p.unit},{p.planned}" for p in projects]
        )
    }
    for n, p in enumerate(projects):
        head = f"填报单位：{p.unit}"
        if p.compounds:
            files[f"{p.unit}/{year}清单{n}.csv"] = "\n".join(
                [f"{p.name}{year}年老旧小区改造项目清单", head, f"项目名称：{p.name}",
                 "序号,小区名称,改造面积（平方米）,惠及户数（户）,计划投资（万元）"]
                + [f"{i},{c},{a},{h},{m}" for i, (c, a, h, m) in enumerate(p.compounds, 1)]
            )  # fmt: skip
        if p.ledger_yuan:
            files[f"{p.unit}/{year}资金台账{n}.csv"] = "\n".join(
                [
                    f"{p.name}{year}年资金到位及支付台账",
                    f"{head}   单位：元",
                    "日期,项目名称,资金来源,类型,金额",
                ]
                + [f"{d},{p.name},{s},{k},{a}" for d, s, k, a in p.ledger_yuan]
            )
        if p.monthly:
            cumulative, rows = D(0), []
            for month, amount in enumerate(p.monthly, 1):
                cumulative += D(amount)
                rows.append(f"{p.name},{year},{month},{p.plan},{amount},{cumulative}")
            files[f"{p.unit}/{year}月报{n}.csv"] = "\n".join(
                [f"{p.name}{year}年投资完成情况月报", head,
                 "项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）", *rows]
            )  # fmt: skip
        if p.survey:
            files[f"{p.unit}/{year}满意度{n}.csv"] = "\n".join(
                [f"{p.name}{year}年群众满意度调查汇总表", head, f"项目名称：{p.name}",
                 "小区名称,有效问卷（份）,满意（份）,基本满意（份）,不满意（份）"]
                + [",".join(map(str, row)) for row in p.survey]
            )  # fmt: skip
        if p.targets:
            files[f"{p.unit}/{year}绩效目标自评表{n}.csv"] = "\n".join(
                [f"{p.name}{year}年项目绩效目标及自评表", head, f"项目名称：{p.name}", f"年度：{year}",
                 "一级指标,二级指标,三级指标,年度指标值,实际完成值,分值"]
                + [f"产出指标,数量指标,{name},{target},,{points}" for name, target, points in p.targets]
            )  # fmt: skip
    return files


def decimals(amount: Decimal) -> int:
    return max(0, -amount.normalize().as_tuple().exponent)


def wan(rows: list[Decimal]) -> str:
    """Print the sum of amounts in 万元 as the report does: as precise as the rows were written, past two decimals
    only with digits of the sum's own (thousands separators; 800万元 from 8000000元)."""
    total = sum(rows, D(0))
    places = min(max(map(decimals, rows)), max(decimals(total), 2))
    return f"{total:,.{places}f}万元"


def percent(part: Decimal, whole: Decimal) -> str:
    """Print a rate with two decimals, more where two would round it onto 100 % it misses; trailing zeros dropped."""
    exact = part * 100 / whole
    # Past six decimals, the digits the marts keep of the fraction: ten, eight of a percentage.
    for places in (2, 3, 4, 5, 6, 8):
        rate = exact.quantize(D(1).scaleb(-places), ROUND_HALF_UP)
        if (rate == 100) == (exact == 100):
            break
    return f"{format(rate.normalize(), 'f')}%"


def ledger(p: Project, kind: str) -> list[Decimal]:
    """Return a project's ledger amounts of one kind (到位, 支付) in 万元."""
    return [D(a) / 10000 for _, _, k, a in p.ledger_yuan if k == kind]


def completed(p: Project) -> list[Decimal]:
    """Return the 累计 of a project's latest month, as the rows that wrote it (its 本月 added up)."""
    return [sum(map(D, p.monthly), D(0))]


@dataclass(frozen=True)
class Printed:
    """A year's report as its readers see it: the page's text, the Word file's paragraphs and table rows, the rows of
    the workbook's sheets."""

    page: str
    word: list[str]
    word_rows: list[list[str]]
    workbook: dict[str, list[tuple]]


def printed(folder) -> Printed:
    [page] = folder.glob("*.html")
    [word] = folder.glob("*.docx")
    [workbook] = folder.glob("*.xlsx")
    document = docx.Document(str(word))
    return Printed(
        _Page(page.read_text(encoding="utf-8")).text,
        [p.text for p in document.paragraphs],
        [[cell.text for cell in row.cells] for table in document.tables for row in table.rows],
        {ws.title: list(ws.iter_rows(values_only=True)) for ws in openpyxl.load_workbook(str(workbook))},
    )


def cli_night(settings, year: int, *files: tuple[str, str | bytes]) -> Printed:
    """Drop files in the inbox in this order, run `pipeline ingest` and `pipeline report` for the year on the data
    root PIPELINE_HOME names (`settings`'), and return the report as its readers see it."""
    from tests.pipeline.test_intake import drop
    from tests.pipeline.test_projects import later

    for path, content in files:
        drop(settings, path, content, mtime=later())
    assert main(["ingest"]) == 0
    assert main(["report", "--year", str(year)]) == 0
    return printed(settings.reports / str(year))


@pytest.fixture(scope="module")
def world(tmp_path_factory, registry):
    home = tmp_path_factory.mktemp("world")
    mp = pytest.MonkeyPatch()
    mp.setenv("PIPELINE_HOME", str(home))
    mp.setenv("PIPELINE_SETTLE_SECONDS", "0")
    assert main(["init"]) == 0
    for year, projects in WORLD.items():
        for name, text in csv_files(year, projects).items():
            path = home / "inbox" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text + "\n", encoding="utf-8")
    assert main(["ingest"]) == 0
    pages = {}
    for year in WORLD:
        assert main(["report", "--year", str(year)]) == 0
        pages[year] = printed(home / "reports" / str(year))
    yield pages
    mp.undo()


@pytest.mark.slow  # 5 s or more on two cores
@pytest.mark.parametrize("year", sorted(WORLD))
def test_the_opening_paragraph_and_table_1_print_the_years_totals_as_the_files_add_up(world, year):
    projects = WORLD[year]
    received = [a for p in projects for a in ledger(p, "到位")]
    paid = [a for p in projects for a in ledger(p, "支付")]
    done = [a for p in projects for a in completed(p)]

    assert (
        f"{year}年度纳入绩效评价的项目共{len(projects)}个，全年到位资金{wan(received)}，支付资金{wan(paid)}，"
        f"完成投资{wan(done)}。"
    ) in world[year].page
    for p in projects:
        row = f"{p.name}{wan([D(p.planned)])}{wan(completed(p))}{percent(sum(ledger(p, '支付')), sum(ledger(p, '到位')))}"
        assert row in world[year].page, p.name
    # 双铺's 月报 stops at November: its 累计 is November's, in the year's total as in its row of 表1. Before, only
    # its own section said so (累计完成投资（截至11月）); the total read as the year's.
    partial = [p.name for p in projects if len(p.monthly) < 12]
    note = "注：总体情况和本表中的完成投资按各项目投资完成情况月报的最新月份计"
    if partial:
        assert f"{note}，其中{'、'.join(f'{name}截至11月' for name in partial)}。" in world[year].page
    else:
        assert note not in world[year].page


@pytest.mark.slow  # 5 s or more on two cores
@pytest.mark.parametrize("year", sorted(WORLD))
def test_each_projects_overview_prints_its_compounds_funds_and_survey_as_the_files_add_up(world, year):
    for p in WORLD[year]:
        if p.compounds:
            area = sum(D(a) for _, a, _, _ in p.compounds) / 10000
            households = sum(h for _, _, h, _ in p.compounds)
            area_text = format(area.quantize(D("0.0001"), ROUND_HALF_UP).normalize(), "f")
            said = (
                f"改造老旧小区{len(p.compounds)}个，改造面积{area_text}万平方米，惠及居民{households:,}户，"
                f"清单计划投资{wan([D(m) for *_, m in p.compounds])}。"
            )
            assert said in world[year].page, p.name
        assert f"全年到位资金{wan(ledger(p, '到位'))}，其中" in world[year].page, p.name
        if p.survey:
            valid = sum(v for _, v, *_ in p.survey)
            content = sum(s + b for _, _, s, b, _ in p.survey)
            assert f"有效问卷{valid}份，群众满意度{percent(D(content), D(valid))}。" in world[year].page, (
                p.name
            )


def actual(p: Project, indicator: str, target: str) -> str:
    """Return a count or an amount of the files in its target's unit, exactly: 惠及户数 the households listed, 计划投资
    the list's 计划投资 (万元)."""
    if indicator == "惠及户数":
        value, base = D(sum(h for _, _, h, _ in p.compounds)), "户"
    else:
        value, base = sum((D(m) for *_, m in p.compounds), D(0)), "万元"
    unit = target.lstrip("≥≤=0123456789.")
    value /= {base: 1, "万户": 10000, "亿元": 10000}[unit]
    return f"{value:,.{decimals(value)}f}{unit}"


@pytest.mark.slow  # 5 s or more on two cores
@pytest.mark.parametrize(
    "year", [year for year, projects in sorted(WORLD.items()) if any(p.targets for p in projects)]
)
def test_each_indicators_actual_prints_its_count_or_amount_exactly_in_the_page_word_file_and_workbook(
    world, year
):
    sheets = [rows for title, rows in world[year].workbook.items() if title.startswith("附表")]
    for p in WORLD[year]:
        for indicator, target, _ in p.targets:
            said = f"{indicator}：年度指标值{target}，实际完成值{actual(p, indicator, target)}"
            assert said in world[year].page and any(said in line for line in world[year].word), indicator
            assert [indicator, target, actual(p, indicator, target)] in [r[:3] for r in world[year].word_rows]
            assert (indicator, target, actual(p, indicator, target)) in [
                r[:3] for rows in sheets for r in rows
            ]
