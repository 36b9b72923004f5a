"""Make printed texts escaped Markup, each distinct text once; nothing prints as the dash (DASH_MARKUP)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from pipeline.report_text import DASH

DASH_MARKUP = Markup(DASH)


class _MarkupMemo(dict):
    """Each text as escaped Markup, made once: a page prints far fewer distinct texts than texts."""

    def __init__(self, escape: Any):
        super().__init__()
        self.escape = escape

    def __missing__(self, key: str) -> Markup:
        value = self[key] = Markup(self.escape[key])
        return value
