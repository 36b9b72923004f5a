"""Mark superseded the accepted files whose every slice a later file now holds."""

from __future__ import annotations

import duckdb


def supersede(con: duckdb.DuckDBPyConnection, slice_keys: set[str]) -> None:
    """Mark superseded the accepted submissions on these slices whose every slice now has a later one."""
    if not slice_keys:
        return
    con.execute(
        """
        update ops.submissions set status = 'superseded'
        where status = 'accepted' and submission_id in (
            select s.submission_id
            from ops.slices s join ops.current_slices c using (slice_key)
            where s.submission_id in (
                select submission_id from ops.slices where slice_key in (select unnest(?::varchar[]))
            )
            group by s.submission_id
            having bool_and(c.submission_id <> s.submission_id)
        )
        """,
        [sorted(slice_keys)],
    )
