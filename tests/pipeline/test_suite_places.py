"""A suite file written wrong is refused naming the file, the key path, its line and column, and what to write."""

from __future__ import annotations

import json
import shutil

import pytest

import pipeline.suites as suites_module
import pipeline.validate as validate_module
from pipeline.suite_places import line_and_column, said, unplaced
from pipeline.suites import EXPECTATIONS_DIR, SuiteError

TEMPLATES = sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.json"))


def written(tmp_path, template: str, change) -> tuple:
    """Write a template's real suite, changed, as an engineer's editor indents it; return its path and text."""
    suite = json.loads((EXPECTATIONS_DIR / f"{template}.json").read_text(encoding="utf-8"))
    change(suite)
    path = tmp_path / f"{template}.json"
    text = json.dumps(suite, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    return path, text


def refusal(tmp_path, template: str) -> str:
    suites_module.suite_documents.cache_clear()
    with pytest.raises(SuiteError) as raised:
        suites_module.suite_documents(template, tmp_path)
    return str(raised.value)


def standing_at(text: str, message: str) -> str:
    """Return the text from the line and column a message names (第N行第M列)."""
    line, column = (int(n) for n in message.rsplit("（第", 1)[1].removesuffix("列）").split("行第"))
    return text.splitlines()[line - 1][column - 1 :]


def test_a_suite_that_is_no_json_names_the_line_and_column_json_stopped_at(tmp_path):
    # Before: `cannot read the suite: Expecting ',' delimiter: line 9 column 7 (char 212)`, in English, no fix.
    path = tmp_path / "compound_list.json"
    text = (EXPECTATIONS_DIR / "compound_list.json").read_text(encoding="utf-8")
    broken = text.replace('"severity"', '"severity" ', 1).replace('": "error",', '": "error"', 1)
    path.write_text(broken, encoding="utf-8")

    message = refusal(tmp_path, "compound_list")

    assert message.startswith(f"{path}: 第")
    assert "不是有效的JSON（not valid JSON: Expecting ',' delimiter），请改正：" in message
    line, column = (int(n) for n in message.split(": 第", 1)[1].split("列", 1)[0].split("行第"))
    with pytest.raises(json.JSONDecodeError) as decoded:
        json.loads(broken)
    assert (line, column) == (decoded.value.lineno, decoded.value.colno)


@pytest.mark.parametrize("template", TEMPLATES)
def test_an_unknown_expectation_type_names_its_line_and_the_type_meant(tmp_path, template):
    path, text = written(
        tmp_path, template, lambda s: s["expectations"][-1].update(type="expect_column_values_to_not_be_nul")
    )
    last = len(json.loads(text)["expectations"]) - 1

    message = refusal(tmp_path, template)

    assert message.startswith(
        f"{path}: expectations.{last}.type: type 'expect_column_values_to_not_be_nul' 不是"
    )
    assert "，请写 'expect_column_values_to_not_be_null'（多半是它的笔误）" in message
    assert standing_at(text, message).startswith('"type": "expect_column_values_to_not_be_nul"')


@pytest.mark.parametrize("key", ["severity", "reason"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_a_check_without_severity_or_why_names_its_meta_and_what_to_write(tmp_path, template, key):
    path, text = written(tmp_path, template, lambda s: s["expectations"][0]["meta"].pop(key))

    message = refusal(tmp_path, template)

    assert message.startswith(f"{path}: expectations.0.meta: meta 缺少 {key}，")
    assert f'，请在 meta 中加上 "{key}": ' in message
    assert standing_at(text, message).startswith('"meta": {')
    assert line_and_column(text, ("expectations", 0, "meta")) is not None


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_check_of_an_unknown_severity_names_the_key_itself(tmp_path, template):
    path, text = written(tmp_path, template, lambda s: s["expectations"][0]["meta"].update(severity="错误"))

    message = refusal(tmp_path, template)

    assert message.startswith(
        f"{path}: expectations.0.meta.severity: severity '错误' 既不是 error 也不是 warning"
    )
    assert standing_at(text, message).startswith('"severity": "错误"')


def _columned(template: str) -> int | None:
    suite = json.loads((EXPECTATIONS_DIR / f"{template}.json").read_text(encoding="utf-8"))
    return next((n for n, e in enumerate(suite["expectations"]) if "column" in e.get("kwargs", {})), None)


@pytest.mark.parametrize("template", [t for t in TEMPLATES if _columned(t) is not None])
def test_a_check_of_a_column_the_template_lacks_names_the_kwarg_and_the_columns_there_are(
    tmp_path, monkeypatch, registry, template
):
    # Before: `expectation expect_column_values_to_be_between (rule …) 用到的 'x' 不是 … 中的列`: no line, no key.
    for suite in EXPECTATIONS_DIR.glob("*.json"):
        shutil.copy(suite, tmp_path / suite.name)
    position = _columned(template)
    path, text = written(
        tmp_path, template, lambda s: s["expectations"][position]["kwargs"].update(column="no_such_column")
    )
    suites_module.suite_documents.cache_clear()
    monkeypatch.setattr(validate_module, "EXPECTATIONS_DIR", tmp_path)
    monkeypatch.setattr(
        validate_module,
        "suite_documents",
        lambda template_id: suites_module.suite_documents(template_id, tmp_path),
    )

    with pytest.raises(SuiteError) as raised:
        validate_module.check_sources(registry)
    message = str(raised.value)

    assert message.startswith(f"{path}: expectations.{position}.kwargs.column: 检查 ")
    assert "'no_such_column' 不是 " in message
    assert (
        f"，请在这里改用该文件的列名（{', '.join(sorted(c.name for c in registry.template(template).columns))}）"
        in message
    )
    assert standing_at(text, message).startswith('"column": "no_such_column"')


def test_a_check_not_in_its_file_is_named_by_its_suite_and_rule(tmp_path):
    # Before: a check added in code (not in the file) was said at `expectations: ` alone, naming no check.
    path = tmp_path / "demo.json"
    path.write_text('{"name": "demo",\n "expectations": []}', encoding="utf-8")
    check = {"type": "expect_column_values_to_not_be_null", "meta": {"rule": "required"}}

    message = said(
        path, ("expectations", None, "meta"), "缺", "lacks", "请补上", unplaced({"name": "demo"}, check)
    )

    assert message == (
        f"{path}: expectations（suite 'demo' 的检查 expect_column_values_to_not_be_null（规则 required），"
        "文件中没有这一条（not in the file））: 缺（lacks），请补上（第2行第2列）"
    )
