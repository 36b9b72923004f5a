"""Measure the two baselines on the benchmark's files, in this process: (a) the floor, a bare read of every cell;
(b) a naive pipeline, pandas + openpyxl per file, GX per file and row-by-row INSERTs."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from pathlib import Path

CSV_COLUMNS = 32  # the naive CSV read takes this many columns: wider than any template


def read_floor(inbox: Path, files: Sequence[str]) -> dict:
    """Read every sheet of every file with python-calamine (CSV: the csv module); count the cells."""
    from python_calamine import CalamineWorkbook

    from pipeline.csv_encoding import decode_text
    from pipeline.reader import sniff_kind

    for name in files:  # warm the page cache for every reader alike; not timed
        (inbox / name).read_bytes()
    cells = 0
    started = time.perf_counter()
    for name in files:
        content = (inbox / name).read_bytes()
        if sniff_kind(content, name) == "csv":
            grids = [list(csv.reader(io.StringIO(decode_text(content), newline="")))]
        else:
            book = CalamineWorkbook.from_filelike(io.BytesIO(content))
            grids = [book.get_sheet_by_name(sheet).to_python() for sheet in book.sheet_names]
        cells += sum(len(row) for grid in grids for row in grid)
    return {"floor_s": time.perf_counter() - started, "cells": cells}


def naive_read(content: bytes, name: str) -> None:
    """Read a file the naive way: pandas over openpyxl (xlrd for .xls), or pandas' CSV reader."""
    import pandas as pd

    from pipeline.csv_encoding import decode_text
    from pipeline.reader import sniff_kind

    kind = sniff_kind(content, name)
    if kind == "csv":
        pd.read_csv(io.StringIO(decode_text(content)), header=None, names=range(CSV_COLUMNS), dtype=str)
    else:
        engine = "openpyxl" if kind == "xlsx" else "xlrd"
        pd.read_excel(io.BytesIO(content), sheet_name=None, header=None, engine=engine)


def measure_naive(inbox: Path, files: Sequence[str], parsed: list, registry, context, scratch: Path) -> dict:
    """Per file: read it with pandas, validate it with GX on its own, insert its rows one INSERT at a time."""
    import duckdb

    from pipeline.intake import slice_key
    from pipeline.raw_tables import raw_columns
    from pipeline.validate import Batch, validate
    from pipeline.warehouse_schema import ensure_schema

    scratch.unlink(missing_ok=True)
    con = duckdb.connect(str(scratch))
    ensure_schema(con, registry)
    read_s = validate_s = insert_s = 0.0
    rows = 0
    for number, (name, file) in enumerate(zip(files, parsed, strict=False), start=1):
        t0 = time.perf_counter()
        naive_read((inbox / name).read_bytes(), name)
        t1 = time.perf_counter()
        validate([Batch(0, sheet) for sheet in file.sheets], registry, context)
        t2 = time.perf_counter()
        for sheet in file.sheets:
            template = sheet.template
            columns = [column for column, _, _ in raw_columns(template)]
            sql = f"insert into raw.{template.id} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})"
            for record in sheet.records:
                lineage = {
                    "submission_id": number,
                    "sheet": sheet.name,
                    "slice_key": slice_key(template.id, record, template.slice),
                }
                con.execute(sql, [lineage.get(c, record.get(c)) for c in columns])
                rows += 1
        t3 = time.perf_counter()
        read_s, validate_s, insert_s = read_s + t1 - t0, validate_s + t2 - t1, insert_s + t3 - t2
    con.close()
    sample = min(len(files), len(parsed))
    return {
        "sample": sample,
        "rows": rows,
        "read_s": read_s,
        "validate_s": validate_s,
        "insert_s": insert_s,
        "per_file_s": (read_s + validate_s + insert_s) / sample,
    }
