"""Read the portal's own settings (`PIPELINE_PORTAL_…`): where it listens and how its cookies travel."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.limits import positive_whole_number
from pipeline.settings import Settings

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
PORT = 8765


@dataclass(frozen=True, slots=True)
class PortalConfig:
    """How the portal listens and keeps its sessions; `PIPELINE_PORTAL_<FIELD>` overrides each."""

    host: str = "127.0.0.1"
    port: int = PORT
    # Plain-http cookies only where nothing leaves the machine: tests and a clerk's own laptop.
    allow_http: bool = False
    # The path prefix the bureau's reverse proxy serves the portal under, e.g. /baosong.
    root_path: str = ""
    # Proxies whose X-Forwarded-For/-Proto uvicorn believes; the default trusts only a proxy on this machine.
    forwarded_allow_ips: str = "127.0.0.1"
    session_hours: int = 8
    max_files: int = 20  # files in one upload
    login_failures: int = 5  # wrong passwords in a row before an account (or an address) waits
    lockout_minutes: int = 15

    @classmethod
    def from_env(cls) -> PortalConfig:
        """Build the settings from the environment; unset keeps the default."""

        def text(name: str, default: str) -> str:
            return (os.environ.get(f"PIPELINE_PORTAL_{name}") or "").strip() or default

        def whole(name: str, default: int) -> int:
            raw = text(name, "")
            return positive_whole_number(f"PIPELINE_PORTAL_{name}", raw) if raw else default

        default = cls()
        return cls(
            host=text("HOST", default.host),
            port=whole("PORT", default.port),
            allow_http=text("ALLOW_HTTP", "0").lower() in {"1", "true", "yes"},
            root_path=text("ROOT_PATH", "").rstrip("/"),
            forwarded_allow_ips=text("FORWARDED_ALLOW_IPS", default.forwarded_allow_ips),
            session_hours=whole("SESSION_HOURS", default.session_hours),
            max_files=whole("MAX_FILES", default.max_files),
            login_failures=whole("LOGIN_FAILURES", default.login_failures),
            lockout_minutes=whole("LOCKOUT_MINUTES", default.lockout_minutes),
        )

    def __post_init__(self) -> None:
        # The socket takes a port modulo 65536: 99999 listened on 34463 while the portal said 127.0.0.1:99999.
        if not 0 < self.port < 65536:
            raise ValueError(
                f"PIPELINE_PORTAL_PORT（或 --port）的值 {self.port} 不是可用的端口：请写 1 到 65535 之间的端口号，"
                f"如默认的 {PORT}。（must be a port from 1 to 65535）"
            )
        if self.allow_http and self.host not in LOOPBACK:
            raise ValueError(
                f"PIPELINE_PORTAL_ALLOW_HTTP 只能用于监听 127.0.0.1 的门户，而监听地址（PIPELINE_PORTAL_HOST 或 --host）"
                f"是 {self.host!r}：在其他地址上，登录凭据（cookie）必须经 https 传输。请删去 PIPELINE_PORTAL_ALLOW_HTTP "
                "并经反向代理提供 https，或把监听地址改为 127.0.0.1。（only for a portal on 127.0.0.1）"
            )


def portal_home(settings: Settings) -> Path:
    """Return the portal's folder in the data root: accounts, sessions, files awaiting 仍然提交."""
    return settings.home / "portal"
