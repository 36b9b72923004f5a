"""`pipeline serve` and `pipeline users add|reset|disable NAME`: the portal's two commands."""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_FAILED = 0, 1


def cmd_serve(args: argparse.Namespace) -> int:
    import dataclasses

    import uvicorn

    from pipeline.locations import is_url
    from pipeline.portal.app import create_app
    from pipeline.portal.config import PortalConfig

    try:
        config = PortalConfig.from_env()
        # Replacing builds it anew, so a host given here is checked against PIPELINE_PORTAL_ALLOW_HTTP too.
        config = dataclasses.replace(config, host=args.host or config.host, port=args.port or config.port)
    except ValueError as exc:
        print(f"环境变量设置有误：{exc}", file=sys.stderr)
        return EXIT_FAILED
    if is_url(args.settings.inbox):
        # The portal places files in inbox/<office>/ on this machine's disk; it has no object-store writer yet.
        print(
            f"报送门户暂不支持对象存储上的收件箱（PIPELINE_INBOX={args.settings.inbox}），未启动。",
            file=sys.stderr,
        )
        return EXIT_FAILED
    app = create_app(args.settings, args.registry, config)
    scheme = "http" if config.allow_http else "https（经反向代理）"
    print(f"报送门户：{scheme} 监听 {config.host}:{config.port}，数据根目录 {args.settings.home}", flush=True)
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        proxy_headers=True,
        forwarded_allow_ips=config.forwarded_allow_ips,
        root_path=config.root_path,
        server_header=False,
        log_level="info" if not args.quiet else "warning",
    )
    return EXIT_OK


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """Return the password to set and whether it was made up here (and so must be shown once)."""
    from pipeline.portal.users import new_password

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return new_password(), True


def cmd_users(args: argparse.Namespace) -> int:
    # Imported here, as the server is in cmd_serve: building the parser must not load argon2 for every command.
    from pipeline.portal.users import AccountError, account_name, add_account, disable_account, reset_password

    settings, name = args.settings, args.name
    if args.action != "add":
        # As the login page reads it: `add zjj` made the account 区住房和城乡建设局, and `reset zjj` said there was none.
        name = account_name(settings, args.registry.offices, name)
    try:
        if args.action == "disable":
            disable_account(settings, name)
            print(f"已停用账号“{name}”，其登录已全部失效。")
            return EXIT_OK
        password, made = _password(args)
        if args.action == "add":
            account = add_account(settings, args.registry.offices, name, password, admin=args.admin)
            what = "管理员账号" if account.is_admin else f"单位账号（{account.office}）"
            print(f"已新建{what}：{account.name}")
            name = account.name
        else:
            reset_password(settings, name, password)
            print(f"已重设账号“{name}”的密码，原有登录已全部失效。")
    except AccountError as exc:
        print(f"未执行：{exc}", file=sys.stderr)
        return EXIT_FAILED
    if made:
        print(f"初始密码（只显示这一次，请当面或电话告知）：{password}")
    return EXIT_OK


def add_parsers(commands) -> None:
    """Register `pipeline serve` and `pipeline users` with the command line's subcommands."""
    serve = commands.add_parser(
        "serve",
        help="run the submission portal (default 127.0.0.1:8765): offices upload files and see receipts at once",
    )
    serve.add_argument("--host", help="address to listen on (default: $PIPELINE_PORTAL_HOST, else 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: $PIPELINE_PORTAL_PORT, else 8765)")
    serve.set_defaults(handler=cmd_serve)
    users = commands.add_parser(
        "users", help="manage portal accounts: one per registered office, plus administrators"
    )
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text in (
        (
            "add",
            "create an account for a registered office (full name or alias), or with --admin an administrator",
        ),
        ("reset", "set a new password, enable the account again and end its sessions"),
        ("disable", "refuse the account from now on and end its sessions"),
    ):
        parser = actions.add_parser(action, help=text, description=text)
        parser.add_argument(
            "name", metavar="NAME", help="the office's full name or alias, or an administrator's name"
        )
        if action == "add":
            parser.add_argument(
                "--admin", action="store_true", help="a bureau administrator: sees every office"
            )
        if action != "disable":
            parser.add_argument(
                "--password-stdin",
                action="store_true",
                help="read the password from one line of standard input (default: make one up and print it once)",
            )
        parser.set_defaults(handler=cmd_users)
