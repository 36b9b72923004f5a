from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.registry import REGISTRY_DIR, RegistryError, load_registry
from pipeline.registry_columns import ColumnType

TEMPLATES = {
    "compound_list",
    "fund_ledger",
    "investment_progress",
    "performance_targets",
    "project_register",
    "report_narrative",
    "satisfaction_survey",
    "scale_and_cost",
}

ENTRY_COLUMN = """\
  - name: entry_type
    header: 类型
    type: enum
    values:
      到位: [到账]
      支付: [资金支付]
"""
GOOD_COLUMNS = """\
  - {name: compound_name, header: 小区名称, type: name, required: true}
  - {name: households, header: 户数, type: count}
"""


def template_yaml(
    *, template_id: str = "demo_list", year_from: str = "[line, title]", extra: str = "", columns: str = ""
) -> str:
    return (
        f"id: {template_id}\n"
        "name_zh: 测试清单\n"
        "slice: [unit, project, year]\n"
        "project: {line: true}\n"
        f"year_from: {year_from}\n"
        f"{extra}"
        "columns:\n"
        f"{GOOD_COLUMNS}{columns}"
    )


def ambiguous_entry(word: str) -> str:
    """Return a template whose entry_type column lists one ambiguous word (`word: {between…, why…}`)."""
    return template_yaml(columns=f"{ENTRY_COLUMN}    ambiguous:\n      {word}\n")


def registry_dir(
    tmp_path: Path, template: str, *, name: str = "demo_list.yaml", units: str | None = None
) -> Path:
    """Write a registry with the real units.yaml (or `units`) and one template file."""
    (tmp_path / "sources").mkdir()
    if units is None:
        shutil.copy(REGISTRY_DIR / "units.yaml", tmp_path / "units.yaml")
    else:
        (tmp_path / "units.yaml").write_text(units, encoding="utf-8")
    (tmp_path / "sources" / name).write_text(template, encoding="utf-8")
    return tmp_path


# Where `refusal` writes the template: a message names it first.
SOURCE = "sources/demo_list.yaml"


def refusal(tmp_path: Path, template: str) -> str:
    """Return what load_registry says refusing a registry of this one template, its file named relative to it."""
    directory = registry_dir(tmp_path, template)
    with pytest.raises(RegistryError) as raised:
        load_registry(directory)
    return str(raised.value).replace(f"{directory}/", "", 1)


def test_the_real_registry_loads_every_source_file_as_a_template(registry):
    # Derived from the folder, so adding a source (pipeline new-source) keeps this test true.
    assert set(registry.templates) == {p.stem for p in (REGISTRY_DIR / "sources").glob("*.yaml")}
    assert set(registry.templates) >= TEMPLATES
    assert registry.directory == REGISTRY_DIR


def test_the_real_registry_matches_the_contracts_required_columns(registry):
    required = {t: sorted(c.name for c in registry.template(t).required) for t in TEMPLATES}
    assert required["compound_list"] == ["area_m2", "compound_name", "households", "planned_investment_wan"]
    assert required["fund_ledger"] == ["amount_wan", "date", "entry_type", "fund_source", "project_name"]
    assert required["satisfaction_survey"] == ["dissatisfied", "respondent", "satisfied", "valid_responses"]


def test_columns_carry_their_type_and_normalised_labels(registry):
    households = registry.template("compound_list").column("households")
    assert households.type is ColumnType.COUNT
    assert households.required is True
    assert households.labels == ("惠及户数", "户数", "涉及户数")
    assert registry.template("compound_list").label_index["涉及户数"] is households


def test_entry_type_aliases_only_re_spell_a_value_and_ambiguous_words_are_listed_apart(registry):
    column = registry.template("fund_ledger").column("entry_type")
    assert column.enum_lookup == {
        "到位": "到位",
        "资金到位": "到位",
        "到账": "到位",
        "到帐": "到位",
        "支付": "支付",
        "资金支付": "支付",
    }
    assert set(column.ambiguity_lookup) == {"拨付", "资金拨付", "拨款", "下达"}
    assert {a.between for a in column.ambiguity_lookup.values()} == {("到位", "支付")}


def test_fund_source_alias_with_brackets_is_looked_up_width_folded(registry):
    lookup = registry.template("fund_ledger").column("fund_source").enum_lookup
    assert lookup["中央预算内投资(发改资金)"] == "中央预算内投资"
    assert lookup["专项债券"] == "专项债券资金"


def test_a_minimal_template_loads(tmp_path):
    loaded = load_registry(registry_dir(tmp_path, template_yaml()))
    assert list(loaded.templates) == ["demo_list"]
    assert loaded.template("demo_list").column("households").type is ColumnType.COUNT


@pytest.mark.parametrize(
    ("template", "fragments"),
    [
        pytest.param(
            template_yaml(extra="colour: red\n"),
            ["colour", "Extra inputs are not permitted"],
            id="unknown-key",
        ),
        pytest.param(
            template_yaml(columns="  - {name: family_count, header: 家庭数, type: count, colour: red}\n"),
            ["columns.2.colour", "Extra inputs are not permitted"],
            id="unknown-column-key",
        ),
        pytest.param(
            template_yaml(columns="  - {name: status, header: 状态, type: enum}\n"),
            ["columns.2", "status", "`values` is required for enum columns"],
            id="enum-without-values",
        ),
        pytest.param(
            template_yaml(columns="  - {name: status, header: 状态, type: enum, values: {}}\n"),
            ["columns.2.values（列 'status'）: `values` 未列出任何取值（`values` lists no value），请列出"],
            id="enum-with-no-value",
        ),
        pytest.param(
            template_yaml(
                columns="  - {name: family_count, header: 惠及户数, aliases: [户数], type: count}\n"
            ),
            ["表头 '户数' 同时属于 'households' 和 'family_count'"],
            id="duplicate-header-label",
        ),
        pytest.param(
            template_yaml(columns="  - {name: family_count, header: 户数（户）, type: count}\n"),
            ["columns.2.header（列 'family_count'）: 表头 '户数（户）' 以（户）结尾"],
            id="header-with-its-unit",
        ),
        pytest.param(
            # The blank template printed 培训经费（千元）（万元）, which no column reads back.
            template_yaml(
                columns="  - {name: cost, header: 培训经费, aliases: [经费（千元）], type: money}\n"
            ),
            [
                "columns.2.aliases（列 'cost'）: 表头 '经费（千元）' 以（千元）结尾",
                "请写 '经费'：单位由表中的表头或“单位：”行给出（第9行）",
            ],
            id="alias-with-a-unit",
        ),
        pytest.param(
            template_yaml(columns="  - {name: unit, header: 单位, type: text}\n"),
            [
                "columns.2.name（列 'unit'）: 列名 unit 留给溯源（lineage）使用",
                "请另起名称，如 unit_name（第9行）",
            ],
            id="reserved-column-name",
        ),
        pytest.param(
            template_yaml(year_from="[dates, line]"),
            ["year_from lists `dates` but no date_column is set"],
            id="dates-without-date-column",
        ),
        pytest.param(
            template_yaml(template_id="other_list"),
            [
                "id 'other_list' 与文件名 'demo_list' 不一致（id must equal the file name），请把文件改名为 "
                "other_list.yaml；若是留作备份的副本，请移出 sources/（第1行）"
            ],
            id="id-not-file-name",
        ),
        pytest.param("id: demo_list\ncolumns: [a, b\n", ["not valid YAML"], id="invalid-yaml"),
        pytest.param(
            template_yaml(columns='  - {name: amount, header: "", type: money}\n'),
            ["columns.2.header（列 'amount'）: 表头、别名或取值中有空白的词"],
            id="blank-header",
        ),
        pytest.param(
            template_yaml(columns='  - {name: amount, header: 金额, aliases: [资金, " "], type: money}\n'),
            ["（列 'amount'）: 表头、别名或取值中有空白的词"],
            id="blank-alias",
        ),
        pytest.param(
            template_yaml(columns=ENTRY_COLUMN.replace("[到账]", '[到账, ""]')),
            ["（列 'entry_type'）: 表头、别名或取值中有空白的词"],
            id="blank-enum-alias",
        ),
        pytest.param("- demo_list\n", ["expected a mapping at the top level"], id="not-a-mapping"),
        pytest.param(
            template_yaml(columns="  - {name: households, header: 户数合计, type: count}\n"),
            [
                "columns.2.name（列 'households'）: 列名 households 出现了不止一次",
                "请给每一列各自的名称（第9行）",
            ],
            id="duplicate-column-name",
        ),
        pytest.param(
            template_yaml(columns="  - {name: Amount, header: 金额, type: money}\n"),
            ["columns.2.name", "lower-case SQL identifier"],
            id="column-name-not-identifier",
        ),
        pytest.param(
            template_yaml(columns="  - {name: amount, header: 金额, type: currency}\n"),
            ["columns.2.type"],
            id="unknown-column-type",
        ),
        pytest.param(
            template_yaml(columns=ENTRY_COLUMN.replace("[资金支付]", "[资金支付, 到 账]")),
            ["columns.2", "'到 账' 同时列在取值 '到位' 和 '支付' 下", "改列在 ambiguous 下（第14行）"],
            id="enum-alias-of-two-values",
        ),
        pytest.param(
            ambiguous_entry("到账: {between: [到位, 支付], why: 说不清}"),
            ["columns.2", "歧义词 '到账' 同时是 '到位' 的取值或别名"],
            id="ambiguous-word-is-an-alias",
        ),
        pytest.param(
            ambiguous_entry("支付: {between: [到位, 支付], why: 说不清}"),
            ["歧义词 '支付' 同时是 '支付' 的取值或别名"],
            id="ambiguous-word-is-a-value",
        ),
        pytest.param(
            ambiguous_entry("拨付: {between: [到位, 退回], why: 说不清}"),
            ["歧义词 '拨付' 的 between 列出了 values 中没有的取值 退回"],
            id="ambiguous-between-unknown-value",
        ),
        pytest.param(
            ambiguous_entry("拨付: {between: [到位], why: 说不清}"),
            ["columns.2.ambiguous.拨付.between", "at least 2 items"],
            id="ambiguous-between-one-value",
        ),
        pytest.param(
            ambiguous_entry("拨付: {between: [到位, 到位], why: 说不清}"),
            ["歧义词 '拨付' 的 between 须列出两个不同的取值"],
            id="ambiguous-between-the-same-value-twice",
        ),
        pytest.param(
            ambiguous_entry("拨付: {between: [到位, 支付]}"),
            ["columns.2.ambiguous.拨付.why", "Field required"],
            id="ambiguous-without-why",
        ),
        pytest.param(
            template_yaml(
                columns="  - {name: note, header: 备注, type: text, ambiguous: {拨付: {between: [a, b], why: x}}}\n"
            ),
            ["columns.2.ambiguous（列 'note'）: `ambiguous` 只用于 enum 列"],
            id="ambiguous-on-a-text-column",
        ),
        pytest.param(
            template_yaml(
                columns="  - {name: reported, header: 完成值, type: text, read_against: households}\n"
            ),
            ["columns.2.read_against（列 'reported'）: 指向 'households'，它不是类型为 text 的列"],
            id="read-against-a-count",
        ),
        pytest.param(
            template_yaml(columns="  - {name: reported, header: 完成值, type: text, read_against: target}\n"),
            ["columns.2.read_against（列 'reported'）: 指向 'target'"],
            id="read-against-no-column",
        ),
        pytest.param(
            template_yaml(
                columns="  - {name: target, header: 指标值, type: text}\n"
                "  - {name: reported, header: 完成值, type: decimal, read_against: target}\n"
            ),
            ["（列 'reported'）: `read_against` 只用于 text 列"],
            id="read-against-on-a-number-column",
        ),
        pytest.param(
            template_yaml(columns="  - {name: points, header: 分值, type: decimal, preprinted: true}\n"),
            ["（列 'points'）: `preprinted` 只用于 text 列"],
            id="preprinted-on-a-number-column",
        ),
        pytest.param(
            template_yaml(
                columns="  - {name: points, header: 分值, type: decimal, strip_prefix: '指标\\d+:'}\n"
            ),
            ["（列 'points'）: `strip_prefix` 只用于 text 和 name 列"],
            id="strip-prefix-on-a-number-column",
        ),
        pytest.param(
            template_yaml(columns="  - {name: level3, header: 三级指标, type: text, placeholder: '[.'}\n"),
            ["（列 'level3'）: `placeholder` 不是有效的正则表达式"],
            id="placeholder-no-pattern",
        ),
        pytest.param(
            template_yaml(
                columns="  - {name: light, header: 预警情况, type: text, required: true, printed: false}\n"
            ),
            ["columns.2.required（列 'light'）: 未印在表上（printed: false）的列不能是必填列"],
            id="required-column-not-printed",
        ),
        pytest.param(
            template_yaml(columns="  - {name: light, header: 预警情况, type: text, legend: true}\n"),
            ["（列 'light'）: `legend` 只用于不带 multiple 的 enum 列"],
            id="legend-on-a-text-column",
        ),
        pytest.param(
            template_yaml(columns="  - {name: note, header: 备注, type: text, counts: 户}\n"),
            ["（列 'note'）: `counts` 只用于 count 列"],
            id="counts-on-a-text-column",
        ),
        pytest.param(
            template_yaml(
                extra="written_rates: [{header: 入住率, parts: [households], whole: compound_name, rule: r}]\n"
            ),
            ["written_rates.0.whole: 指向 'compound_name'，它不是类型为 count 或 integer 的列"],
            id="written-rate-of-a-name",
        ),
        pytest.param(
            template_yaml(
                extra="written_rates: [{header: 户数, parts: [households], whole: households, rule: r}]\n"
            ),
            ["written_rates.0.header: 表头 '户数' 已是列 'households' 的表头", "请从其中一处删去它（第6行）"],
            id="written-rate-headed-as-a-column",
        ),
        pytest.param(
            template_yaml(columns="  - {name: area, header: 面积, type: area, taken_back_in_place: true}\n"),
            ["（列 'area'）: `taken_back_in_place` 只用于 money 列"],
            id="taken-back-in-place-on-an-area",
        ),
        pytest.param(
            template_yaml(columns="  - {name: name, header: 名称, type: name, checked_as_item: true}\n"),
            ["（列 'name'）: `checked_as_item` 只用于 text 列"],
            id="checked-as-item-on-a-name-column",
        ),
        pytest.param(
            template_yaml(
                columns="  - {name: kind, header: 类别, type: enum, values: {甲: null}, sent_in_parts: true}\n"
            ),
            ["（列 'kind'）: `sent_in_parts` 只用于必填、不带 multiple 的 enum 列"],
            id="sent-in-parts-on-an-optional-enum",
        ),
        pytest.param(
            template_yaml(
                columns="  - {name: note, header: 备注, type: text, required: true, sent_in_parts: true}\n"
            ),
            ["（列 'note'）: `sent_in_parts` 只用于必填、不带 multiple 的 enum 列"],
            id="sent-in-parts-on-a-text-column",
        ),
        pytest.param(
            template_yaml(
                columns="  - {name: kind, header: 类别, type: enum, required: true, values: {甲: null}, sent_in_parts: true}\n"
                "  - {name: part, header: 部分, type: enum, required: true, values: {乙: null}, sent_in_parts: true}\n"
            ),
            [
                "columns.3.sent_in_parts（列 'part'）: 列 kind, part 都写了 `sent_in_parts`",
                "请只在一列写 sent_in_parts: true（第10行）",
            ],
            id="sent-in-parts-twice",
        ),
    ],
)
def test_bad_template_is_rejected_naming_the_file_and_the_key(tmp_path, template, fragments):
    message = refusal(tmp_path, template)
    assert message.startswith(f"{SOURCE}: ")
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(
    ("extra", "columns", "line"),
    [
        ("year_in: [title]\n", "", 6),  # a key no template has
        ("", "    requried: true\n", 12),  # a slip in a column's key, under its entry
    ],
)
def test_a_key_a_template_gets_wrong_is_named_with_its_line(tmp_path, extra, columns, line):
    text = template_yaml(
        extra=extra, columns="  - name: households\n    header: 户数合计\n    type: count\n" + columns
    )
    assert text.splitlines()[line - 1].strip().startswith(("year_in", "requried"))
    message = refusal(tmp_path, text)
    assert message.endswith(f"（第{line}行）") and "\n" not in message


@pytest.mark.parametrize("suffix", [".yml", ".YAML"])
def test_a_registry_file_the_loader_would_not_read_is_rejected_naming_it(tmp_path, suffix):
    # Passed over, its template was missing, and every file of its layout returned as 无法识别的报表模板.
    directory = registry_dir(tmp_path, template_yaml())
    (directory / "sources" / f"training{suffix}").write_text(template_yaml(template_id="training"), "utf-8")
    with pytest.raises(RegistryError) as raised:
        load_registry(directory)
    assert str(raised.value) == (
        f"{directory / 'sources' / f'training{suffix}'}: 只读取扩展名为 .yaml 的文件，这个文件不会被读取"
        "（not read, as only *.yaml files are），请改名为 training.yaml"
    )


def test_template_without_a_required_column_is_rejected(tmp_path):
    text = template_yaml().replace("required: true", "required: false")
    with pytest.raises(RegistryError, match="at least one column must be required"):
        load_registry(registry_dir(tmp_path, text))


def test_a_registry_without_templates_is_rejected(tmp_path):
    directory = registry_dir(tmp_path, "", name="notes.txt")
    with pytest.raises(
        RegistryError, match="没有任何模板（no templates found），请运行 `pipeline new-source"
    ):
        load_registry(directory)


MONTHLY = "slice: [unit, project, year]"


@pytest.mark.parametrize(
    ("change", "columns", "fragments"),
    [
        # Monthly, with a month column that may be left empty: each month's file would supersede the last.
        (
            "slice: [unit, project, year, month]",
            "  - {name: month, header: 月份, type: month}\n",
            ["slice", "month"],
        ),
        # Monthly with no month anywhere.
        (
            "slice: [unit, project, year, month]",
            "",
            [
                "slice: 切片有 `month`，但并非每一行都有月份",
                "month: {from: <一列日期>}",
                "month_from_headers",
            ],
        ),
        # month_from must name a date column.
        (
            "slice: [unit, project, year, month]\nmonth_from: households",
            "",
            ["month_from", "households", "date"],
        ),
        # month_from without a monthly slice.
        (
            "slice: [unit, project, year]\nmonth_from: checked_on",
            "  - {name: checked_on, header: 检查日期, type: date}\n",
            ["month_from", "slice"],
        ),
    ],
)
def test_a_monthly_slice_needs_a_month_on_every_row(tmp_path, change, columns, fragments):
    text = template_yaml(columns=columns).replace(MONTHLY, change)
    message = refusal(tmp_path, text)
    assert message.startswith(f"{SOURCE}: ")
    for fragment in fragments:
        assert fragment in message


SAFETY = """\
id: safety_checks
name_zh: 安全检查记录
slice: [unit, project, year, month]
month_from: checked_on
project: {line: true}
year_from: [dates]
date_column: checked_on
columns:
  - {name: checked_on, header: 检查日期, type: date, required: true}
  - {name: compound_name, header: 小区名称, type: name, required: true}
  - {name: hazards, header: 隐患数, type: count, required: true}
  - {name: fixed, header: 整改完成数, type: count}
"""


# The same source as the walkthrough spells it: the month and the year read from the dates, named by header.
SAFETY_FROM = SAFETY.replace(
    "month_from: checked_on\nproject: {line: true}\nyear_from: [dates]\ndate_column: checked_on\n",
    "month: {from: 检查日期}\nyear: {from: 检查日期}\nproject: {line: true}\n",
)


def test_month_and_year_from_a_column_are_month_from_and_year_from_dates(tmp_path):
    (tmp_path / "sources").mkdir()
    shutil.copy(REGISTRY_DIR / "units.yaml", tmp_path / "units.yaml")
    spelled = {}
    for text in (SAFETY, SAFETY_FROM):
        (tmp_path / "sources" / "safety_checks.yaml").write_text(text, encoding="utf-8")
        spelled[text] = load_registry(tmp_path).template("safety_checks")

    assert SAFETY_FROM != SAFETY
    assert spelled[SAFETY_FROM] == spelled[SAFETY]
    assert (spelled[SAFETY].month_from, spelled[SAFETY].year_from) == ("checked_on", ("dates",))


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (
            "month_from: checked_on\n",
            ["`month: {from: 检查日期}` 和 `month_from`", "请只保留其中一个（第12行）"],
        ),
        ("year_from: [line]\n", ["`year: {from: 检查日期}` 和 `year_from`", "请只保留其中一个（第12行）"]),
        ("", []),
    ],
)
def test_a_field_read_from_a_column_is_said_once(tmp_path, extra, fragments):
    (tmp_path / "sources").mkdir()
    shutil.copy(REGISTRY_DIR / "units.yaml", tmp_path / "units.yaml")
    path = tmp_path / "sources" / "safety_checks.yaml"
    path.write_text(SAFETY_FROM + extra, encoding="utf-8")
    if not fragments:
        assert load_registry(tmp_path).template("safety_checks").date_column == "checked_on"
        return
    with pytest.raises(RegistryError) as raised:
        load_registry(tmp_path)
    assert str(raised.value).startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in str(raised.value)


@pytest.mark.parametrize("text", [SAFETY, SAFETY_FROM], ids=["month_from", "month-from"])
def test_a_monthly_source_reads_each_rows_month_from_its_date_so_two_months_are_two_slices(tmp_path, text):
    from pipeline.parse import parse_file
    from pipeline.raw_tables import raw_columns
    from pipeline.slice_keys import slice_key

    # The real registry plus the new source, as `pipeline new-source` leaves it. Without the walkthrough's own
    # 安全检查记录 (docs/adding-a-source.md), which a copy of the repository following it holds: the two would fit one
    # header equally, and such a sheet is read as neither (template_tied).
    shutil.copytree(REGISTRY_DIR, tmp_path / "registry")
    (tmp_path / "registry" / "sources" / "safety_inspection.yaml").unlink(missing_ok=True)
    (tmp_path / "registry" / "sources" / "safety_checks.yaml").write_text(text, encoding="utf-8")
    registry = load_registry(tmp_path / "registry")
    template = registry.template("safety_checks")
    keys = set()
    for month in (2, 3):
        text = f"填报单位：枣林街道办事处\n项目名称：枣林街道办事处改造老旧小区\n检查日期,小区名称,隐患数,整改完成数\n2022-0{month}-10,棉纺厂东院,{month},1\n"
        parsed = parse_file(text.encode("utf-8"), f"枣林街道办事处/安全检查{month}月.csv", registry)
        assert parsed.errors == [], [p.message_zh for p in parsed.errors]
        [record] = parsed.sheets[0].records
        assert (record["year"], record["month"]) == (2022, month)
        keys.add(slice_key(template.id, record, template.slice))
    assert len(keys) == 2  # February's file never supersedes March's
    assert "month" in [name for name, *_ in raw_columns(template)]


@pytest.mark.parametrize(
    "shape", ["[unit, year]", "[project, year]", "[unit, project, month, year]", "[unit, project]"]
)
def test_a_slice_of_another_shape_is_refused(tmp_path, shape):
    # [unit, year] loaded, and the night taking in its files ended in a traceback (intake.other_year).
    message = refusal(tmp_path, template_yaml().replace("slice: [unit, project, year]", f"slice: {shape}"))
    assert message == (
        f"{SOURCE}: slice: 不支持切片 {shape}（slice is not supported），"
        "请写 [unit, project, year] 或 [unit, project, year, month]（第3行）"
    )


def test_a_year_read_from_no_date_column_is_refused_naming_the_key_as_written(tmp_path):
    # `year: {from: paid_date}` was told as "date_column refers to 'paid_date'", a key the file does not hold.
    (tmp_path / "sources").mkdir()
    shutil.copy(REGISTRY_DIR / "units.yaml", tmp_path / "units.yaml")
    path = tmp_path / "sources" / "safety_checks.yaml"
    path.write_text(SAFETY_FROM.replace("year: {from: 检查日期}", "year: {from: 检查时间}"), encoding="utf-8")

    with pytest.raises(RegistryError) as raised:
        load_registry(tmp_path)

    assert str(raised.value) == (
        f"{path}: date_column: 指向 '检查时间'，它不是类型为 date 的列；此键也写作 year: {{from: …}}"
        "（refers to '检查时间', which is not a column of type date），请写其中一列的 name：checked_on（第5行）"
    )


@pytest.mark.parametrize("kind", ["integer", "text"])
def test_a_column_named_year_must_be_the_years_column(tmp_path, kind):
    # `{name: year, header: 建成年份, type: integer}` loaded: every row's 建成年份 was overwritten by the file's 年度,
    # without a word; as text, the night's load stopped telling the operator to check the disk (a Binder Error).
    message = refusal(
        tmp_path, template_yaml(columns=f"  - {{name: year, header: 建成年份, type: {kind}}}\n")
    )

    assert message == (
        f"{SOURCE}: columns.2.type: 列 'year' 是每一行存储的年度，类型须为 year（column 'year' must be "
        "of type year），请写 type: year；若是其他年份（如建成年份），请另起名称，如 built_year（第9行）"
    )


def test_a_header_claimed_by_two_columns_says_which_to_keep(tmp_path):
    message = refusal(
        tmp_path,
        template_yaml(columns="  - {name: family_count, header: 惠及户数, aliases: [户数], type: count}\n"),
    )

    assert (
        "columns.2: 表头 '户数' 同时属于 'households' 和 'family_count'，表中的这一列只会读作其中一个"
        in message
    )
    assert "请只把它留在它所指那一列的 header 或 aliases 中，从另一列删去（第9行）" in message


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        pytest.param(
            "ends_at: [总分, '']\n", 'ends_at: 有空白的词 ""，每一行的第一格都以它开头', id="ends-at"
        ),
        pytest.param("ends_at: ['  ']\n", "ends_at: 有空白的词", id="ends-at-spaces"),
        pytest.param(
            "part_of_previous: {column: compound_name, prefixes: ['']}\n",
            "part_of_previous.prefixes: 有空白的词",
            id="part-prefix",
        ),
        pytest.param(
            "fields:\n  - {name: total_score, header: 得分, type: decimal, row: 总分, row_aliases: ['']}\n",
            "fields.0.row_aliases（列 'total_score'）: row、row_aliases 或 block 中有空白的词",
            id="field-row-alias",
        ),
    ],
)
def test_a_blank_word_that_every_row_would_start_with_is_refused(tmp_path, extra, says):
    # `ends_at: ['']` ended every table at its first row: each file of the template went back to its office.
    message = refusal(tmp_path, template_yaml(extra=extra))
    assert says in message
    assert message.endswith(
        "请删去这个空白的词，或写上文字（第6行）" if "fields" not in extra else "（第7行）"
    )


@pytest.mark.parametrize(
    ("template", "says"),
    [
        pytest.param(
            template_yaml(
                columns="  - {name: cost, header: 经费, aliases: [经费金额，实际经费], type: money}\n"
            ),
            "columns.2.aliases（列 'cost'）: '经费金额，实际经费' 是含逗号的一项（YAML 列表的各项以英文逗号加空格分隔，"
            "中文逗号不分项）（one item holding a comma），请写 [经费金额, 实际经费]（第9行）",
            id="aliases-parted-by-a-full-width-comma",
        ),
        pytest.param(
            template_yaml(columns=f"{ENTRY_COLUMN.replace('[到账]', '[到账，资金到位]')}"),
            "columns.2.values.到位（列 'entry_type'）: '到账，资金到位' 是含逗号的一项",
            id="enum-aliases",
        ),
        pytest.param(
            template_yaml(extra="ends_at: [总分，总得分]\n"),
            "ends_at: '总分，总得分' 是含逗号的一项",
            id="ends-at",
        ),
        pytest.param(
            template_yaml(
                columns="  - {name: cost, header: 经费, type: money, aliases: [经费金额, '实际经费 ,其他']}\n"
            ),
            "请写 [实际经费, 其他]",
            id="ascii-comma-inside-quotes",
        ),
    ],
)
def test_a_list_item_holding_a_comma_is_refused_saying_how_to_part_them(tmp_path, template, says):
    # `[施工中，正在施工]` loaded as one alias no sheet writes, and every 施工中 was returned as no value of the column.
    assert says in refusal(tmp_path, template)


@pytest.mark.parametrize(
    ("template_id", "says"),
    [
        ("fund ledger", "请写 'fund_ledger'，并以它命名文件"),
        ("Fund-Ledger", "请写 'fund_ledger'，并以它命名文件"),
        ("资金台账", "请用英文或拼音写，只用小写字母、数字和 _，以字母开头"),
        (
            "台账 ledger",
            "请用英文或拼音写，只用小写字母、数字和 _，以字母开头（如 fund_ledger），并以它命名文件",
        ),
    ],
)
def test_a_template_id_that_is_no_table_name_says_what_to_write(tmp_path, template_id, says):
    message = refusal(tmp_path, template_yaml(template_id=template_id))
    assert message.startswith(
        f"{SOURCE}: id: 模板 id {template_id!r} 不是小写的 SQL 标识符（template id must be a lower-case SQL identifier），"
    )
    assert says in message and message.endswith("（第1行）")


def test_a_copy_kept_beside_its_entry_is_told_to_move_aside(tmp_path):
    directory = registry_dir(tmp_path, template_yaml())
    shutil.copy(directory / "sources" / "demo_list.yaml", directory / "sources" / "demo_list.bak.yaml")
    with pytest.raises(RegistryError) as raised:
        load_registry(directory)
    assert str(raised.value).endswith(
        "demo_list.bak.yaml: id 'demo_list' 与文件名 'demo_list.bak' 不一致（id must equal the file name），"
        "demo_list.yaml 也在 sources/ 中：请把这份副本移出 sources/（第1行）"
    )
