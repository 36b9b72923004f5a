"""Print where the latest year's published report is: `make demo`'s last line, after the portal login.

Usage: python demo/report_path.py [--home DIR]   (DIR defaults to $PIPELINE_HOME, else ./var)
"""

from __future__ import annotations

import argparse
import sys

from pipeline.settings import Settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="data root (default: $PIPELINE_HOME, else ./var)")
    settings = Settings.from_env(parser.parse_args().home)
    # reports/<year>/ is the published version of each year; the demo's reports are on this machine.
    pages = sorted(settings.reports.glob("[0-9]*/*.html"), key=lambda page: int(page.parent.name))
    if not pages:  # `pipeline run` said why above
        print("\n未生成年度报告（原因见上方 pipeline run 的输出）。", file=sys.stderr)
        return 1
    print(f"\n年度报告：{pages[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
