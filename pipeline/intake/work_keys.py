"""The loader's side of work files: fetch them by key, know a load an earlier attempt finished, remove them."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections.abc import Iterable
from pathlib import Path

from pipeline.intake.work import MissingWorkFile
from pipeline.intake.work_format import work_file_path
from pipeline.locations import is_url, join_location
from pipeline.settings import Settings
from pipeline.warehouse import readable, reader
from pipeline.work_files import reading, remove_abandoned_runs, remove_work_objects

logger = logging.getLogger(__name__)

# Bytes per read when a spool is fetched from object storage into the loader's scratch.
COPY_CHUNK = 8 * 1024 * 1024


def run_folders(keys: Iterable[str]) -> list[str]:
    """Return the run folders work keys lie in: a key is `<run folder>/<spool>#<offset>`."""
    return sorted({str(key).split("/", 1)[0] for key in keys})


def loaded_before(settings: Settings, folders: list[str]) -> dt.datetime | None:
    """Return when a finished load took in these run folders' work files; None if none did. Only reads."""
    if not folders or not readable(settings.warehouse):
        return None
    with reader(settings.warehouse) as con:
        recorded = con.execute(
            "select count(*) from duckdb_columns() "
            "where schema_name = 'ops' and table_name = 'runs' and column_name = 'work_runs'"
        ).fetchone()[0]
        if not recorded:  # a warehouse no load has written since the column came
            return None
        return con.execute(
            "select max(finished_at) from ops.runs where list_has_all(work_runs, ?::varchar[])", [folders]
        ).fetchone()[0]


def fetched(settings: Settings, keys: list[str], scratch: Path) -> dict[str, str]:
    """Map each work file (spool) the keys name to a local file the loader reads; raise `MissingWorkFile` for
    one that is not in the work location.

    On object storage each spool is fetched once, whole, into this host's scratch: its entries are read
    many times over (heads first, then each chunk's candidates).
    """
    root = settings.work_root
    files: dict[str, str] = {}
    for key in keys:
        held = work_file_path(key)
        if held in files:
            continue
        location = join_location(root, held)
        if not is_url(root):
            if not Path(location).is_file():
                raise MissingWorkFile(key, root)
            files[held] = str(location)
            continue
        local = scratch / f"{len(files)}{Path(held).suffix}"
        try:  # streamed a range at a time: a spool of a large shard is never held whole in memory
            with reading(str(location)) as source, open(local, "wb") as target:
                shutil.copyfileobj(source, target, COPY_CHUNK)
        except FileNotFoundError:
            raise MissingWorkFile(key, root) from None
        files[held] = str(local)
    return files


def local_name(key: str, files: dict[str, str]) -> str:
    """The local name of a work key: its fetched file, at the same entry."""
    held = work_file_path(key)
    return files[held] + key[len(held) :]


def remove_work(settings: Settings, held: list[str]) -> None:
    """Remove the run folders of the loaded work files, whole: a failed or retried shard's spool lies there too,
    and nothing reads a run's folder once its load is done."""
    root = settings.work_root
    folders = run_folders(held)
    if is_url(root):
        remove_work_objects([str(join_location(root, folder)) for folder in folders], recursive=True)
    else:
        for folder in folders:
            shutil.rmtree(Path(join_location(root, folder)), ignore_errors=True)
    for folder in remove_abandoned_runs(root):
        logger.info("已删除长期未入库的解析结果：%s", join_location(root, folder))
