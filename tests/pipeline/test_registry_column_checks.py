"""A column whose keys cannot hold together is refused: a name no SQL column can have, an alias read twice."""

from __future__ import annotations

import pytest

from pipeline.registry import load_registry
from tests.pipeline.test_registry import SOURCE, refusal, registry_dir, template_yaml


@pytest.mark.parametrize("name", ["order", "join"])
def test_a_column_named_by_an_sql_keyword_is_rejected_naming_it(tmp_path, name):
    # Loaded, it failed the night on the raw table's DDL, told as a damaged warehouse.
    text = template_yaml(columns=f"  - {{name: {name}, header: 排序, type: integer}}\n")
    message = refusal(tmp_path, text)
    assert message == (
        f"{SOURCE}: columns.2.name: 列名 {name!r} 是 SQL 关键字，表中不能不加引号使用（column name is an SQL keyword），"
        f"请另起名称，如 {name}_value（第9行）"
    )


def test_a_column_name_that_is_no_table_column_says_what_to_write(tmp_path):
    message = refusal(
        tmp_path, template_yaml(columns="  - {name: Planned Cost, header: 计划投资, type: money}\n")
    )
    assert message == (
        f"{SOURCE}: columns.2.name: 列名 'Planned Cost' 不是小写的 SQL 标识符"
        "（column name must be a lower-case SQL identifier），请写 'planned_cost'（第9行）"
    )


@pytest.mark.parametrize(
    ("aliases", "repeated", "first"),
    [
        pytest.param("[经费金额, 经费金额]", "经费金额", "经费金额", id="alias-twice"),
        pytest.param("[经费]", "经费", "经费", id="alias-repeating-the-header"),
        pytest.param(
            "[经费金额, 经费 金额]", "经费 金额", "经费金额", id="alias-repeating-another-but-for-a-space"
        ),
    ],
)
def test_an_alias_repeating_a_header_of_its_column_is_refused(tmp_path, aliases, repeated, first):
    message = refusal(
        tmp_path,
        template_yaml(columns=f"  - {{name: cost, header: 经费, aliases: {aliases}, type: money}}\n"),
    )

    assert (
        f"columns.2.aliases（列 'cost'）: 别名 {repeated!r} 与前面的 {first!r} 读的是同一个表头（alias reads the same "
        "header as one written before it），请删去重复的一个，或写办公室实际使用的另一种写法（第9行）"
    ) in message


def test_a_header_holding_a_comma_is_kept_as_written(tmp_path):
    loaded = load_registry(
        registry_dir(tmp_path, template_yaml(columns="  - {name: cost, header: '经费，含税', type: money}\n"))
    )
    assert loaded.template("demo_list").column("cost").header == "经费，含税"
