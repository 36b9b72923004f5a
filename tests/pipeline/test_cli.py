from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main
from pipeline.cli_output import _print_outcome
from pipeline.cli_parser import build_parser
from pipeline.inbox_entries import SKIP_ZH
from pipeline.intake import Outcome
from pipeline.parse import parse_file
from pipeline.problems import Problem, Severity
from tests.conftest import REGISTER_CSV
from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2, drop, tree
from tests.pipeline.workbooks import xlsx

# Every subcommand the parser knows, so a new one is covered without editing this list.
COMMANDS = sorted(build_parser()._subparsers._group_actions[0].choices)


@pytest.mark.slow  # 5 s or more on two cores
def test_run_exits_zero_when_files_are_rejected_and_reports_each(settings, register, capsys):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    drop(settings, "枣林街道办事处/坏文件.xlsx", b"not a workbook at all")

    assert main(["--quiet", "run"]) == 0

    out = capsys.readouterr().out
    assert "[已接收] 枣林街道办事处/清单.csv" in out
    assert "[已退回] 枣林街道办事处/坏文件.xlsx （枣林街道办事处，年度未知，无模板）" in out
    assert "已接收 1 个，已退回 1 个" in out


def test_a_run_with_nothing_to_validate_names_no_data_docs_page_it_did_not_write(settings, capsys):
    # The first night on an empty inbox said 校验报告（Data Docs）：…/data_docs/index.html, a page never written.
    settings.inbox.mkdir()

    assert main(["--quiet", "run"]) == 0

    said = capsys.readouterr()
    assert not (settings.data_docs / "index.html").exists()
    assert "Data Docs" not in said.out + said.err and "年度报告与指标表：" in said.out + said.err


@pytest.mark.parametrize(
    ("module", "constant", "name", "part"),
    [
        ("rules", "RULES_PATH", "rules.yaml", "评分规则（rules.yaml）有误："),
        ("report_model", "REPORT_CONFIG", "report.yaml", "报告设置（report.yaml）有误："),
    ],
)
def test_run_with_a_broken_rules_or_report_file_stops_before_reading_the_inbox(
    settings, tmp_path, monkeypatch, capsys, module, constant, name, part
):
    # Found only once the ingest had run, a broken report.yaml published the night's load without its marts. Each
    # file's error names its own part of the registry: `报表模板登记有误` sent operators looking among the templates.
    broken = tmp_path / name
    broken.write_text("lights: [\n", encoding="utf-8")
    monkeypatch.setattr(f"pipeline.{module}.{constant}", broken)
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)

    assert main(["--quiet", "run"]) == 1

    assert f"{part}{broken}: " in capsys.readouterr().err
    assert not settings.warehouse.exists() and not any(settings.receipts.rglob("*.json"))


def test_a_registry_file_with_a_key_no_template_has_is_told_on_one_line_naming_its_line(
    settings, tmp_path, monkeypatch, capsys
):
    from tests.pipeline.test_task_settings import _broken_registry

    said = _broken_registry(tmp_path, monkeypatch)
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)

    assert main(["--quiet", "ingest"]) == 1

    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"报表模板登记有误：{said}") and line.endswith("行）")
    assert not settings.warehouse.exists()


@pytest.mark.parametrize("command", [["run"], ["check", "枣林街道办事处/清单.csv"]])
def test_a_suite_naming_a_column_its_template_lacks_stops_run_and_check_before_the_inbox(
    settings, register, monkeypatch, capsys, command
):
    # Before, a traceback ("list index out of range") once a file of the template was being validated.
    import pipeline.suites as suites_module
    import pipeline.validate as validate_module
    from tests.pipeline.test_validate import _renamed_column

    suite = _renamed_column(suites_module.suite_documents, "compound_list", "households", "household_count")
    monkeypatch.setattr(validate_module, "suite_documents", suite)
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    command = [*command[:1], *(str(settings.inbox / c) for c in command[1:])]
    archived = sorted(settings.archive.rglob("*"))  # the register the fixture took in

    assert main(["--quiet", *command]) == 1

    err = capsys.readouterr().err
    assert (
        "校验规则（expectations）有误：" in err and "compound_list.json" in err and "household_count" in err
    )
    assert sorted(settings.archive.rglob("*")) == archived
    assert not any(settings.receipts.rglob("清单.csv.*"))


@pytest.mark.slow  # 5 s or more on two cores
def test_run_prints_the_reports_path_last(settings, register, capsys):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)

    assert main(["--quiet", "run"]) == 0

    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("年度报告：")
    page = Path(last.removeprefix("年度报告："))
    assert page.suffix == ".html" and page.is_file() and page.is_relative_to(settings.reports)


@pytest.mark.slow
def test_an_earlier_years_report_its_data_moved_on_from_is_listed_until_rebuilt(settings, register, capsys):
    """A 2022 correction, or a withdrawal, that reports 2023: the 2022 report must not go stale without a word."""
    rebuild = "2022年度：pipeline report --year 2022"
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    assert main(["--quiet", "run"]) == 0  # publishes 2022, the latest year
    drop(settings, "枣林街道办事处/项目基本信息2023.csv", REGISTER_CSV.replace("2022", "2023"))
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V2)  # 2022's list, a compound added
    capsys.readouterr()

    assert main(["--quiet", "run"]) == 0  # reports 2023

    run = capsys.readouterr().out.splitlines()
    assert run[-1].startswith("年度报告：") and "2023" in run[-1]
    assert [line.strip() for line in run if "pipeline report --year" in line] == [rebuild]
    assert main(["status"]) == 0
    assert rebuild in capsys.readouterr().out

    assert main(["--quiet", "report", "--year", "2022"]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    assert "pipeline report --year" not in capsys.readouterr().out

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        [(correction,)] = con.execute(
            "select submission_id from ops.submissions where status = 'accepted' and original_name = '清单.csv'"
        ).fetchall()
    assert main(["--quiet", "withdraw", str(correction), "--reason", "误报"]) == 0  # reports 2023 again
    assert rebuild in capsys.readouterr().out


@pytest.mark.slow
def test_withdrawing_the_only_register_names_the_report_it_leaves_stale_and_the_files_it_leaves_unregistered(
    settings, registry, register, capsys
):
    # No year can be reported once the register is gone, yet 2022's report still prints its figures.
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    assert main(["--quiet", "run"]) == 0
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        [(number,)] = con.execute(
            "select submission_id from ops.submissions where 'project_register' in templates"
        ).fetchall()
        [(orphan,)] = con.execute(
            "select submission_id from ops.submissions where original_name = '清单.csv'"
        ).fetchall()
    capsys.readouterr()

    assert main(["--quiet", "withdraw", str(number), "--reason", "登记表有误"]) == 0

    said = capsys.readouterr()
    assert "未生成年度报告" in said.err
    assert "2022年度：pipeline report --year 2022" in said.out
    # The list stays in force, its project registered by no register in force: said, with what to do.
    register_zh, list_zh = (registry.templates[t].name_zh for t in ("project_register", "compound_list"))
    assert f"已不在任何有效的{register_zh}中（原由第{number}号提交登记）" in said.out
    assert (
        f"  第{orphan}号提交“清单.csv”（枣林街道办事处，{list_zh}）：“枣林街道办事处改造老旧小区”（2022年度，未填项目编码）\n"
        in said.out
    )
    assert "其数字仍计入指标和年度报告" in said.out and f"更正版{register_zh}" in said.out
    assert "pipeline withdraw <提交编号>" in said.out


def test_check_prints_what_would_happen_and_writes_nothing(settings, tmp_path, capsys):
    bad = COMPOUNDS_V1.replace("2,市委小区,1.9320,249,", "2,市委小区,1.9320,约200,")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "清单.csv").write_text(bad, encoding="utf-8")
    before = tree(tmp_path)

    assert main(["--quiet", "check", str(outside / "清单.csv")]) == 0

    out = capsys.readouterr().out
    assert "【将被退回】清单.csv" in out
    assert "正式报送后将被退回（识别为：老旧小区改造项目清单；2022年度）" in out
    assert "第6行「惠及户数（户）」填写为“约200”，应为不小于0的整数" in out
    assert tree(tmp_path) == before
    assert not any(settings.home.iterdir())


def test_check_says_how_to_fix_what_the_receipt_says_how_to_fix(settings, tmp_path, capsys):
    # A file that cannot be opened: the receipt's 修改方法 says to export it again; check printed 文件已损坏，无法打开
    # and no more, and a sheet matching no template was 已忽略该工作表 without saying what to do if it mattered.
    (tmp_path / "坏文件.xlsx").write_bytes(b"PK\x03\x04" + b"garbage" * 10)
    extra = xlsx(
        {"清单": [line.split(",") for line in COMPOUNDS_V1.splitlines()], "备注": [["姓名", "电话"]]}
    )
    (tmp_path / "多表.xlsx").write_bytes(extra)

    assert main(["--quiet", "check", str(tmp_path / "坏文件.xlsx"), str(tmp_path / "多表.xlsx")]) == 0

    out = capsys.readouterr().out
    assert (
        "1. [错误·文件无法读取] 文件已损坏，无法打开。请从原表格重新导出，或用Excel另存为Excel工作簿（.xlsx）后重新报送。\n"
        in out
    )
    assert (
        "表头与任何报表模板都不符，已忽略该工作表。如该工作表需要报送，请按统一下发的模板调整表头后重新报送；否则无需处理。"
        in out
    )


def test_check_against_an_existing_warehouse_opens_it_read_only_and_spots_duplicates(
    settings, register, capsys
):
    path = drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    assert main(["--quiet", "ingest"]) == 0
    capsys.readouterr()
    before = tree(settings.home)

    assert main(["--quiet", "check", str(path)]) == 0

    assert "【将被视为重复提交】清单.csv" in capsys.readouterr().out
    assert tree(settings.home) == before
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from ops.submissions").fetchone() == (2,)


def test_check_of_a_missing_file_fails_and_says_which(settings, capsys):
    assert main(["check", "/nonexistent/清单.xlsx"]) == 1
    assert "找不到文件或文件夹：/nonexistent/清单.xlsx" in capsys.readouterr().err


def test_check_of_a_missing_file_beside_others_still_checks_them_and_fails(
    settings, register, tmp_path, capsys
):
    good = tmp_path / "清单.csv"
    good.write_text(COMPOUNDS_V1, encoding="utf-8")

    assert main(["--quiet", "check", str(tmp_path / "清単.csv"), str(good)]) == 1

    said = capsys.readouterr()
    assert f"找不到文件或文件夹：{tmp_path / '清単.csv'}" in said.err
    assert "清单.csv" in said.out and "【将" in said.out


def test_check_of_a_folder_closed_to_us_says_so_and_checks_the_rest(
    settings, register, tmp_path, capsys, monkeypatch
):
    closed = tmp_path / "关闭"
    closed.mkdir()
    (closed / "清单.csv").write_text(COMPOUNDS_V1, encoding="utf-8")
    good = tmp_path / "清单.csv"
    good.write_text(COMPOUNDS_V1, encoding="utf-8")
    real = {name: getattr(os, name) for name in ("scandir", "stat", "open")}

    def closed_to_us(name, within):
        def call(path, *args, **kwargs):
            if os.fsencode(path).startswith(inside) if within else os.fsencode(path) == os.fsencode(closed):
                raise PermissionError(13, "Permission denied", path)
            return real[name](path, *args, **kwargs)

        return call

    inside = os.fsencode(closed) + b"/"
    monkeypatch.setattr(os, "scandir", closed_to_us("scandir", False))  # it lists nothing (mode 0311)
    monkeypatch.setattr(os, "stat", closed_to_us("stat", True))  # nor is anything in it reached (mode 0600)
    monkeypatch.setattr(os, "open", closed_to_us("open", True))

    # Before, each ended the command (exit 1, 本次运行未完成) before the file beside it was checked.
    assert main(["--quiet", "check", str(closed), str(closed / "清单.csv"), str(good)]) == 0

    out = capsys.readouterr().out
    assert f"【未检查】{closed}\n  {SKIP_ZH['folder_closed']}" in out
    assert f"【未检查】{closed / '清单.csv'}\n  没有读取该文件的权限" in out
    assert "【将被接收】清单.csv" in out


def test_check_takes_folders_recursively_and_says_what_each_file_would_get(
    settings, register, tmp_path, capsys
):
    folder = tmp_path / "待报送" / "十二月"
    folder.mkdir(parents=True)
    (folder / "清单.csv").write_text(COMPOUNDS_V1, encoding="utf-8")
    (folder / "坏.csv").write_text(COMPOUNDS_V1.replace("249,", "约200,"), encoding="utf-8")
    (folder / "~$清单.xlsx").write_bytes(b"an Office lock file")

    assert main(["--quiet", "check", str(tmp_path / "待报送")]) == 0

    out = capsys.readouterr().out
    assert "【将被退回】坏.csv" in out and "【将被退回】清单.csv" not in out
    assert f"【未检查】{folder / '~$清单.xlsx'}\n  {SKIP_ZH['office_lock']}" in out  # as the night logs it
    assert out.count("【") == 3


@pytest.mark.slow  # 5 s or more on two cores
def test_a_run_publishes_its_load_only_with_the_marts_rebuilt_from_it(settings, register, monkeypatch):
    import pipeline.warehouse

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    seen = []  # what each version published holds: files accepted, and compounds in the marts
    publish = pipeline.warehouse.publish

    def watched(work, published):
        with duckdb.connect(str(work), read_only=True) as con:
            seen.append(
                con.execute(
                    "select (select count(*) from ops.submissions where status = 'accepted'), "
                    "(select coalesce(sum(compounds), 0) from mart.renovated_compounds)"
                ).fetchone()
            )
        return publish(work, published)

    monkeypatch.setattr(pipeline.warehouse, "publish", watched)
    assert main(["--quiet", "run"]) == 0

    listed = sum(line[:1].isdigit() for line in COMPOUNDS_V1.splitlines())
    assert seen == [(2, listed)]  # one version: the register and the list, with the list's compounds


def test_a_run_whose_marts_cannot_be_rebuilt_still_publishes_its_load(
    settings, register, monkeypatch, capsys
):
    import pipeline.indicators

    def broken(con, rules, registry):
        raise duckdb.ConversionException("a model that cannot be built")

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    monkeypatch.setattr(pipeline.indicators, "rebuild", broken)
    assert main(["--quiet", "run"]) == 1  # the run failed, said in Chinese with DuckDB's own words

    err = capsys.readouterr().err
    assert "数据仓库操作失败" in err and "a model that cannot be built" in err and "Traceback" not in err

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        names = con.execute("select original_name from ops.submissions where status = 'accepted'").fetchall()
    assert ("清单.csv",) in names


def test_a_run_whose_marts_run_out_of_memory_says_which_setting_to_raise_and_still_publishes_its_load(
    settings, register, monkeypatch, capsys, caplog
):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    monkeypatch.setenv(
        "PIPELINE_MARTS_MEMORY_LIMIT", "1MB"
    )  # too little for the rebuild on any number of threads
    assert main(["--quiet", "run"]) == 1

    err = capsys.readouterr().err
    assert "内存不足" in err and "PIPELINE_MARTS_MEMORY_LIMIT" in err and "Out of Memory" in err
    assert "检查磁盘" not in err and "Traceback" not in err
    assert any("改用单线程" in r.getMessage() for r in caplog.records)  # tried again on one thread first
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        names = con.execute("select original_name from ops.submissions where status = 'accepted'").fetchall()
    assert ("清单.csv",) in names


@pytest.mark.slow
def test_a_run_whose_reader_goes_away_still_rebuilds_the_marts_and_the_report(settings, register):
    # `pipeline run 2>&1 | head -1`: the pipe closes after the first line, while the run has most of it to say.
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    run = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "run"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    run.stdout.readline()
    run.stdout.close()

    assert run.wait(timeout=300) == 0
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        [(compounds,)] = con.execute("select sum(compounds) from mart.renovated_compounds").fetchall()
    listed = sum(line[:1].isdigit() for line in COMPOUNDS_V1.splitlines())
    assert compounds == listed  # the list's rows: the marts were rebuilt after the load
    assert list(settings.reports.rglob("*.html"))  # and the report written


def test_the_console_script_runs_and_shows_help():
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "usage: pipeline" in result.stdout


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        pytest.param([], "pipeline：错误：缺少必需的参数：COMMAND。", id="no-command"),
        pytest.param(
            ["nosuch"],
            "pipeline：错误：参数COMMAND的取值“nosuch”无效，可选：init、run、",
            id="unknown-command",
        ),
        # Told with the command's own usage, as README says: `pipeline run 2022` showed `pipeline`'s, without --year.
        pytest.param(["run", "extra"], "pipeline run：错误：无法识别的参数：extra。", id="unrecognized"),
        pytest.param(
            ["users", "add", "x", "--bogus"],
            "pipeline users add：错误：无法识别的参数：--bogus。",
            id="unrecognized-nested",
        ),
        pytest.param(
            ["withdraw", "3"], "pipeline withdraw：错误：缺少必需的参数：--reason。", id="missing-option"
        ),
        pytest.param(
            ["report", "--year", "abc"],
            "pipeline report：错误：参数--year应为整数，而填写为“abc”。",
            id="not-int",
        ),
        pytest.param(["run", "--year"], "pipeline run：错误：参数--year后面应填写一个值。", id="no-value"),
        pytest.param(
            ["users", "foo"],
            "pipeline users：错误：参数ACTION的取值“foo”无效，可选：add、reset、disable。",
            id="nested",
        ),
    ],
)
def test_a_wrong_command_line_is_told_in_chinese_and_exits_2(argv, said, capsys):
    # argparse told it in English (usage: … error: the following arguments are required: …), alone of every message.
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("用法：pipeline") and said in err
    assert "usage" not in err and "error" not in err


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_described_help_page(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    page = capsys.readouterr().out
    assert f"usage: pipeline {command}" in page
    description = page.split("\n\n")[1]
    assert description and not description.startswith(("options", "positional")), page


def test_status_before_any_run_says_to_run_first(settings, capsys):
    assert main(["status"]) == 0

    assert "尚未运行过接收" in capsys.readouterr().out


def test_status_of_a_warehouse_gone_beside_an_archive_holding_files_says_so_not_to_run_first(
    settings, capsys
):
    # It said 尚未运行过接收…请先运行 `pipeline run`, a command that then refuses: the warehouse was lost, not new.
    (settings.archive / "ab").mkdir(parents=True)
    (settings.archive / "ab" / f"ab{'0' * 62}.csv").write_text("序号\n", encoding="utf-8")

    assert main(["status"]) == 0

    said = capsys.readouterr().out
    assert "尚未运行过接收" not in said and "pipeline run" not in said
    assert "已有以前接收的文件" in said and "PIPELINE_WAREHOUSE" in said and "Backup and restore" in said


def test_status_shows_the_last_run_each_offices_outcomes_and_the_receipts(settings, register, capsys):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    drop(settings, "枣林街道办事处/坏文件.xlsx", b"not a workbook at all")
    assert main(["--quiet", "ingest"]) == 0
    capsys.readouterr()

    assert main(["status"]) == 0

    out = capsys.readouterr().out
    assert "新文件 2 个：已接收 1、已退回 1、重复提交 0；未变化 1 个" in out
    [zaolin] = [line for line in out.splitlines() if line.strip().startswith("枣林街道办事处")]
    # accepted (register and list), rejected, duplicate, superseded, withdrawn
    assert zaolin.split()[1:] == ["2", "1", "0", "0", "0"]
    assert str(settings.receipts) in out


def test_status_says_a_load_waits_unpublished_in_the_writers_copy(settings, registry, register, capsys):
    from pipeline.intake import ingest

    # The DAG's load_files leaves its load to annual_indicators to publish with the marts: paused, readers stayed on
    # the night before, and `pipeline status`, reading only published versions, said nothing of it.
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    drop(settings, "枣林街道办事处/坏文件.xlsx", b"not a workbook at all")
    ingest(settings, registry, progress=False, publish_it=False)

    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "新文件 1 个：已接收 1" in out  # the register's night, the one published
    assert "数据仓库写入方的副本中有尚未发布的数据（自 " in out
    assert re.search(
        r"\n  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 的接收：新文件 2 个，已接收 1、已退回 1、重复提交 0\n", out
    )
    assert "pipeline report" in out and "annual_indicators" in out

    assert main(["--quiet", "report"]) == 0  # publishes the load with the marts
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "尚未发布" not in out and "新文件 2 个：已接收 1、已退回 1" in out
    assert not (settings.home / "writer" / "unpublished.json").exists()

    # One left behind (a publication cut short, a restore from backup) is older than the version that holds it.
    (settings.home / "writer" / "unpublished.json").write_text('{"since": "2022-01-01T00:00:00+08:00"}')
    os.utime(settings.home / "writer" / "unpublished.json", ns=(10**18, 10**18))
    assert main(["status"]) == 0
    assert "尚未发布" not in capsys.readouterr().out


@pytest.mark.parametrize("variable", ["PIPELINE_MAX_ROWS", "PIPELINE_WORKERS"])
def test_a_bad_setting_is_named_without_a_traceback(settings, monkeypatch, capsys, variable):
    monkeypatch.setenv(variable, "很多")

    assert main(["--quiet", "status"]) == 1

    err = capsys.readouterr().err
    assert f"环境变量设置有误：{variable}" in err
    assert "Traceback" not in err


def test_an_object_store_inbox_beside_a_local_archive_is_a_bad_setting_not_a_traceback(
    settings, monkeypatch, capsys
):
    monkeypatch.setenv("PIPELINE_INBOX", "s3://bureau/inbox")

    assert main(["--quiet", "run"]) == 1

    err = capsys.readouterr().err
    assert "环境变量设置有误：PIPELINE_INBOX 的值 's3://bureau/inbox' 与 PIPELINE_ARCHIVE 的值" in err
    assert "Traceback" not in err


def test_status_rejected_lists_each_rejected_file_with_reason_and_receipt_aligned_for_cjk(
    settings, register, capsys
):
    from pipeline.text import display_width

    drop(settings, "枣林街道办事处/坏文件.xlsx", b"not a workbook at all")
    drop(settings, "枣林街道办事处/一个名字相当长的坏文件（第二版）.xlsx", b"not a workbook either")
    assert main(["--quiet", "ingest"]) == 0
    capsys.readouterr()

    assert main(["status", "--rejected"]) == 0

    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if "坏文件" in line and "回执：" not in line]
    assert len(rows) == 2
    # The reason starts in the same terminal column on every row, however wide the names are.
    starts = {display_width(row[: row.index("文件已损坏")]) for row in rows}
    assert len(starts) == 1, rows
    assert sum("回执：" in line and ".回执.html" in line for line in lines) == 2


def test_check_of_a_fifo_says_it_was_not_checked_and_does_not_wait_for_a_writer(settings, tmp_path, capsys):
    os.mkfifo(tmp_path / "管道.xlsx")  # read_bytes() on it waited for a writer for ever

    assert main(["--quiet", "check", str(tmp_path / "管道.xlsx")]) == 0

    assert f"【未检查】{tmp_path / '管道.xlsx'}\n  命名管道（FIFO），未读取" in capsys.readouterr().out


def test_check_of_a_file_past_the_size_limit_says_the_night_returns_it(
    settings, tmp_path, monkeypatch, capsys
):
    # Headed 【未检查】 as a FIFO is, which the night passes over, though the night returns it with a receipt.
    monkeypatch.setenv("PIPELINE_MAX_FILE_BYTES", "1024")
    (tmp_path / "大.csv").write_bytes(b"x" * 2048)

    assert main(["--quiet", "check", str(tmp_path / "大.csv")]) == 0

    assert (
        f"【将被退回】{tmp_path / '大.csv'}\n  未检查其内容，正式报送后将被退回：文件大小为2,048字节，超过1,024字节的处理上限。"
        in capsys.readouterr().out
    )


@pytest.mark.parametrize("broken", ["removed", "a file", "PIPELINE_INBOX typo"])
def test_an_inbox_that_is_not_there_fails_the_night_naming_it(settings, monkeypatch, capsys, broken):
    inbox = settings.inbox
    if broken == "a file":
        inbox.write_text("not a folder")
    if broken == "PIPELINE_INBOX typo":
        settings.inbox.mkdir()
        inbox = settings.home / "inbxo"
        monkeypatch.setenv("PIPELINE_INBOX", str(inbox))

    assert main(["--quiet", "ingest"]) == 1  # it was 0, "新文件 0 个", every night of an unmounted share

    err = capsys.readouterr().err
    assert f"收件箱{'不是文件夹' if broken == 'a file' else '不存在'}：{inbox}" in err
    assert "Traceback" not in err


@pytest.mark.slow  # 5 s or more on two cores
def test_a_reports_folder_that_cannot_be_made_fails_the_run_in_chinese_naming_it(
    settings, register, monkeypatch, capsys
):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    blocked = settings.home / "报告"
    blocked.write_text("a file where the reports' folder should be")
    monkeypatch.setenv("PIPELINE_REPORTS", str(blocked / "2024"))

    assert main(["--quiet", "run"]) == 1

    err = capsys.readouterr().err
    assert f"pipeline：无法访问“{blocked / '2024'}”：路径中有一段不是文件夹，本次运行未完成。" in err
    assert "Errno" not in err and "Traceback" not in err


@pytest.mark.slow  # 5 s or more on two cores
@pytest.mark.parametrize("damage", ["cut short", "not a database"])
def test_a_damaged_writers_copy_fails_the_run_in_chinese_and_points_to_the_restore(
    settings, register, capsys, damage
):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    assert main(["--quiet", "run"]) == 0
    copy = settings.home / "writer" / "warehouse.duckdb"
    whole = copy.read_bytes()
    copy.write_bytes(whole[: len(whole) // 2] if damage == "cut short" else b"\x00" * 4096)
    capsys.readouterr()

    assert main(["--quiet", "run"]) == 1

    err = capsys.readouterr().err
    assert f"{copy} 不是完整的DuckDB数据库文件" in err and "Backup and restore" in err
    assert "Traceback" not in err


@pytest.mark.slow  # 5 s or more on two cores
def test_a_writers_copy_with_a_damaged_block_fails_the_run_in_chinese(settings, register, capsys):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    assert main(["--quiet", "run"]) == 0
    copy = settings.home / "writer" / "warehouse.duckdb"
    damaged = bytearray(copy.read_bytes())
    for at in range(3 * 4096 + 512, len(damaged), 4096):  # every block's body, past the file's headers
        damaged[at : at + 64] = bytes(64)
    copy.write_bytes(bytes(damaged))
    capsys.readouterr()

    assert main(["--quiet", "run"]) == 1

    err = capsys.readouterr().err
    assert err.startswith("pipeline：") and "本次" in err and "Traceback" not in err


def test_a_data_root_under_a_gbk_folder_name_is_refused_in_chinese(tmp_path, monkeypatch, capsys):
    home = os.path.join(os.fsencode(tmp_path), "中文".encode("gbk"), b"var")
    os.makedirs(home)
    monkeypatch.setenv("PIPELINE_HOME", os.fsdecode(home))

    assert main(["--quiet", "status"]) == 1  # was a traceback: RuntimeError std::bad_cast from DuckDB

    err = capsys.readouterr().err
    assert "数据仓库的路径含有非UTF-8编码的文件夹名" in err and "Traceback" not in err


@pytest.mark.slow
def test_an_archive_copy_cut_short_is_written_whole_when_the_same_bytes_come_again(
    settings, register, caplog
):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    assert main(["--quiet", "run"]) == 0
    sent = COMPOUNDS_V1.encode("utf-8")
    [copy] = [p for p in settings.archive.rglob("*.csv") if p.read_bytes() == sent]
    copy.write_bytes(sent[:10])  # a disk that lost the end of it
    drop(settings, "枣林街道办事处/子目录/清单副本.csv", COMPOUNDS_V1)

    assert main(["--quiet", "run"]) == 0

    assert copy.read_bytes() == sent
    assert "不完整" in caplog.text


def test_an_empty_inbox_is_a_quiet_night_exit_zero(settings, capsys):
    settings.inbox.mkdir()

    assert main(["--quiet", "ingest"]) == 0

    assert "新文件 0 个" in capsys.readouterr().out


def test_a_line_feed_in_a_file_name_cannot_forge_a_line_of_the_run_summary(settings, register, capsys):
    drop(settings, "枣林街道办事处/B\n[已接收] 伪造.xlsx", b"not a workbook at all")
    drop(settings, "枣林街道办事处/C\r[已接收] 覆盖.xlsx", b"not a workbook at all")

    assert main(["--quiet", "run"]) == 0

    out = capsys.readouterr().out
    assert "B\u240a[已接收] 伪造.xlsx" in out and "C\u240d[已接收] 覆盖.xlsx" in out
    assert "\r" not in out
    assert not [line for line in out.splitlines() if line.startswith("[已接收] 伪造")]


def test_a_problem_line_says_how_to_fix_it_as_the_receipt_does(registry, capsys):
    # `pipeline ingest` printed 文件已损坏或不是Excel文件，无法打开 and nothing more, where the receipt's 修改方法 says to
    # export it again; a message that ends with its own 请… is printed as it is.
    broken = parse_file(b"not a workbook at all", "坏文件.xlsx", registry).all_problems
    cell = "第5行「惠及户数（户）」填写为“约200”，应为整数，请填写确切户数。"
    outcome = Outcome(
        "枣林街道办事处/坏文件.xlsx",
        "0" * 64,
        "rejected",
        unit="枣林街道办事处",
        problems=[*broken, Problem(Severity.ERROR, "type", cell, excel_row=5, fix="请填写确切户数")],
    )

    _print_outcome(outcome, None, registry)

    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == [
        "    错误：文件已损坏或不是Excel文件，无法打开。请从原表格重新导出，或用Excel另存为Excel工作簿（.xlsx）后重新报送。",
        f"    错误：{cell}",
    ]


def test_a_problem_line_names_its_sheet_once_when_the_message_already_names_it(registry, capsys):
    # whole_list_replaced's message begins with its sheet, as the receipt's page (no sheet column there) needs.
    replaced = "工作表“项目清单”：本表是项目“甲项目”2022年度的老旧小区改造项目清单，替代第2号提交中该项目的全部数据。"
    cell = "第5行「惠及户数（户）」填写为“约200”，应为整数，请填写确切户数。"
    outcome = Outcome(
        "枣林街道办事处/补充清单.xlsx",
        "0" * 64,
        "accepted",
        unit="枣林街道办事处",
        year=2022,
        templates=["compound_list"],
        problems=[
            Problem(Severity.WARNING, "whole_list_replaced", replaced, sheet="项目清单"),
            Problem(Severity.WARNING, "type", cell, sheet="项目清单", excel_row=5),
        ],
    )

    _print_outcome(outcome, None, registry)

    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == [f"    警告：{replaced}", f"    警告：工作表“项目清单”{cell}"]
    # The form is named as `pipeline check` and the receipt name it, not by its registry key (compound_list).
    assert (
        lines[0] == "[已接收] 枣林街道办事处/补充清单.xlsx （枣林街道办事处，2022年，老旧小区改造项目清单）"
    )


@pytest.mark.slow
def test_a_correction_taken_in_by_ingest_alone_names_the_report_it_leaves_stale(settings, register, capsys):
    """`pipeline ingest` publishes the load without the marts: the report they were built for must still go stale."""
    rebuild = "2022年度：pipeline report --year 2022"
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    assert main(["--quiet", "run"]) == 0  # publishes 2022
    capsys.readouterr()
    assert main(["status"]) == 0
    assert "pipeline report --year" not in capsys.readouterr().out
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V2)  # 2022's list, a compound added

    assert main(["--quiet", "ingest"]) == 0

    ingest = capsys.readouterr().out.splitlines()
    assert [line.strip() for line in ingest if "pipeline report --year" in line] == [rebuild]
    assert main(["status"]) == 0
    assert rebuild in capsys.readouterr().out
    # Rebuilt, it is current again; a night with nothing new leaves it so.
    assert main(["--quiet", "report", "--year", "2022"]) == 0
    assert main(["--quiet", "ingest"]) == 0
    assert "pipeline report --year" not in capsys.readouterr().out
    assert main(["status"]) == 0
    assert "pipeline report --year" not in capsys.readouterr().out
