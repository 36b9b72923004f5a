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
            "columns.0.requried (column 'compound_name'): Extra inputs are not permitted; write 'required'",
            id="typo-in-a-column-key",
        ),
        pytest.param(
            template_yaml().replace("year_from:", "yaer_from:"),
            "yaer_from: Extra inputs are not permitted; write 'year_from'",
            id="typo-in-a-top-key",
        ),
        pytest.param(
            template_yaml().replace("project: {line: true}", "project: {line: true, zzz: red}"),
            "project.zzz: Extra inputs are not permitted; remove it, or write one of the keys allowed here: column, line,",
            id="unknown-key-lists-the-keys",
        ),
        pytest.param(
            template_yaml().replace("type: name, required: true", "type: name, required: 是"),
            "columns.0.required (column 'compound_name'): Input should be a valid boolean, unable to interpret input; "
            "write true or false",
            id="not-a-boolean",
        ),
        pytest.param(
            template_yaml(columns="  - {name: cost, header: 经费, aliases: 经费金额, type: money}\n"),
            "columns.2.aliases (column 'cost'): Input should be a valid tuple; write a list in brackets",
            id="aliases-not-a-list",
        ),
        pytest.param(
            template_yaml(columns="  - {name: cost, header: 经费, aliases: [2022], type: money}\n"),
            "columns.2.aliases.0 (column 'cost'): Input should be a valid string; write it as text; quote it",
            id="alias-a-number",
        ),
        pytest.param(
            template_yaml(columns="  - {header: 经费, type: money}\n"),
            "columns.2.name: Field required; add `name:`",
            id="column-without-name",
        ),
    ],
)
def test_a_key_written_wrong_says_where_and_what_to_write(tmp_path, template, says):
    message = refusal(tmp_path, template)

    assert message.startswith(f"{tmp_path / 'sources' / 'demo_list.yaml'}: ")
    assert says in message


def test_a_column_check_naming_its_column_is_not_named_twice(tmp_path):
    message = refusal(tmp_path, template_yaml(columns="  - {name: status, header: 状态, type: enum}\n"))

    assert "columns.2: column 'status': `values` is required" in message
