"""GX's file store for the Data Docs site, putting each file in place whole (see `data_docs.build`).

Imported by GX's site builder from its configuration, and only then: it imports GX.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from great_expectations.data_context.store.tuple_store_backend import TupleFilesystemStoreBackend


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
