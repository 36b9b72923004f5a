"""What every request of the portal reads (`Portal`), and the templates its pages are written with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from pipeline.portal.checker import Checker
from pipeline.portal.config import PortalConfig
from pipeline.registry import Registry
from pipeline.settings import Settings
from pipeline.text import printable

HERE = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class Portal:
    """What every request reads: the data root, the portal's settings, the registry and the warm checker."""

    settings: Settings
    config: PortalConfig
    registry: Registry
    checker: Checker
    templates: Jinja2Templates

    @property
    def cookie_name(self) -> str:
        # __Host- makes the browser refuse the cookie unless it came over https for this host, path /.
        return "portal_session" if self.config.allow_http else "__Host-portal_session"

    @property
    def login_cookie_name(self) -> str:
        return "portal_login" if self.config.allow_http else "__Host-portal_login"

    def page(self, request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        return self.templates.TemplateResponse(request, name, context, status_code=status)


def templates() -> Jinja2Templates:
    """Return the portal's page templates, with the filters its pages use."""
    pages = Jinja2Templates(directory=HERE / "templates")  # autoescapes every .html template
    # Text from files shows control characters and bidi overrides as visible stand-ins, then is escaped.
    pages.env.filters["printable"] = lambda text: printable("" if text is None else str(text))
    pages.env.filters["mb"] = lambda size: f"{size / 1024 / 1024:,.1f} MB"
    return pages
