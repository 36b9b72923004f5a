"""recode_unread: unread_column warnings stored before the split get the codes their words prove, once."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.intake.file_rows import add_problems
from pipeline.intake.pending_rows import PendingRows
from pipeline.parse import parse_file
from pipeline.problems import Problem, Severity
from pipeline.unread_recode import RECODED
from pipeline.warehouse_schema import ensure_schema

# A list heading 完工日期 otherwise (a look-alike) and a survey in five grades (非常满意 beside 满意), each a file.
_LIST = (
    "清单.csv",
    "项目名称：甲项目\n年度：2022\n序号,小区名称,改造面积（万平方米）,惠及户数（户）,计划投资（万元）,完工时间\n"
    "1,棉纺厂东院,1.2,120,360,2022-10-31\n",
)
_SURVEY = (
    "满意度.csv",
    "项目名称：甲项目\n年度：2022\n小区名称,有效问卷（份）,非常满意（份）,满意（份）,基本满意（份）,不满意（份）\n"
    "棉纺厂东院,100,30,80,15,5\n",
)
# The other half of a text column read, as header_checks words it: not a figure the report names.
_HALF = Problem(
    Severity.WARNING,
    "unread_column",
    "第5行「改进措施」：H列的表头不是本表的栏目，该列未读取；本表的“偏差原因分析及改进措施”只读取了G列“偏差原因分析”，"
    "请将该列内容并入G列，并将其表头改为“偏差原因分析及改进措施”。",
    expected="H列的表头不是本表的栏目，该列未读取；本表的“偏差原因分析及改进措施”只读取了G列“偏差原因分析”",
    fix="请将该列内容并入G列，并将其表头改为“偏差原因分析及改进措施”",
)


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        yield con


def _stored_before_the_split(con, registry) -> None:
    """Store the two files' warnings and the half-read one as a data root from before 9e4775c holds them: all
    unread_column, ensured by an older pipeline."""
    ensure_schema(con, registry)
    pending = PendingRows()
    for number, (name, text) in enumerate((_LIST, _SURVEY, ("half.csv", "")), start=1):
        problems = (
            [
                p
                for p in parse_file(text.encode(), f"甲街道办事处/{name}", registry).all_problems
                if p.rule.startswith("unread")
            ]
            if text
            else [_HALF]
        )
        assert len(problems) == 1, name
        con.execute(
            "insert into ops.submissions (submission_id, sha256, original_name, inbox_path, received_at, status, "
            "error_count, warning_count, archive_path, receipt_status) "
            "values (?, 'x', ?, ?, now(), 'accepted', 0, 1, 'x', 'accepted')",
            [number, name, name],
        )
        add_problems(pending, number, problems, {})
    pending.insert(con)
    con.execute("update ops.validation_issues set rule = 'unread_column'")
    con.execute("update ops.schema_stamp set stamp = 'made by an older pipeline'")


def test_stored_unread_column_warnings_get_the_code_their_words_prove_once(con, registry):
    _stored_before_the_split(con, registry)
    # A warning whose words fit only half a case keeps its code: never guessed.
    con.execute(
        "insert into ops.validation_issues (submission_id, severity, rule, message_zh, expected, fix) "
        "select 3, severity, rule, message_zh, expected, '如该列内容应当读取，请将其移入本表相应的栏目；否则请删去该列' "
        "from ops.validation_issues where submission_id = 1"
    )

    ensure_schema(con, registry)

    rules = "select submission_id, rule from ops.validation_issues order by submission_id, rule"
    assert con.execute(rules).fetchall() == [
        (1, "unread_lookalike_column"),
        (2, "unread_finer_column"),
        (3, "unread_column"),
        (3, "unread_column"),
    ]
    # Their receipts are written again, under the rules' new titles; their counts stand.
    assert con.execute(
        "select submission_id, warning_count, receipt_status from ops.submissions order by 1"
    ).fetchall() == [(1, 1, None), (2, 1, None), (3, 1, "accepted")]
    # Stamped: a later start recodes nothing, and a warning told so since is left as it is.
    con.execute("update ops.submissions set receipt_status = status")
    ensure_schema(con, registry)
    assert con.execute(rules).fetchall()[:2] == [(1, "unread_lookalike_column"), (2, "unread_finer_column")]
    assert con.execute("select count(*) from ops.submissions where receipt_status is null").fetchone() == (0,)


def test_the_words_recoded_are_those_each_check_writes_now(registry):
    """The patterns fit what header_checks raises under each new code, and not the half-read column's words."""
    import re

    for name, text in (_LIST, _SURVEY):
        [problem] = [
            p
            for p in parse_file(text.encode(), f"甲街道办事处/{name}", registry).all_problems
            if p.rule.startswith("unread")
        ]
        expected, fix = RECODED[problem.rule]
        assert re.fullmatch(expected, problem.expected) and re.fullmatch(fix, problem.fix), name
    for expected, fix in RECODED.values():
        assert not (re.fullmatch(expected, _HALF.expected) and re.fullmatch(fix, _HALF.fix))
