"""A black-box round on two years (2021, 2022) of four offices' files sent as offices send them: a list corrected and
resent later, a list returned and resent, ledgers in 元 and in 万元, monthly progress, surveys and self-scored targets.
Every printed figure is held against a hand calculation from the cells written here, never from the warehouse."""

from __future__ import annotations

import os
import time
from decimal import ROUND_HALF_UP, Decimal

import pytest

from pipeline.cli import main
from tests.pipeline.test_report_world import percent, printed, wan

D = Decimal
BUREAU = "区财政局"
DG, ZL = "东关街道办事处", "枣林街道办事处"
SY, JS = "南阳市城乡一体化示范区建设实业有限公司", "区住房和城乡建设局"
PROJECTS = {  # year: (code, name, unit, 计划总投资（万元）)
    2021: (("DG-2021-001", "东关老旧小区改造", DG, "1000"), ("ZL-2021-001", "枣林老旧小区改造", ZL, "800")),
    2022: (
        ("DG-2022-001", "东关老旧小区改造二期", DG, "900"),
        ("SY-2022-001", "双铺棚户区改造", SY, "5000"),
        ("JS-2022-001", "示范区排水管网改造", JS, "2400.5"),
    ),
}
HEADER = "序号,小区名称,改造面积（平方米）,惠及户数（户）,计划投资（万元）"
# The lists as finally accepted: 东关's 2021 list resent with a third compound and 110 households (the latest
# replaces), 枣林's returned for `1.250` 平方米 and resent as 1250.
LISTS = {
    (2021, "东关老旧小区改造"): (
        ("甲小区", "10000", 110, "300"),
        ("乙小区", "5000.5", 50, "200"),
        ("戊小区", "2000", 25, "100"),
    ),
    (2021, "枣林老旧小区改造"): (("丙小区", "8000", 80, "400"), ("丁小区", "1250", 20, "100")),
    (2022, "东关老旧小区改造二期"): (
        ("庚小区", "12345.67", 133, "450.125"),
        ("辛小区", "7000", 90, "449.875"),
    ),
}
# 日期, 资金来源, 类型, 金额 in the ledger's stated unit
LEDGERS = {
    (2021, "东关老旧小区改造"): (
        "元",
        (
            ("2021-03-01", "中央补助资金", "到位", "5000000"),
            ("2021-05-01", "中央补助资金", "支付", "1234567.89"),
        ),
    ),
    (2021, "枣林老旧小区改造"): (
        "万元",
        (("2021-03-01", "中央补助资金", "到位", "300.5"), ("2021-05-01", "中央补助资金", "支付", "120.25")),
    ),
    (2022, "东关老旧小区改造二期"): (
        "元",
        (
            ("2022-02-01", "中央补助资金", "到位", "6000000"),
            ("2022-03-01", "省级补助资金", "到位", "1500000.5"),
            ("2022-06-01", "中央补助资金", "支付", "4500000"),
        ),
    ),
    (2022, "双铺棚户区改造"): (
        "万元",
        (("2022-02-01", "专项债券", "到位", "3000"), ("2022-07-01", "专项债券", "支付", "2999.99")),
    ),
    (2022, "示范区排水管网改造"): (
        "元",
        (
            ("2022-04-01", "中央补助资金", "到位", "12000000"),
            ("2022-09-01", "中央补助资金", "支付", "8000000.01"),
        ),
    ),
}
MONTHLY = {  # 年度计划投资（万元）, 本月完成投资 from January
    (2022, "东关老旧小区改造二期"): (
        "900",
        ("50", "60.5", "0", "80", "100", "100", "100", "100", "100", "100", "100", "9.5"),
    ),
    (2022, "双铺棚户区改造"): ("4000", ("300",) * 10),
}
# 三级指标, 年度指标值, 实际完成值 (blank: counted from the list), 分值 (产出指标·数量指标)
TARGETS = {
    (2022, "东关老旧小区改造二期"): (
        ("惠及户数", "≥200户", "", 40),
        ("计划投资", "≥0.09亿元", "", 30),
        ("改造小区数量", "=2个", "2个", 20),
    )
}
SURVEYS = {(2022, "东关老旧小区改造二期"): (("庚小区", 120, 90, 20, 10), ("辛小区", 80, 61, 12, 7))}


def _files(year: int) -> dict[str, str]:
    """Return the year's files (office/name → CSV text) as last sent."""
    projects = PROJECTS[year]
    files = {
        f"{BUREAU}/{year}年项目基本信息表.csv": "\n".join(
            [f"{year}年度预算绩效项目基本信息表", "项目编码,项目名称,项目类型,实施单位,计划总投资（万元）"]
            + [f"{c},{n},{'老旧小区改造' if u != SY else '棚户区改造'},{u},{t}" for c, n, u, t in projects]
        )
    }
    for _, name, unit, _ in projects:
        head = f"填报单位：{unit}"
        if (year, name) in LISTS:
            rows = [f"{i},{c},{a},{h},{m}" for i, (c, a, h, m) in enumerate(LISTS[year, name], 1)]
            files[f"{unit}/{year}清单.csv"] = "\n".join(
                [f"{name}{year}年老旧小区改造项目清单", head, f"项目名称：{name}", HEADER, *rows]
            )
        if (year, name) in LEDGERS:
            stated, rows = LEDGERS[year, name]
            files[f"{unit}/{year}资金台账.csv"] = "\n".join(
                [
                    f"{name}{year}年资金到位及支付台账",
                    f"{head}   单位：{stated}",
                    "日期,项目名称,资金来源,类型,金额",
                ]
                + [f"{d},{name},{s},{k},{a}" for d, s, k, a in rows]
            )
        if (year, name) in MONTHLY:
            plan, months = MONTHLY[year, name]
            cumulative, rows = D(0), []
            for month, amount in enumerate(months, 1):
                cumulative += D(amount)
                rows.append(f"{name},{year},{month},{plan},{amount},{cumulative}")
            files[f"{unit}/{year}月报.csv"] = "\n".join(
                [f"{name}{year}年投资完成情况月报", head,
                 "项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）", *rows]
            )  # fmt: skip
        if (year, name) in TARGETS:
            files[f"{unit}/{year}绩效目标自评表.csv"] = "\n".join(
                [f"{name}{year}年项目绩效目标及自评表", head, f"项目名称：{name}", f"年度：{year}",
                 "一级指标,二级指标,三级指标,年度指标值,实际完成值,分值"]
                + [f"产出指标,数量指标,{i},{t},{a},{w}" for i, t, a, w in TARGETS[year, name]]
            )  # fmt: skip
        if (year, name) in SURVEYS:
            files[f"{unit}/{year}满意度.csv"] = "\n".join(
                [f"{name}{year}年群众满意度调查汇总表", head, f"项目名称：{name}",
                 "小区名称,有效问卷（份）,满意（份）,基本满意（份）,不满意（份）"]
                + [",".join(map(str, row)) for row in SURVEYS[year, name]]
            )  # fmt: skip
    return files


def _first_sent() -> dict[str, str]:
    """Return the files sent the first night and replaced later: 东关's list before its correction, 枣林's with
    `1.250` 平方米 (returned: 0.06 平方米 a household)."""
    corrected = {
        (2021, "东关老旧小区改造"): (("甲小区", "10000", 100, "300"), ("乙小区", "5000.5", 50, "200"))
    }
    returned = {(2021, "枣林老旧小区改造"): (("丙小区", "8000", 80, "400"), ("丁小区", "1.250", 20, "100"))}
    files = {}
    for (year, name), compounds in {**corrected, **returned}.items():
        unit = DG if name.startswith("东关") else ZL
        rows = [f"{i},{c},{a},{h},{m}" for i, (c, a, h, m) in enumerate(compounds, 1)]
        files[f"{unit}/{year}清单.csv"] = "\n".join(
            [f"{name}{year}年老旧小区改造项目清单", f"填报单位：{unit}", f"项目名称：{name}", HEADER, *rows]
        )
    return files


def _drop(home, files: dict[str, str], when: float) -> None:
    for name, text in files.items():
        path = home / "inbox" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
        os.utime(path, (when, when))


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    home = tmp_path_factory.mktemp("resent")
    mp = pytest.MonkeyPatch()
    mp.setenv("PIPELINE_HOME", str(home))
    mp.setenv("PIPELINE_SETTLE_SECONDS", "0")
    assert main(["init"]) == 0
    first = _first_sent()
    start = time.time() - 7200
    _drop(home, {**_files(2021), **_files(2022), **first}, start)
    assert main(["run"]) == 0
    # Resent under new names the next night: the correction and the returned list fixed.
    _drop(home, {name.replace("清单", "清单（更正）"): _files(2021)[name] for name in first}, start + 3600)
    assert main(["run"]) == 0
    pages = {}
    for year in PROJECTS:
        assert main(["report", "--year", str(year)]) == 0
        pages[year] = printed(home / "reports" / str(year))
    yield pages
    mp.undo()


def _ledger(year: int, name: str, kind: str) -> list[Decimal]:
    """Return a project's ledger amounts of one kind in 万元, from the cells in their stated unit."""
    if (year, name) not in LEDGERS:
        return []
    stated, rows = LEDGERS[year, name]
    return [D(a) / (10000 if stated == "元" else 1) for _, _, k, a in rows if k == kind]


@pytest.mark.slow  # 5 s or more on two cores
@pytest.mark.parametrize("year", sorted(PROJECTS))
def test_the_years_totals_and_each_projects_funds_are_the_latest_accepted_files_added_up(nights, year):
    names = [n for _, n, _, _ in PROJECTS[year]]
    received = [a for n in names for a in _ledger(year, n, "到位")]
    paid = [a for n in names for a in _ledger(year, n, "支付")]
    opening = (
        f"{year}年度纳入绩效评价的项目共{len(names)}个，全年到位资金{wan(received)}，支付资金{wan(paid)}"
    )
    done = [sum(map(D, MONTHLY[year, n][1]), D(0)) for n in names if (year, n) in MONTHLY]
    if done and len(done) == len(names):
        opening += f"，完成投资{wan(done)}。"
    page, word = nights[year].page, "\n".join(nights[year].word)
    assert opening in page and opening in word
    for n in names:
        if got := _ledger(year, n, "到位"):
            funds = f"到位资金{wan(got)}，已支付{wan(_ledger(year, n, '支付'))}，资金支付率"
            assert funds + percent(sum(_ledger(year, n, "支付")), sum(got)) in page, n
            assert funds in word, n


@pytest.mark.slow  # 5 s or more on two cores
@pytest.mark.parametrize("year", sorted(PROJECTS))
def test_each_list_and_survey_prints_as_its_latest_accepted_cells_add_up(nights, year):
    page, word = nights[year].page, "\n".join(nights[year].word)
    for (y, name), compounds in LISTS.items():
        if y != year:
            continue
        area = sum(D(a) for _, a, _, _ in compounds) / 10000
        said = (
            f"改造老旧小区{len(compounds)}个，"
            f"改造面积{format(area.quantize(D('0.0001'), ROUND_HALF_UP).normalize(), 'f')}万平方米，"
            f"惠及居民{sum(h for _, _, h, _ in compounds):,}户，清单计划投资{wan([D(m) for *_, m in compounds])}。"
        )
        assert said in page and said in word, name
    for (y, name), rows in SURVEYS.items():
        if y == year:
            valid, content = sum(r[1] for r in rows), sum(r[2] + r[3] for r in rows)
            said = f"有效问卷{valid}份，群众满意度{percent(D(content), D(valid))}。"
            assert said in page and said in word, name


def _band(points: Decimal) -> str:
    """Return the light of a 偏离度 = 时间进度 − 投资进度, in points (registry/rules.yaml)."""
    return "无" if points <= 0 else "蓝灯" if points <= 10 else "黄灯" if points <= 20 else "红灯"


def _light(plan: str, months: tuple[str, ...]) -> str:
    """Return the highest light of a year's months."""
    worst, cumulative = D(-100), D(0)
    for month, amount in enumerate(months, 1):
        cumulative += D(amount)
        worst = max(worst, D(month) * 100 / 12 - cumulative * 100 / D(plan))
    return _band(worst)


def _deviations(plan: str, months: tuple[str, ...]) -> list[Decimal]:
    """Return each month's 偏离度 = 时间进度 − 投资进度 in points, to two places as printed."""
    cumulative, points = D(0), []
    for month, amount in enumerate(months, 1):
        cumulative += D(amount)
        points.append((D(month) * 100 / 12 - cumulative * 100 / D(plan)).quantize(D("0.01"), ROUND_HALF_UP))
    return points


def _met(year: int, name: str) -> dict[str, bool]:
    """Return whether each target of a project is met by its list's cells."""
    compounds = LISTS[year, name]
    households = sum(h for _, _, h, _ in compounds)
    planned_yi = sum((D(m) for *_, m in compounds), D(0)) / 10000
    return {
        "惠及户数": households >= 200,
        "计划投资": planned_yi >= D("0.09"),
        "改造小区数量": len(compounds) == 2,
    }


def _score(year: int, name: str) -> tuple[Decimal, Decimal]:
    """Return a project's 预算执行率 points (10 against 100%) and its total self-score."""
    paid, got = sum(_ledger(year, name, "支付")), sum(_ledger(year, name, "到位"))
    execution = 10 * paid / got
    return execution, execution + sum(w for i, _, _, w in TARGETS[year, name] if _met(year, name)[i])


@pytest.mark.slow  # 5 s or more on two cores
def test_table_1_and_each_months_light_are_the_files_figures_in_the_page_word_file_and_workbook(nights):
    year = 2022
    [summary] = [rows for title, rows in nights[year].workbook.items() if title == "汇总"]
    for _, name, _, planned in PROJECTS[year]:
        paid, got = sum(_ledger(year, name, "支付")), sum(_ledger(year, name, "到位"))
        plan, months = MONTHLY.get((year, name), ("0", ()))
        done = sum(map(D, months), D(0))
        light = _light(plan, months) if months else "—"
        scored = (f"{_score(year, name)[1]:.2f}分", "优") if (year, name) in TARGETS else ("—", "—")
        row = [name, wan([D(planned)]), wan([done]) if months else "—", percent(paid, got), *scored, light]
        assert row in nights[year].word_rows, name
        assert "".join(row) in nights[year].page, name
        [cells] = [r for r in summary if r[0] == name]
        assert (D(str(cells[1])), cells[6]) == (D(planned), light), name
        assert abs(D(str(cells[3])) - paid / got) < D("1e-9"), name  # a rate, kept to ten places
        if months:
            assert D(str(cells[2])) == done, name
            lights = [[f"{m}月", f"{d:.2f}", _band(d)] for m, d in enumerate(_deviations(plan, months), 1)]
            assert all(r in nights[year].word_rows for r in lights), name


@pytest.mark.slow  # 5 s or more on two cores
def test_the_self_scored_targets_are_scored_from_the_files_in_the_word_file_and_workbook(nights):
    year, name = 2022, "东关老旧小区改造二期"
    compounds = LISTS[year, name]
    households = sum(h for _, _, h, _ in compounds)
    planned_yi = sum((D(m) for *_, m in compounds), D(0)) / 10000
    actuals = {
        "惠及户数": f"{households}户",
        "计划投资": f"{planned_yi.normalize()}亿元",
        "改造小区数量": "2个",
    }
    met, (execution, total) = _met(year, name), _score(year, name)
    paid, got = sum(_ledger(year, name, "支付")), sum(_ledger(year, name, "到位"))
    rows = [["预算执行率", "100%", percent(paid, got), "10", f"{execution:.2f}"]]
    rows += [[i, t, actuals[i], str(w), f"{w if met[i] else 0:.2f}"] for i, t, _, w in TARGETS[year, name]]
    rows += [
        ["自评得分", "—", "—", "—", f"{total:.2f}分"],
        ["评价等级", "—", "—", "—", "优" if total >= 90 else "?"],
    ]
    assert all(r in nights[year].word_rows for r in rows), rows
    [sheet] = [
        rows
        for title, rows in nights[year].workbook.items()
        if title.startswith("附表") and name in rows[0][0]
    ]
    for indicator, target, _, _ in TARGETS[year, name]:
        assert (indicator, target, actuals[indicator]) in [r[:3] for r in sheet], indicator
