"""Load the source registry (`registry/`): the layouts offices send, as typed, checked objects."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from pydantic import Field as PydanticField

from pipeline.offices import Offices
from pipeline.text import split_header, squash

REGISTRY_DIR = Path(__file__).resolve().parent.parent / "registry"


class RegistryError(ValueError):
    """A registry file is malformed; the message names the file and the offending key."""


class ColumnType(StrEnum):
    TEXT = "text"  # free text, width-folded
    PROSE = "prose"  # a paragraph kept as written: full-width punctuation and line breaks stay
    NAME = "name"  # a proper name: spaces and trailing notes removed
    ENUM = "enum"
    INTEGER = "integer"
    COUNT = "count"  # non-negative integer
    DECIMAL = "decimal"
    MONEY = "money"  # stored in 万元
    AREA = "area"  # stored in 平方米
    PERCENT = "percent"  # stored as a fraction
    DATE = "date"
    YEAR = "year"
    MONTH = "month"


NUMERIC_TYPES = {ColumnType.INTEGER, ColumnType.COUNT, ColumnType.DECIMAL, ColumnType.MONEY, ColumnType.AREA}
# Columns a 合计 row is checked against: amounts and counts, not ordinals such as 序号.
SUMMABLE_TYPES = {ColumnType.COUNT, ColumnType.MONEY, ColumnType.AREA, ColumnType.DECIMAL}
MEASURE_OF_TYPE = {ColumnType.MONEY: "money", ColumnType.AREA: "area"}

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
# What sets apart the values of a `multiple` enum cell once widths are folded (`，` `；` `／` fold to , ; /); a
# space or a line break (Alt+Enter in a cell) too, where the words on either side are values of their own.
VALUE_SEPARATOR = re.compile(r"[、,;/]")
SPACE_SEPARATOR = re.compile(r"\s+")
# Lineage and slice columns every raw table carries; a template column may not reuse these names.
RESERVED_COLUMNS = frozenset({"submission_id", "sheet", "excel_row", "slice_key", "unit", "parent_item"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ambiguity(_Strict):
    """A word offices write for an enum that could mean more than one of its values, and why."""

    between: tuple[str, ...] = PydanticField(min_length=2)
    why: str = PydanticField(min_length=1)


class Column(_Strict):
    name: str
    header: str
    aliases: tuple[str, ...] = ()
    type: ColumnType
    required: bool = False
    unique: bool = False
    values: dict[str, tuple[str, ...] | None] | None = None
    # An enum cell may name several of its values (`经费保障、制度保障`, or a √ in several tick columns): they are
    # stored joined by `、`, in the order `values` lists them.
    multiple: bool = False
    # Words that could mean two values (`拨付`: 到位 or 支付?); a cell holding one is an error, never a guess.
    ambiguous: dict[str, Ambiguity] | None = None
    # A column whose numbers are read against the target in another column (实际完成值 against 年度指标值).
    read_against: str | None = None
    # A text column whose cells may end with their points, `产出指标（55分）`: the points are stripped and
    # checked against the sum of this numeric column over the rows that carry the same text.
    points_of: str | None = None
    # A row's number the clerk writes as they like (序号: 1, 一, 3、, （4）): read as a whole number where it is one,
    # else as nothing, never an error; a row holding only it is an unused row of a pre-numbered form.
    ordinal: bool = False
    # A heading the form prints on every line of its table (二级指标: 成本指标, 经济效益指标…): a row holding only such
    # columns (and ordinals) is a line the unit had no indicator for, passed over like a blank row.
    preprinted: bool = False
    # What a printed form writes in a name column before or instead of a name (三级指标: `指标1：`, `……`), as
    # patterns matched on the cell as read (width folded: `：` is `:`). `strip_prefix` is dropped from the start of
    # a name (`指标1：改造小区数量` is 改造小区数量); a cell holding only it, or matching `placeholder` in full,
    # names nothing: on a row with only preprinted headings besides, an unused line; else the name is asked for.
    strip_prefix: str | None = None
    placeholder: str | None = None
    # What a count column counts (户, 份): a cell written with a unit counting something else (`12栋` of 惠及户数)
    # is an error, though 户 and 栋 are one measure.
    counts: str | None = None
    # False for an amount that rows do not add up to (a yearly plan repeated on each month's row, a running 累计):
    # a 合计 row's cell of it is not checked against the rows above.
    adds_up: bool = True

    @field_validator("name")
    @classmethod
    def _identifier(cls, name: str) -> str:
        if not _IDENTIFIER.match(name):
            raise ValueError(f"column name {name!r} must be a lower-case SQL identifier")
        return name

    @model_validator(mode="after")
    def _consistent(self) -> Column:
        if (self.type is ColumnType.ENUM) != (self.values is not None):
            raise ValueError(f"column {self.name!r}: `values` is required for enum columns and only for them")
        if self.ambiguous is not None and self.values is None:
            raise ValueError(f"column {self.name!r}: `ambiguous` is only for enum columns")
        if self.multiple and self.type is not ColumnType.ENUM:
            raise ValueError(f"column {self.name!r}: `multiple` is only for enum columns")
        if self.read_against is not None and self.type is not ColumnType.TEXT:
            raise ValueError(f"column {self.name!r}: `read_against` is only for text columns")
        if self.ordinal and (self.type is not ColumnType.INTEGER or self.required):
            raise ValueError(f"column {self.name!r}: `ordinal` is only for optional integer columns")
        if not self.adds_up and self.type not in SUMMABLE_TYPES:
            raise ValueError(f"column {self.name!r}: `adds_up` is only for amounts and counts")
        if self.counts is not None and self.type is not ColumnType.COUNT:
            raise ValueError(f"column {self.name!r}: `counts` is only for count columns")
        if self.preprinted and self.type is not ColumnType.TEXT:
            raise ValueError(f"column {self.name!r}: `preprinted` is only for text columns")
        if self.points_of is not None and self.type is not ColumnType.TEXT:
            raise ValueError(f"column {self.name!r}: `points_of` is only for text columns")
        for key in ("strip_prefix", "placeholder"):
            if getattr(self, key) is None:
                continue
            if self.type not in (ColumnType.TEXT, ColumnType.NAME):
                raise ValueError(f"column {self.name!r}: `{key}` is only for text and name columns")
            try:
                re.compile(getattr(self, key))
            except re.error as exc:
                raise ValueError(
                    f"column {self.name!r}: `{key}` is not a regular expression ({exc})"
                ) from None
        meaning = self.enum_lookup  # refuses a spelling listed for two values
        if self.multiple and (
            split := [w for w in meaning if VALUE_SEPARATOR.search(w) or SPACE_SEPARATOR.search(w.strip())]
        ):
            raise ValueError(
                f"column {self.name!r}: with `multiple`, a cell is split at 、,;/ and spaces, so no value or alias may hold "
                f"one: {', '.join(split)}"
            )
        for word, ambiguity in (self.ambiguous or {}).items():
            if squash(word) in meaning:
                raise ValueError(
                    f"column {self.name!r}: ambiguous word {word!r} is also a value or alias of "
                    f"{meaning[squash(word)]!r}; it cannot be both"
                )
            if unknown := [v for v in ambiguity.between if v not in (self.values or {})]:
                raise ValueError(
                    f"column {self.name!r}: ambiguous word {word!r} names unknown values {', '.join(unknown)}"
                )
            if len(set(ambiguity.between)) < 2:
                raise ValueError(
                    f"column {self.name!r}: ambiguous word {word!r} must name two different values"
                )
        return self

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """Return the normalised header texts that identify this column."""
        return tuple(dict.fromkeys(split_header(text)[0] for text in (self.header, *self.aliases)))

    @cached_property
    def prefix_pattern(self) -> re.Pattern[str] | None:
        """Return `strip_prefix` compiled, or None."""
        return re.compile(self.strip_prefix) if self.strip_prefix is not None else None

    @cached_property
    def placeholder_pattern(self) -> re.Pattern[str] | None:
        """Return `placeholder` compiled, or None."""
        return re.compile(self.placeholder) if self.placeholder is not None else None

    @cached_property
    def enum_lookup(self) -> dict[str, str]:
        """Map every normalised spelling of an enum value to its canonical value."""
        lookup: dict[str, str] = {}
        for canonical, aliases in (self.values or {}).items():
            for spelling in (canonical, *(aliases or ())):
                key = squash(spelling)
                if lookup.setdefault(key, canonical) != canonical:
                    raise ValueError(
                        f"column {self.name!r}: {spelling!r} is listed for both {lookup[key]!r} and "
                        f"{canonical!r}; an alias may only re-spell one value, list it under `ambiguous`"
                    )
        return lookup

    @cached_property
    def ambiguity_lookup(self) -> dict[str, Ambiguity]:
        """Map every normalised ambiguous word to why it cannot be read as one value."""
        return {squash(word): ambiguity for word, ambiguity in (self.ambiguous or {}).items()}


class Field(Column):
    """A single value a form states outside its table, found by its label cell rather than by a header row.

    By default the value is the cell right of the label (`实施单位 | 枣林街道办事处`); with `below` the cell
    under it (`预期目标` over its text); with `row` the cell of the row labelled `row` under the nearest header
    above it that reads `header` (the 年度资金总额 row of the 项目资金 block, under 全年执行数).
    """

    below: bool = False
    row: str | None = None
    # Other labels clerks give that row (`总得分` for `总分`).
    row_aliases: tuple[str, ...] = ()
    # The label a blank template writes beside this field's block (`项目资金（万元）`, `年度总体目标`).
    block: str | None = None

    @model_validator(mode="after")
    def _one_place(self) -> Field:
        if self.below and self.row is not None:
            raise ValueError(f"field {self.name!r}: `below` and `row` are two places; keep one")
        if self.row_aliases and self.row is None:
            raise ValueError(
                f"field {self.name!r}: `row_aliases` are other labels of its `row`; give the row"
            )
        if self.required or self.unique or self.read_against or self.points_of:
            raise ValueError(
                f"field {self.name!r}: required, unique, read_against and points_of are for columns"
            )
        return self


class ProjectRule(_Strict):
    column: str | None = None
    line: bool = False
    register_project_type: str | None = None
    # Sent by the project's implementing unit (submissions.md: ledgers, progress, self-evaluations…): another
    # office's file would stand beside the unit's as a slice of its own, and the marts would add the two up.
    by_implementing_unit: bool = False


class RowUnit(_Strict):
    value: str
    unit: str


class PartOfPrevious(_Strict):
    column: str
    prefixes: tuple[str, ...]
    # A column the part shares with the row it is part of (`类别`: a 投资构成 cost is never part of a 建设规模 area).
    within: str | None = None


class DerivedFrom(_Strict):
    """A slice field read from another column of each row: `month: {from: 检查日期}`."""

    source: str = PydanticField(alias="from", min_length=1)


SliceKey = Literal["unit", "project", "year", "month"]
YearSource = Literal["column", "dates", "line", "title", "filename"]


class Template(_Strict):
    id: str
    name_zh: str
    description: str = ""
    slice: tuple[SliceKey, ...]
    project: ProjectRule
    year_from: tuple[YearSource, ...]
    date_column: str | None = None
    # For a monthly source without a 月份 column: the date column each row's month is read from. Also spelled
    # `month: {from: 检查日期}`; `year: {from: 检查日期}` is `year_from: [dates]` with that date_column.
    month_from: str | None = None
    row_unit: RowUnit | None = None
    part_of_previous: PartOfPrevious | None = None
    # For a monthly form whose headers say which months they cover (`1-7月执行数`): its month is that N.
    month_from_headers: bool = False
    # A form: each slice's rows come from one sheet of a file. Two sheets of a file for one project and period are
    # two forms (a draft kept beside the final): both counted, a self-evaluation scored 185 of 100.
    one_sheet_per_slice: bool = False
    # A project's rows may rightly be the same every year (its register entry, its scale and cost): a file repeating
    # another year's rows of its office and project is not flagged (`same_as_other_year`).
    may_repeat_across_years: bool = False
    # Rows whose first written cell starts with one of these end the table (the national forms' 总分 row).
    ends_at: tuple[str, ...] = ()
    # The label of a column merged down the table's left edge, which holds no data (the national forms' 绩效指标);
    # a blank template prints it, the parser passes over it as over any header it does not know.
    leading_column: str | None = None
    columns: tuple[Column, ...] = PydanticField(min_length=1)
    fields: tuple[Field, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _read_derived_fields(cls, data: object) -> object:
        """Read `month: {from: X}` and `year: {from: X}` into the fields they stand for; X a name or a header."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        columns = [c for c in data.get("columns") or () if isinstance(c, dict)]

        def column_name(text: object) -> object:
            for column in columns:
                if text in (column.get("name"), column.get("header"), *(column.get("aliases") or ())):
                    return column.get("name")
            return text

        for key, fields in (("month", ("month_from",)), ("year", ("year_from", "date_column"))):
            if key not in data:
                continue
            source = DerivedFrom.model_validate(data.pop(key)).source
            if given := [f for f in fields if f in data]:
                raise ValueError(
                    f"`{key}: {{from: {source}}}` and `{'`, `'.join(given)}` both say where the {key} comes from; "
                    "keep one"
                )
            if key == "month":
                data["month_from"] = source
            else:
                data["date_column"], data["year_from"] = source, ["dates"]
        for key in ("month_from", "date_column"):
            if key in data:
                data[key] = column_name(data[key])
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Template:
        if not _IDENTIFIER.match(self.id):
            raise ValueError(f"template id {self.id!r} must be a lower-case SQL identifier")
        names = [c.name for c in (*self.columns, *self.fields)]
        if clash := RESERVED_COLUMNS.intersection(names):
            raise ValueError(
                f"column names {', '.join(sorted(clash))} are reserved for lineage; choose others"
            )
        if dup := {n for n in names if names.count(n) > 1}:
            raise ValueError(f"duplicate column names: {', '.join(sorted(dup))}")
        seen: dict[str, str] = {}
        for column in self.columns:
            for label in column.labels:
                if label in seen:
                    raise ValueError(
                        f"header {label!r} is claimed by both {seen[label]!r} and {column.name!r}"
                    )
                seen[label] = column.name
        if not any(c.required for c in self.columns):
            raise ValueError("at least one column must be required, or no sheet could be matched")
        by_name = {c.name: c for c in self.columns}

        def expect(name: str | None, kinds: set[ColumnType], why: str) -> None:
            if name is not None and (name not in by_name or by_name[name].type not in kinds):
                raise ValueError(
                    f"{why} refers to {name!r}, which is not a column of type {' or '.join(sorted(k.value for k in kinds))}"
                )

        expect(self.project.column, {ColumnType.NAME, ColumnType.TEXT}, "project.column")
        for column in self.columns:
            expect(column.read_against, {ColumnType.TEXT}, f"{column.name}.read_against")
            expect(column.points_of, {ColumnType.DECIMAL, ColumnType.INTEGER}, f"{column.name}.points_of")
        expect(self.date_column, {ColumnType.DATE}, "date_column")
        if "dates" in self.year_from and self.date_column is None:
            raise ValueError("year_from lists `dates` but no date_column is set")
        if "column" in self.year_from:
            expect("year", {ColumnType.YEAR}, "year_from `column`")
        if self.month_from_headers:
            if "month" not in self.slice:
                raise ValueError("month_from_headers is set but `month` is not a slice key")
            if "month" in by_name or self.month_from is not None:
                raise ValueError(
                    "month_from_headers and a `month` column or month_from all give the month; keep one"
                )
        elif self.month_from is not None:
            if "month" not in self.slice:
                raise ValueError("month_from (month: {from: …}) is set but `month` is not a slice key")
            if "month" in by_name:
                raise ValueError(
                    "month_from (month: {from: …}) and a `month` column both give the month; keep one"
                )
            expect(self.month_from, {ColumnType.DATE}, "month_from (month: {from: …})")
        elif "month" in self.slice:
            # Without a month on every row, each month's file would silently supersede the month before.
            if "month" not in by_name or not by_name["month"].required:
                raise ValueError(
                    "slice key `month` needs a month on every row: a required column `month` (type month), "
                    "or `month: {from: <a date column>}` (also spelled `month_from: <a date column>`) to read "
                    "each row's month from its date, or `month_from_headers: true` for a form whose headers name "
                    "the months"
                )
            expect("month", {ColumnType.MONTH}, "slice key `month`")
        if "project" in self.slice and not (self.project.column or self.project.line):
            raise ValueError("slice has `project` but the project rule names no column and no line")
        if self.row_unit:
            expect(self.row_unit.value, {ColumnType.DECIMAL}, "row_unit.value")
            expect(self.row_unit.unit, {ColumnType.TEXT}, "row_unit.unit")
        if self.part_of_previous:
            expect(
                self.part_of_previous.column, {ColumnType.TEXT, ColumnType.NAME}, "part_of_previous.column"
            )
            expect(
                self.part_of_previous.within,
                {ColumnType.TEXT, ColumnType.NAME, ColumnType.ENUM},
                "part_of_previous.within",
            )
        return self

    def column(self, name: str) -> Column:
        """Return the column called `name`."""
        return next(c for c in self.columns if c.name == name)

    @cached_property
    def label_index(self) -> dict[str, Column]:
        """Map each normalised header label to its column."""
        return {label: column for column in self.columns for label in column.labels}

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


class UnitDef(_Strict):
    factor: Decimal
    aliases: tuple[str, ...] = ()


class Measure(_Strict):
    base: str
    units: dict[str, UnitDef]

    @model_validator(mode="after")
    def _base_is_unit(self) -> Measure:
        if self.base not in self.units or self.units[self.base].factor != 1:
            raise ValueError(f"base unit {self.base!r} must be listed with factor 1")
        return self


class Units(_Strict):
    measures: dict[str, Measure]

    @cached_property
    def lookup(self) -> dict[str, tuple[str, Decimal, str]]:
        """Map a normalised unit spelling to (measure, factor to base, canonical unit)."""
        table: dict[str, tuple[str, Decimal, str]] = {}
        for measure_name, measure in self.measures.items():
            for unit, definition in measure.units.items():
                for spelling in (unit, *definition.aliases):
                    key = squash(spelling).lower()
                    meaning = (measure_name, definition.factor, unit)
                    # ㎡, m² and m2 fold to one spelling; only a clash in meaning is an error.
                    if table.get(key, meaning) != meaning:
                        raise RegistryError(f"unit spelling {spelling!r} means two different units")
                    table[key] = meaning
        return table

    def find(self, spelling: str | None) -> tuple[str, Decimal, str] | None:
        """Return (measure, factor, canonical unit) for a written unit, or None if unknown."""
        if not spelling:
            return None
        return self.lookup.get(squash(spelling).lower())


class Registry(_Strict):
    templates: dict[str, Template]
    units: Units
    directory: Path
    offices: Offices = Offices()

    def template(self, template_id: str) -> Template:
        return self.templates[template_id]


def read_yaml(path: Path) -> dict:
    try:
        # The C loader, where libyaml is present, reads the registry several times faster.
        data = yaml.load(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RegistryError(f"{path}: expected a mapping at the top level")
    return data


def explain(path: Path, exc: ValidationError) -> RegistryError:
    def where(err: dict) -> str:
        # A check across keys has no location of its own: its message names the keys.
        return f"{'.'.join(str(p) for p in err['loc'])}: " if err["loc"] else ""

    problems = "; ".join(f"{where(err)}{err['msg'].removeprefix('Value error, ')}" for err in exc.errors())
    return RegistryError(f"{path}: {problems}")


def load_units(directory: Path | None = None) -> Units:
    """Load and check `directory/units.yaml`: every measure, its units and their spellings."""
    units_path = Path(directory or REGISTRY_DIR) / "units.yaml"
    if not units_path.is_file():
        raise RegistryError(f"{units_path}: missing")
    try:
        units = Units.model_validate(read_yaml(units_path))
        _ = units.lookup
    except ValidationError as exc:
        raise explain(units_path, exc) from exc
    except RegistryError as exc:
        raise RegistryError(f"{units_path}: {exc}") from exc
    return units


def load_registry(directory: Path | None = None) -> Registry:
    """Load and check every template in `directory/sources/*.yaml`, the units in `units.yaml` and the offices."""
    directory = Path(directory or REGISTRY_DIR)
    units = load_units(directory)
    templates: dict[str, Template] = {}
    for path in sorted((directory / "sources").glob("*.yaml")):
        try:
            template = Template.model_validate(read_yaml(path))
        except ValidationError as exc:
            raise explain(path, exc) from exc
        if template.id != path.stem:
            raise RegistryError(f"{path}: id {template.id!r} must equal the file name {path.stem!r}")
        for column in template.columns:
            if column.type in MEASURE_OF_TYPE and MEASURE_OF_TYPE[column.type] not in units.measures:
                raise RegistryError(
                    f"{path}: column {column.name!r} needs measure {MEASURE_OF_TYPE[column.type]!r}"
                )
        templates[template.id] = template
    if not templates:
        raise RegistryError(f"{directory / 'sources'}: no templates found")
    return Registry(templates=templates, units=units, directory=directory, offices=load_offices(directory))


def load_offices(directory: Path) -> Offices:
    """Load and check `directory/offices.yaml`; without one, every folder is an office of its own name."""
    path = directory / "offices.yaml"
    if not path.is_file():
        return Offices()
    try:
        return Offices.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise explain(path, exc) from exc
