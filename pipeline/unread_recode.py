"""Give unread_column warnings stored before 9e4775c the codes split from it since, where their words prove which
(a migration)."""

from __future__ import annotations

import duckdb

from pipeline.receipt_facts import recount_warnings

# What header_checks wrote, in every version since each was raised, and only for that case (`git log -S`): a column
# like one of the form not found (05533b8 on) ends its `expected` 本表的“…”未找到 and asks to head it as that one; a
# finer grade's counts (5b3ec67 on) name the column read (只读取了) and ask to add them into it. The other half of a
# text column read asks to join it (请将该列内容并入), a national form's extra column names no column: both keep
# unread_column, as they are raised now.
_SAID = "[A-Z]+列的表头不是本表的栏目，该列未读取；本表的“"
RECODED = {
    "unread_lookalike_column": (
        f"{_SAID}.+”未找到",
        "如该列即“.+”，请将表头改为(“.+”|其中相应的一个)",
    ),
    "unread_finer_column": (
        f"{_SAID}[^”]+”只读取了[A-Z]+列“.*”",
        "如该列的数应计入“[^”]+”，请将其并入[A-Z]+列后删去该列；如不应计入，请删去该列",
    ),
}


def recode_unread(con: duckdb.DuckDBPyConnection) -> None:
    """Recode stored unread_column warnings whose `expected` and `fix` are exactly what the look-alike or the
    finer-grade check writes; safe to repeat.

    Stored before the split, a look-alike of a column not found (完工时间 for 完工日期) or a survey's 非常满意 beside
    满意 kept the old code until its file was sent again, so the report's 数据质量提示 never named the figures they
    leave short. Only the words prove the case: a warning they do not fit exactly keeps its code. Its receipt is
    written again, under the rule's new title; its words are as they were.
    """
    recoded = []
    for rule, (expected, fix) in RECODED.items():
        recoded += con.execute(
            "update ops.validation_issues set rule = ? where rule = 'unread_column' and severity = 'warning' "
            "and regexp_full_match(expected, ?) and regexp_full_match(fix, ?) returning submission_id",
            [rule, expected, fix],
        ).fetchall()
    recount_warnings(con, (n for (n,) in recoded))
