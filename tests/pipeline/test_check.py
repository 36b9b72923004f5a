from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
from pathlib import Path

from pipeline.check import NotChecked, check_contents, check_files, files_under
from pipeline.cli import main
from pipeline.inbox_entries import SKIP_ZH
from pipeline.intake import ingest
from pipeline.receipt_facts import ReceiptFacts
from tests.conftest import REGISTER_CSV
from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2, drop, query

ZAOLIN = "枣林街道办事处"


def test_two_files_under_one_name_each_get_their_own_receipt(settings, registry):
    good = COMPOUNDS_V1.encode("utf-8")
    named = "枣林街道办事处/清单.csv"
    facts = check_contents(
        [(named, b"\x00 not a workbook"), (named, good), ("b/x.csv", good)], settings, registry
    )
    # Before, both files under one name got the receipt of whichever was prepared last.
    assert facts[0].issues[0].rule == "unreadable"
    assert facts[1].issues[0].rule != "unreadable"
    assert facts[1].issues[0].sheet == "清单"  # read as given, under its own name
    assert [f.original_name for f in facts] == ["清单.csv", "清单.csv", "x.csv"]
    assert facts[0].sha256 != facts[1].sha256


def test_a_second_file_under_one_name_is_read_beside_the_register_checked_with_it(settings, registry):
    lists = COMPOUNDS_V1.encode("utf-8")
    named = [("区财政局/项目基本信息表.csv", REGISTER_CSV.encode("utf-8"))] + [("清单.csv", lists)] * 2

    facts = check_contents(named, settings, registry)

    # Before, the second 清单.csv was checked in a round of its own, without the register: 项目名称未登记.
    assert [(f.status, [i.rule for i in f.issues]) for f in facts] == [("accepted", [])] * 3


def test_a_copy_given_again_under_its_name_beside_the_inbox_is_the_duplicate_of_the_one_placed_first(
    settings, registry, register
):
    named, good = "枣林街道办事处/清单.csv", COMPOUNDS_V1.encode("utf-8")

    facts = check_contents([(named, good), (named, good)], settings, registry, beside_waiting=True)

    # Before, each was checked as the only 清单.csv: both accepted, and the night recorded the second a duplicate.
    assert [f.status for f in facts] == ["accepted", "duplicate"]
    # Placed beside the first, as 清单（2）.csv; the file it repeats is one of its own upload, not one waiting.
    assert facts[1].original_name == "清单（2）.csv"
    assert facts[1].reason.startswith("与本次同时报送的“清单.csv”内容完全相同")


def test_a_file_given_again_under_its_name_after_one_held_back_is_read_as_the_only_one(
    settings, registry, register
):
    named = "枣林街道办事处/清单.csv"
    files = [(named, b"\x00 not a workbook"), (named, COMPOUNDS_V1.encode("utf-8"))]

    facts = check_contents(files, settings, registry, beside_waiting=True)

    # A file that would be rejected is not placed (it waits for 仍然提交): the next of its name takes the name.
    assert [(f.status, f.original_name) for f in facts] == [
        ("rejected", "清单.csv"),
        ("accepted", "清单.csv"),
    ]


def test_a_file_checked_in_the_inbox_is_read_beside_the_register_waiting_there(settings, registry):
    for relative, text in (
        ("区财政局/项目基本信息表.csv", REGISTER_CSV),
        ("枣林街道办事处/清单.csv", COMPOUNDS_V1),
    ):
        (settings.inbox / relative).parent.mkdir(parents=True, exist_ok=True)
        (settings.inbox / relative).write_text(text, encoding="utf-8")

    [facts] = check_files([settings.inbox / "枣林街道办事处" / "清单.csv"], settings, registry)

    # Before, the register the night will read first was not read: 项目名称未登记. Nor is the list a copy of itself.
    assert (facts.status, facts.issues, facts.original_name) == ("accepted", [], "清单.csv")


def test_a_file_checked_beside_a_waiting_copy_of_its_name_keeps_its_name(
    settings, registry, register, tmp_path
):
    for folder in (settings.inbox, tmp_path):
        (folder / "清单.csv").write_text(COMPOUNDS_V1, encoding="utf-8")

    [facts] = check_files([tmp_path / "清单.csv"], settings, registry)

    # Told a copy of the file waiting in the inbox, under the name the clerk gave it, not the portal's 清单（2）.csv.
    assert (facts.status, facts.original_name) == ("duplicate", "清单.csv")


def test_a_file_checked_in_the_inbox_is_read_where_the_night_reads_it_among_the_waiting_ones(
    settings, registry, register
):
    folder = settings.inbox / "枣林街道办事处"
    for name, mtime in (("清单（旧）.csv", 2), ("清单.csv", 3)):  # the same bytes, the older one named later
        (folder / name).write_text(COMPOUNDS_V1, encoding="utf-8")
        os.utime(folder / name, ns=(mtime, mtime))

    newer, older = check_files([folder / "清单.csv", folder / "清单（旧）.csv"], settings, registry)
    [alone] = check_files([folder / "清单（旧）.csv"], settings, registry)

    # Before, a file checked where it lies was read after every other waiting file, so the older copy, which the
    # night takes in, was told it would be the duplicate of the newer one; checked together, the order given won.
    assert (older.status, newer.status, alone.status) == ("accepted", "duplicate", "accepted")


def test_a_copy_of_a_corrected_file_is_told_the_correction_as_its_receipt_will(settings, registry, register):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10)
    ingest(settings, registry, progress=False)
    drop(settings, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=20)
    ingest(settings, registry, progress=False)
    [(corrected,)] = query(
        settings, "select submission_id from ops.submissions where original_name = '清单（更正）.csv'"
    )
    copy = drop(settings, "枣林街道办事处/清单（重发）.csv", COMPOUNDS_V1, mtime=30)

    [facts] = check_files([copy], settings, registry)

    # Before, the dry run said only 该提交已被之后报送的更正版本替代, while the night's receipt names which.
    assert facts.status == "duplicate"
    assert f"更正版本（第{corrected}号提交“清单（更正）.csv”）替代" in facts.reason


@contextlib.contextmanager
def deadline(seconds: int):
    """Fail instead of hanging for ever (a FIFO opened for reading without O_NONBLOCK waits for a writer)."""

    def expired(*_):
        raise TimeoutError(f"still reading after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_files_that_cannot_be_read_safely_are_not_checked_each_with_its_reason(settings, registry, tmp_path):
    os.mkfifo(tmp_path / "管道.xlsx")
    os.symlink("/dev/zero", tmp_path / "零.xlsx")
    (tmp_path / "大.csv").write_bytes(b"x" * 2048)
    (tmp_path / "清单.csv").write_text(COMPOUNDS_V1, encoding="utf-8")
    small = dataclasses.replace(settings, limits=dataclasses.replace(settings.limits, max_file_bytes=1024))
    named = [tmp_path / n for n in ("管道.xlsx", "零.xlsx", "大.csv", "清单.csv")] + [Path("/dev/zero")]

    with deadline(20):
        results = check_files(named, small, registry)

    reasons = {Path(r.path).name: r.reason_zh for r in results if isinstance(r, NotChecked)}
    assert reasons == {
        "管道.xlsx": SKIP_ZH["fifo"],
        "零.xlsx": SKIP_ZH["symlink"],
        "zero": SKIP_ZH["device"],
        "大.csv": "文件大小为2,048字节，超过1,024字节的处理上限。请删除无关的工作表和图片后另存，或将数据拆分为多个文件分别报送。",
    }
    assert isinstance(results[3], ReceiptFacts) and results[3].original_name == "清单.csv"  # in its place


def test_a_folder_to_check_is_walked_as_the_night_walks_the_inbox(settings, registry, tmp_path):
    (tmp_path / "深" / "层").mkdir(parents=True)
    (tmp_path / "深" / "层" / "清单.csv").write_text(COMPOUNDS_V1, encoding="utf-8")
    os.mkfifo(tmp_path / "管道.csv")
    (tmp_path / ".隐藏.csv").write_text(COMPOUNDS_V1, encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main", encoding="utf-8")

    found = files_under([tmp_path])

    assert found == [  # in path order, hidden files not checked, hidden folders passed over silently
        NotChecked(str(tmp_path / ".隐藏.csv"), SKIP_ZH["hidden"]),
        tmp_path / "深" / "层" / "清单.csv",
        NotChecked(str(tmp_path / "管道.csv"), SKIP_ZH["fifo"]),
    ]


def test_a_gbk_folder_beside_its_utf8_twin_is_checked_as_that_offices(settings, registry, register):
    folders = [
        os.path.join(os.fsencode(settings.inbox), "枣林街道".encode(encoding))
        for encoding in ("gbk", "utf-8")
    ]
    paths = []
    for folder in folders:
        os.makedirs(folder)
        with open(os.path.join(folder, "清单.csv".encode()), "wb") as handle:
            handle.write(COMPOUNDS_V1.encode("utf-8"))
        paths.append(Path(os.fsdecode(os.path.join(folder, "清单.csv".encode()))))

    facts = check_files(paths, settings, registry)

    # Before, the GBK folder's raw bytes named an office of their own, which 枣林's 填报单位 line did not match.
    assert [(f.original_name, f.unit, f.status) for f in facts] == [
        ("清单.csv", "枣林街道办事处", "accepted")
    ] * 2


def _published_raw_tables(settings) -> set[str]:
    from pipeline.warehouse import published_reader

    with published_reader(settings.warehouse) as con:
        rows = con.execute("select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()
    return {name for (name,) in rows}


def test_a_file_of_a_source_added_since_the_last_publish_is_checked_as_the_night_will_read_it(
    settings, registry
):
    from pipeline.intake import ingest

    # Published by a registry without the compound list, as before `pipeline new-source` added it.
    fewer = registry.model_copy(
        update={"templates": {k: t for k, t in registry.templates.items() if k != "compound_list"}}
    )
    (settings.inbox / "枣林街道办事处").mkdir(parents=True)
    (settings.inbox / "枣林街道办事处" / "项目基本信息.csv").write_text(REGISTER_CSV, encoding="utf-8")
    assert [o.status for o in ingest(settings, fewer, progress=False).outcomes] == ["accepted"]

    [facts] = check_contents([("枣林街道办事处/清单.csv", COMPOUNDS_V1.encode("utf-8"))], settings, registry)

    # Before, "Table with name compound_list does not exist", told as a damaged warehouse.
    assert (facts.status, facts.issues) == ("accepted", [])
    assert "compound_list" not in _published_raw_tables(settings)  # the dry run wrote nothing there


def test_a_file_of_a_layout_given_a_column_since_the_last_publish_is_checked(settings, registry, register):
    from pipeline.intake import ingest
    from pipeline.registry_columns import Column, ColumnType
    from tests.pipeline.test_intake import COMPOUNDS_V2, drop

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    assert [o.status for o in ingest(settings, registry, progress=False).outcomes] == ["accepted"]
    lists = registry.template("compound_list")
    extra = Column(name="subsidy_wan", header="补助资金", type=ColumnType.MONEY)
    added = lists.model_copy(update={"columns": (*lists.columns, extra)})
    changed = registry.model_copy(update={"templates": registry.templates | {"compound_list": added}})

    [facts] = check_contents([("枣林街道办事处/清单.csv", COMPOUNDS_V2.encode("utf-8"))], settings, changed)

    # Before, "Table "r" does not have a column named "subsidy_wan"", told as a damaged warehouse.
    assert facts.status == "accepted"


def test_a_file_checked_is_read_by_the_day_the_next_night_reads_it(settings, registry, monkeypatch):
    import datetime as dt

    from pipeline import read_day
    from tests.portal.test_checker import month_report

    # 23:30 on 30 November: the night that takes it in reads it on 1 December, when November's 0 is no month to come.
    at = {"now": dt.datetime(2026, 11, 30, 23, 30, tzinfo=read_day.TIMEZONE)}
    monkeypatch.setattr(read_day, "now", lambda: at["now"])
    drop(settings, "枣林街道办事处/月报.csv", month_report())
    path = settings.inbox / "枣林街道办事处" / "月报.csv"

    [late] = check_files([path], settings, registry)
    at["now"] = dt.datetime(2026, 11, 30, 1, 30, tzinfo=read_day.TIMEZONE)
    [early] = check_files([path], settings, registry)

    assert "months_after_title" not in {issue.rule for issue in late.issues}
    [passed_over] = [issue for issue in early.issues if issue.rule == "months_after_title"]
    assert "本表预计按2026年11月30日读取（假定由2026年11月30日02:00的夜间任务入库" in passed_over.message_zh


def test_pipeline_check_says_the_day_it_assumes_and_that_a_run_by_hand_reads_by_its_own(
    settings, registry, monkeypatch, capsys
):
    import datetime as dt

    from pipeline import read_day
    from pipeline.cli import main
    from tests.portal.test_checker import month_report

    # 23:30 on 30 November: read by 1 December's night November is over and its 0 no month to come; but a run
    # started by hand before midnight reads it by 30 November, November still to come. The check said nothing of it.
    monkeypatch.setattr(read_day, "now", lambda: dt.datetime(2026, 11, 30, 23, 30, tzinfo=read_day.TIMEZONE))
    drop(settings, "枣林街道办事处/月报.csv", month_report())

    main(["check", str(settings.inbox / "枣林街道办事处" / "月报.csv")])

    assert capsys.readouterr().out.splitlines()[0] == (
        "以下各文件按夜间任务的规则检查，预计按2026年12月1日读取（假定由2026年12月1日02:00的夜间任务入库，"
        "该任务推迟开始也按此日；由人工启动的任务按其开始的日期读取；如在此之前由人工启动的任务入库，"
        "则按2026年11月30日读取，所判断的月份可能不同）。"
    )


# The list with no `填报单位：` line: only the folder it is sent in says whose it is.
UNSAID = COMPOUNDS_V1.replace("填报单位：枣林街道办事处\n", "")


def test_a_file_outside_the_inbox_is_checked_as_sent_in_the_office_folder_it_lies_in(
    settings, registry, register, tmp_path
):
    for folder in ("枣林街道", "下载"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "清单.csv").write_text(UNSAID, encoding="utf-8")

    in_office, elsewhere = check_files(
        [tmp_path / "枣林街道" / "清单.csv", tmp_path / "下载" / "清单.csv"], settings, registry
    )
    [told] = check_files([tmp_path / "下载" / "清单.csv"], settings, registry, folder="枣林街道办事处")

    # Before, both were judged as at the inbox root, naming no office: the night takes the first in.
    assert (in_office.status, in_office.unit) == ("accepted", ZAOLIN)
    # A folder naming no listed office (`下载`) is no office's: at the root, as before, unless --folder says one.
    assert (elsewhere.status, elsewhere.unit) == ("rejected", None)
    assert (told.status, told.unit) == ("accepted", ZAOLIN)


def test_pipeline_check_says_which_folder_a_file_outside_the_inbox_was_checked_in(
    settings, registry, register, tmp_path, capsys
):
    (tmp_path / "枣林街道").mkdir()
    (tmp_path / "下载").mkdir()
    (tmp_path / "枣林街道" / "清单.csv").write_text(UNSAID, encoding="utf-8")
    (tmp_path / "下载" / "清单.csv").write_text(UNSAID, encoding="utf-8")

    assert main(["check", str(tmp_path / "枣林街道" / "清单.csv"), str(tmp_path / "下载" / "清单.csv")]) == 0
    assert main(["check", "--folder", "枣林街道", str(tmp_path / "下载" / "清单.csv")]) == 0

    lines = capsys.readouterr().out.splitlines()
    said = [line.strip() for line in lines if line.startswith("  本文件不在收件箱中")]
    assert said == [
        "本文件不在收件箱中，按放在收件箱文件夹“枣林街道”中检查（文件夹取自文件所在文件夹的名称）",
        "本文件不在收件箱中，按放在收件箱根目录检查：报送单位由“填报单位：”一行决定；"
        "如要按某单位文件夹中的文件检查，请加 --folder 文件夹名",
        "本文件不在收件箱中，按放在收件箱文件夹“枣林街道”中检查（文件夹由 --folder 指定）",
    ]
    assert sum(line.startswith("【将被接收】") for line in lines) == 2
