"""Read an enum cell: a written value or alias to its canonical value, or say which values it may hold."""

from __future__ import annotations

from dataclasses import replace

from pipeline.lookalikes import lookalike_zh, mistyped
from pipeline.problems import Problem
from pipeline.registry_columns import SPACE_SEPARATOR, VALUE_SEPARATOR, Column
from pipeline.text import nfkc
from pipeline.ticks import BOX_ASKED, BOX_MARKED, boxed_values
from pipeline.values import CellError, squashed

# How a clerk is told to mend an enum cell of a blank template `pipeline templates` issued, which has a drop-down
# list on the column; a file without one (a CSV, a national form exported from the budget system) is told
# `WITHOUT_DROP_DOWN` instead, by `told_without_drop_down`.
DROP_DOWN = "请从下拉列表中选择"
WITHOUT_DROP_DOWN = "请按上述可选值填写"


def enum_fix(multiple: bool) -> str:
    """Word how to mend an enum cell of a blank template we issued, its drop-down list at hand."""
    return f"{DROP_DOWN}，多项用“、”分隔" if multiple else DROP_DOWN


def told_without_drop_down(problem: Problem) -> Problem:
    """Reword an enum problem for a file with no drop-down list, which told to pick from one could not."""
    if problem.fix is None or not problem.fix.startswith(DROP_DOWN):
        return problem
    fix = WITHOUT_DROP_DOWN + problem.fix.removeprefix(DROP_DOWN)
    return replace(problem, fix=fix, message_zh=problem.message_zh.replace(problem.fix, fix))


def parse_enum(value: object, column: Column) -> str:
    """Map a written enum value or alias to its canonical value; a word that could mean two values is an error."""
    boxed = boxed_values(str(value), column.enum_lookup)
    if boxed is not None:
        return _ticked(boxed, column)
    if column.multiple:
        return _several_values(str(value), column)
    return _enum_value(squashed(str(value)), column)


def _several_values(written: str, column: Column) -> str:
    """Read a cell naming one or more values (`经费保障、制度保障`): each canonical, joined by `、` in registry order."""
    found = set()
    for part in VALUE_SEPARATOR.split(nfkc(written)):
        whole = squashed(part)
        if not whole:
            continue
        # `经费保障 人员保障`, or a line break between them, names two values; `硬件 条件保障` is one with a stray space.
        words = SPACE_SEPARATOR.split(part.strip())
        if whole not in column.enum_lookup and len(words) > 1:
            found.update(_enum_value(squashed(word), column) for word in words)
        else:
            found.add(_enum_value(whole, column))
    if not found:
        raise CellError("enum", allowed_zh(column), enum_fix(multiple=True))
    return "、".join(value for value in column.values or {} if value in found)


def _ticked(boxed: list[tuple[str, str]], column: Column) -> str | None:
    """Read the values ticked in a cell listing them behind boxes (`☑确定能 □有可能`); none ticked is blank."""
    asked = [value for box, value in boxed if box == BOX_ASKED]
    if asked:
        raise CellError(
            "tick_mark",
            f"“{BOX_ASKED}”在有的表格中表示勾选、在有的表格中表示不选，无法确定是否选了“{'”“'.join(asked)}”",
            "请在所选一项前打“√”或“☑”，其余保留“□”",
        )
    ticked = {value for box, value in boxed if box in BOX_MARKED}
    if len(ticked) > 1 and not column.multiple:
        listed = "”“".join(value for value in column.values or {} if value in ticked)
        raise CellError("tick_several", f"只能勾选一项，现同时勾选了“{listed}”", "请只在符合的一项前打“√”")
    if not ticked and column.required:
        # The form's printed choices left as printed: nothing was chosen, which 未填写 would not tell the clerk.
        raise CellError("required", "所列各项均未勾选", "请在符合的一项前打“√”")
    return "、".join(value for value in column.values or {} if value in ticked) or None


def allowed_zh(column: Column) -> str:
    """Word the values an enum cell may hold, for the clerk."""
    allowed = "、".join(column.values or {})
    return (
        f"应为以下一项或多项（多项用“、”分隔）：{allowed}" if column.multiple else f"应为以下之一：{allowed}"
    )


def _enum_value(written: str, column: Column) -> str:
    """Return the canonical value of one squashed enum word, or raise naming the values allowed."""
    canonical = column.enum_lookup.get(written)
    if canonical is not None:
        return canonical
    ambiguity = column.ambiguity_lookup.get(written)
    if ambiguity is not None:
        raise CellError(
            "enum_ambiguous",
            f"{allowed_zh(column)}；{ambiguity.why}，无法确定是哪一个",
            f"请按实际情况改填“{'”或“'.join(ambiguity.between)}”",
        )
    typo = mistyped(written, column.enum_lookup)
    if typo is not None:
        mended, swaps = typo
        raise CellError(
            "enum", f"{allowed_zh(column)}；{lookalike_zh(written, mended, swaps)}", f"请改为“{mended}”"
        )
    raise CellError("enum", allowed_zh(column), enum_fix(column.multiple))
