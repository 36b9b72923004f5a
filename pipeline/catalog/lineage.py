"""The model lineage graph, read from `sql/`: which warehouse objects each model reads, and where it is drawn.

Every `create [or replace] table|view [if not exists] schema.name` in a SQL file starts the definition of that
object; the `schema.name` references up to the next one (outside comments and string literals, and not
followed by `(`, which would be a macro) are the objects it reads. This is how pipeline/indicators.py orders the
models, extended to every schema: raw → staging → intermediate → marts, with the ops and config tables they
join.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.warehouse_schema import SCHEMAS, SQL_DIR

_CREATE = re.compile(
    r"\bcreate\s+(?:or\s+replace\s+)?(?:table|view)\s+(?:if\s+not\s+exists\s+)?([a-z_]+)\.([a-z_][a-z0-9_]*)",
    re.IGNORECASE,
)
_REFERENCE = re.compile(rf"\b({'|'.join(SCHEMAS)})\.([a-z_][a-z0-9_]*)\b(?!\s*\()")
# A string literal, a line comment or a block comment: blanked before references are looked for.
_NOT_CODE = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.DOTALL)

# Drawing: one column per depth, nodes as boxes, edges as curves from right edge to left edge.
NODE_WIDTH = 250
NODE_HEIGHT = 26
COLUMN_GAP = 56
ROW_GAP = 10
MARGIN = 12


@dataclass(frozen=True)
class Definition:
    """Where a warehouse object is created in `sql/`, what it reads, and the header comment of its file."""

    name: str
    path: Path
    reads: frozenset[str]
    header: str


@dataclass
class Node:
    name: str
    column: int = 0
    row: int = 0

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def x(self) -> int:
        return MARGIN + self.column * (NODE_WIDTH + COLUMN_GAP)

    @property
    def y(self) -> int:
        return MARGIN + self.row * (NODE_HEIGHT + ROW_GAP)


@dataclass
class Graph:
    """Objects and the edges (reader ← read) between them, laid out in columns."""

    definitions: dict[str, Definition]
    edges: list[tuple[str, str]]  # (read, reader), sorted
    nodes: dict[str, Node] = field(default_factory=dict)

    def reads(self, name: str) -> list[str]:
        return [a for a, b in self.edges if b == name]

    def read_by(self, name: str) -> list[str]:
        return [b for a, b in self.edges if a == name]

    @property
    def width(self) -> int:
        columns = max((n.column for n in self.nodes.values()), default=0) + 1
        return 2 * MARGIN + columns * NODE_WIDTH + (columns - 1) * COLUMN_GAP

    @property
    def height(self) -> int:
        rows = max((n.row for n in self.nodes.values()), default=0) + 1
        return 2 * MARGIN + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP

    def curve(self, read: str, reader: str) -> str:
        """Return the SVG path of an edge: from the right middle of `read` to the left middle of `reader`."""
        a, b = self.nodes[read], self.nodes[reader]
        x1, y1 = a.x + NODE_WIDTH, a.y + NODE_HEIGHT // 2
        x2, y2 = b.x, b.y + NODE_HEIGHT // 2
        bend = max((x2 - x1) // 2, 24)
        return f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"


def header_comment(text: str) -> str:
    """Return the leading `--` comment lines of a SQL file as one paragraph (the model's grain)."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines)


def definitions(sql_dir: Path = SQL_DIR) -> dict[str, Definition]:
    """Return every table and view created in `sql_dir`, by name, with what it reads."""
    found: dict[str, Definition] = {}
    for path in sorted(sql_dir.rglob("*.sql")):
        text = path.read_text(encoding="utf-8")
        code = _NOT_CODE.sub(lambda m: " " * len(m.group()), text)
        creates = list(_CREATE.finditer(code))
        header = header_comment(text)
        for index, create in enumerate(creates):
            name = f"{create.group(1)}.{create.group(2)}".lower()
            end = creates[index + 1].start() if index + 1 < len(creates) else len(code)
            reads = {f"{s}.{t}" for s, t in _REFERENCE.findall(code[create.end() : end])} - {name}
            # A file that defines one model states its grain in its header; schema.sql's header is the schema's.
            found[name] = Definition(name, path, frozenset(reads), header if len(creates) == 1 else "")
    return found


def build_graph(sql_dir: Path = SQL_DIR) -> Graph:
    """Read the lineage from `sql_dir` and lay it out: objects that take part in an edge, one column per depth."""
    defined = definitions(sql_dir)
    edges = sorted({(read, d.name) for d in defined.values() for read in d.reads})
    graph = Graph(defined, edges)
    names = sorted({n for edge in edges for n in edge})
    inputs = {n: [a for a, b in edges if b == n] for n in names}
    depth: dict[str, int] = {}

    def depth_of(name: str, path: tuple[str, ...] = ()) -> int:
        if name not in depth:
            if name in path:  # a cycle would be an error in the models; draw it rather than fail here
                return 0
            depth[name] = 1 + max((depth_of(i, (*path, name)) for i in inputs[name]), default=-1)
        return depth[name]

    for name in names:
        depth_of(name)
    # An object that reads nothing stands just before the first model reading it, not far to the left.
    for name in names:
        if not inputs[name]:
            readers = [depth[b] for a, b in edges if a == name]
            depth[name] = max(min(readers) - 1, 0)
    columns: dict[int, list[str]] = {}
    for name in names:
        columns.setdefault(depth[name], []).append(name)
    _order(columns, edges)
    for column, members in columns.items():
        for row, name in enumerate(members):
            graph.nodes[name] = Node(name, column, row)
    return graph


def _order(columns: dict[int, list[str]], edges: list[tuple[str, str]]) -> None:
    """Order each column by the mean row of its neighbours (a few sweeps), so edges cross less."""
    schema_rank = {s: i for i, s in enumerate(SCHEMAS)}
    neighbours: dict[str, list[str]] = {}
    for a, b in edges:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    for members in columns.values():
        members.sort(key=lambda n: (schema_rank.get(n.split(".")[0], 99), n))
    position = {n: i for members in columns.values() for i, n in enumerate(members)}
    for sweep in range(4):
        for key in sorted(columns, reverse=sweep % 2 == 1):
            centre = {
                n: sum(position[m] for m in neighbours.get(n, [])) / len(neighbours[n])
                if neighbours.get(n)
                else position[n]
                for n in columns[key]
            }
            columns[key].sort(key=lambda n: (centre[n], n))
            position.update({n: i for i, n in enumerate(columns[key])})
