"""A registry file is read as written: not UTF-8, a key twice, a tab or no YAML at all is refused naming its place."""

from __future__ import annotations

import pytest

from pipeline.registry import load_registry
from pipeline.registry_errors import RegistryError
from tests.pipeline.test_registry import ENTRY_COLUMN, SOURCE, refusal, registry_dir, template_yaml


def test_a_registry_file_not_in_utf8_is_rejected_naming_it(tmp_path):
    directory = registry_dir(tmp_path, template_yaml())
    # A comment saved as GBK, as a Chinese editor's default (ANSI) writes it.
    path = directory / "sources" / "demo_list.yaml"
    path.write_bytes("# 老旧小区\n".encode("gbk") + path.read_bytes())
    with pytest.raises(RegistryError) as raised:  # before, a UnicodeDecodeError and a traceback
        load_registry(directory)
    assert str(raised.value).startswith(f"{path}: 不是UTF-8编码")


def test_an_enum_value_listed_twice_is_rejected_not_read_as_the_last(tmp_path):
    # YAML keeps the last of two equal keys: 到位's alias 到账 would be lost without a word.
    text = template_yaml(columns=ENTRY_COLUMN + "      到位: [已到位]\n")
    message = refusal(tmp_path, text)
    assert message.startswith(f"{SOURCE}: ")
    assert "键 '到位' 出现了两次，后一个会不声不响地取代前一个，请删去或合并其中一个" in message


def test_a_registry_file_indented_with_a_tab_is_rejected_saying_so(tmp_path):
    # PyYAML says only "found character that cannot start any token": the tab is invisible in most editors.
    text = template_yaml().replace("  - {name: households", "\t- {name: households")
    message = refusal(tmp_path, text)
    assert message.startswith(f"{SOURCE}: 第8行第1列不是有效的YAML（not valid YAML）：")
    assert message.endswith("（第8行用 Tab 键缩进，YAML 只认空格缩进（indented with a tab），请改为空格）")


def test_a_registry_file_that_is_no_yaml_names_its_line_and_column_on_one_line(tmp_path):
    # Before: PyYAML's own words over four lines (`in "<unicode string>", line 7, column 1`), as a traceback's foot.
    message = refusal(tmp_path, template_yaml(extra="year_in: [title\n"))
    assert "\n" not in message
    assert message == (
        f"{SOURCE}: 第7行第8列不是有效的YAML（not valid YAML）：while parsing a flow sequence（第6行第10列起）: "
        "did not find expected ',' or ']'"
    )
