"""Type one source template as checked config: its slice, project rule, year and month sources, columns and fields."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import Field as PydanticField
from pydantic import model_validator

from pipeline.registry_columns import (
    _IDENTIFIER,
    Column,
    ColumnType,
    Field,
    _Strict,
    identifier_instead,
    refuse_blank,
    refuse_joined,
)
from pipeline.text import split_header

# Lineage and slice columns every raw table carries; a template column may not reuse these names.
RESERVED_COLUMNS = frozenset({"submission_id", "sheet", "excel_row", "slice_key", "unit", "parent_item"})


class ProjectRule(_Strict):
    column: str | None = None
    line: bool = False
    register_project_type: str | None = None
    # Sent by the project's implementing unit (submissions.md: ledgers, progress, self-evaluations…): another
    # office's file would stand beside the unit's as a slice of its own, and the marts would add the two up.
    by_implementing_unit: bool = False
    # Another office's file for the same slice is added to the unit's (its own money, its own surveys). False for a
    # form that is a project's one answer for a period (a 自评表's weights share 90, a 监控表 has one 项目资金 block):
    # two would make a score over 100, so another office's beside it is returned, not added.
    adds_up: bool = True

    @model_validator(mode="after")
    def _adds_up_only_beside_the_unit(self) -> ProjectRule:
        if not self.adds_up and not self.by_implementing_unit:
            raise ValueError(
                "adds_up: false needs by_implementing_unit: true (only a unit's own form is one answer)"
            )
        return self


class RowUnit(_Strict):
    value: str
    unit: str


class TargetParts(_Strict):
    """The columns some layouts split off an indicator's target: its comparison (指标性质) and its unit (度量单位)."""

    target: str
    operator: str
    unit: str


class PartOfPrevious(_Strict):
    column: str
    prefixes: tuple[str, ...]
    # A column the part shares with the row it is part of (`类别`: a 投资构成 cost is never part of a 建设规模 area).
    within: str | None = None


class DerivedFrom(_Strict):
    """A slice field read from another column of each row: `month: {from: 检查日期}`."""

    source: str = PydanticField(alias="from", min_length=1)


class WrittenRate(_Strict):
    """A rate clerks write beside the counts it is the quotient of (满意度 beside 满意, 基本满意, 有效问卷): never stored,
    the marts computing it from the counts, but each row's and a 合计 row's checked against them."""

    header: str
    aliases: tuple[str, ...] = ()
    parts: tuple[str, ...] = PydanticField(min_length=1)  # the counts added up over the whole (blank = 0)
    whole: str
    rule: str  # the warning's rule where it is off them (pipeline.problems.RULE_ZH names it)

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """Return the normalised header texts that identify this rate's column."""
        return tuple(dict.fromkeys(split_header(text)[0] for text in (self.header, *self.aliases)))


SliceKey = Literal["unit", "project", "year", "month"]
# The slices a template may have: a yearly one, or a monthly report's.
SLICE_SHAPES = (("unit", "project", "year"), ("unit", "project", "year", "month"))
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
    # Read into the target's text as if written in its cell (`≤` `9163.6` `万元` is ≤9163.6万元).
    target_parts: TargetParts | None = None
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
    written_rates: tuple[WrittenRate, ...] = ()

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
            raise ValueError(
                f"template id {self.id!r} must be a lower-case SQL identifier; {identifier_instead(self.id, 'fund_ledger')}"
                ", and name the file after it"
            )
        # Every row's first cell starts with a blank word: `ends_at: ['']` ended each table at its first row, and
        # every file of the template went back to its office, told its data rows stood below a footer.
        prefixes = self.part_of_previous.prefixes if self.part_of_previous else ()
        words = {
            "ends_at": self.ends_at,
            "leading_column": (self.leading_column,) if self.leading_column is not None else (),
            "part_of_previous.prefixes": prefixes,
            **{f"written_rates {r.header!r}": (r.header, *r.aliases) for r in self.written_rates},
        }
        for key, said in words.items():
            refuse_blank(said, f"{key}: a word is blank", ", which every row's first cell starts with")
        refuse_joined("ends_at", self.ends_at)
        refuse_joined("part_of_previous.prefixes", prefixes)
        for rate in self.written_rates:
            refuse_joined(f"written_rates {rate.header!r}: aliases", rate.aliases)
        if self.slice not in SLICE_SHAPES:
            # Every stage reads a slice key as template|unit|code|year[|month]: [unit, year] loaded, then the night
            # taking in its files ended in a traceback where intake.other_year split a key by those parts.
            shapes = " or ".join(f"[{', '.join(shape)}]" for shape in SLICE_SHAPES)
            raise ValueError(f"slice [{', '.join(self.slice)}] is not supported: it must be {shapes}")
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
                        f"header {label!r} is claimed by both {seen[label]!r} and {column.name!r}; a sheet's "
                        "column is read as one of them only: keep it in the header or aliases of the column it "
                        "names, and remove it from the other's"
                    )
                seen[label] = column.name
        if len(parts := [c.name for c in self.columns if c.sent_in_parts]) > 1:
            raise ValueError(
                f"columns {', '.join(parts)} are all `sent_in_parts`; a form is sent in parts by one"
            )
        if not any(c.required for c in self.columns):
            raise ValueError("at least one column must be required, or no sheet could be matched")
        by_name = {c.name: c for c in self.columns}
        # `{name: year, header: 建成年份, type: integer}` had every row's 建成年份 overwritten by the file's 年度.
        if "year" in by_name and by_name["year"].type is not ColumnType.YEAR:
            raise ValueError(
                "column 'year' is the 年度 every row is stored under, so it must be of type year; "
                "name a column of other years otherwise (e.g. built_year)"
            )

        def expect(name: str | None, kinds: set[ColumnType], why: str) -> None:
            if name is not None and (name not in by_name or by_name[name].type not in kinds):
                raise ValueError(
                    f"{why} refers to {name!r}, which is not a column of type {' or '.join(sorted(k.value for k in kinds))}"
                )

        expect(self.project.column, {ColumnType.NAME, ColumnType.TEXT}, "project.column")
        for column in self.columns:
            expect(column.read_against, {ColumnType.TEXT}, f"{column.name}.read_against")
            expect(column.points_of, {ColumnType.DECIMAL, ColumnType.INTEGER}, f"{column.name}.points_of")
        expect(self.date_column, {ColumnType.DATE}, "date_column (year: {from: …})")
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
        for rate in self.written_rates:
            for name in (*rate.parts, rate.whole):
                expect(name, {ColumnType.COUNT, ColumnType.INTEGER}, f"written_rates {rate.header}")
            if claimed := [label for label in rate.labels if label in seen]:
                # A column read under that header would never be left for the rate to be checked.
                raise ValueError(
                    f"written_rates {rate.header}: header {claimed[0]!r} is column {seen[claimed[0]]!r}'s"
                )
        if self.row_unit:
            expect(self.row_unit.value, {ColumnType.DECIMAL}, "row_unit.value")
            expect(self.row_unit.unit, {ColumnType.TEXT}, "row_unit.unit")
        if self.target_parts:
            for key in ("target", "operator", "unit"):
                expect(getattr(self.target_parts, key), {ColumnType.TEXT}, f"target_parts.{key}")
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

    @cached_property
    def target_part_columns(self) -> frozenset[str]:
        """Return the columns some layouts split off a target (指标性质, 度量单位), which most forms do not have."""
        parts = self.target_parts
        return frozenset((parts.operator, parts.unit) if parts else ())

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
