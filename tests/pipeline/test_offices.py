"""The office registry: who sent a file (its folder), whom they may submit for, and where the receipt goes."""

from __future__ import annotations

import json
import shutil

import pytest
from pydantic import ValidationError

from pipeline.check import check_contents
from pipeline.intake import ingest
from pipeline.offices import Office, Offices, is_abbreviation, is_part_of, is_written_in_full
from pipeline.registry import REGISTRY_DIR, RegistryError, load_registry
from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2, drop, query
from tests.pipeline.test_parse import DATA, LEDGER_HEADER, sent

UNIT = "枣林街道办事处"
SHUANGPU_UNIT = "南阳市城乡一体化示范区建设实业有限公司"
SHUANGPU_PROJECT = "示范区双铺棚户区改造项目"


def offices(yaml_offices: list[dict], shared: tuple[str, ...] = ()) -> Offices:
    return Offices.model_validate({"offices": yaml_offices, "shared_folders": shared})


# --- the registry ----------------------------------------------------------------------------------


def test_the_real_registry_lists_the_demos_offices_and_the_bureau_may_submit_for_all(registry):
    listed = {office.name: office for office in registry.offices.offices}
    assert {"区财政局", UNIT, SHUANGPU_UNIT} <= set(listed)
    assert listed["区财政局"].submits_for == "all"
    assert listed["区住房和城乡建设局"].submits_for == (UNIT,)
    assert registry.offices.shared_folders == ("公共收件",)


@pytest.mark.parametrize(
    ("short", "name", "expected"),
    [
        ("枣林街道", UNIT, True),
        ("示范区住建局", "示范区住房和城乡建设局", True),
        ("建设实业公司", SHUANGPU_UNIT, True),
        ("枣林街道办事处", UNIT, True),
        ("街道枣林", UNIT, False),  # out of order
        ("枣林街道办事处东", UNIT, False),  # longer than the name
        ("", UNIT, False),
    ],
)
def test_an_abbreviation_is_the_names_characters_in_order(short, name, expected):
    assert is_abbreviation(short, name) is expected


@pytest.mark.parametrize(
    ("name", "short", "expected"),
    [
        ("七里园街道办事处", "七里园街道", True),  # a place going on to its own office
        ("七里园街道办", "七里园街道", True),
        ("七里园镇人民政府", "七里园镇", True),
        ("七里园乡政府", "七里园乡", True),
        ("七里园社区居委会", "七里园社区", True),
        ("七里园街道办事处", "七里园", True),  # a name ending as no office's, going on to a place's office
        ("七里园镇政府", "七里园", True),
        ("区住建局", "区住建", True),
        ("七里园街道社区卫生服务中心", "七里园街道", False),  # another office in the place
        ("七里园街道第二社区居委会", "七里园街道", False),
        ("七里园街道办事处财务科", "七里园街道", False),
        ("七里园镇卫生院", "七里园镇", False),
        ("七里园社区居委会", "七里园", False),  # a 街道 and a 社区 in it often share a name
        ("七里园街道", "七里园", False),  # a place, not its office
        ("区住建中心", "区住建", False),
        ("七里园街道办事处财务科", "七里园街道办事处", False),  # a full name goes on to no office's
        ("七里园东街道办事处", "七里园街道", False),
        ("七里园街道", "七里园街道", False),
        ("七里园街道办事处", "", False),
    ],
)
def test_a_name_is_written_in_full_where_it_goes_on_to_the_short_names_own_office(name, short, expected):
    assert is_written_in_full(name, short) is expected


def test_named_gives_the_exact_office_else_every_office_abbreviated_else_one_of_that_name(registry):
    listed = registry.offices
    assert [o.name for o in listed.named("区住建局")] == [
        "区住房和城乡建设局"
    ]  # alias, though it abbreviates two
    assert [o.name for o in listed.named("住建局")] == ["区住房和城乡建设局", "示范区住房和城乡建设局"]
    assert listed.named("某某社区") == (Office(name="某某社区"),)
    assert listed.named(" ") == ()


@pytest.mark.parametrize("line", ["区住房和城乡建设局", "区住建局"])
def test_a_line_naming_another_office_exactly_is_that_office_not_a_short_form_of_the_senders(registry, line):
    # 区住房和城乡建设局's characters are in order within 示范区住房和城乡建设局's name: the line still names the other.
    listed = registry.offices
    [sender] = listed.named("示范区住房和城乡建设局")
    assert listed.sent_for(sender, line) == ()  # it may not send for 区住建局: the file is returned
    # An unlisted folder whose name holds an office's name is an office of its own, not that one.
    [clerks] = listed.named("枣林街道办事处财务科")
    assert listed.sent_for(clerks, UNIT) == ()
    # A short form fitting the sender is still the sender, and 代报 still names the office sent for.
    assert [o.name for o in listed.sent_for(sender, "示范区住建局")] == ["示范区住房和城乡建设局"]
    [bureau] = listed.named("区住房和城乡建设局")
    assert [o.name for o in listed.sent_for(bureau, UNIT)] == [UNIT]


@pytest.mark.parametrize(
    ("name", "whole", "expected"),
    [
        ("白河街道办事处财务科", "白河街道办事处", True),
        ("区住建局办公室", "区住建局", True),
        (
            "白河街道办事处",
            "白河街道",
            False,
        ),  # a place's name its own office's goes on from, not a part of it
        ("白河街道办事处", "白河", False),  # a name ending as no office's does
        ("白河街道办事处", "白河街道办事处", False),  # the same name, not written longer
        ("白河东街道办事处", "白河街道办事处", False),  # in order, but not going on from it
    ],
)
def test_a_name_going_on_from_an_offices_whole_name_is_a_part_of_that_office(name, whole, expected):
    assert is_part_of(name, whole) is expected


BAIHE = "白河街道办事处"


@pytest.mark.parametrize("folder", ["白河街道", "白河", BAIHE])
def test_an_unlisted_folder_named_short_is_the_unlisted_office_its_line_writes_in_full(registry, folder):
    # 白河街道/ holding 填报单位：白河街道办事处 was returned as 白河街道's file naming another office, while the same
    # night read the folder as the registered 白河街道办事处 it abbreviates (unit_short_name).
    listed = registry.offices
    assert [o.name for o in listed.sent_for(Office(name=folder), BAIHE)] == [BAIHE]

    parsed = sent(registry, folder, f"填报单位：{BAIHE}（盖章）")

    assert (parsed.errors, parsed.unit, parsed.sending_folder) == ([], BAIHE, folder)
    assert [r["unit"] for r in parsed.sheets[0].records] == [BAIHE] * len(DATA)


@pytest.mark.parametrize("folder", ["白河东街道", f"{BAIHE}财务科"])
def test_an_unlisted_folder_whose_name_only_holds_the_lines_office_may_not_send_for_it(registry, folder):
    # 白河街道办事处财务科/ with 填报单位：白河街道办事处 was read as the section's own file and counted beside the
    # office's, as a listed office's section folder is not; 白河东街道 is another street office.
    assert registry.offices.sent_for(Office(name=folder), BAIHE) == ()

    parsed = sent(registry, folder, f"填报单位：{BAIHE}")

    assert ([p.rule for p in parsed.errors], parsed.unit) == (["unit_mismatch"], folder)
    assert parsed.errors[0].expected == f"应为{folder}"


@pytest.mark.parametrize(
    ("line", "named"),
    [
        # 区住房和城乡建设局和枣林街道办事处 was told as 区住房、城乡建设局、枣林街道办事处: cut at its first 和.
        ("区住房和城乡建设局和枣林街道办事处", ("区住房和城乡建设局", UNIT)),
        ("示范区住房和城乡建设局及区住房和城乡建设局", ("示范区住房和城乡建设局", "区住房和城乡建设局")),
        ("区财政局和枣林街道和区住建局", ("区财政局", UNIT, "区住房和城乡建设局")),
        ("枣林街道办事处和七里园街道办事处", (UNIT, "七里园街道办事处")),
        ("区住房和城乡规划局", ()),
        ("示范区住房和城乡建设局", ()),
    ],
)
def test_a_line_listing_offices_with_he_is_cut_between_names_never_inside_one(registry, line, named):
    assert registry.offices.several(line) == named


def test_who_may_send_an_offices_data(registry):
    listed = registry.offices
    [zaolin] = listed.named(UNIT)
    [stranger] = listed.named("某某社区")
    assert listed.who_may_send(zaolin) == (UNIT, "区财政局", "区住房和城乡建设局")
    assert listed.who_may_send(stranger) == ("某某社区", "区财政局")


def test_the_inbox_root_a_listed_shared_folder_and_a_blank_folder_are_shared(registry):
    assert [registry.offices.is_shared(f) for f in (None, "公共收件", " 公共收件", "  ", UNIT)] == [
        True,
        True,
        True,
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("listed", "shared", "complaint"),
    [
        pytest.param(
            [{"name": "甲", "submits_for": ["乙"]}], (), "不是 offices 中列出的办公室", id="unknown-office"
        ),
        pytest.param(
            [{"name": "甲", "aliases": ["丙"]}, {"name": "乙", "aliases": ["丙"]}],
            (),
            "同时属于",
            id="duplicate-alias",
        ),
        pytest.param(
            [{"name": "甲街道办事处"}, {"name": "乙", "aliases": ["甲街道办事处 "]}],
            (),
            "同时属于",
            id="alias-is-another-offices-name",
        ),
        pytest.param([{"name": "甲"}, {"name": "甲"}], (), "同时属于", id="duplicate-name"),
        pytest.param([{"name": "甲"}], ("甲",), "同时属于", id="shared-folder-is-an-office"),
        pytest.param([{"name": "甲", "submits_for": ["甲"]}], (), "列了自己", id="self"),
        pytest.param(
            [{"name": "甲", "submits_for": ["乙", "乙"]}, {"name": "乙"}], (), "列了两次", id="twice"
        ),
        pytest.param([{"name": " "}], (), "办公室名称为空", id="blank-name"),
        pytest.param([{"name": "甲", "submits_for": "everyone"}], (), "all", id="not-all"),
        pytest.param([{"name": "甲", "parent": "乙"}], (), "Extra inputs", id="unknown-key"),
        # A full-width comma between two aliases made one alias: the second's folder became an office of its own.
        pytest.param(
            [{"name": "区住房和城乡建设局", "aliases": ["区住建局，zjj"]}],
            (),
            r"'区住建局，zjj' 是含逗号的一项.*请写 \[区住建局, zjj\]",
            id="aliases-parted-by-a-full-width-comma",
        ),
        pytest.param(
            [],
            ("公共收件，临时收件",),
            "'公共收件，临时收件' 是含逗号的一项",
            id="shared-joined",
        ),
    ],
)
def test_a_bad_office_registry_is_refused(listed, shared, complaint):
    with pytest.raises(ValidationError, match=complaint):
        offices(listed, shared)


def test_load_registry_refuses_a_bad_offices_file_naming_it(tmp_path):
    shutil.copytree(REGISTRY_DIR, tmp_path / "registry")
    path = tmp_path / "registry" / "offices.yaml"
    path.write_text("offices:\n  - name: 甲\n    submits_for: [乙]\n", encoding="utf-8")
    with pytest.raises(
        RegistryError,
        match=r"offices\.yaml: offices\.0\.submits_for: office '甲' 代报的 乙 不是 offices 中列出的办公室.*请写.*（第3行）",
    ):
        load_registry(tmp_path / "registry")


def test_without_an_offices_file_every_folder_is_an_office_of_its_own_name(tmp_path):
    shutil.copytree(REGISTRY_DIR, tmp_path / "registry")
    (tmp_path / "registry" / "offices.yaml").unlink()
    loaded = load_registry(tmp_path / "registry")
    assert loaded.offices == Offices()
    assert loaded.offices.named("枣林街道") == (Office(name="枣林街道"),)


# --- intake: the unit, the sending folder and the receipt's place ---------------------------------


def receipt(settings, folder: str, name: str) -> dict:
    return json.loads((settings.receipts / folder / f"{name}.回执.json").read_text(encoding="utf-8"))


def test_a_community_folder_sending_for_zaolin_is_rejected_with_the_receipt_in_its_own_folder(
    settings, registry, register
):
    drop(settings, "某某社区/清单.csv", COMPOUNDS_V1)

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert (outcome.status, [p.rule for p in outcome.errors]) == ("rejected", ["unit_mismatch"])
    facts = receipt(settings, "某某社区", "清单.csv")
    assert (facts["status_zh"], facts["unit"], facts["sending_folder"]) == ("已退回", "某某社区", "某某社区")
    [problem] = facts["problems"]
    assert (problem["rule_zh"], problem["excel_row"], problem["column_header"], problem["value"]) == (
        "填报单位与报送文件夹不符",
        2,
        "填报单位",
        UNIT,
    )
    assert problem["expected"] == "应为某某社区"
    assert "枣林街道办事处的数据可由枣林街道办事处、区财政局、区住房和城乡建设局报送" in problem["fix"]
    assert not (settings.receipts / UNIT / "清单.csv.回执.json").exists()
    assert query(
        settings, "select unit, sending_folder, status from ops.submissions where original_name = '清单.csv'"
    ) == [("某某社区", "某某社区", "rejected")]
    assert query(settings, "select count(*) from raw.compound_list") == [(0,)]


@pytest.mark.parametrize(
    "folder",
    [
        pytest.param("枣林街道", id="abbreviation"),
        pytest.param("zaolin", id="alias"),
        pytest.param("区住房和城乡建设局", id="submitting-for-an-office-it-lists"),
        pytest.param("区财政局", id="the-bureau"),
        pytest.param("公共收件", id="shared-folder"),
    ],
)
def test_folders_that_may_send_zaolins_list_load_it_as_zaolins_and_are_answered_where_they_sent_it(
    settings, registry, register, folder
):
    drop(settings, f"{folder}/清单.csv", COMPOUNDS_V1)

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert (outcome.status, outcome.unit) == ("accepted", UNIT)
    assert receipt(settings, folder, "清单.csv")["status_zh"] == "已接收"
    assert query(
        settings,
        "select s.unit, s.sending_folder, c.unit from ops.submissions s "
        "join staging.compound_list c using (submission_id) limit 1",
    ) == [(UNIT, folder, UNIT)]


def test_a_file_at_the_inbox_root_is_answered_in_its_units_folder(settings, registry, register):
    drop(settings, "清单.csv", COMPOUNDS_V1.replace("填报单位：枣林街道办事处", "填报单位：枣林街道"))

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert (outcome.status, outcome.unit) == ("accepted", UNIT)
    assert receipt(settings, UNIT, "清单.csv")["sending_folder"] is None
    assert query(settings, "select sending_folder from ops.submissions where original_name = '清单.csv'") == [
        (None,)
    ]


def test_a_duplicate_is_answered_in_the_folder_it_was_sent_to(settings, registry, register):
    drop(settings, f"{UNIT}/清单.csv", COMPOUNDS_V1, mtime=10**18)
    drop(settings, "区财政局/清单（转报）.csv", COMPOUNDS_V1, mtime=2 * 10**18)

    statuses = [o.status for o in ingest(settings, registry, progress=False).outcomes]

    assert statuses == ["accepted", "duplicate"]
    assert receipt(settings, "区财政局", "清单（转报）.csv")["status_zh"] == "重复提交"


def test_a_copy_first_dropped_in_the_wrong_folder_does_not_block_the_offices_own(
    settings, registry, register
):
    drop(settings, "某某社区/清单.csv", COMPOUNDS_V1, mtime=10**18)
    drop(settings, f"{UNIT}/清单.csv", COMPOUNDS_V1, mtime=2 * 10**18)  # the same night

    outcomes = ingest(settings, registry, progress=False).outcomes
    drop(
        settings, f"{UNIT}/清单（重报）.csv", COMPOUNDS_V1, mtime=3 * 10**18
    )  # a later night: now a duplicate
    [again] = ingest(settings, registry, progress=False).outcomes

    assert [(o.status, o.unit) for o in outcomes] == [("rejected", "某某社区"), ("accepted", UNIT)]
    assert (again.status, again.reason) == ("duplicate", "与第3号提交“清单.csv”内容完全相同，未重复入库。")


def test_a_copy_sent_for_an_office_from_another_folder_does_not_name_the_offices_file(
    settings, registry, register
):
    drop(settings, f"{UNIT}/枣林自己的清单.csv", COMPOUNDS_V1, mtime=10**18)
    ingest(settings, registry, progress=False)
    drop(settings, "区财政局/转报.csv", COMPOUNDS_V1, mtime=2 * 10**18)

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert (outcome.status, outcome.unit) == ("duplicate", UNIT)
    facts = receipt(settings, "区财政局", "转报.csv")
    assert "枣林自己的清单" not in json.dumps(facts, ensure_ascii=False)
    assert facts["reason"] == "与此前已接收的一份提交内容完全相同，未重复入库。"


def test_a_copy_from_the_offices_own_alias_folder_names_the_file_it_repeats(settings, registry, register):
    # zaolin is 枣林's alias: one office, whose own file may be named to it whichever of its folders it came from.
    drop(settings, "zaolin/枣林自己的清单.csv", COMPOUNDS_V1, mtime=10**18)
    drop(settings, f"{UNIT}/同晚再发.csv", COMPOUNDS_V1, mtime=2 * 10**18)
    ingest(settings, registry, progress=False)
    drop(settings, f"{UNIT}/次日再发.csv", COMPOUNDS_V1, mtime=3 * 10**18)
    ingest(settings, registry, progress=False)

    [(number,)] = query(
        settings, "select submission_id from ops.submissions where original_name = '枣林自己的清单.csv'"
    )
    # Before, both were told of 另一份文件 / 此前已接收的一份提交, as if another office had sent it.
    assert (
        receipt(settings, UNIT, "同晚再发.csv")["reason"]
        == "与本次同时报送的“枣林自己的清单.csv”内容完全相同。"
    )
    assert receipt(settings, UNIT, "次日再发.csv")["reason"] == (
        f"与第{number}号提交“枣林自己的清单.csv”内容完全相同，未重复入库。"
    )


def test_a_copy_sent_for_an_office_from_another_folder_is_not_told_its_corrections_names_either(
    settings, registry, register
):
    # The file it repeats is not named to it, yet its note named the correction: 第N号提交“枣林的更正.csv”.
    drop(settings, f"{UNIT}/枣林自己的清单.csv", COMPOUNDS_V1, mtime=10**18)
    ingest(settings, registry, progress=False)
    drop(settings, f"{UNIT}/枣林的更正.csv", COMPOUNDS_V2, mtime=2 * 10**18)
    ingest(settings, registry, progress=False)
    drop(settings, "区财政局/转报.csv", COMPOUNDS_V1, mtime=3 * 10**18)

    [outcome] = ingest(settings, registry, progress=False).outcomes
    [facts] = check_contents([("区财政局/再转报.csv", COMPOUNDS_V1.encode("utf-8"))], settings, registry)

    assert outcome.status == facts.status == "duplicate"
    told = json.dumps(receipt(settings, "区财政局", "转报.csv"), ensure_ascii=False)
    assert "枣林的更正" not in told and "枣林的更正" not in facts.reason
    assert "该提交已被之后报送的更正版本替代" in told and "该提交已被之后报送的更正版本替代" in facts.reason


def test_a_copy_sent_for_an_office_from_another_folder_the_same_night_is_told_so(
    settings, registry, register
):
    # It was told it repeated 此前已接收的一份提交, though neither had been received.
    drop(settings, f"{UNIT}/枣林自己的清单.csv", COMPOUNDS_V1, mtime=10**18)
    drop(settings, "区财政局/转报.csv", COMPOUNDS_V1, mtime=2 * 10**18)

    outcomes = ingest(settings, registry, progress=False).outcomes

    assert [o.status for o in outcomes] == ["accepted", "duplicate"]
    facts = receipt(settings, "区财政局", "转报.csv")
    assert facts["reason"] == "与本次同时报送的另一份文件内容完全相同。"


def test_an_unreadable_file_in_an_abbreviated_folder_is_recorded_under_the_offices_full_name(
    settings, registry
):
    drop(settings, "枣林街道/坏文件.xlsx", b"not a workbook")

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert (outcome.status, outcome.unit) == ("rejected", UNIT)
    assert receipt(settings, "枣林街道", "坏文件.xlsx")["unit"] == UNIT


@pytest.mark.parametrize("date", ["1900-01-01", "2099-06-30"])
def test_a_ledger_dated_before_2000_or_after_next_year_is_rejected_naming_row_column_value_and_fix(
    settings, registry, date
):
    ledger = "\n".join(
        [
            ",".join(LEDGER_HEADER),
            f"2022-03-01,{SHUANGPU_PROJECT},中央补助资金,到位,100",
            f"{date},{SHUANGPU_PROJECT},中央补助资金,支付,50",
        ]
    )
    drop(settings, f"{SHUANGPU_UNIT}/台账.csv", ledger)

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.status == "rejected"
    [problem] = [
        p for p in receipt(settings, SHUANGPU_UNIT, "台账.csv")["problems"] if p["rule"] == "year_range"
    ]
    assert (problem["rule_zh"], problem["excel_row"], problem["column_header"], problem["value"]) == (
        "年度超出范围",
        3,
        "日期",
        date,
    )
    assert problem["expected"].startswith("应为2000年至") and problem["fix"] == "请核对日期中的年份"


@pytest.mark.parametrize(
    ("line", "run_on"),
    [
        ("枣林街道办事处财务科", (UNIT, "财务科")),
        ("区住房和城乡建设局城建科", ("区住房和城乡建设局", "城建科")),
        ("区住建局城建科", ("区住房和城乡建设局", "城建科")),
        ("枣林街道办事处社区服务中心", None),  # an office of its own, named after the one it belongs to
        ("枣林街道办事处", None),
        ("枣林街道", None),
        ("某某社区财务科", None),
    ],
)
def test_words_run_on_after_a_listed_offices_name_are_told_apart(registry, line, run_on):
    assert registry.offices.run_on(line) == run_on
