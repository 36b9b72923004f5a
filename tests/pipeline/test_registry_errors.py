"""A registry key written wrong is refused naming the file, the key path, its column, and what to write instead."""

from __future__ import annotations

import pytest

from pipeline.registry import RegistryError, load_registry
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


def test_a_column_check_naming_its_column_is_not_named_twice(tmp_path):
    message = refusal(tmp_path, template_yaml(columns="  - {name: status, header: 状态, type: enum}\n"))

    assert "columns.2: column 'status': `values` is required" in message
