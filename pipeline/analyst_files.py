"""Decide which DuckDB file is an analyst's own and which folders a session may reach."""

from __future__ import annotations

import getpass
import os
import re
import tempfile
from contextlib import suppress
from pathlib import Path

from pipeline.settings import Settings
from pipeline.warehouse import versions, working_copy
from pipeline.warehouse_schema import SCHEMAS

# The name the published version is attached under in every session.
ATTACHED_AS = "warehouse"
# And a second time, read-only, under a name no one needs: while either attachment stays, DuckDB refuses to attach
# the file read-write (a "Unique file handle conflict"), so a session that lets go of `warehouse` (a Python one, which
# no statement guard watches) still cannot write the version, even as root.
PINNED_AS = "warehouse_pinned"
HOLDING = (ATTACHED_AS, PINNED_AS)


def _clashes(path: Path) -> str | None:
    """Return the name a database opened from `path` would share with the warehouse or its schemas, if any."""
    # DuckDB names a database after its file name up to the first dot. Named warehouse (or warehouse_pinned), the
    # version could not be attached beside it; named like a schema (ops, raw…), the warehouse's views that read
    # `ops.…` find two.
    name = path.name.split(".", 1)[0]
    return name if name.lower() in (*HOLDING, *SCHEMAS) else None


def personal_database(settings: Settings) -> Path:
    """Return the analyst's own DuckDB file: `$PIPELINE_HOME/analysts/<login name>.duckdb`."""
    # The login name comes from the environment, so it is kept to characters a file name can safely hold.
    login = re.sub(r"[^\w.-]", "_", getpass.getuser()).lstrip(".") or "analyst"
    own = settings.home / "analysts" / f"{login}.duckdb"
    return own.with_name(f"analyst_{own.name}") if _clashes(own) else own


class NotAnAnalystsFile(OSError):
    """A `--db` file that cannot be the analyst's: inside the pipeline's own folders (opened read-write, a session
    could damage the night's work), a folder, or named like the warehouse attached beside it."""


def _real(path: Path | str) -> Path:
    return Path(os.path.realpath(path))


def pipeline_folders(settings: Settings) -> list[Path]:
    """Return the local folders the pipeline keeps its data in: an analyst's session writes into none of them."""
    places = [settings.home, settings.warehouse.parent, settings.data_docs, settings.report_templates]
    places += [
        settings.inbox,
        settings.archive,
        settings.receipts,
        settings.reports,
        settings.export,
        settings.work,
    ]
    return [_real(place) for place in places if isinstance(place, Path)]


def _overlaps(folder: Path, others: list[Path]) -> bool:
    return any(
        folder == other or folder.is_relative_to(other) or other.is_relative_to(folder) for other in others
    )


def _analysts_folder(settings: Settings) -> Path | None:
    """Return `analysts/`, unless a setting puts one of the pipeline's folders in or around it."""
    analysts = _real(personal_database(settings).parent)
    others = [folder for folder in pipeline_folders(settings) if folder != _real(settings.home)]
    return None if _overlaps(analysts, others) else analysts


def session_folders(settings: Settings, own_file: Path) -> list[Path]:
    """Return the folders a session may read and write files in: `analysts/`, and its own file's, the home,
    temporary and current folders, unless they hold pipeline data."""
    guarded = pipeline_folders(settings)
    analysts = _analysts_folder(settings)
    folders = [analysts] if analysts is not None else []
    # The file's own folder, unless it holds the data root (a file beside `var/`): then only the file itself.
    for candidate in (own_file.parent, Path.home(), Path(tempfile.gettempdir()), Path.cwd()):
        folder = _real(candidate)
        if not _overlaps(folder, guarded) and folder not in folders:
            folders.append(folder)
    return folders


def own_file(settings: Settings, path: Path | str | None) -> Path:
    """Return the analyst's file, refusing a folder, or a file inside the pipeline's folders other than `analysts/`."""
    # `~` expanded here, as DuckDB expands it: the checks below looked at `<current folder>/~/…` while DuckDB
    # opened `$HOME/…`, so `--db '~/var/inbox/…'` made a session's file inside the data root. A str is a path too.
    own = Path(path).expanduser() if path is not None else personal_database(settings)
    analysts = _analysts_folder(settings)
    real = _real(own)
    if (analysts is None or not real.is_relative_to(analysts)) and _overlaps(
        real, pipeline_folders(settings)
    ):
        raise NotAnAnalystsFile(
            f"{own} 位于数据仓库的数据目录中（{settings.home} 等），不能作为个人数据库打开：读写它可能损坏入库数据。"
            f"请使用默认的 analysts/ 下的个人文件，或数据目录以外的文件（--db ~/budget.duckdb）。"
        )
    if _linked_to_warehouse(real, settings):
        raise NotAnAnalystsFile(
            f"{own} 是数据仓库文件（已发布的版本或写入方副本）的硬链接，不能作为个人数据库打开：在它里面建表就是改写数据仓库。"
            "请删除这个链接，使用默认的 analysts/ 下的个人文件或另一个文件（--db ~/budget.duckdb）。"
        )
    if real.is_dir() or not real.name:
        raise NotAnAnalystsFile(
            f"“{own}”是文件夹，不是DuckDB文件：请在 --db 后写出文件名，如 --db ~/budget.duckdb。"
        )
    clash = _clashes(own)
    if clash:
        raise NotAnAnalystsFile(
            f"“{own}”不能作为个人数据库：DuckDB 以文件名第一个“.”之前的部分称呼它，即 {clash}，"
            f"与会话中挂载的已发布数据仓库（{'、'.join(HOLDING)}）或其中的模式（{'、'.join(SCHEMAS)}）同名。"
            "请换一个文件名，如 --db ~/budget.duckdb。"
        )
    return own


def _linked_to_warehouse(real: Path, settings: Settings) -> bool:
    """Say whether a file is a hard link to the writer's copy or a published version, which no path check sees."""
    # Opened read-write through such a link, a session wrote its tables into the version every reader opens (as
    # root), or into the writer's copy the next night publishes (as the pipeline's own account, its owner).
    try:
        own = real.stat()
    except OSError:  # not there yet: made by the session, linked to nothing
        return False
    if own.st_nlink < 2:
        return False
    published = settings.warehouse
    folder = versions(published)
    candidates = [working_copy(published), *(folder.iterdir() if folder.is_dir() else [])]
    for candidate in candidates:
        with suppress(OSError):
            theirs = candidate.stat()
            if (theirs.st_dev, theirs.st_ino) == (own.st_dev, own.st_ino):
                return True
    return False
