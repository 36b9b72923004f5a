"""Refuse to fill a new empty warehouse where the archive shows one was there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.inbox_storage import storage_for
from pipeline.settings import WAREHOUSE_LOST_FIX
from pipeline.warehouse import current_version, working_copy

if TYPE_CHECKING:
    from pipeline.settings import Settings


def warehouse_lost(settings: Settings) -> str | None:
    """Say so if there is no warehouse (no published version, no writer's copy) though the archive holds files.

    Asked by what writes the warehouse: the portal may run where the archive is shared and the warehouse is not.
    """
    if current_version(settings.warehouse) is not None or working_copy(settings.warehouse).exists():
        return None
    # A first night's archive is empty. With files in it, the warehouse was there: a mistyped
    # PIPELINE_WAREHOUSE or an unmounted volume made a new empty one, which took every file left in the inbox
    # in again (withdrawn ones too), wrote their receipts anew and published a report from them alone.
    # Asked only with no warehouse here, so an archive on object storage is listed on such a night alone.
    if not storage_for(settings).archive_holds_files():
        return None
    return (
        f"数据仓库不存在：{settings.warehouse}（写入方副本 {working_copy(settings.warehouse)} 也没有），"
        f"但归档 {settings.archive} 中已有以前接收的文件，本次未执行。{WAREHOUSE_LOST_FIX}。"
        "新建空的数据仓库会把收件箱中的文件（包括已撤回的）当作新文件重新接收，并据此改写回执和年度报告。"
    )
