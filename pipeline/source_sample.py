"""Build a sample of any source from its registry entry: the generated tests' workbook and expected rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from pipeline.registry import Registry
from pipeline.registry_columns import MEASURE_OF_TYPE, Column, ColumnType
from pipeline.registry_templates import Template
from pipeline.scaffold import ScaffoldError

# The months a sample of a form with `1-N月…` headers covers.
SAMPLE_MONTHS = 6


@dataclass(slots=True)
class Sample:
    """Sample rows of a template, typed as staging should hold them, and the sheet that carries them."""

    template: Template
    registry: Registry
    unit: str
    project: str
    year: int
    records: list[dict[str, object]] = field(default_factory=list)

    @classmethod
    def of(
        cls, template: Template, registry: Registry, *, unit: str, project: str, year: int, rows: int = 2
    ) -> Sample:
        """Build `rows` distinct sample rows, every column filled (but a target's split-off parts), for this unit, project
        and year."""
        sample = cls(template, registry, unit, project, year)
        sample.records = [{c.name: sample._value(c, i) for c in template.columns} for i in range(1, rows + 1)]
        return sample

    def _value(self, column: Column, i: int) -> object:
        """Return the i-th sample value of a column: distinct per row, within the year, exact in binary."""
        template = self.template
        if column.name == "project_name" or column.name == template.project.column:
            return self.project
        if template.row_unit and column.name == template.row_unit.unit:
            return self.registry.units.measures["money"].base
        # A target's comparison and unit split off into columns of their own must agree with the target's text: left
        # blank, as a form that writes them in the target's cell leaves them.
        if column.name in template.target_part_columns:
            return None
        kind = column.type
        if kind is ColumnType.ENUM:
            values = list(column.values or {})
            return values[(i - 1) % len(values)]
        samples = {
            ColumnType.TEXT: f"{column.header}{i}",
            ColumnType.NAME: f"{column.header}{i}",
            ColumnType.PROSE: f"{column.header}第{i}段。",
            ColumnType.INTEGER: i,
            ColumnType.COUNT: 10 * i,
            ColumnType.DECIMAL: Decimal(f"{i}.5"),
            ColumnType.MONEY: Decimal(f"{100 * i}.25"),
            ColumnType.AREA: Decimal(f"{1000 * i}.5"),
            ColumnType.PERCENT: Decimal("0.75"),
            ColumnType.DATE: dt.date(self.year, 6, i),
            ColumnType.YEAR: self.year,
            ColumnType.MONTH: i,
        }
        return samples[kind]

    @property
    def columns(self) -> list[str]:
        return [c.name for c in self.template.columns]

    def header(self, name: str) -> str:
        """Return a column's header as the sample sheet writes it: with the base unit for money and area."""
        column = self.template.column(name)
        measure = MEASURE_OF_TYPE.get(column.type)
        # A `1-N月…` header is written for the months the sample covers, as a filled form states them.
        header = column.header.replace("1-N月", f"1-{SAMPLE_MONTHS}月")
        return f"{header}（{self.registry.units.measures[measure].base}）" if measure else header

    def lines(self) -> list[str]:
        """Return the title and metadata lines above the table."""
        lines = [f"{self.year}年{self.unit}{self.template.name_zh}", f"填报单位：{self.unit}"]
        if self.template.project.line:
            lines.append(f"项目名称：{self.project}")
        if "line" in self.template.year_from:
            lines.append(f"年度：{self.year}")
        return lines

    def sheet_rows(self) -> list[list[object]]:
        """Return the sheet, row by row from Excel row 1: lines, header, data rows."""
        return [
            *([line] for line in self.lines()),
            [self.header(name) for name in self.columns],
            *([record[name] for name in self.columns] for record in self.records),
        ]

    def excel_row(self, index: int) -> int:
        """Return the Excel row number of the record at `index` (0-based)."""
        return len(self.lines()) + 2 + index

    def expected_rows(self) -> list[tuple]:
        """Return the records as `select <columns> … order by excel_row` should find them in staging."""
        return [tuple(record[name] for name in self.columns) for record in self.records]

    def blank_required(self, index: int) -> str:
        """Empty a required cell of the record at `index` that no line above the table nor a heading above it can
        fill; return its column."""
        filled_by_lines = {self.template.project.column, "project_name", "year", "month"}
        # A national form's blank 一级/二级指标 is read as the one above it (pipeline/flattened.py).
        carried = self.template.leading_column is not None
        name = next(
            (
                c.name
                for c in self.template.required
                if c.name not in filled_by_lines and not (carried and c.preprinted)
            ),
            None,
        )
        if name is None:
            raise ScaffoldError(f"{self.template.id}：没有可留空检验的必填列（项目名称、年度、月份以外）")
        self.records[index][name] = None
        return name
