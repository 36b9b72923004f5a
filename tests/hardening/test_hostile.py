"""Hostile and broken files (the small version of bench/hostile_trials.py): each is rejected with a receipt."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bench.hostile_files import KINDS, plant, rewrite_sheet, zip_bomb
from bench.hostile_judge import judge
from pipeline.intake import ingest
from pipeline.settings import Settings
from tests.pipeline.workbooks import compound_sheet, xlsx

REPO = Path(__file__).resolve().parents[2]
VALID = 8
# Why each kind is refused: the rule of its error(s) in the receipt.
RULES = {
    "truncated_xlsx": "unreadable",
    "truncated_xls": "unreadable",
    "zip_garbage": "unreadable",
    "huge_dimension": "too_large",
    "far_cell": "too_large",
    "xls_far_cell": "too_large",
    "formula_errors": "formula_error",
    "deep_merges": "unreadable",
    "wrong_encoding": "unreadable",
    "random_bytes": "unreadable",
    "zip_bomb": "too_large",
    "lying_zip_bomb": "unreadable",
    "million_rows_csv": "too_large",
    "million_rows_xlsx": "too_large",
}


@pytest.fixture(scope="module")
def trial(tmp_path_factory, registry):
    """Plant every kind of damage once, the million-row pair and valid files, then ingest them all."""
    settings = Settings.from_env(tmp_path_factory.mktemp("hostile"))
    planted = plant(settings.inbox, n=len(KINDS) + 2, valid=VALID, seed=11)
    ingest(settings, registry, progress=False)  # an exception here is the failure this test exists for
    return settings, planted


# The night of hostile files (about 25 s), and the tests judging it: make test-slow, so make test stays under 15
# minutes. The zip bomb and the far cell stay in make test.
@pytest.mark.slow
def test_every_hostile_file_is_rejected_with_a_receipt_and_the_valid_files_are_accepted(trial):
    settings, planted = trial
    result = judge(settings.warehouse, planted, exit_status=0)
    assert result.failures == []
    assert result.rejected_with_receipt == result.hostile == len(RULES)
    assert result.valid_accepted == result.valid == VALID


@pytest.mark.slow
def test_each_kind_of_damage_is_refused_for_its_own_reason(trial):
    settings, planted = trial
    result = judge(settings.warehouse, planted, exit_status=0)
    rules = {kind: rule for (kind, rule), _ in result.rules.items()}
    assert {kind: set(rule.split("+")) >= {RULES[kind]} for kind, rule in rules.items()} == dict.fromkeys(
        RULES, True
    ), rules


@pytest.mark.slow
def test_a_limit_that_is_hit_is_stated_in_the_receipt_with_its_value_and_what_to_do(trial):
    settings, planted = trial
    path = next(p for p, kind in planted.hostile.items() if kind == "million_rows_csv")
    unit, name = path.split("/", 1)
    receipt = json.loads((settings.receipts / unit / f"{name}.回执.json").read_text(encoding="utf-8"))
    assert receipt["status"] == "rejected"
    [problem] = receipt["problems"]
    assert problem["rule"] == "too_large"
    assert problem["rule_zh"] == "超出处理上限"
    assert problem["sheet"] == "million_rows_csv"
    assert problem["column_header"] == "每个工作表的行数"
    assert problem["expected"] == "不超过200,000行"
    assert problem["value"] == "200,001行"
    assert "拆分为多个文件" in problem["fix"]


FAR_CELL = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
# Read files as the pipeline does, in a process that may map no more than 1 GiB.
SURVIVE = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from pipeline.parse import parse_file
from pipeline.registry import load_registry
registry = load_registry()
rules = [[p.rule for p in parse_file(open(path, "rb").read(), "单位/" + path, registry).errors] for path in sys.argv[1:]]
# VmHWM, not ru_maxrss: a child's ru_maxrss starts from the RSS its parent had when it forked.
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"rules": rules, "peak_mib": peak // 1024}))
"""


def test_a_zip_bomb_and_a_far_cell_are_refused_without_inflating_them_in_a_1_gib_address_space(tmp_path):
    base = xlsx({"清单": compound_sheet(["1", "市委小区", "1.9320", "249", "725.58", "在建"])})
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(zip_bomb(base))
    with zipfile.ZipFile(bomb) as archive:
        assert sum(i.file_size for i in archive.infolist()) >= 2**30  # a real bomb: it inflates past the cap
    # One valued cell at XFD1048576 makes calamine allocate 17 billion cells: the process aborts outright.
    far = tmp_path / "far.xlsx"
    far.write_bytes(rewrite_sheet(base, lambda xml: xml.replace(b"</sheetData>", FAR_CELL + b"</sheetData>")))
    done = subprocess.run(
        [sys.executable, "-c", SURVIVE, str(bomb), str(far)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["rules"] == [["too_large"], ["too_large"]]
    assert figures["peak_mib"] < 400
