"""Say, for each key a registry file gets wrong, where it stands and what to write there instead."""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError


class RegistryError(ValueError):
    """A registry file is malformed; the message names the file (`path`) and the offending key."""

    def __init__(self, path: Path | str, said: str):
        super().__init__(f"{path}: {said}")
        # Kept apart from the message, whose first `:` may stand inside the path (`D:\\registry\\rules.yaml`).
        self.path = Path(path)
        self.said = said

    def __reduce__(self) -> tuple:
        return type(self), (self.path, self.said)  # a pool's worker hands it back whole


# What pydantic's error types say, in Chinese, by type (its English follows in brackets, for a search); `{…}` are
# the error's ctx. A type not listed (a check of the registry's own, `value_error`) is said in its own words.
_SAID_ZH = {
    "extra_forbidden": "此处没有这个键",
    "missing": "缺少这个键",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数，不能有小数",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "string_type": "应为文字",
    "tuple_type": "应为列表",
    "list_type": "应为列表",
    "dict_type": "应为“键: 值”的映射",
    "model_type": "应为“键: 值”的映射",
    "model_attributes_type": "应为“键: 值”的映射",
    "greater_than": "应大于{gt}",
    "greater_than_equal": "应不小于{ge}",
    "less_than": "应小于{lt}",
    "less_than_equal": "应不大于{le}",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "too_short": "至少应有{min_length}项",
    "too_long": "至多只能有{max_length}项",
    "string_too_short": "不能为空",
}

# pydantic's words say what is wrong; these say what to write. Keyed by pydantic's error type.
_WRITE_INSTEAD = {
    "bool_parsing": "请写 true 或 false",
    "bool_type": "请写 true 或 false",
    "int_parsing": "请用阿拉伯数字写整数，如 10",
    "int_type": "请用阿拉伯数字写整数，如 10",
    "int_from_float": "请用阿拉伯数字写整数，如 10",
    "decimal_parsing": '请用阿拉伯数字写，如 10 或 "0.0001"（不用中文数字，不带单位）',
    "decimal_type": '请用阿拉伯数字写，如 10 或 "0.0001"（不用中文数字，不带单位）',
    "string_type": "请写成文字；像数字或日期的请加引号，如 '2022'",
    "tuple_type": "请写成方括号中的列表，如 [甲, 乙]，或每行一个“- 项”",
    "list_type": "请写成方括号中的列表，如 [甲, 乙]，或每行一个“- 项”",
    "dict_type": "请写成“键: 值”的映射，如 {column: project_name, line: true}",
    "model_type": "请写成“键: 值”的映射，如 {column: project_name, line: true}",
    "too_short": "请至少列出一项",
    "string_too_short": "请写上文字",
}


def said_zh(err: dict) -> str:
    """Say what a pydantic error found wrong in Chinese, its English in brackets; a check's own words as they are."""
    english = err["msg"].removeprefix("Value error, ")
    zh = _SAID_ZH.get(err["type"])
    if zh is None:
        return english
    try:
        ctx = dict(err.get("ctx") or {})
        if isinstance(ctx.get("expected"), str):  # 'unit', 'project' or 'year': listed the Chinese way
            ctx["expected"] = ctx["expected"].replace("' or '", "'、'").replace("', '", "'、'")
        zh = zh.format(**ctx)
    except (KeyError, IndexError):
        return english  # a ctx of another pydantic: its English says it whole
    return f"{zh}（{english}）"


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
    """Return what to write instead of the key or value an error is about, after `，`, or nothing."""
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden" and loc and (parent := _model_at(model, loc[:-1])) is not None:
        keys = _keys(parent)
        # `requried` loaded as nothing, its column left optional, had the typo not been refused.
        if near := difflib.get_close_matches(str(loc[-1]), keys, n=1, cutoff=0.6):
            return f"，请写 {near[0]!r}（多半是它的笔误）"
        return f"，请删去，或写此处可用的键之一：{', '.join(keys)}"
    if err["type"] == "missing" and loc:
        return f"，请加上“{loc[-1]}:”"
    if err["type"] in ("literal_error", "enum") and isinstance(err.get("input"), str):
        # `type: data` for date, `slice: [unit, yaer]`: the value listed that it most likely misspells.
        listed = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        if near := difflib.get_close_matches(err["input"], listed, n=1, cutoff=0.6):
            return f"，请写 {near[0]!r}（多半是它的笔误）"
    if hint := _WRITE_INSTEAD.get(err["type"]):
        return f"，{hint}"
    return ""


# A key read bare in a key path (`defaults.qualitative_words.达成预期`): one blank, spaced or holding a `.` or `:` is
# quoted as YAML writes it, so `"": 达成` is not shown as `defaults.qualitative_words.:`.
_BARE_KEY = re.compile(r"[^\s.:\"']+")


def key_path(loc: tuple) -> str:
    """Say where a key stands in a YAML file, its keys and list places joined by `.`: `columns.3.type`."""
    return ".".join(
        str(part)
        if not isinstance(part, str) or _BARE_KEY.fullmatch(part)
        else json.dumps(part, ensure_ascii=False)
        for part in loc
    )


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
    return f"（列 {name!r}）"


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


def at_line(path: Path, loc: tuple) -> str:
    """Return `（第N行）` for where a location stands in a YAML file (its key, or the deepest there), else nothing."""
    found = line_at(composed(path), loc)
    return f"（第{found}行）" if found is not None else ""


def explain(
    path: Path,
    exc: ValidationError,
    model: type[BaseModel] | None = None,
    data: object = None,
    under: tuple = (),
) -> RegistryError:
    """Say in one message the file, each key path and its line, what is wrong there and, where it can, what to write
    instead; `under` is where in the file the model checked stands (`years.2024` of rules.yaml)."""

    def loc(err: dict) -> tuple:
        # A check of the registry's own says which key below the model it refuses (`Misconfigured.at`).
        return (*under, *err["loc"], *getattr((err.get("ctx") or {}).get("error"), "at", ()))

    def where(err: dict) -> str:
        # A check across keys has no location of its own: its message names the keys.
        if not loc(err):
            return ""
        return f"{key_path(loc(err))}{named(loc(err), data, err['msg'])}: "

    def line(err: dict) -> str:
        found = line_at(root, loc(err))
        if found is None and loc(err)[:1] in (("date_column",), ("month_from",)):
            # Written `year: {from: …}` or `month: {from: …}`, read as these keys: the line is that key's.
            found = line_at(root, ("year",) if loc(err)[0] == "date_column" else ("month",))
        return f"（第{found}行）" if found is not None else ""

    root = composed(path)
    problems = "；".join(
        f"{where(err)}{said_zh(err)}{write_instead(err, model)}{line(err)}" for err in exc.errors()
    )
    return RegistryError(path, problems)


def missing_file(path: Path) -> RegistryError:
    """Refuse a registry file that is not there, saying where the shipped one is to be copied from."""
    return RegistryError(
        path, f"文件不存在（missing），请从本仓库的 registry/{path.name} 复制一份到 {path.parent}/"
    )
