"""Tell a suite's word on a cell the parser refused within the parser's problem, as one entry of the receipt."""

from __future__ import annotations

from dataclasses import replace

from pipeline.parsed_file import ParsedFile
from pipeline.problems import Problem, describe_cell
from pipeline.suites import beside_parser_rules


def join_parser_problems(file: ParsedFile, found: list[Problem]) -> list[Problem]:
    """Join each of `found` whose rule speaks beside the parser into the parser's problem on its cell; return the rest.

    A blank 本月 is refused (`required`) and its 累计 gives the figure (`monthly_from_cumulative`): told as two
    entries, the warning came first on the terminal and after every other error in the receipt, so the clerk read
    the help before, or far from, what must be fixed. One entry says both: what is wrong, then the figure to check.
    """
    joining = beside_parser_rules()
    if not any(p.rule in joining for p in found):
        return found
    kept = []
    for problem in found:
        if problem.rule not in joining or not _joined(file, problem):
            kept.append(problem)
    return kept


def _joined(file: ParsedFile, problem: Problem) -> bool:
    """Replace the parser's problem on `problem`'s cell by one saying both; say whether there was one."""
    for sheet in file.sheets:
        if sheet.name != problem.sheet:
            continue
        for at, told in enumerate(sheet.problems):
            if (told.excel_row, told.column_header) != (problem.excel_row, problem.column_header):
                continue
            expected = f"{told.expected}；{problem.expected}" if told.expected else problem.expected
            fix = problem.fix or told.fix
            said = describe_cell(told.excel_row, told.column_header, told.value, expected or "", fix or "")
            sheet.problems[at] = replace(told, message_zh=said, expected=expected, fix=fix)
            return True
    return False
