"""Load the performance rules (`registry/rules.yaml`): lights, scoring, grades, bindings, negative list, per year."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.registry_errors import explain, missing_file
from pipeline.registry_refusals import Misconfigured, refuse_blank
from pipeline.registry_yaml import REGISTRY_DIR, read_yaml

RULES_PATH = REGISTRY_DIR / "rules.yaml"


class Measure(StrEnum):
    """What an indicator's actual value can be computed from."""

    INVESTMENT_COMPLETION_RATE = "investment_completion_rate"
    PAYMENT_RATE = "payment_rate"
    SATISFACTION_RATE = "satisfaction_rate"
    COMPOUNDS = "compounds"
    AREA = "area"
    HOUSEHOLDS = "households"
    PLANNED_INVESTMENT = "planned_investment"


# Measures computed as fractions (0.95): a target bound to one is a percentage, however it is written.
RATE_MEASURES = frozenset(
    {Measure.INVESTMENT_COMPLETION_RATE, Measure.PAYMENT_RATE, Measure.SATISFACTION_RATE}
)

# The units a target must be written in, if it has one, for its measure to be its actual value: registry/units.yaml's
# measure of them, `percent` for %. `项目总投资控制率 ≤100%` names 总投资 but is no amount, `满意度调查覆盖户数 ≥500户`
# names 满意度 but is no rate: their reported values are used (pipeline.written_units.unit_measure reads a target's).
MEASURE_UNITS = {
    Measure.INVESTMENT_COMPLETION_RATE: "percent",
    Measure.PAYMENT_RATE: "percent",
    Measure.SATISFACTION_RATE: "percent",
    Measure.COMPOUNDS: "count",
    Measure.AREA: "area",
    Measure.HOUSEHOLDS: "count",
    Measure.PLANNED_INVESTMENT: "money",
}


# What a count measure counts: `惠及户数 ≥9000人` counts people, never the data's households, and its reported value is
# used. A target in the plain 个 counts whatever its measure counts.
MEASURE_COUNTS = {Measure.HOUSEHOLDS: "户"}


def folded_name(text: str) -> str:
    """Fold an indicator's name as bindings match it: spaces, line breaks and full-width spaces do not count."""
    return re.sub(r"[\s\u3000]", "", text)


class Light(StrEnum):
    NONE = "none"
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class LightBand(_Strict):
    light: Light
    up_to: Decimal | None = None  # gap in percentage points, inclusive; None: no upper bound


class Scoring(_Strict):
    budget_execution_points: Decimal = Field(gt=0)
    indicator_points: Decimal = Field(gt=0)


class Grade(_Strict):
    grade: str = Field(min_length=1)
    from_score: Decimal = Field(alias="from", ge=0)


class Binding(_Strict):
    contains: str = Field(min_length=1)
    measure: Measure


class YearRules(_Strict):
    """The rules of one year; every section is required once defaults and overrides are merged."""

    lights: tuple[LightBand, ...]
    scoring: Scoring
    qualitative: dict[str, Decimal]
    # Other ways forms write a qualitative outcome (`达成预期指标`) → the outcome above they mean.
    qualitative_words: dict[str, str] = {}
    grades: tuple[Grade, ...]
    bindings: tuple[Binding, ...]
    negative_list: tuple[str, ...]

    @model_validator(mode="after")
    def _coherent(self) -> YearRules:
        self._lights_coherent()
        budget, indicator = self.scoring.budget_execution_points, self.scoring.indicator_points
        if budget + indicator != 100:
            raise Misconfigured(
                f"两项分值 budget_execution_points {budget} 与 indicator_points {indicator} 之和为 "
                f"{budget + indicator}，应为 100",
                "budget_execution_points + indicator_points must be 100",
                f"请把 indicator_points 写为 {100 - budget}",
                ("scoring", "indicator_points"),
            )
        if outcome := next((o for o, share in self.qualitative.items() if not 0 <= share <= 1), None):
            raise Misconfigured(
                f"得分比例 {self.qualitative[outcome]} 不在 0 到 1 之间",
                "each share is between 0 and 1",
                "请写 0 到 1 之间的小数，如 0.8 表示得 80%",
                ("qualitative", outcome),
            )
        for word, outcome in self.qualitative_words.items():
            if outcome not in self.qualitative:
                raise Misconfigured(
                    f"{outcome!r} 不是 qualitative 下列出的完成情况",
                    "not an outcome listed under qualitative",
                    f"请写其中之一：{'、'.join(self.qualitative)}",
                    ("qualitative_words", word),
                )
            if word in self.qualitative:
                raise Misconfigured(
                    f"{word!r} 本身就是 qualitative 下的完成情况",
                    "an outcome itself",
                    "请从 qualitative_words 中删去这一行",
                    ("qualitative_words", word),
                )
        # A blank entry loaded without a word and never matched: the list or the words were shorter than they read.
        for n, item in enumerate(self.negative_list):
            refuse_blank(
                (item,),
                "负面清单中有空白的项",
                "a blank entry",
                ("negative_list", n),
                "，它不匹配任何支出用途",
            )
        for word in self.qualitative_words:
            refuse_blank(
                (word,),
                "有空白的写法",
                "a blank entry",
                ("qualitative_words", word),
                "，它不匹配任何实际完成值",
            )
        self._grades_coherent()
        return self

    def _lights_coherent(self) -> None:
        bounds = [band.up_to for band in self.lights]
        if not bounds:
            raise Misconfigured("没有任何一档灯", "no bands", "请至少写一档，如 - {light: red}", ("lights",))
        if bounds[-1] is not None:
            raise Misconfigured(
                f"末档（{self.lights[-1].light}）有 up_to，偏离度超过 {bounds[-1]} 的项目就没有灯",
                "the last band has no up_to",
                "请删去末档的 up_to",
                ("lights", len(bounds) - 1, "up_to"),
            )
        if None in bounds[:-1]:
            raise Misconfigured(
                f"第{bounds.index(None) + 1}档没有 up_to，只有末档不设上限",
                "every band but the last needs up_to",
                "请写上 up_to: <偏离度上限（百分点）>，或把这一档移到最后",
                ("lights", bounds.index(None)),
            )
        if n := next((n for n in range(1, len(bounds) - 1) if bounds[n] <= bounds[n - 1]), None):
            raise Misconfigured(
                f"up_to {bounds[n]} 不大于上一档的 {bounds[n - 1]}",
                "up_to must increase from band to band",
                "请让 up_to 逐档增大",
                ("lights", n, "up_to"),
            )
        lights = [band.light for band in self.lights]
        if n := next((n for n in range(1, len(lights)) if lights[n] in lights[:n]), None):
            raise Misconfigured(
                f"灯 {lights[n]} 出现了两次",
                "each light appears once",
                "请删去或改写其中一档",
                ("lights", n, "light"),
            )

    def _grades_coherent(self) -> None:
        floors = [grade.from_score for grade in self.grades]
        if not floors:
            raise Misconfigured(
                "没有任何等级", "no grades", "请至少写一级，如 - {grade: 差, from: 0}", ("grades",)
            )
        if n := next((n for n in range(1, len(floors)) if floors[n] > floors[n - 1]), None):
            raise Misconfigured(
                f"from {floors[n]} 大于上一级的 {floors[n - 1]}",
                "from must decrease",
                "请按 from 从高到低排列各级",
                ("grades", n, "from"),
            )
        if floors[-1] != 0:
            raise Misconfigured(
                f"末级（{self.grades[-1].grade}）的 from 为 {floors[-1]}，总分低于它的项目没有等级",
                "the last grade must start from 0",
                "请把末级写为 from: 0",
                ("grades", len(floors) - 1, "from"),
            )


class Rules(_Strict):
    defaults: YearRules
    years: dict[int, dict] = {}

    @property
    def negative_list_any_year(self) -> frozenset[str]:
        """Return every 支出用途 on the negative list of any year, for checks that span years."""
        return frozenset(self.defaults.negative_list).union(
            *(self.for_year(year).negative_list for year in self.years)
        )

    @property
    def qualitative_any_year(self) -> frozenset[str]:
        """Return every outcome and every other wording of one that some year's rules score."""
        years = [self.defaults, *(self.for_year(year) for year in self.years)]
        return frozenset().union(*({*y.qualitative, *y.qualitative_words} for y in years))

    def bindings_any_year(self) -> tuple[tuple[tuple[str, bool, str], ...], ...]:
        """Return each year's bindings in order as (folded `contains`, whether its measure is a rate, the units'
        measure)."""
        years = [self.defaults, *(self.for_year(year) for year in self.years)]
        return tuple(
            tuple(
                (folded_name(b.contains), b.measure in RATE_MEASURES, MEASURE_UNITS[b.measure])
                for b in y.bindings
            )
            for y in years
        )

    def for_year(self, year: int) -> YearRules:
        """Return the defaults with that year's sections replaced."""
        return YearRules.model_validate(self.defaults.model_dump(by_alias=True) | self.years.get(year, {}))


def load_rules(path: Path = RULES_PATH) -> Rules:
    """Load and check the rules file; a bad file is refused with its path and the offending key."""
    if not path.is_file():
        raise missing_file(path)
    try:
        rules = Rules.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise explain(path, exc, Rules) from exc
    for year in rules.years:
        try:
            rules.for_year(year)
        except (
            ValidationError
        ) as exc:  # a year's sections, merged with the defaults: said under `years.<year>`
            raise explain(path, exc, YearRules, under=("years", year)) from exc
    return rules


_Bindings = tuple[tuple[tuple[str, bool, str], ...], ...]
# The most 三级指标 names one IndicatorKinds remembers: past it, it starts again (a stream of made-up names).
_REMEMBERED = 4096


class IndicatorKinds:
    """What one reading of the rules file's bindings computes each 三级指标 as, worked out once a name."""

    def __init__(self, bindings: _Bindings):
        self.bindings = bindings
        self._firsts: dict[str, tuple[tuple[bool, str], ...]] = {}

    def firsts(self, level3: str | None) -> tuple[tuple[bool, str], ...]:
        """Return, for each year whose bindings take this 三级指标, whether the first that does (as the models take
        it) is a rate, and the measure of its units."""
        if not level3:
            return ()
        found = self._firsts.get(level3)
        if found is None:
            if len(self._firsts) >= _REMEMBERED:
                self._firsts.clear()
            folded = folded_name(level3)
            firsts = (
                next(((rate, unit) for name, rate, unit in year if name in folded), None)
                for year in self.bindings
            )
            found = self._firsts[level3] = tuple(first for first in firsts if first is not None)
        return found

    def rate(self, level3: str | None) -> bool:
        """Say whether some year's bindings compute this 三级指标 as a rate (满意度, 支付率): its target is in %."""
        return any(rate for rate, _ in self.firsts(level3))

    def amount(self, level3: str | None) -> str | None:
        """Return the measure of the units some year's bindings compute this 三级指标 in, if an amount (see
        amount_indicator)."""
        return next((unit for rate, unit in self.firsts(level3) if not rate and unit != "count"), None)

    def computed(self, level3: str | None) -> bool:
        """Say whether some year's bindings compute this 三级指标 from the data (its 实际完成值 may be left blank)."""
        return bool(self.firsts(level3))


_LOADED: dict[tuple[Path, int], tuple[frozenset[str], IndicatorKinds]] = {}


def _derived(path: Path) -> tuple[frozenset[str], IndicatorKinds]:
    """Return the rules file's qualitative readings and bindings, worked out again only when the file changes."""
    key = (path, path.stat().st_mtime_ns)
    if key not in _LOADED:
        _LOADED.clear()
        rules = load_rules(path)
        _LOADED[key] = (rules.qualitative_any_year, IndicatorKinds(rules.bindings_any_year()))
    return _LOADED[key]


def indicator_kinds(path: Path = RULES_PATH) -> IndicatorKinds:
    """Return what the rules file's bindings compute each 三级指标 as, read again only when the file changes."""
    return _derived(path)[1]


def qualitative_readings(path: Path = RULES_PATH) -> frozenset[str]:
    """Return `qualitative_any_year` of the rules file, read again only when the file changes."""
    return _derived(path)[0]


def rate_indicator(level3: str | None, path: Path = RULES_PATH) -> bool:
    """Say whether some year's bindings compute this 三级指标 as a rate (满意度, 支付率): its target is in %."""
    return indicator_kinds(path).rate(level3)


def amount_indicator(level3: str | None, path: Path = RULES_PATH) -> str | None:
    """Return the measure of the units (area, money) some year's bindings compute this 三级指标 in, if an amount: a
    target of it written without a unit is in none of them for sure (㎡ or 万㎡?). A count is not: a bare `≥3148`
    of 惠及户数 or `=16` of 改造小区数量 is 户 or 个, nobody's 万户."""
    return indicator_kinds(path).amount(level3)


def computed_indicator(level3: str | None, path: Path = RULES_PATH) -> bool:
    """Say whether some year's bindings compute this 三级指标 from the data (its 实际完成值 may be left blank)."""
    return indicator_kinds(path).computed(level3)
