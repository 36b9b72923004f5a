"""Edit valid submissions the way clerks do, by hand and by mistake; prove each edited file gets an outcome and a
whole receipt, and none is a fault of ours.

Usage: python -m bench.edit_trials [--n 600] [--valid 200] [--seed 5] [--out DIR]   (make trials)

The first VALID synthetic files (bench/synthetic.py) go into an inbox untouched; N edited copies of them go beside,
each read back into its cells and changed one to four times: a row deleted, doubled, blanked or inserted (a note,
a 合计, a stray word), two columns swapped, a column deleted or inserted, a cell overwritten with what clerks type
(`12万元`, `#N/A`, `１２３`, `二〇二二年`, `≥90%`, a formula, 300 characters, …), a cell added at a row's end. An
edited copy is saved as .xlsx, sometimes with a cell range merged, or as a CSV in UTF-8 or GB18030. Then
`pipeline ingest` runs once over the inbox, in a subprocess.

Hostile bytes are bench/hostile_trials.py's; these files are all well formed, so any of them may be accepted,
rejected, a duplicate or superseded. What must hold: the run exits 0, every file is stored with a receipt whose
status is its own, and no file is refused for a fault of ours (内容无法解析（系统内部错误）). Printed: the files,
their outcomes, the rules of the errors and warnings told, and every file that broke a check.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import openpyxl

from bench import synthetic
from bench.hostile_judge import REPO, ingest_in_subprocess, receipt_says
from pipeline.reader import read_workbook

OUT = REPO / "bench" / "out" / "edits"
# What the parser says of a sheet it failed on: a fault of ours (pipeline/parse.py).
OUR_FAULT = "系统内部错误"
# What clerks type into cells, right or wrong.
TYPED = (
    "",
    " ",
    "—",
    "-",
    "/",
    "#N/A",
    "#DIV/0!",
    "１２３",
    "12万元",
    "12%",
    "1,234.5",
    "（空）",
    "abc",
    "2022年13月",
    "二〇二二年",
    0,
    -5,
    1e20,
    1e-9,
    True,
    dt.datetime(2022, 2, 28),
    "=SUM(A1)",
    "\n",
    "长" * 300,
    "０．５",
    "50％",
    "≥90%",
    "≤",
    "是",
    "否",
    "√",
    "×",
    "合计",
    "小计",
    "其中：",
    "注：无",
    "2022-02-30",
    "2022.1",
    "2022年",
    "1/0",
    "元",
    "万元",
    "平方米",
    "户",
    "%",
    "100%",
    "-0",
    "1e5",
    "１，２３４",
    "（1）",
    "十二",
    "2,2",
    ".",
    "0.0.1",
    "2022/12/31",
    45000,
    45000.5,
    "项目名称",
    "年度",
    "序号",
    "小区名称",
    "金额（万元）",
    "2022年度",
    2021,
    "合 计",
    "总计",
)

Rows = list[list[object]]


def _delete_row(rng: random.Random, rows: Rows) -> None:
    del rows[rng.randrange(len(rows))]


def _double_row(rng: random.Random, rows: Rows) -> None:
    at = rng.randrange(len(rows))
    rows.insert(at, list(rows[at]))


def _insert_row(rng: random.Random, rows: Rows) -> None:
    width = max(map(len, rows))
    rows.insert(rng.randrange(len(rows) + 1), [rng.choice(TYPED)] + [None] * rng.randrange(width))


def _blank_row(rng: random.Random, rows: Rows) -> None:
    at = rng.randrange(len(rows))
    rows[at] = [None] * len(rows[at])


def _swap_columns(rng: random.Random, rows: Rows) -> None:
    width = max(map(len, rows))
    if width > 1:
        a, b = rng.sample(range(width), 2)
        for row in rows:
            row += [None] * (width - len(row))
            row[a], row[b] = row[b], row[a]


def _delete_column(rng: random.Random, rows: Rows) -> None:
    column = rng.randrange(max(map(len, rows)))
    for row in rows:
        if column < len(row):
            del row[column]


def _insert_column(rng: random.Random, rows: Rows) -> None:
    column = rng.randrange(max(map(len, rows)) + 1)
    for row in rows:
        row.insert(min(column, len(row)), None)


def _overwrite_cells(rng: random.Random, rows: Rows) -> None:
    for _ in range(rng.randint(1, 6)):
        row = rng.choice(rows)
        if row:
            row[rng.randrange(len(row))] = rng.choice(TYPED)


def _append_cell(rng: random.Random, rows: Rows) -> None:
    rng.choice(rows).append(rng.choice(TYPED))


EDITS: dict[str, Callable[[random.Random, Rows], None]] = {
    "delete_row": _delete_row,
    "double_row": _double_row,
    "insert_row": _insert_row,
    "blank_row": _blank_row,
    "swap_columns": _swap_columns,
    "delete_column": _delete_column,
    "insert_column": _insert_column,
    "overwrite_cells": _overwrite_cells,
    "append_cell": _append_cell,
}


def edit(rng: random.Random, rows: Rows) -> tuple[Rows, list[str]]:
    """Return a sheet's rows edited one to four times, and the edits' names."""
    rows = [list(row) for row in rows]
    done = []
    for _ in range(rng.randint(1, 4)):
        if not rows:
            break
        name = rng.choice(list(EDITS))
        EDITS[name](rng, rows)
        done.append(name)
    return rows, done


def as_xlsx(rng: random.Random, sheets: list[tuple[str, Rows]]) -> bytes:
    """Save sheets as an xlsx, a cell range merged now and then as clerks merge them."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name[:31] or "Sheet1")
        for row in rows:
            sheet.append(row)
        if len(rows) > 3 and rng.random() < 0.3:
            top, left = rng.randrange(1, len(rows)), rng.randrange(1, max(2, max(map(len, rows))))
            sheet.merge_cells(
                start_row=top,
                start_column=left,
                end_row=min(len(rows), top + rng.randint(0, 3)),
                end_column=left + rng.randint(0, 2),
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_csv(rng: random.Random, rows: Rows) -> bytes:
    """Save one sheet as a CSV, in the encodings offices save them in."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return out.getvalue().encode(rng.choice(("utf-8", "utf-8-sig", "gb18030")))


@dataclass(slots=True)
class Planted:
    """What was put in the inbox: the valid files, and the edited copies with their edits."""

    valid: list[str] = field(default_factory=list)
    edited: dict[str, list[str]] = field(default_factory=dict)


def plant(inbox: Path, n: int, valid: int, seed: int) -> Planted:
    """Write `valid` untouched synthetic files and `n` edited copies of them."""
    rng = random.Random(seed)
    specs = synthetic.plan(valid)
    synthetic.write_inbox(inbox, specs)
    planted = Planted(valid=[spec.path for spec in specs])
    for index in range(n):
        spec = rng.choice(specs)
        grids = read_workbook((inbox / spec.path).read_bytes(), spec.path).grids
        sheets, edits = [], []
        for grid in grids:
            rows, done = edit(rng, grid.rows)
            sheets.append((grid.name, rows))
            edits += done
        to_csv = len(sheets) == 1 and rng.random() < 0.3
        content = as_csv(rng, sheets[0][1]) if to_csv else as_xlsx(rng, sheets)
        folder, name = spec.path.split("/", 1)
        path = f"{folder}/{Path(name).stem}（改{index:04d}）.{'csv' if to_csv else 'xlsx'}"
        (inbox / path).write_bytes(content)
        planted.edited[path] = edits
    return planted


@dataclass(slots=True)
class Result:
    """What came of the planted files."""

    files: int
    exit_status: int
    statuses: Counter = field(default_factory=Counter)
    rules: Counter = field(default_factory=Counter)  # (severity, rule) of every problem told
    our_faults: list[str] = field(default_factory=list)
    without_receipt: list[str] = field(default_factory=list)
    peak_rss_kib: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_status == 0 and not self.our_faults and not self.without_receipt


def judge(warehouse: Path, planted: Planted, exit_status: int) -> Result:
    """Count, from the warehouse and the receipts on disk, what became of every planted file."""
    result = Result(files=len(planted.valid) + len(planted.edited), exit_status=exit_status)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        stored = {
            path: (status, receipt)
            for path, status, receipt in con.execute(
                "select inbox_path, status, receipt_path from ops.submissions"
            ).fetchall()
        }
        result.rules.update(
            {
                (severity, rule): count
                for severity, rule, count in con.execute(
                    "select severity, rule, count(*) from ops.validation_issues group by all"
                ).fetchall()
            }
        )
        result.our_faults = [
            path
            for (path,) in con.execute(
                "select distinct s.inbox_path from ops.validation_issues v join ops.submissions s "
                "using (submission_id) where contains(v.message_zh, ?) order by 1",
                [OUR_FAULT],
            ).fetchall()
        ]
    for path in [*planted.valid, *planted.edited]:
        status, receipt = stored.get(path, ("never stored", None))
        result.statuses[status] += 1
        if not receipt_says(receipt, status):
            result.without_receipt.append(f"{path} is {status}")
    return result


def report(result: Result, output: str = "") -> None:
    print(
        f"clerks' edit trials: {result.files} files in {result.seconds:.0f} s, exit status {result.exit_status}"
    )
    for status, count in result.statuses.most_common():
        print(f"  {status:<28}{count}")
    print(f"  faults of ours:             {len(result.our_faults)}")
    print(f"  without a whole receipt:    {len(result.without_receipt)}")
    print(f"  peak RSS of pipeline ingest: {result.peak_rss_kib / 1024:,.0f} MiB")
    print("  problems told, by severity and rule:")
    for (severity, rule), count in sorted(result.rules.items(), key=lambda item: (item[0][0], -item[1])):
        print(f"    {severity:<8} {rule:<32} {count}")
    for path in result.our_faults:
        print(f"  FAULT OF OURS {path}")
    for line in result.without_receipt:
        print(f"  NO RECEIPT {line}")
    if result.exit_status:
        print(output[-4000:])
    print("OK" if result.ok else "FAILED")


def main(argv: Sequence[str] | None = None) -> int:
    """Plant the files, ingest them in a subprocess, print what came of them; exit 1 unless every check holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600, help="edited copies")
    parser.add_argument("--valid", type=int, default=200, help="untouched synthetic files they are copies of")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    base = args.out / f"n{args.n}-s{args.seed}"
    shutil.rmtree(base, ignore_errors=True)
    home, inbox = base / "home", base / "inbox"
    planted = plant(inbox, args.n, args.valid, args.seed)
    started = time.monotonic()
    exit_status, peak, output = ingest_in_subprocess(home, inbox)
    result = judge(home / "warehouse.duckdb", planted, exit_status)
    result.seconds, result.peak_rss_kib = time.monotonic() - started, peak
    report(result, output)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
