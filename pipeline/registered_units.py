"""Read an office the registry does not list, named short, as the registered implementing unit it abbreviates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.offices import is_abbreviation, is_written_in_full, office_key
from pipeline.problems import Problem, Severity, cell_problem
from pipeline.projects import REGISTER_TEMPLATE
from pipeline.settle_unit import give_unit

if TYPE_CHECKING:
    from pipeline.offices import Offices
    from pipeline.parsed_file import ParsedFile
    from pipeline.projects import ProjectRegister

RULE = "unit_short_name"


def registered_units(register: ProjectRegister, offices: Offices) -> dict[str, str]:
    """Return each office the register names as a project's implementing unit, by its folded name: as the office
    registry names it where it lists it (实施单位：枣林街道 is 枣林街道办事处), else as registered."""
    # Asked of every file an unlisted office sends: read once per register state and office registry.
    count = len(register.projects)
    if (
        register.units_read is not None
        and register.units_read[0] == count
        and register.units_read[1] is offices
    ):
        return register.units_read[2]
    units: dict[str, str] = {}
    for written in dict.fromkeys(p.implementing_unit for p in register.projects if p.implementing_unit):
        meant = offices.named(written)
        if len(meant) == 1:
            units.setdefault(office_key(meant[0].name), meant[0].name)
    register.units_read = (count, offices, units)
    return units


def name_registered_unit(parsed: ParsedFile, register: ProjectRegister, offices: Offices) -> None:
    """Make a file's unlisted office the one registered implementing unit its name abbreviates, or is written in
    full of, and say so.

    An unlisted folder or `填报单位：` line is an office of that name (submissions.md): `七里园街道`, forwarded by the
    bureau for the project of 七里园街道办事处 (registered, not listed), was stored as a new office beside the unit's
    own file, and the report added the two up; so was the unit's own folder `七里园街道办事处` where the register
    names it short (实施单位：七里园街道), beside the files forwarded for it as registered. Read as the unit, either
    file replaces the other, as for a listed office abbreviated (`枣林街道` → 枣林街道办事处). A name fitting two units
    is refused: as written, its figures were added up beside the unit's own.
    """
    unit = parsed.unit
    if unit is None or any(o.name == unit for o in offices.offices):
        return
    if any(sheet.template.id == REGISTER_TEMPLATE for sheet in parsed.sheets):
        return  # its rows were registered under the office as written, before any file is named by them
    units = registered_units(register, offices)
    key = office_key(unit)
    if key in units:
        return
    fits = [name for folded, name in units.items() if is_abbreviation(key, folded)]
    # Written in full, the name goes on from the registered one to its own office's, where that stops short: going on
    # otherwise it is another office, as a listed office's longer name is (七里园街道社区卫生服务中心 is not 七里园街道;
    # 七里园东街道办事处 is not 七里园街道办事处, nor 七里园街道办事处财务科), and read as the unit its figures replaced the unit's.
    longer = [
        name
        for name in units.values()
        if is_written_in_full(unit, name) and not any(o.name == name for o in offices.offices)
    ]
    if len(fits) > 1 or (not fits and len(longer) > 1):
        parsed.problems.append(_fits_several(parsed, unit, fits or longer, offices))
        return
    if not fits and not longer:
        return
    [meant] = fits or longer
    parsed.problems.append(_read_as(parsed, unit, meant, offices, registered_short=not fits))
    give_unit(parsed, meant)


def _fits_several(parsed: ParsedFile, written: str, units: list[str], offices: Offices) -> Problem:
    """Refuse a file whose unlisted office's name fits several registered implementing units: asking, not guessing."""
    # As written it is an office of its own, and its figures were added up beside the unit's own file.
    named = "、".join(units)
    expected = (
        f"单位名录中没有“{written}”，它可以指项目基本信息表登记的实施单位{named}，无法确定报送单位"
        "（按其中任何一个读取，或作为另一个单位，都可能与该单位报送的数据重复计入）"
    )
    fix = "请填写单位全称后重新报送，或请区财政局在单位名录中登记该单位"
    return _told(parsed, written, offices, Severity.ERROR, "unit_ambiguous", expected, fix)


def _read_as(
    parsed: ParsedFile, written: str, meant: str, offices: Offices, *, registered_short: bool
) -> Problem:
    """Say where the unit's name was read, the registered unit it was read as, and how to name another office."""
    said = (
        f"项目基本信息表登记的实施单位“{meant}”是它的简称"
        if registered_short
        else f"它是项目基本信息表登记的实施单位“{meant}”的简称"
    )
    expected = (
        f"单位名录中没有“{written}”，{said}，本表已按{meant}报送的数据读取"
        f"（同一项目同一期间的数据以{meant}最后报送的一份为准，不重复计入）"
    )
    if registered_short:
        fix = (
            f"如报送本表的不是项目基本信息表登记的{meant}，请区财政局在单位名录中登记“{written}”；"
            f"如是，请区财政局在项目基本信息表中把实施单位写作全称“{written}”"
        )
    else:
        fix = (
            f"如报送本表的不是{meant}，请填写该单位的全称后重新报送，或请区财政局在单位名录中登记该单位；"
            f"如是，今后请填写单位全称“{meant}”"
        )
    return _told(parsed, written, offices, Severity.WARNING, RULE, expected, fix)


def _told(
    parsed: ParsedFile, written: str, offices: Offices, severity: Severity, rule: str, expected: str, fix: str
) -> Problem:
    """Tell a problem with the unit's name at the `填报单位：` line it was read from, else of the sending folder."""
    line = next(
        (
            s
            for s in parsed.sheets
            if s.meta.unit and [o.name for o in offices.named(s.meta.unit)] == [written]
        ),
        None,
    )
    if line is None:
        # Told on the sheet read, so the report's 数据质量提示 cites its rows as it does a line's.
        return Problem(
            severity,
            rule,
            f"报送文件夹“{parsed.sending_folder}”：{expected}。{fix}。",
            sheet=next((s.name for s in parsed.sheets if s.records), None),
            value=parsed.sending_folder,
            expected=expected,
            fix=fix,
        )
    return cell_problem(
        rule,
        sheet=line.name,
        excel_row=line.meta.rows.get("unit"),
        header=line.meta.unit_label,
        value=line.meta.unit,
        expected=expected,
        fix=fix,
        severity=severity,
    )
