"""A registry key written wrong is refused naming the file, the key path, its column, and what to write instead."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
import yaml

import pipeline
from pipeline.registry import REGISTRY_DIR, RegistryError, load_registry
from pipeline.registry_errors import key_path, line_at
from tests.pipeline.test_registry import registry_dir, template_yaml


def refusal(tmp_path, text: str) -> str:
    with pytest.raises(RegistryError) as caught:
        load_registry(registry_dir(tmp_path, text))
    return str(caught.value)


@pytest.mark.parametrize(
    ("template", "says"),
    [
        pytest.param(
            template_yaml().replace("type: name, required: true", "type: name, requried: true"),
            "columns.0.requried（列 'compound_name'）: 此处没有这个键（Extra inputs are not permitted），请写 'required'（多半是它的笔误）",
            id="typo-in-a-column-key",
        ),
        pytest.param(
            template_yaml().replace("year_from:", "yaer_from:"),
            "yaer_from: 此处没有这个键（Extra inputs are not permitted），请写 'year_from'（多半是它的笔误）",
            id="typo-in-a-top-key",
        ),
        pytest.param(
            template_yaml().replace("project: {line: true}", "project: {line: true, zzz: red}"),
            "project.zzz: 此处没有这个键（Extra inputs are not permitted），请删去，或写此处可用的键之一：column, line,",
            id="unknown-key-lists-the-keys",
        ),
        pytest.param(
            template_yaml().replace("type: name, required: true", "type: name, required: 是"),
            "columns.0.required（列 'compound_name'）: 应为 true 或 false（Input should be a valid boolean, unable to "
            "interpret input），请写 true 或 false",
            id="not-a-boolean",
        ),
        pytest.param(
            template_yaml(columns="  - {name: cost, header: 经费, aliases: 经费金额, type: money}\n"),
            "columns.2.aliases（列 'cost'）: 应为列表（Input should be a valid tuple），请写成方括号中的列表",
            id="aliases-not-a-list",
        ),
        pytest.param(
            template_yaml(columns="  - {name: cost, header: 经费, aliases: [2022], type: money}\n"),
            "columns.2.aliases.0（列 'cost'）: 应为文字（Input should be a valid string），请写成文字；像数字或日期的请加引号",
            id="alias-a-number",
        ),
        pytest.param(
            template_yaml(columns="  - {header: 经费, type: money}\n"),
            "columns.2.name: 缺少这个键（Field required），请加上“name:”",
            id="column-without-name",
        ),
    ],
)
def test_a_key_written_wrong_says_where_and_what_to_write(tmp_path, template, says):
    message = refusal(tmp_path, template)

    assert message.startswith(f"{tmp_path / 'sources' / 'demo_list.yaml'}: ")
    assert says in message


@pytest.mark.parametrize(
    ("template", "says", "line"),
    [
        pytest.param(
            template_yaml().replace("slice: [unit, project, year]", "slice: [unit, project, 年度]"),
            "slice.2: 应为以下之一：'unit'、'project'、'year'、'month'"
            "（Input should be 'unit', 'project', 'year' or 'month'）",
            3,
            id="a-value-not-listed",
        ),
        pytest.param(
            template_yaml().replace("slice: [unit, project, year]\n", ""),
            "slice: 缺少这个键（Field required），请加上“slice:”",
            None,  # a key missing stands on no line of its own
            id="a-key-missing",
        ),
        pytest.param(
            template_yaml(extra="one_sheet_per_slice: 是\n"),
            "one_sheet_per_slice: 应为 true 或 false（Input should be a valid boolean, unable to interpret input），"
            "请写 true 或 false",
            6,
            id="a-yes-in-chinese",
        ),
    ],
)
def test_what_pydantic_finds_wrong_is_said_in_chinese_its_english_in_brackets(tmp_path, template, says, line):
    # Before: pydantic's English alone ("Input should be 'unit', …", "Field required"), and what to write in English.
    message = refusal(tmp_path, template)

    assert message == f"{tmp_path / 'sources' / 'demo_list.yaml'}: {says}" + (
        f"（第{line}行）" if line else ""
    )


@pytest.mark.parametrize(("written", "meant"), [("data", "date"), ("mony", "money"), ("count", None)])
def test_a_value_not_listed_says_the_one_it_most_likely_misspells(tmp_path, written, meant):
    # Before: the thirteen types listed, and nothing said of `data` being `date` misspelt.
    text = template_yaml(columns=f"  - {{name: checked_on, header: 检查日期, type: {written}}}\n")
    if meant is None:
        load_registry(registry_dir(tmp_path, text))
        return
    message = refusal(tmp_path, text)
    assert message.endswith(f"），请写 {meant!r}（多半是它的笔误）（第9行）")


def test_a_column_check_naming_its_column_is_not_named_twice(tmp_path):
    message = refusal(tmp_path, template_yaml(columns="  - {name: status, header: 状态, type: enum}\n"))

    assert message.count("status") == 1
    assert "columns.2.type（列 'status'）: enum 列须列出 `values`" in message


# Each shape of the registry's own checks, broken in every real template: the message is Chinese first, names the file,
# the key path and the key's line, and says what to write (`，请…`).
def _first(columns: list, kind) -> int | None:
    return next((n for n, c in enumerate(columns) if kind(c)), None)


def _set(key: str, value: object, kind=lambda c: True, within: str = "columns"):
    """Return a change setting `key` on the first column (or field) that is of `kind`, and where it stands."""

    def change(data: dict) -> tuple | None:
        n = _first(data.get(within) or [], kind)
        if n is None:
            return None
        data[within][n][key] = value
        return (within, n, key)

    return change


def _top(key: str, value: object):
    def change(data: dict) -> tuple:
        data[key] = value
        return (key,)

    return change


def _repeat_header(data: dict) -> tuple:
    column = data["columns"][0]
    column["aliases"] = [*(column.get("aliases") or []), column["header"]]
    return ("columns", 0, "aliases")


SHAPES = {
    # `X` is only for … columns
    "only-for": _set("multiple", True, lambda c: c["type"] != "enum"),
    # a key names a column of the wrong type or none
    "refers-to": _top("date_column", "nowhere"),
    "blank-word": _set("aliases", ["  "]),
    "comma-joined": _set("aliases", ["甲项，乙项"]),
    "alias-repeats-header": _repeat_header,
    "slice-shape": _top("slice", ["unit", "year"]),
    "no-identifier": _top("id", "Bad Id"),
    "field-with-a-column-key": _set("required", True, within="fields"),
    "regular-expression": _set("placeholder", "[", lambda c: c["type"] in ("text", "name")),
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("source", sorted(p.stem for p in (REGISTRY_DIR / "sources").glob("*.yaml")))
def test_each_shape_of_a_registry_check_says_file_key_line_and_fix_in_chinese(tmp_path, source, shape):
    # Before: `columns.3: column 'status': `multiple` is only for enum columns`, in English, and a check of the whole
    # template (slice, date_column) named no line at all.
    shutil.copytree(REGISTRY_DIR, tmp_path / "registry")
    path = tmp_path / "registry" / "sources" / f"{source}.yaml"
    if (at := broken(path, path, SHAPES[shape])) is None:
        pytest.skip(f"{source} has no column this check is about")

    assert_said_at(refusal_of(tmp_path / "registry"), path, at)


def broken(source: Path, path: Path, change) -> object:
    """Write to `path` the YAML of `source` as `change` leaves it; return what `change` returns (where it broke it)."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    at = change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return at


def refusal_of_broken(load, source: Path, path: Path, change) -> str:
    """Return how `load` refuses a copy of `source` at `path` that `change` broke."""
    broken(source, path, change)
    with pytest.raises(RegistryError) as caught:
        load(path)
    return str(caught.value)


def assert_said_at(message: str, path: Path, at: tuple, fix: str = "请") -> None:
    """Assert a refusal names the file and key path, says what is wrong in Chinese first, `，{fix}`, and the line."""
    assert message.startswith(f"{path}: {'.'.join(map(str, at))}")
    said = message.split(": ", 2)[-1]
    assert re.match(r"[^（]*[\u4e00-\u9fff]", said), said  # Chinese before the English in brackets
    assert f"，{fix}" in said
    assert message.endswith(f"（第{line_at(yaml.compose(path.read_text(encoding='utf-8')), at)}行）")


def refusal_of(directory: Path) -> str:
    with pytest.raises(RegistryError) as caught:
        load_registry(directory)
    return str(caught.value)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        pytest.param(lambda u: u["counted_alike"].append(["栋"]), "counted_alike", id="group-of-one"),
        pytest.param(lambda u: u["counted_alike"].append(["栋", "座位"]), "counted_alike", id="not-a-count"),
        pytest.param(
            lambda u: next(iter(u["measures"].values())).update(base="不是单位"),
            "measures",
            id="base-not-listed",
        ),
    ],
)
def test_a_units_check_says_file_key_line_and_fix_in_chinese(tmp_path, change, key):
    shutil.copytree(REGISTRY_DIR, tmp_path / "registry")
    path = tmp_path / "registry" / "units.yaml"
    units = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(units)
    path.write_text(yaml.safe_dump(units, allow_unicode=True, sort_keys=False), encoding="utf-8")

    message = refusal_of(tmp_path / "registry")

    assert message.startswith(f"{path}: {key}.")
    assert "，请" in message and re.search(r"（第\d+行）$", message)


def test_an_offices_check_says_file_key_line_and_fix_in_chinese(tmp_path):
    shutil.copytree(REGISTRY_DIR, tmp_path / "registry")
    path = tmp_path / "registry" / "offices.yaml"
    offices = yaml.safe_load(path.read_text(encoding="utf-8"))
    offices["offices"][0]["submits_for"] = ["没有这个单位"]
    path.write_text(yaml.safe_dump(offices, allow_unicode=True, sort_keys=False), encoding="utf-8")

    message = refusal_of(tmp_path / "registry")

    line = next(
        n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "submits_for" in text
    )
    assert message.startswith(f"{path}: offices.0.submits_for")
    assert "不是 offices 中列出的办公室" in message and "，请写" in message
    assert message.endswith(f"（第{line}行）")


def _literal_text(node: ast.expr) -> str:
    """Return the literal parts of a message: a string, an f-string's constants, a call's arguments."""
    return " ".join(
        part.value
        for part in ast.walk(node)
        if isinstance(part, ast.Constant) and isinstance(part.value, str)
    )


@pytest.mark.parametrize(
    "module",
    [
        "registry.py",
        "registry_checks.py",
        "registry_units.py",
        "registry_yaml.py",
        "registry_columns.py",
        "registry_column_checks.py",
        "registry_refusals.py",
        "registry_templates.py",
        "registry_errors.py",
        "offices.py",
        "rules.py",
        "report_model.py",
        "report_view.py",
        "report_wording.py",
    ],
)
def test_no_registry_check_refuses_in_english_alone(module):
    # Before: about fifty checks raised ValueError("column 'x': `multiple` is only for enum columns"), English only,
    # beside pydantic's errors said in Chinese.
    tree = ast.parse((Path(pipeline.__file__).parent / module).read_text(encoding="utf-8"))
    english = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Raise)
        and isinstance(node.exc, ast.Call)
        and getattr(node.exc.func, "id", "") in ("ValueError", "RegistryError", "Misconfigured")
        and re.search(r"[A-Za-z]{3}", _literal_text(node.exc))  # words of its own, not a helper's joined
        and not re.search(r"[\u4e00-\u9fff]", _literal_text(node.exc))
    ]
    assert english == [], f"pipeline/{module}: lines {english} refuse in English alone"


@pytest.mark.parametrize(
    ("loc", "said"),
    [
        (("columns", 3, "type"), "columns.3.type"),
        (("years", 2024, "scoring", "indicator_points"), "years.2024.scoring.indicator_points"),
        (("defaults", "qualitative_words", "达成预期指标"), "defaults.qualitative_words.达成预期指标"),
        # Read bare, these were `qualitative_words.`, `qualitative_words. ` and a path of one key more.
        (("defaults", "qualitative_words", ""), 'defaults.qualitative_words.""'),
        (("defaults", "qualitative_words", " "), 'defaults.qualitative_words." "'),
        (("offices", "东关.街道"), 'offices."东关.街道"'),
    ],
)
def test_a_key_path_quotes_a_key_that_would_not_read_bare(loc, said):
    assert key_path(loc) == said
