"""The settings and registry an Airflow task runs by: a refused PIPELINE_* value, or a broken registry, rules or
suite file, ends the task in its one Chinese line.

Raised out of a task, a ValueError was logged as `Task failed with exception` and a Python traceback, the Chinese
message at its foot. Airflow logs a SystemExit as `Task exited` alone, and the retry policy fails it at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pipeline.settings import Settings, setting_refused
from pipeline.warehouse_lost import warehouse_lost

if TYPE_CHECKING:
    from pipeline.registry import Registry

logger = logging.getLogger(__name__)


class SettingsRefused(SystemExit):
    """A task's settings or configuration files refused, told in the log already; exits 1, as the command line does.

    `permanent`: the nightly DAG's retry policy fails it at once, as a retry reads the same environment and files.
    """

    permanent = True


def task_settings(own_root: bool = True) -> Settings:
    """Return the settings from the environment; log a refused one, or an unusable data root, and end the task.

    `own_root`: refuse a data root that is not there, as every `pipeline` command that writes does, instead of
    filling a new empty one, where every file of an inbox kept elsewhere looks new; and a warehouse gone where the
    archive holds files (`warehouse_lost`), instead of making a new empty one. A parse worker's
    PIPELINE_HOME is only its scratch (docs/deploying.md).
    """
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a PIPELINE_… setting out of range, as the command line reads it
        problem = setting_refused(exc)
    else:
        # An archive on object storage out of reach raises here: an I/O failure the retry policy retries.
        problem = (settings.home_problem() or warehouse_lost(settings)) if own_root else None
        if problem is None:
            return settings
    logger.error("%s", problem)
    raise SettingsRefused(1) from None


@contextmanager
def configuration_checked() -> Iterator[None]:
    """End the task in the command line's one Chinese line where a broken registry, rules or suite file is met.

    Met after the night's first task (a file edited mid-night, a host whose checkout differs), by a shard's own
    check, the loader or the marts, it left the task as a traceback, its words at the foot.
    """
    from pipeline.failures import configuration_broken

    try:
        yield
    except Exception as exc:
        problem = configuration_broken(exc)
        if problem is None:
            raise
        logger.error("%s", problem)
        raise SettingsRefused(1) from None


def task_registry(check_ingest: bool = False) -> Registry:
    """Return the registry; log a broken registry file, as the command line says it, and end the task.

    `check_ingest`: check rules.yaml and every template's suites too (`preflight.check_ingest_configuration`), as
    the night's first task does before any shard parses.
    """
    from pipeline.preflight import check_ingest_configuration
    from pipeline.registry import load_registry

    with configuration_checked():
        registry = load_registry()
        if check_ingest:
            check_ingest_configuration(registry)
    return registry
