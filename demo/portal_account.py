"""Give the demo office a portal account (made, or its password set anew) and say how to log in.

Usage: python demo/portal_account.py [--home DIR]   (DIR defaults to $PIPELINE_HOME, else ./var)
"""

from __future__ import annotations

import argparse

from pipeline.portal.config import PortalConfig
from pipeline.portal.users import AccountError, add_account, new_password, reset_password
from pipeline.registry import load_registry
from pipeline.settings import Settings

DEMO_OFFICE = "枣林街道办事处"  # the office whose files the demo inbox holds most of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="data root (default: $PIPELINE_HOME, else ./var)")
    settings = Settings.from_env(parser.parse_args().home)
    registry = load_registry()
    password = new_password()
    try:
        add_account(settings, registry.offices, DEMO_OFFICE, password)
    except AccountError:  # a second `make demo`: the account exists, give it a fresh password
        reset_password(settings, DEMO_OFFICE, password)
    config = PortalConfig.from_env()
    print(
        f"\n报送门户演示账号：{DEMO_OFFICE}，密码：{password}\n"
        f"启动门户：make serve（即 PIPELINE_PORTAL_ALLOW_HTTP=1 uv run pipeline serve），"
        f"然后在浏览器打开 http://{config.host}:{config.port}/ 用上述账号登录。"
    )


if __name__ == "__main__":
    main()
