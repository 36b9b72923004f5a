"""Say, for each key a registry file gets wrong, where it stands and what to write there instead."""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path

import yaml
from pydantic import BaseModel

# pydantic's words say what is wrong; these say what to write. Keyed by pydantic's error type.
_WRITE_INSTEAD = {
    "bool_parsing": "write true or false",
    "bool_type": "write true or false",
    "int_parsing": "write a whole number in digits, such as 10",
    "int_type": "write a whole number in digits, such as 10",
    "decimal_parsing": 'write a number in digits, such as 10 or "0.0001" (no Chinese numerals, no unit)',
    "decimal_type": 'write a number in digits, such as 10 or "0.0001" (no Chinese numerals, no unit)',
    "string_type": "write it as text; quote it ('2022') when it looks like a number or a date",
    "tuple_type": "write a list in brackets, such as [甲, 乙], or one `- item` a line",
    "list_type": "write a list in brackets, such as [甲, 乙], or one `- item` a line",
    "dict_type": "write a mapping of `key: value` lines, such as {column: project_name, line: true}",
    "model_type": "write a mapping of `key: value` lines, such as {column: project_name, line: true}",
    "too_short": "list one at least",
}


def _model_at(model: type[BaseModel] | None, loc: tuple) -> type[BaseModel] | None:
    """Return the model whose keys `loc` stands among (columns.3 → Column), or None where it cannot tell."""
    current: object = model
    for part in loc:
        while not (isinstance(current, type) and issubclass(current, BaseModel)):
            if isinstance(part, str) and typing.get_origin(current) is dict:
                current = typing.get_args(current)[1]
                break
            options = [a for a in typing.get_args(current) if a is not type(None) and a is not Ellipsis]
            if typing.get_origin(current) in (typing.Union, types.UnionType) and len(options) == 1:
                current = options[0]
            elif typing.get_origin(current) in (tuple, list) and isinstance(part, int) and len(options) == 1:
                current = options[0]
                break
            else:
                return None
        else:
            fields = current.model_fields
            name = next((n for n, f in fields.items() if part in (n, f.alias)), None)
            if name is None:
                return None
            current = fields[name].annotation
    while typing.get_origin(current) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(current) if a is not type(None)]
        current = options[0] if len(options) == 1 else None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def write_instead(err: dict, model: type[BaseModel] | None) -> str:
    """Return what to write instead of the key or value an error is about, after `; `, or nothing."""
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden" and loc and (parent := _model_at(model, loc[:-1])) is not None:
        keys = _keys(parent)
        # `requried` loaded as nothing, its column left optional, had the typo not been refused.
        if near := difflib.get_close_matches(str(loc[-1]), keys, n=1, cutoff=0.6):
            return f"; write {near[0]!r} (the key this is most likely a slip of)"
        return f"; remove it, or write one of the keys allowed here: {', '.join(keys)}"
    if err["type"] == "missing" and loc:
        return f"; add `{loc[-1]}:`"
    if hint := _WRITE_INSTEAD.get(err["type"]):
        return f"; {hint}"
    return ""


def named(loc: tuple, data: object, message: str) -> str:
    """Name the column a `columns.N` location stands in, unless the message already does."""
    if len(loc) < 2 or loc[0] not in ("columns", "fields") or not isinstance(loc[1], int):
        return ""
    try:
        name = data[loc[0]][loc[1]]["name"]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        return ""
    if not isinstance(name, str) or repr(name) in message:
        return ""
    return f" (column {name!r})"


def composed(path: Path) -> yaml.Node | None:
    """Return a YAML file's node tree, which knows each key's line; None where it cannot be read."""
    try:
        return yaml.compose(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def line_at(root: yaml.Node | None, loc: tuple) -> int | None:
    """Return the line (from 1) where an error's location stands in a file's nodes: its key, or the deepest there.

    A part the file does not spell (pydantic's union tags, a key missing) is passed over; None where none matched.
    """
    node, line = root, None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(
                (
                    (key, value)
                    for key, value in node.value
                    if isinstance(key, yaml.ScalarNode) and key.value == str(part)
                ),
                None,
            )
            if found is not None:
                line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
    return line
