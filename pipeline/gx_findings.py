"""Turn the failed expectations of GX results into problems, once per cell, blaming Excel rows and headers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping
from typing import Any

from pipeline.cell_refs import range_text
from pipeline.frames import Frame, Sheet
from pipeline.problems import Problem, Severity, cell_problem, display
from pipeline.registry_templates import Template
from pipeline.suites import DATA_ROWS

# Expectations whose failing rows are duplicates of one another: the first occurrence is not to blame.
DUPLICATE_EXPECTATIONS = frozenset(
    {"expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique"}
)


def _raised(exception_info: dict | None) -> str | None:
    """Return the message of an exception GX caught while checking an expectation, if any."""
    info = exception_info or {}
    # One record for the expectation, or one per metric it needed.
    records = [info] if "raised_exception" in info else list(info.values())
    failed = (r for r in records if isinstance(r, dict) and r.get("raised_exception"))
    return next((r.get("exception_message") or "unknown error" for r in failed), None)


def _fill(text: str, row: dict, extra: Mapping[str, object] | None = None) -> str:
    """Fill the `{column}` placeholders of a suite text with displayed frame values."""
    fields = {k: display(v) for k, v in (row | dict(extra or {})).items() if v is not None}
    return text.format_map(fields)


class _Findings:
    """Collect problems per batch key, once per cell, skipping cells the parser already reported."""

    def __init__(self, sheets: list[Sheet]):
        self.sheets = {(s.batch, s.parsed.name): s for s in sheets}
        self.problems: dict[Hashable, list[tuple[tuple, Problem]]] = {s.key: [] for s in sheets}
        self.seen: set[tuple] = set()
        # By batch key, (sheet, Excel row, header, rule): a cell's problem another one told of it stands instead of.
        self.replaced: dict[Hashable, set[tuple]] = defaultdict(set)

    def add(
        self,
        sheet: Sheet,
        column: str,
        problem: Problem,
        instead_of: str | None = None,
        beside_parser: bool = False,
    ) -> None:
        """Keep a problem unless it repeats one already kept or a cell the parser reported (unless `beside_parser`:
        it adds to the parser's word on that cell); one standing instead of another rule drops that rule's problem
        on its cell."""
        identity = (
            sheet.batch,
            problem.sheet,
            problem.excel_row,
            problem.column_header,
            problem.rule,
            problem.value,
        )
        if identity in self.seen or (
            not beside_parser and (problem.excel_row, problem.column_header) in sheet.reported
        ):
            return
        self.seen.add(identity)
        if instead_of:
            # Ten times the project's total is over it too: the error says all the warning would, and more.
            self.replaced[sheet.key].add(
                (problem.sheet, problem.excel_row, problem.column_header, instead_of)
            )
        order = (sheet.order, problem.excel_row or 0, sheet.positions.get(column, -1))
        self.problems[sheet.key].append((order, problem))

    def read(self, template: Template, kind: str, result: Any, frame: Frame) -> None:
        """Turn the failed expectations of one GX result into problems."""
        by_lineage = frame.positions()
        if len(by_lineage) != len(frame):
            raise RuntimeError(f"suite {result.suite_name!r}: two frame rows blame the same Excel row")
        rows: dict[int, dict] = {}  # the rows blamed so far, by position
        for outcome in result.results:
            config = outcome.expectation_config
            if message := _raised(outcome.exception_info):
                raise RuntimeError(f"suite {result.suite_name!r}: {config.type} failed to run: {message}")
            if outcome.success:
                continue
            indices = outcome.result.get("unexpected_index_list")
            if indices is None:
                raise RuntimeError(f"suite {result.suite_name!r}: {config.type} failed without row lineage")
            meta = config.meta
            blame = meta.get("blame") or config.kwargs["column"]
            failing = []
            for i in indices:
                position = by_lineage[(int(i["_batch"]), i["_sheet"], int(i["_excel_row"]))]
                if position not in rows:
                    rows[position] = frame.row(position)
                failing.append(rows[position])
            duplicates = config.type in DUPLICATE_EXPECTATIONS
            alike = config.kwargs.get("column_list") or [config.kwargs.get("column", blame)]
            if duplicates:
                # A cell the parser could not read is None here: two rows alike only through it are not alike.
                failing = [row for row in failing if self._read_in(row, alike)]
            for row, extra in _blamed_rows(failing, alike if duplicates else None):
                sheet = self.sheets[(row["_batch"], row["_sheet"])]
                if kind == DATA_ROWS:
                    self._cell(template, sheet, meta, blame, row, extra)
                else:
                    self._derived(template, sheet, meta, row)

    def _read_in(self, row: dict, columns: list[str]) -> bool:
        """Say whether the parser read every cell of these template columns in a frame row."""
        sheet = self.sheets[(row["_batch"], row["_sheet"])]
        return sheet.readable({"excel_row": row["_excel_row"]}, *(c for c in columns if c in sheet.headers))

    def _cell(
        self, template: Template, sheet: Sheet, meta: dict, column: str, row: dict, extra: dict
    ) -> None:
        """Report a data-row cell, under its header as written."""
        header = sheet.headers.get(column)
        excel_row: int | None = row["_excel_row"]
        expected, fix = _fill(meta["expected_zh"], row, extra), _fill(meta["fix_zh"], row, extra)
        if header is None:
            if meta["rule"] == "required":
                return  # the parser reported the missing column
            header = template.column(column).header
            if column in _META_ROW_OF:
                # The value came from a line above the table (`项目名称：…`), not from a cell: told once, on that line.
                excel_row = sheet.parsed.meta.rows.get(_META_ROW_OF[column])
            else:
                # An optional column the sheet lacks (原因说明 headed 备注): each row is told, and that no cell was left
                # blank but the column is missing; told once with no row, the clerk could not tell which rows.
                expected += f"（本表没有「{header}」列，如已写在其他列，请将该列表头改为“{header}”）"
        if (merge := sheet.parsed.merged_copies.get((excel_row, column))) is not None:
            # The clerk typed nothing on this row: the value is the merge's, and deleting the row is no cure.
            expected += f"（该单元格属于合并单元格{range_text(merge)}，按第{merge[0][0] + 1}行所填读取）"
            fix = f"请取消合并单元格，为每一行分别填写；{fix}"
        problem = cell_problem(
            meta["rule"],
            sheet=sheet.parsed.name,
            excel_row=excel_row,
            header=header,
            value=sheet.as_written(column, row[column], excel_row),
            expected=expected,
            fix=fix,
            severity=Severity(meta["severity"]),
        )
        self.add(sheet, column, problem, meta.get("instead_of"))

    def _derived(self, template: Template, sheet: Sheet, meta: dict, row: dict) -> None:
        """Report a derived-frame row against the rows and header it blames."""
        column = meta["blame"]
        header = sheet.headers.get(column) or template.column(column).header
        found, expected, fix = (_fill(meta[k], row) for k in ("found_zh", "expected_zh", "fix_zh"))
        problem = Problem(
            severity=Severity(meta["severity"]),
            rule=meta["rule"],
            message_zh=f"第{row['_rows']}行「{header}」{found}，{expected}，{fix}。",
            sheet=sheet.parsed.name,
            excel_row=row["_excel_row"],
            column_header=header,
            # As typed (`200,000.50`), as the message quotes it: a derived row's Excel row is the row it blames.
            value=sheet.as_written(meta["value"], row[meta["value"]], row["_excel_row"]),
            expected=expected,
            fix=fix,
        )
        # A blank 本月 the parser refused is told again with the figure its 累计 gives (`beside_parser`).
        self.add(sheet, column, problem, meta.get("instead_of"), bool(meta.get("beside_parser")))

    def by_key(self) -> dict[Hashable, list[Problem]]:
        """Return each batch key's problems by sheet, Excel row and column, without those another stands instead of."""
        return {
            key: [
                p
                for _, p in sorted(found, key=lambda item: item[0])
                if (p.sheet, p.excel_row, p.column_header, p.rule) not in self.replaced[key]
            ]
            for key, found in self.problems.items()
        }


# The line above a table each column's value may come from, as `SheetMeta.rows` keys it.
_META_ROW_OF = {"project_name": "project", "year": "year"}


def _blamed_rows(failing: list[dict], alike: list[str] | None) -> list[tuple[dict, dict]]:
    """Return the failing rows to report; of duplicates (rows alike in these columns), every one after the first,
    naming the first."""
    if alike is None:
        return [(row, {}) for row in failing]
    first_of: dict[tuple, int] = {}
    blamed = []
    for row in sorted(failing, key=lambda r: (r["_batch"], r["_sheet"], r["_excel_row"])):
        # Alike in every column checked, not only the one blamed: two pairs of copies may share an amount.
        group = (row["_batch"], row["_sheet"], *(row[c] for c in alike))
        if group in first_of:
            blamed.append((row, {"duplicate_of": first_of[group]}))
        else:
            first_of[group] = row["_excel_row"]
    return blamed
