"""The report's settings (registry/report.yaml) are refused as the registry is: file, key, line and what to write."""

from __future__ import annotations

import pytest

from pipeline.registry import RegistryError
from pipeline.report_model import REPORT_CONFIG, load_report_config
from tests.pipeline.test_registry_errors import assert_said_at, refusal_of_broken

# Each shape report.yaml's checks refuse, as the real file is broken: where the fault stands, and what to write.
SHAPES = {
    "district-blank": (lambda c: c.update(district="　"), ("district",), "请写上文字"),
    "district-empty": (lambda c: c.update(district=""), ("district",), "请写上文字"),
    "issuer-blank": (lambda c: c.update(issuer=" "), ("issuer",), "请写上文字，不印则删去 issuer 这一行"),
    "key-misspelt": (lambda c: c.update(isuer="区财政局"), ("isuer",), "请写 'issuer'（多半是它的笔误）"),
    "district-a-number": (lambda c: c.update(district=2024), ("district",), "请写成文字"),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_of_a_report_settings_check_says_file_key_line_and_fix_in_chinese(tmp_path, shape):
    # Before: a district of spaces loaded and titled the report 《　2022年度…》; a missing file said `missing` alone.
    change, at, fix = SHAPES[shape]
    path = tmp_path / "report.yaml"

    assert_said_at(refusal_of_broken(load_report_config, REPORT_CONFIG, path, change), path, at, fix)


def test_the_report_settings_missing_say_where_to_copy_them_from(tmp_path):
    with pytest.raises(
        RegistryError, match=r"report\.yaml: 文件不存在（missing），请从本仓库的 registry/report\.yaml"
    ):
        load_report_config(tmp_path / "report.yaml")
