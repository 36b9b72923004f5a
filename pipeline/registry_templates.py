"""Type one source template as checked config: its slice, project rule, year and month sources, columns and fields."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import Field as PydanticField
from pydantic import model_validator

from pipeline.registry_columns import Column, ColumnType, Field, _Strict
from pipeline.registry_refusals import (
    _IDENTIFIER,
    Misconfigured,
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
            raise Misconfigured(
                "adds_up: false 须同时写 by_implementing_unit: true（只有实施单位自己的表才是项目唯一的答卷）",
                "adds_up: false needs by_implementing_unit: true",
                "请加上 by_implementing_unit: true，或删去 adds_up: false",
                ("adds_up",),
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
                raise Misconfigured(
                    f"`{key}: {{from: {source}}}` 和 `{'`、`'.join(given)}` 都说明了 {key} 从哪里来",
                    f"both say where the {key} comes from",
                    "请只保留其中一个",
                    (given[0],),
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
            raise Misconfigured(
                f"模板 id {self.id!r} 不是小写的 SQL 标识符",
                "template id must be a lower-case SQL identifier",
                f"{identifier_instead(self.id, 'fund_ledger')}，并以它命名文件",
                ("id",),
            )
        # Every row's first cell starts with a blank word: `ends_at: ['']` ended each table at its first row, and
        # every file of the template went back to its office, told its data rows stood below a footer.
        prefixes = self.part_of_previous.prefixes if self.part_of_previous else ()
        words = {
            ("ends_at",): self.ends_at,
            ("leading_column",): (self.leading_column,) if self.leading_column is not None else (),
            ("part_of_previous", "prefixes"): prefixes,
            **{("written_rates", n): (r.header, *r.aliases) for n, r in enumerate(self.written_rates)},
        }
        for at, said in words.items():
            refuse_blank(said, "有空白的词", "a word is blank", at, "，每一行的第一格都以它开头")
        refuse_joined(self.ends_at, ("ends_at",))
        refuse_joined(prefixes, ("part_of_previous", "prefixes"))
        for n, rate in enumerate(self.written_rates):
            refuse_joined(rate.aliases, ("written_rates", n, "aliases"))
        if self.slice not in SLICE_SHAPES:
            # Every stage reads a slice key as template|unit|code|year[|month]: [unit, year] loaded, then the night
            # taking in its files ended in a traceback where intake.other_year split a key by those parts.
            shapes = " 或 ".join(f"[{', '.join(shape)}]" for shape in SLICE_SHAPES)
            raise Misconfigured(
                f"不支持切片 [{', '.join(self.slice)}]",
                "slice is not supported",
                f"请写 {shapes}",
                ("slice",),
            )
        names = [c.name for c in (*self.columns, *self.fields)]
        enum_fields = {f.name for f in self.fields if f.type is ColumnType.ENUM}
        if wrong := [f for f in self.fields if f.carries is not None and f.carries not in enum_fields]:
            raise Misconfigured(
                f"`carries` 须指向本模板的一个 enum 字段，{wrong[0].carries!r} 不是",
                "`carries` must name an enum field of this template",
                f"请写其中一个字段的 name：{', '.join(sorted(enum_fields))}"
                if enum_fields
                else "请删去 carries",
                self._at_name(wrong[0].name, "carries"),
            )
        if clash := RESERVED_COLUMNS.intersection(names):
            raise Misconfigured(
                f"列名 {', '.join(sorted(clash))} 留给溯源（lineage）使用",
                "column names are reserved for lineage",
                f"请另起名称，如 {sorted(clash)[0]}_name",
                self._at_name(sorted(clash)[0]),
            )
        if dup := sorted({n for n in names if names.count(n) > 1}):
            raise Misconfigured(
                f"列名 {', '.join(dup)} 出现了不止一次",
                "duplicate column names",
                "请给每一列各自的名称",
                self._at_name(dup[0], last=True),
            )
        seen: dict[str, str] = {}
        for n, column in enumerate(self.columns):
            for label in column.labels:
                if label in seen:
                    raise Misconfigured(
                        f"表头 {label!r} 同时属于 {seen[label]!r} 和 {column.name!r}，表中的这一列只会读作其中一个",
                        "header is claimed by two columns",
                        "请只把它留在它所指那一列的 header 或 aliases 中，从另一列删去",
                        ("columns", n),
                    )
                seen[label] = column.name
        if len(parts := [c.name for c in self.columns if c.sent_in_parts]) > 1:
            raise Misconfigured(
                f"列 {', '.join(parts)} 都写了 `sent_in_parts`，一张表只按一列分部分报送",
                "a form is sent in parts by one column",
                "请只在一列写 sent_in_parts: true",
                self._at_name(parts[1], "sent_in_parts"),
            )
        if not any(c.required for c in self.columns):
            raise Misconfigured(
                "没有必填列，任何表都无法匹配到这个模板",
                "at least one column must be required",
                "请在每张表都会有的列（如项目名称）上写 required: true",
                ("columns",),
            )
        by_name = {c.name: c for c in self.columns}
        # `{name: year, header: 建成年份, type: integer}` had every row's 建成年份 overwritten by the file's 年度.
        if "year" in by_name and by_name["year"].type is not ColumnType.YEAR:
            raise Misconfigured(
                "列 'year' 是每一行存储的年度，类型须为 year",
                "column 'year' must be of type year",
                "请写 type: year；若是其他年份（如建成年份），请另起名称，如 built_year",
                self._at_name("year", "type"),
            )

        def expect(name: str | None, kinds: set[ColumnType], at: tuple, spelled: str = "") -> None:
            if name is not None and (name not in by_name or by_name[name].type not in kinds):
                kinds_said = sorted(k.value for k in kinds)
                said = " 或 ".join(kinds_said)
                # A column is never read against itself: `fit` names the others.
                fit = [
                    c.name for n, c in enumerate(self.columns) if c.type in kinds and at[:2] != ("columns", n)
                ]
                raise Misconfigured(
                    f"指向 {name!r}，它不是类型为 {said} 的列{spelled}",
                    f"refers to {name!r}, which is not a column of type {' or '.join(kinds_said)}",
                    f"请写其中一列的 name：{', '.join(fit)}" if fit else f"请加上一列类型为 {said} 的列",
                    at,
                )

        expect(self.project.column, {ColumnType.NAME, ColumnType.TEXT}, ("project", "column"))
        for n, column in enumerate(self.columns):
            expect(column.read_against, {ColumnType.TEXT}, ("columns", n, "read_against"))
            expect(column.points_of, {ColumnType.DECIMAL, ColumnType.INTEGER}, ("columns", n, "points_of"))
            expect(column.prose_to, {ColumnType.PROSE}, ("columns", n, "prose_to"))
        expect(self.date_column, {ColumnType.DATE}, ("date_column",), "；此键也写作 year: {from: …}")
        if "dates" in self.year_from and self.date_column is None:
            raise Misconfigured(
                "year_from 列出了 `dates`，但未写 date_column",
                "year_from lists `dates` but no date_column is set",
                "请加上 date_column: <一列 date 类型的列>，或写 year: {from: <该列>}",
                ("year_from",),
            )
        if "column" in self.year_from:
            expect("year", {ColumnType.YEAR}, ("year_from",))
        if self.month_from_headers:
            if "month" not in self.slice:
                raise Misconfigured(
                    "写了 month_from_headers，但切片中没有 `month`",
                    "month_from_headers is set but `month` is not a slice key",
                    "请写 slice: [unit, project, year, month]，或删去 month_from_headers",
                    ("month_from_headers",),
                )
            if "month" in by_name or self.month_from is not None:
                raise Misconfigured(
                    "month_from_headers 与 `month` 列或 month_from 都给出月份",
                    "month_from_headers and a `month` column or month_from all give the month",
                    "请只保留一个",
                    ("month_from_headers",),
                )
        elif self.month_from is not None:
            if "month" not in self.slice:
                raise Misconfigured(
                    "写了 month_from（month: {from: …}），但切片中没有 `month`",
                    "month_from is set but `month` is not a slice key",
                    "请写 slice: [unit, project, year, month]，或删去 month_from",
                    ("month_from",),
                )
            if "month" in by_name:
                raise Misconfigured(
                    "month_from（month: {from: …}）和 `month` 列都给出月份",
                    "month_from and a `month` column both give the month",
                    "请只保留一个",
                    ("month_from",),
                )
            expect(self.month_from, {ColumnType.DATE}, ("month_from",), "；此键也写作 month: {from: …}")
        elif "month" in self.slice:
            # Without a month on every row, each month's file would silently supersede the month before.
            if "month" not in by_name or not by_name["month"].required:
                raise Misconfigured(
                    "切片有 `month`，但并非每一行都有月份",
                    "slice key `month` needs a month on every row",
                    "请加上必填列 `month`（type: month, required: true），或写 `month: {from: <一列日期>}` 按每行"
                    "的日期读月份，或对表头写明月份的表写 `month_from_headers: true`",
                    ("slice",),
                )
            expect("month", {ColumnType.MONTH}, ("slice",))
        if "project" in self.slice and not (self.project.column or self.project.line):
            raise Misconfigured(
                "切片有 `project`，但 project 既未写 column 也未写 line",
                "slice has `project` but the project rule names no column and no line",
                "请写 project: {column: <项目名称列>} 或 project: {line: true}",
                ("project",),
            )
        for n, rate in enumerate(self.written_rates):
            for name in (*rate.parts, rate.whole):
                key = "whole" if name == rate.whole else "parts"
                expect(name, {ColumnType.COUNT, ColumnType.INTEGER}, ("written_rates", n, key))
            if claimed := [label for label in rate.labels if label in seen]:
                # A column read under that header would never be left for the rate to be checked.
                raise Misconfigured(
                    f"表头 {claimed[0]!r} 已是列 {seen[claimed[0]]!r} 的表头",
                    "header is a column's",
                    "请从其中一处删去它",
                    ("written_rates", n, "header"),
                )
        if self.row_unit:
            expect(self.row_unit.value, {ColumnType.DECIMAL}, ("row_unit", "value"))
            expect(self.row_unit.unit, {ColumnType.TEXT}, ("row_unit", "unit"))
        if self.target_parts:
            for key in ("target", "operator", "unit"):
                expect(getattr(self.target_parts, key), {ColumnType.TEXT}, ("target_parts", key))
        if self.part_of_previous:
            expect(
                self.part_of_previous.column,
                {ColumnType.TEXT, ColumnType.NAME},
                ("part_of_previous", "column"),
            )
            expect(
                self.part_of_previous.within,
                {ColumnType.TEXT, ColumnType.NAME, ColumnType.ENUM},
                ("part_of_previous", "within"),
            )
        return self

    def _at_name(self, name: str, key: str = "name", *, last: bool = False) -> tuple:
        """Return where a key of the column or field called `name` stands (`columns`, 3, key): its first, or last."""
        places = [(("columns", n), c) for n, c in enumerate(self.columns)] + [
            (("fields", n), f) for n, f in enumerate(self.fields)
        ]
        found = [at for at, c in places if c.name == name]
        return (*found[-1 if last else 0], key) if found else ()

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
