"""The project register as known at ingest time: the warehouse's, plus registers arriving in the same run."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from pipeline.parse import ParsedFile


@dataclass(frozen=True, slots=True)
class RegisteredProject:
    name: str
    project_type: str | None
    implementing_unit: str | None
    year: int | None
    planned_total_wan: Decimal | None


@dataclass(slots=True)
class ProjectRegister:
    projects: list[RegisteredProject] = field(default_factory=list)

    @classmethod
    def from_warehouse(cls, con: duckdb.DuckDBPyConnection | None) -> ProjectRegister:
        """Load the current register from staging; an absent warehouse has an empty register."""
        if con is None:
            return cls()
        rows = con.execute(
            "select project_name, project_type, implementing_unit, year, planned_total_investment_wan "
            "from staging.project_register"
        ).fetchall()
        return cls([RegisteredProject(*row) for row in rows])

    def add_from(self, parsed: ParsedFile) -> None:
        """Add the projects of a readable register sheet received in this run."""
        for sheet in parsed.sheets:
            if sheet.template.id != "project_register":
                continue
            for r in sheet.records:
                if r.get("project_name"):
                    self.projects.append(
                        RegisteredProject(
                            r["project_name"],
                            r.get("project_type"),
                            r.get("implementing_unit"),
                            r.get("year"),
                            r.get("planned_total_investment_wan"),
                        )
                    )

    def names_of(self, unit: str, year: int, project_type: str) -> list[str]:
        """Return the unit's projects of one type and year, by name."""
        return sorted(
            {
                p.name
                for p in self.projects
                if p.implementing_unit == unit and p.year == year and p.project_type == project_type
            }
        )

    @property
    def known_names(self) -> set[str]:
        return {p.name for p in self.projects}

    @property
    def planned_totals(self) -> dict[str, Decimal]:
        """Map each project to its 计划总投资 (the latest register row wins)."""
        return {p.name: p.planned_total_wan for p in self.projects if p.planned_total_wan is not None}
