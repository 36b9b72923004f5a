from __future__ import annotations

from pipeline.check import check_contents
from tests.pipeline.test_intake import COMPOUNDS_V1


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
