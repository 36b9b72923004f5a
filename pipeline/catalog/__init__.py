"""The data catalog, `pipeline docs`: one static, offline page describing the published warehouse.

`$PIPELINE_HOME/docs/index.html` lists every schema, table, view and column with its COMMENT, each model's grain
(its SQL file's header comment), row counts and a few sample rows; the model lineage drawn from `sql/`; and each
source (registry template) with its columns and its expectations' severity and reason. It reads only the
published warehouse, never the writer's copy; it has no scripts and loads nothing (inline CSS, inline SVG), so
it works from file://. `docs` is published whole, like a report: a symlink switched to a complete version
folder (pipeline/publish.py).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipeline.catalog.inventory import SAMPLE_ROWS, Table, read_tables
from pipeline.catalog.lineage import NODE_HEIGHT, NODE_WIDTH, Graph, build_graph
from pipeline.catalog.sources import read_sources
from pipeline.publish import publish_set
from pipeline.registry import Registry
from pipeline.settings import TIMEZONE, Settings
from pipeline.text import printable
from pipeline.warehouse import published_reader
from pipeline.warehouse_schema import SQL_DIR

PAGE = "index.html"
REPO = SQL_DIR.parent
SCHEMAS_ZH = {
    "ops": "运行记录：收到的每个文件及其结果、发现的问题、工作表与列的来源、切片与撤回",
    "raw": "原始层：每个报表模板一张表，每个已接收数据行一行，保留被更正替代的版本（表结构由 registry/sources 生成）",
    "staging": "暂存层：每个切片只保留当前有效的提交（sql/staging/）",
    "intermediate": "中间层：项目年度、月度投资进度、由数据计算的指标，及报告数字的各计算步骤（印出的小数位数、自评表自报数字等）（sql/intermediate/）",
    "mart": "指标层：年度报告所用的稳定表，数字均可追溯到单元格（sql/mart/）",
    "config": "规则：registry/rules.yaml 按年度展开的阈值、分值、指标对应关系与负面清单（pipeline/config_tables.py 写入）",
}
# Where an object not created by a file in sql/ comes from.
ORIGIN = {
    "raw": "registry/sources/{name}.yaml（pipeline/warehouse.py 按模板建表）",
    "config": "registry/rules.yaml（pipeline/config_tables.py 写入）",
}
_VERSION_NS = re.compile(r"-(\d{10,})\.duckdb$")


def docs_folder(settings: Settings) -> Path:
    """Return where the catalog is published: `$PIPELINE_HOME/docs` (a symlink to its current version)."""
    return settings.home / "docs"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["printable"] = lambda value: printable(str(value))
    return env


def _published_at(version: Path | None) -> str:
    match = _VERSION_NS.search(version.name) if version else None
    if not match:
        return ""
    moment = dt.datetime.fromtimestamp(int(match.group(1)) / 1e9, TIMEZONE)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _origin(table: Table, graph: Graph) -> str:
    definition = graph.definitions.get(table.qualified)
    if definition is not None:
        path = definition.path
        return str(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return ORIGIN.get(table.schema, "").format(name=table.name)


def _drawing(graph: Graph, comments: dict[str, str]) -> dict:
    """Return what the template draws: nodes with their box, edges with their curve, by index for the CSS."""
    names = sorted(graph.nodes, key=lambda n: (graph.nodes[n].column, graph.nodes[n].row))
    index = {name: i for i, name in enumerate(names)}
    nodes = [
        {
            "i": index[name],
            "name": name,
            "schema": graph.nodes[name].schema,
            "x": graph.nodes[name].x,
            "y": graph.nodes[name].y,
            "comment": comments.get(name, ""),
        }
        for name in names
    ]
    edges = [
        {"read": a, "reader": b, "f": index[a], "t": index[b], "d": graph.curve(a, b)} for a, b in graph.edges
    ]
    return {
        "nodes": nodes,
        "edges": edges,
        "width": graph.width,
        "height": graph.height,
        "node_width": NODE_WIDTH,
        "node_height": NODE_HEIGHT,
    }


def _open_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """Return the file the session has open: the version it read, even if a newer one is published since."""
    (path,) = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    return Path(path) if path else None


def render_catalog(
    con: duckdb.DuckDBPyConnection, registry: Registry, version: Path | None = None, sql_dir: Path = SQL_DIR
) -> str:
    """Return the catalog page for the warehouse open on `con`."""
    tables = read_tables(con)
    graph = build_graph(sql_dir)
    comments = {t.qualified: t.comment for t in tables}
    present = set(comments)
    schemas: dict[str, list[Table]] = {}
    for table in tables:
        schemas.setdefault(table.schema, []).append(table)
    details = {
        t.qualified: {
            "origin": _origin(t, graph),
            "grain": graph.definitions[t.qualified].header if t.qualified in graph.definitions else "",
            "reads": graph.reads(t.qualified),
            "read_by": graph.read_by(t.qualified),
        }
        for t in tables
    }
    missing = [name for t in tables for name in t.uncommented]
    return (
        _environment()
        .get_template("page.html.j2")
        .render(
            version=version.name if version else "",
            published_at=_published_at(version),
            schemas=schemas,
            schemas_zh=SCHEMAS_ZH,
            details=details,
            present=present,
            missing=missing,
            column_count=sum(len(t.columns) for t in tables),
            table_count=len(tables),
            sample_rows=SAMPLE_ROWS,
            lineage=_drawing(graph, comments),
            sources=read_sources(registry),
        )
    )


def write_catalog(settings: Settings, registry: Registry) -> Path:
    """Render the catalog from the published warehouse and publish it whole; return the page's path."""
    with published_reader(settings.warehouse) as con:
        html = render_catalog(con, registry, _open_file(con))
    folder = docs_folder(settings)
    publish_set(folder, {PAGE: html.encode("utf-8")})
    return folder / PAGE
