"""The report's figure keys (registry/report_figures.yaml) are refused naming the key, its line and what to write."""

from __future__ import annotations

import pytest

from pipeline.registry import RegistryError
from pipeline.report_view import FIGURE_KEYS, load_figure_keys


def test_a_figure_key_without_words_says_its_key_line_and_what_to_write(tmp_path):
    # Before: `expected `key: 说明` lines`, in English, naming neither the key nor its line.
    path = tmp_path / "report_figures.yaml"
    text = FIGURE_KEYS.read_text(encoding="utf-8")
    path.write_text(
        text.replace("projects: 纳入绩效评价的项目数（区级汇总）", "projects: [项目数]"), encoding="utf-8"
    )
    line = next(n for n, written in enumerate(text.splitlines(), 1) if written.startswith("projects:"))

    with pytest.raises(RegistryError) as caught:
        load_figure_keys(path)

    assert str(caught.value) == (
        f"{path}: projects: 每一行应为“键: 说明”，键和说明都是文字（expected `key: 说明` lines），"
        f"请写 projects: <这个数字的含义>；像数字的键请加引号（第{line}行）"
    )


def test_the_figure_keys_missing_say_where_to_copy_them_from(tmp_path):
    with pytest.raises(
        RegistryError, match=r"文件不存在（missing），请从本仓库的 registry/report_figures\.yaml"
    ):
        load_figure_keys(tmp_path / "report_figures.yaml")
