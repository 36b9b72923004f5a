"""Read an enum cell: a written value or alias to its canonical value, or say which values it may hold."""

from __future__ import annotations

from pipeline.registry_columns import SPACE_SEPARATOR, VALUE_SEPARATOR, Column
from pipeline.text import nfkc
from pipeline.values import CellError, squashed


def parse_enum(value: object, column: Column) -> str:
    """Map a written enum value or alias to its canonical value; a word that could mean two values is an error."""
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
        raise CellError("enum", allowed_zh(column), "请从下拉列表中选择，多项用“、”分隔")
    return "、".join(value for value in column.values or {} if value in found)


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
    raise CellError("enum", allowed_zh(column), "请从下拉列表中选择")
