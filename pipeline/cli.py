"""The `pipeline` command: the same steps the Airflow DAGs run, in-process."""

from __future__ import annotations

import argparse
import os
import sys

from pipeline.cli_commands import EXIT_BUSY, EXIT_FAILED
from pipeline.cli_output import _Outlet, say
from pipeline.cli_parser import build_parser
from pipeline.failures import (
    busy_writer,
    configuration_broken,
    os_error_zh,
    store_unreachable,
    warehouse_failed,
)
from pipeline.forked import ChildDied
from pipeline.registry import RegistryError, load_registry
from pipeline.runlock import RunLockHeld
from pipeline.settings import Settings, setting_refused
from pipeline.store_claim import StoreClaimed
from pipeline.suites import SuiteError
from pipeline.warehouse import WarehouseBusy
from pipeline.warehouse_lost import warehouse_lost

# Commands that read or write the data root, so refuse one that does not exist rather than make it silently.
NEEDS_HOME = frozenset({"run", "ingest", "report", "status", "sql", "withdraw", "docs", "serve", "users"})
# Commands that write the warehouse, so refuse to make a new one where the archive says there was one.
WRITES_WAREHOUSE = frozenset({"run", "ingest", "report", "withdraw"})
# Commands that read the published warehouse, so say a lost one is lost: 请先运行 pipeline run sent the analyst to a
# command that refuses. status and serve are not among them: the portal may run where the warehouse is not.
READS_WAREHOUSE = frozenset({"sql", "docs"})


def _missing_home(args: argparse.Namespace) -> str | None:
    """Say why the data root cannot be used by a command that needs one, if it cannot."""
    named = args.home is not None or bool(os.environ.get("PIPELINE_HOME"))
    if args.command not in NEEDS_HOME and not (args.command == "check" and named):
        return None
    problem = args.settings.home_problem()
    if problem is None and args.command in WRITES_WAREHOUSE | READS_WAREHOUSE:
        return warehouse_lost(args.settings)
    return problem


def main(argv: list[str] | None = None) -> int:
    """Run the command line; exit 0 when the run completed, even if files were rejected."""
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Outlet(sys.stdout), _Outlet(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = streams


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.settings = Settings.from_env(args.home)
    except ValueError as exc:  # a PIPELINE_… setting that is out of range
        say(setting_refused(exc), sys.stderr)
        return EXIT_FAILED
    try:
        # Inside: an archive on object storage is listed to find a lost warehouse, and may be out of reach.
        if problem := _missing_home(args):
            say(problem, sys.stderr)
            return EXIT_FAILED
        args.registry = load_registry()
        return args.handler(args)
    except (RegistryError, SuiteError) as exc:
        say(configuration_broken(exc), sys.stderr)
        return EXIT_FAILED
    except (RunLockHeld, WarehouseBusy) as exc:
        say(str(exc), sys.stderr)
        return EXIT_BUSY
    except StoreClaimed as exc:  # the wrong machine: waiting would not help
        say(str(exc), sys.stderr)
        return EXIT_FAILED
    except ChildDied as exc:  # a step's forked child killed (the OOM killer, kill -9): said, not a traceback
        say(f"pipeline：{exc}", sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # botocore's timeouts are OSErrors too, and told as the store's
        say(store_unreachable(exc) or os_error_zh(exc), sys.stderr)
        return EXIT_FAILED
    except Exception as exc:
        busy = busy_writer(exc)
        if busy is not None:
            say(busy, sys.stderr)
            return EXIT_BUSY
        said = warehouse_failed(exc) or store_unreachable(exc)
        if said is None:
            raise
        say(said, sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
