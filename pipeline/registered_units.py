"""Read an office the registry does not list, named short, as the registered implementing unit it abbreviates."""

from __future__ import annotations

from itertools import takewhile
from typing import TYPE_CHECKING, Literal

from pipeline.offices import is_abbreviation, is_written_in_full, office_key
from pipeline.problems import Problem, Severity, cell_problem
from pipeline.projects import REGISTER_TEMPLATE
from pipeline.settle_unit import give_unit

if TYPE_CHECKING:
    from pipeline.offices import Offices
    from pipeline.parsed_file import ParsedFile
    from pipeline.projects import ProjectRegister

RULE = "unit_short_name"
# How a name was read as a registered unit's: it abbreviates the unit's, the unit's abbreviates it, or the register
# names the unit both ways and the name is the short one.
Reading = Literal["short", "registered_short", "both_registered"]


def registered_units(register: ProjectRegister, offices: Offices) -> dict[str, str]:
    """Return each office the register names as a project's implementing unit, by its folded name: as the office
    registry names it where it lists it (实施单位：枣林街道 is 枣林街道办事处), else as registered."""
    return _read(register, offices)[0]


def registered_in_full(register: ProjectRegister, offices: Offices) -> dict[str, tuple[str, ...]]:
    """Return each unlisted registered implementing unit that others registered write in full, by its folded name,
    with those others, unlisted too (溧河街道: 溧河街道办事处, a register naming the unit both ways)."""
    return _read(register, offices)[1]


def _read(register: ProjectRegister, offices: Offices) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Return `registered_units` and `registered_in_full`, read once per register state and office registry."""
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
    read = (units, _in_full(units, offices))
    register.units_read = (count, offices, read)
    return read


def _in_full(units: dict[str, str], offices: Offices) -> dict[str, tuple[str, ...]]:
    """Return each unlisted unit of `units` that others of them, unlisted, write in full, with those others."""
    listed = {o.name for o in offices.offices}
    keys = sorted(key for key, name in units.items() if name not in listed)
    in_full: dict[str, tuple[str, ...]] = {}
    # A name written in full starts with the short one: sorted, those are the keys right after it.
    for at, short in enumerate(keys):
        longer = takewhile(lambda key, short=short: key.startswith(short), keys[at + 1 :])
        if full := tuple(units[key] for key in longer if is_written_in_full(units[key], units[short])):
            in_full[short] = full
    return in_full


def name_registered_unit(parsed: ParsedFile, register: ProjectRegister, offices: Offices) -> None:
    """Make a file's unlisted office the one registered implementing unit its name abbreviates, or is written in
    full of, and say so.

    An unlisted folder or `填报单位：` line is an office of that name (submissions.md): `七里园街道`, forwarded by the
    bureau for the project of 七里园街道办事处 (registered, not listed), was stored as a new office beside the unit's
    own file, and the report added the two up; so was the unit's own folder `七里园街道办事处` where the register
    names it short (实施单位：七里园街道), beside the files forwarded for it as registered. Read as the unit, either
    file replaces the other, as for a listed office abbreviated (`枣林街道` → 枣林街道办事处). Where the registers name
    the unit both ways (溧河街道 in one year, 溧河街道办事处 in another), a file under the short name is the unit as
    written in full, and one under the full name stays so. A name fitting two units is refused: as written, its
    figures were added up beside the unit's own.
    """
    unit = parsed.unit
    if unit is None or any(o.name == unit for o in offices.offices):
        return
    if any(sheet.template.id == REGISTER_TEMPLATE for sheet in parsed.sheets):
        return  # its rows were registered under the office as written, before any file is named by them
    units, in_full = _read(register, offices)
    key = office_key(unit)
    if key in units:
        # Registered both short and in full (溧河街道 in one year's register, 溧河街道办事处 in another's), the unit is
        # one office: stored under each name, its two ledgers of a slice were added up. The full name is kept.
        if (full := in_full.get(key)) is not None:
            _read_in_full(parsed, unit, full, offices)
        return
    # A unit registered both short and in full is one fit, its name in full, as its files are read: the short name
    # abbreviating one, the full name abbreviates it too (溧河 fits 溧河街道 and 溧河街道办事处).
    fits = [
        name
        for folded, name in units.items()
        if is_abbreviation(key, folded) and len(in_full.get(folded, ())) != 1
    ]
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
    parsed.problems.append(
        _read_as(parsed, unit, meant, offices, how="short" if fits else "registered_short")
    )
    give_unit(parsed, meant)


def _read_in_full(parsed: ParsedFile, unit: str, full: tuple[str, ...], offices: Offices) -> None:
    """Make a file's unlisted office, registered short, the one unit registered that writes its name in full."""
    if len(full) > 1:
        parsed.problems.append(_fits_several(parsed, unit, list(full), offices))
        return
    [meant] = full
    parsed.problems.append(_read_as(parsed, unit, meant, offices, how="both_registered"))
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


def _read_as(parsed: ParsedFile, written: str, meant: str, offices: Offices, *, how: Reading) -> Problem:
    """Say where the unit's name was read, the registered unit it was read as, and how to name another office."""
    said = {
        "short": f"单位名录中没有“{written}”，它是项目基本信息表登记的实施单位“{meant}”的简称",
        "registered_short": f"单位名录中没有“{written}”，项目基本信息表登记的实施单位“{meant}”是它的简称",
        "both_registered": (
            f"单位名录中没有“{written}”和“{meant}”，项目基本信息表登记的实施单位两种写法都有，"
            f"“{written}”是“{meant}”的简称"
        ),
    }[how]
    expected = f"{said}，本表已按{meant}报送的数据读取（同一项目同一期间的数据以{meant}最后报送的一份为准，不重复计入）"
    fix = {
        "short": (
            f"如报送本表的不是{meant}，请填写该单位的全称后重新报送，或请区财政局在单位名录中登记该单位；"
            f"如是，今后请填写单位全称“{meant}”"
        ),
        "registered_short": (
            f"如报送本表的不是项目基本信息表登记的{meant}，请区财政局在单位名录中登记“{written}”；"
            f"如是，请区财政局在项目基本信息表中把实施单位写作全称“{written}”"
        ),
        "both_registered": (
            f"如“{written}”和“{meant}”是两个单位，请区财政局在单位名录中分别登记；"
            f"如是同一单位，今后请填写单位全称“{meant}”，并请区财政局在项目基本信息表中统一写作全称"
        ),
    }[how]
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
