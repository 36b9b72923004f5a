"""Refuse a file its folder's office sends with no `填报单位：` line under a title or file name naming another office."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import TYPE_CHECKING

from pipeline.offices import Office, ends_as_office, office_key, place_of
from pipeline.problems import Problem, Severity
from pipeline.projects import REGISTER_TEMPLATE, implemented_by
from pipeline.registered_units import registered_units
from pipeline.text import squash

if TYPE_CHECKING:
    from pipeline.offices import Offices
    from pipeline.parsed_file import ParsedFile
    from pipeline.parsed_sheet import ParsedSheet
    from pipeline.projects import ProjectRegister

RULE = "unit_in_title"
# An office neither registry nor register names, written before the title's year as offices are
# (`东关街道办事处2022年老旧小区改造项目清单`): what comes before the year, if it ends as an office's name does.
_BEFORE_YEAR = re.compile(r"^(\D{2,}?)(?:19|20)\d\d年")
# Words a compound's name ends in as often as an office's (棉纺厂家属院, 东院, 招待所, 供电站): a title opening with one
# names the compound a sheet is about at least as often as an unlisted office, so only a listed one is asked about.
_COMPOUND_LIKE = re.compile(r"[院所站]$")


def check_title_unit(parsed: ParsedFile, register: ProjectRegister, offices: Offices) -> None:
    """Refuse a file whose folder alone names its office while its title, or else its name, names another's.

    `东关街道办事处2022年老旧小区改造项目清单` dropped in 枣林街道办事处's folder was taken in as 枣林's list, no line
    saying whose it is: its compounds replaced 枣林's in the report. Either the file is another office's, put in the
    wrong folder, or its title is wrong; only the clerk can say, with a `填报单位：` line (then checked as any line is).
    """
    if parsed.unit is None or offices.is_shared(parsed.sending_folder):
        return  # a shared folder's files name their office by their line, or are refused
    if any(problem.rule == RULE for problem in parsed.problems):
        return  # the night settles a file's projects more than once: it is told once
    if any(sheet.meta.unit or sheet.template.id == REGISTER_TEMPLATE for sheet in parsed.sheets):
        return  # a line says whose it is; a register's rows are every project's, its title anyone's
    sender = next((o for o in offices.offices if o.name == parsed.unit), Office(name=parsed.unit))
    names = _office_names(register, offices)
    texts = [(sheet, sheet.meta.title) for sheet in parsed.sheets if sheet.meta.title]
    texts.append((None, PurePath(parsed.original_name).stem))
    for sheet, text in texts:
        named = _named_in(squash(text), names, sender) or _unlisted_in(squash(text), sender)
        if sender.name in named:
            return  # the title, or the name, says it is the sender's own
        if named and _supervise_only(named, sender, register, offices):
            parsed.problems.append(_supervisor_warning(sheet, parsed, text, named, sender))
            return
        if named:
            parsed.problems.append(_problem(parsed, sheet, text, named, sender, offices))
            return


# The last office registry and register state the names were made for, with them: asked of every file an office's
# folder sends with no line, they were made again each time, a second of the loader's 2,000 files in 20.
_MADE: list[tuple[dict[str, str], Offices, list[tuple[str, str]]]] = []


def _office_names(register: ProjectRegister, offices: Offices) -> list[tuple[str, str]]:
    """Return each way a title writes an office (full name, alias, its place's name) with the office's full name,
    the longest first; made once per office registry and register state."""
    units = registered_units(register, offices)  # the same dict while the register is unchanged
    if _MADE and _MADE[0][0] is units and _MADE[0][1] is offices:
        return _MADE[0][2]
    names: dict[str, str] = {}
    listed = [
        *((o.name, o.aliases) for o in offices.offices),
        *((u, ()) for u in units.values()),
    ]
    for name, aliases in listed:
        # An alias in letters (zaolin, czj) names a folder, and is any word's letters in a file's name.
        for written in (name, *(a for a in aliases if not a.isascii()), place_of(name)):
            if written and len(squash(written)) > 1:
                names.setdefault(squash(written), name)
    longest_first = sorted(names.items(), key=lambda item: -len(item[0]))
    _MADE[:] = [(units, offices, longest_first)]
    return longest_first


def _named_in(text: str, names: list[tuple[str, str]], sender: Office) -> list[str]:
    """Return the offices a title or file name names, each once, in the order written. A name inside a longer one
    found (枣林街道 within 枣林街道办事处) is the longer one's; one the words before it make the sender's short name
    (区住建局 within 示范区住建局, for 示范区住房和城乡建设局) is the sender's."""
    found: list[tuple[int, int, str]] = []
    for written, name in names:
        at = text.find(written)
        while at >= 0:
            end = at + len(written)
            if not any(start <= at and end <= stop for start, stop, _ in found):
                own = name != sender.name and any(sender.is_named_by(text[start:end]) for start in (0, at))
                found.append((at, end, sender.name if own else name))
            at = text.find(written, at + 1)
    return list(dict.fromkeys(name for _, _, name in sorted(found)))


def _supervise_only(named: list[str], sender: Office, register: ProjectRegister, offices: Offices) -> bool:
    """Say whether every office named is the registered 主管部门 of the sender's projects and implements none.

    `区住建局2022年老旧小区改造项目清单` is the bureau's template's title, copied by the 街道 filling it in: the office it
    names sends no list of its own for these projects, so the figures are the folder's. One implementing any registered
    project sends its own, and its figures must never be published as the folder's: that title is still refused.
    """
    senders = registered_units(register, offices)
    supervising = {
        office_key(office.name)
        for project in register.projects
        if project.current
        and project.supervising_department
        and implemented_by(project, sender.name, offices)
        for office in (
            offices.named(project.supervising_department) or (Office(name=project.supervising_department),)
        )
    }
    return all(office_key(name) in supervising and office_key(name) not in senders for name in named)


def _supervisor_warning(
    sheet: ParsedSheet | None, parsed: ParsedFile, text: str, named: list[str], sender: Office
) -> Problem:
    """Say the title names the projects' 主管部门, and that the file is taken in as the folder's office's."""
    says = _says(parsed, sheet, text, named)
    fix = (
        f"如本表确是{sender.name}的数据，可在表格上方加一行“填报单位：{sender.name}”，不再提示；"
        f"如不是，请放入报送单位的文件夹后重新报送"
    )
    said = (
        f"{says}，即项目基本信息表中{sender.name}所实施项目的主管部门，而非报送单位；本文件放在{sender.name}的文件夹"
        f"“{parsed.sending_folder}”中，已按{sender.name}的数据接收。{fix}。"
    )
    return _on_title(Severity.WARNING, said, fix, sheet, text, sender)


def _unlisted_in(text: str, sender: Office) -> list[str]:
    """Return the office no registry lists that a title or file name opens with, before its year, unless the sender's.

    With no register stored yet, or one not naming it, 东关街道办事处's list in 枣林's folder was read as 枣林's and
    returned only for naming no project of 枣林's: the clerk learned whose title it was after sending it again.
    """
    found = _BEFORE_YEAR.match(text)
    if found is None or not ends_as_office(found[1]) or _COMPOUND_LIKE.search(found[1]):
        return []
    if sender.is_named_by(found[1]):
        return []
    return [found[1]]


def _problem(
    parsed: ParsedFile,
    sheet: ParsedSheet | None,
    text: str,
    named: list[str],
    sender: Office,
    offices: Offices,
) -> Problem:
    """Say whose the title or name says the file is, which folder it came in, and which line to add."""
    says = _says(parsed, sheet, text, named)
    own = f"“填报单位：{sender.name}”"
    if len(named) == 1 and sender.may_submit_for(Office(name=named[0])):
        fix = f"如本表是代{named[0]}报送的，请在表格上方加一行“填报单位：{named[0]}”；如是{sender.name}本单位的，请加一行{own}"
    else:
        may = "；".join(f"{o}的数据可由{'、'.join(offices.who_may_send(Office(name=o)))}报送" for o in named)
        fix = f"{may}，如本表是其数据，请放入其中一个单位的文件夹；如是{sender.name}本单位的，请在表格上方加一行{own}"
    said = (
        f"{says}，而本文件放在{sender.name}的文件夹“{parsed.sending_folder}”中，表格上方没有“填报单位：…”一行，"
        f"无法确定是哪个单位的数据：{fix}，然后重新报送。"
    )
    return _on_title(Severity.ERROR, said, fix, sheet, text, sender)


def _on_title(
    severity: Severity, said: str, fix: str, sheet: ParsedSheet | None, text: str, sender: Office
) -> Problem:
    """Return the problem told on the title's cell, or on the file name where no title names the office."""
    return Problem(
        severity,
        RULE,
        said,
        sheet=sheet.name if sheet else None,
        excel_row=sheet.meta.rows.get("title") if sheet else None,
        column_header="标题" if sheet else None,
        value=text,
        expected=f"应为{sender.name}的数据",
        fix=fix,
    )


def _says(parsed: ParsedFile, sheet: ParsedSheet | None, text: str, named: list[str]) -> str:
    """Say where the title, or else the file name, names which offices."""
    others = "、".join(named)
    if sheet:
        return f"第{sheet.meta.rows['title']}行的标题“{text}”写的是{others}"
    return f"文件名“{parsed.original_name}”写的是{others}"
