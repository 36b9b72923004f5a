"""The implementing-unit index finds exactly the implementers testing each one in turn finds, and the register's
projects of a unit come from it."""

from __future__ import annotations

import itertools
import random

from pipeline.implementers import Implementers, is_implementer
from pipeline.offices import Office, Offices
from pipeline.projects import ProjectRegister, RegisteredProject
from pipeline.registry import load_registry

YEAR = 2024
TYPE = "老旧小区改造"


def _names(offices: Offices) -> list[str | None]:
    """Names a register and a folder write: every listed office's name and aliases, cut short and written in full,
    unlisted places with their offices, full-width and spaced variants, and nothing at all."""
    listed = [n for o in offices.offices for n in (o.name, *o.aliases)]
    unlisted = [
        "溧河街道",
        "溧河街道办事处",
        "溧河",
        "溧河镇人民政府",
        "区住建",
        "区住建局",
        "区住建局财务科",
        "新城",
    ]
    variants = [f" {n} " for n in listed[:20]] + [n.replace("街道", "街 道") for n in listed[:20]]
    cut = [n.removesuffix("办事处") for n in listed] + [
        n + "办事处" for n in listed if not n.endswith("办事处")
    ]
    return [*listed, *unlisted, *variants, *cut, "", None]


def test_index_finds_what_testing_each_implementer_finds():
    offices = load_registry().offices
    names = _names(offices)
    random.Random(14).shuffle(names)
    implementers = names[: len(names) // 2] + ["溧河街道", "区住建局", None]
    index = Implementers(implementers, offices)
    found = 0
    for unit in names:
        expected = {i for i in set(implementers) if is_implementer(unit, i, offices)}
        assert index.of(unit) == expected, unit
        found += len(expected) > (unit in implementers)
    # Units found by an office's name, an abbreviation or a name written in full, not only their own name.
    assert found > 10


def test_index_without_office_registry_is_exact_names_only():
    index = Implementers(["甲街道办事处", "甲街道", None], None)
    assert index.of("甲街道") == {"甲街道"}
    assert index.of(None) == {None}
    assert index.of("乙街道") == set()


def _project(code: str, unit: str) -> RegisteredProject:
    return RegisteredProject(
        code=code, name=f"项目{code}", project_type=TYPE, implementing_unit=unit, year=YEAR
    )


def test_projects_of_a_unit_registered_by_short_and_full_names():
    offices = Offices(offices=(Office(name="甲街道办事处", aliases=("甲街道",)),))
    register = ProjectRegister([_project("A1", "甲街道办事处"), _project("B1", "溧河街道")])
    assert [p.code for p in register.projects_of("甲街道办事处", YEAR, TYPE, offices)] == ["A1"]
    assert [p.code for p in register.projects_of("溧河街道办事处", YEAR, TYPE, offices)] == ["B1"]
    # A project of a unit the index has not seen is found once added, by the office it names short.
    register._add(_project("A2", "甲街道"))
    assert [p.code for p in register.projects_of("甲街道办事处", YEAR, TYPE, offices)] == ["A1", "A2"]
    # Asked without the office registry, only the exact name.
    assert [p.code for p in register.projects_of("甲街道", YEAR, TYPE)] == ["A2"]


def test_projects_of_agrees_with_testing_each_project():
    offices = load_registry().offices
    names = [n for n in _names(offices) if n]
    register = ProjectRegister(
        [_project(f"P{i}", unit) for i, unit in enumerate(itertools.islice(itertools.cycle(names), 300))]
    )
    for unit in names[::7]:
        expected = sorted(
            (p for p in register.projects if is_implementer(unit, p.implementing_unit, offices)),
            key=lambda p: (p.name, p.code),
        )
        assert register.projects_of(unit, YEAR, TYPE, offices) == expected, unit
