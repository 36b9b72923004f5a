"""GX's classes the Data Docs site's configuration names (see `data_docs.build`): its file store, putting each file
in place whole, and its index page, telling each run's time in Asia/Shanghai.

Imported by GX's site builder from its configuration, and only then: it imports GX.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from great_expectations.data_context.store.tuple_store_backend import TupleFilesystemStoreBackend
from great_expectations.render.renderer import SiteIndexPageRenderer

from pipeline.settings import TIMEZONE


class ShanghaiSiteIndexPageRenderer(SiteIndexPageRenderer):
    """GX's index of the runs, each run's time in Asia/Shanghai as every other time the pipeline shows.

    GX tells it in the machine's zone: a server on UTC listed a run of 11:57 Beijing time as 03:57 UTC.
    """

    @classmethod
    def _get_formatted_datetime(cls, _datetime: Any) -> str | None:
        moment = dt.datetime.fromisoformat(_datetime) if isinstance(_datetime, str) else _datetime
        if not isinstance(moment, dt.datetime):
            return None
        return moment.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M:%S（北京时间）")


class PublishedFilesystemStoreBackend(TupleFilesystemStoreBackend):
    """GX's filesystem store whose writes go through the build's publisher and whose removals wait for it.

    GX writes each page with `open(path, "wb")` straight into the served folder: a build killed midway left half a
    page there. Reading and listing are GX's own, on the served folder, so GX's index lists what it always did.
    """

    publisher: Any = (
        None  # the build's `data_docs._Publisher`, set on each of the site's stores before it builds
    )

    def _set(self, key: Any, value: Any, **kwargs: Any) -> str:
        if not isinstance(key, tuple):
            key = key.to_tuple()
        path = os.path.join(self.full_base_directory, self._convert_key_to_filepath(key))
        self.publisher.put(Path(path), value)
        return path

    def remove_key(self, key: Any) -> bool:
        # A pruned run's page goes once the index that no longer links it is in place.
        if not isinstance(key, tuple):
            key = key.to_tuple()
        path = Path(self.full_base_directory, self._convert_key_to_filepath(key))
        if path.exists():
            self.publisher.remove_later(path)
            return True
        return False
