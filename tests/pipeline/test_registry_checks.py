"""What no one template can see is refused: units.yaml lacking a measure or count word, a register type, a code or
row column given, and two templates of one name."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest

from pipeline.registry import REGISTRY_DIR, load_registry
from pipeline.registry_errors import RegistryError
from tests.pipeline.test_registry import SOURCE, refusal, registry_dir, template_yaml


def test_money_column_needs_the_money_measure_in_units_yaml(tmp_path):
    units = "measures:\n  area:\n    base: 平方米\n    units:\n      平方米: {factor: '1'}\n"
    text = template_yaml(columns="  - {name: amount, header: 金额, type: money}\n")
    with pytest.raises(
        RegistryError,
        match=r"demo_list\.yaml: columns\.2\.type（列 'amount'）: 类型 money 要用的计量 'money' 在 units.yaml 中没有.*"
        r"请在那里补上（第9行）",
    ):
        load_registry(registry_dir(tmp_path, text, units=units))


def test_a_count_column_counting_a_word_units_yaml_lacks_is_rejected(tmp_path):
    # Loaded, it refused every `20人` of the column as counting something other than 斤.
    text = template_yaml(columns="  - {name: trainees, header: 培训人次, type: count, counts: 斤}\n")
    message = refusal(tmp_path, text)
    assert message.startswith(
        f"{SOURCE}: columns.2.counts（列 'trainees'）: '斤' 不是 units.yaml 中计数（count）的单位"
    )
    assert message.endswith(
        f"（第{text.splitlines().index('  - {name: trainees, header: 培训人次, type: count, counts: 斤}') + 1}行）"
    )


def test_a_count_column_counting_elevators_loads_with_no_python(tmp_path):
    # 部 and 台 are count words of units.yaml: a new source counting 加装电梯 needs no code.
    text = template_yaml(columns="  - {name: elevators, header: 加装电梯, type: count, counts: 台}\n")
    registry = load_registry(registry_dir(tmp_path, text))
    assert registry.template("demo_list").column("elevators").counts == "台"
    assert registry.units.find("部")[:2] == registry.units.find("台")[:2] == ("count", Decimal(1))


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("老旧小区", "请写其中之一"),
        (
            "城镇老旧小区改造",
            "请写作 老旧小区改造",
        ),  # an alias the register's 项目类型 reads, never stored
    ],
)
def test_a_register_project_type_the_register_cannot_hold_is_refused_naming_file_and_key(
    tmp_path, written, says
):
    # 老旧小区 for 老旧小区改造 loaded, and every compound list without a 项目名称 line was returned to its office with
    # "项目基本信息表中…的老旧小区项目没有登记", the project being registered (/tmp/s65/h2/repro_register_type.py).
    shutil.copytree(REGISTRY_DIR, tmp_path / "registry")
    path = tmp_path / "registry" / "sources" / "compound_list.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "register_project_type: 老旧小区改造", f"register_project_type: {written}"
        ),
        encoding="utf-8",
    )

    with pytest.raises(RegistryError) as raised:
        load_registry(tmp_path / "registry")

    message = str(raised.value)
    assert message.startswith(
        f"{path}: project.register_project_type {written!r} 不是 sources/project_register.yaml 的项目类型"
    )
    assert "老旧小区改造, 棚户区改造, 其他" in message
    assert says in message
    # Before: the key's line was not named.
    [line] = [
        n
        for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "register_project_type" in text
    ]
    assert message.endswith(f"（第{line}行）")


@pytest.mark.parametrize("name", ["project_code", "project_code_derived"])
def test_a_project_code_column_on_a_template_other_than_the_register_is_refused(tmp_path, name):
    # A 项目编码 column on a new contract ledger was taken as its rows' project code, never checked against the
    # register: a corrected ledger writing another code stood beside the file it corrects, both counted, under a code
    # no register lists (/tmp/s65/h2/repro_project_code.py).
    message = refusal(
        tmp_path, template_yaml(columns=f"  - {{name: {name}, header: 项目编码, type: text}}\n")
    )

    assert message == (
        f"{SOURCE}: columns.2.name: {name!r}: 每一行的 project_code 都按项目名称取自项目基本信息表"
        "（sources/project_register.yaml），只有该表的行自己填写编码。要保留表中填写的编码，请把这一列另起名称"
        "（如 stated_project_code）（第9行）"
    )


@pytest.mark.parametrize(
    ("field", "slice_and_month"),
    [
        ("{name: year, header: 年度, type: year}", ""),
        ("{name: project_name, header: 项目名称, type: name}", ""),
        ("{name: month, header: 月份, type: month}", "month: {from: 检查日期}\n"),
    ],
)
def test_a_field_named_as_a_column_every_row_is_given_is_refused(tmp_path, field, slice_and_month):
    # A form's `年度 | 2022` or `项目名称 | …` label read as a field of that name loaded, and the night's load then stopped
    # telling the operator to check the disk and restore a backup (Catalog Error: Column with name "year" already
    # exists), raw.<id> being given the column twice.
    text = template_yaml(
        extra=f"{slice_and_month}fields:\n  - {field}\n",
        columns="  - {name: checked_on, header: 检查日期, type: date}\n",
    )
    if slice_and_month:
        text = text.replace("slice: [unit, project, year]", "slice: [unit, project, year, month]")
    name = field.split(",")[0].removeprefix("{name: ")

    message = refusal(tmp_path, text)

    assert message.startswith(
        f"{SOURCE}: fields.0.name: {name!r} 是流水线给 raw.demo_list 每一行都加上的列（"
    )
    line = text.splitlines().index(f"  - {field}") + 1
    assert message.endswith(f"（a column every row is given），请给这个字段另起名称（第{line}行）")


@pytest.mark.parametrize("second_name", ["测试清单", " 测试 清单", "测试清单\u3000"])
def test_two_templates_of_one_name_are_refused_naming_both_files(tmp_path, second_name):
    # Receipts and the portal name a form by its name_zh: two of one name (as a clerk reads it) say nothing certain.
    other = template_yaml(
        template_id="demo_other", columns="  - {name: buildings, header: 栋数, type: count}\n"
    )
    directory = registry_dir(tmp_path, template_yaml())
    (directory / "sources" / "demo_other.yaml").write_text(
        other.replace("name_zh: 测试清单", f'name_zh: "{second_name}"'), encoding="utf-8"
    )

    with pytest.raises(RegistryError) as raised:
        load_registry(directory)

    said = str(raised.value)
    # Before: `sources/demo_other.yaml`, wherever the registry was, and no line.
    assert said.startswith(f"{directory / 'sources' / 'demo_other.yaml'}: name_zh ")
    assert (
        "也是 sources/demo_list.yaml 的名称" in said and "报表名称重复" in said and said.endswith("（第2行）")
    )


def test_the_shipped_registry_names_each_template_once(registry):
    names = [template.name_zh for template in registry.templates.values()]
    assert len(set(names)) == len(names) == len(registry.templates)
