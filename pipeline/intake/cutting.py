"""How a night's files are cut: into chunks read back and validated together, and batches stored together."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb

from pipeline.intake.candidates import Candidate
from pipeline.intake.night_order import night_order
from pipeline.intake.work_format import WorkFile
from pipeline.registry import Registry

# A chunk of files is read back and validated together; chunks bound the memory of a run. Each chunk costs a
# GX validation per template (about half a second each), so chunks are large.
FILES_PER_CHUNK = 5_000


ROWS_PER_CHUNK = 250_000


# A batch of a chunk's files is stored in one transaction: a few statements per table, not per file.
FILES_PER_BATCH = 500


ROWS_PER_BATCH = 25_000


def chunks(work_files: list[WorkFile], together: int = 0) -> Iterator[list[WorkFile]]:
    """Cut files, in load order, into chunks of at most `FILES_PER_CHUNK` files and about `ROWS_PER_CHUNK` rows,
    the first `together` files in the first chunk whatever their number."""
    chunk: list[WorkFile] = []
    rows = 0
    for at, work_file in enumerate(work_files):
        if (
            chunk
            and at >= together
            and (len(chunk) >= FILES_PER_CHUNK or rows + work_file.rows > ROWS_PER_CHUNK)
        ):
            yield chunk
            chunk, rows = [], 0
        chunk.append(work_file)
        rows += work_file.rows
    if chunk:
        yield chunk


def batches(candidates: list[Candidate]) -> Iterator[list[Candidate]]:
    """Cut validated files into batches of at most `FILES_PER_BATCH` files, or about `ROWS_PER_BATCH` rows."""
    batch: list[Candidate] = []
    rows = 0
    for candidate in candidates:
        if batch and (len(batch) >= FILES_PER_BATCH or rows + candidate.outcome.rows > ROWS_PER_BATCH):
            yield batch
            batch, rows = [], 0
        batch.append(candidate)
        rows += candidate.outcome.rows
    if batch:
        yield batch


def cut_night(
    con: duckdb.DuckDBPyConnection, registry: Registry, pending: list[WorkFile]
) -> list[list[WorkFile]]:
    """Cut a night's files, in load order, into chunks; across several, in the order `night_order` gives."""
    cut_up = list(chunks(pending))
    if len(cut_up) > 1:  # in one chunk, settling orders the files itself
        pending, together = night_order(con, registry, pending)
        cut_up = list(chunks(pending, together))
    return cut_up
