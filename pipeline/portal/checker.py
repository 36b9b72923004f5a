"""Check uploads exactly as `pipeline check` does, with the registry, suites and GX context kept warm."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from pipeline.check import check_contents
from pipeline.read_day import next_night
from pipeline.receipt_facts import ReceiptFacts
from pipeline.registry import Registry
from pipeline.settings import Settings
from pipeline.templates import file_name, template_workbook
from pipeline.validate import check_sources

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BlankTemplate:
    template_id: str
    title: str
    file_name: str
    content: bytes


class Checker:
    """One per server: the registry loaded once, blank templates built once, checks one at a time."""

    def __init__(self, settings: Settings, registry: Registry):
        check_sources(registry)  # refused as the server starts, not met by a clerk's upload
        self.settings, self.registry = settings, registry
        # GX keeps one context per process; one check at a time also keeps two uploads off the two cores' toes.
        self.lock = threading.Lock()
        self.blanks = {
            t.id: BlankTemplate(t.id, t.name_zh, file_name(t), template_workbook(t, registry))
            for t in registry.templates.values()
        }
        self.names = {t.id: t.name_zh for t in registry.templates.values()}

    def check(self, office: str, files: list[tuple[str, bytes]]) -> list[ReceiptFacts]:
        """Return each file's receipt as if it had been dropped into inbox/<office>/ (names already made safe)."""
        with self.lock:
            return check_contents(
                [(f"{office}/{name}", content) for name, content in files],
                self.settings,
                self.registry,
                beside_waiting=True,  # the night reads them with what the inbox already holds
                # And by its own day: checked at 23:30 on 30 November, a file is read on 1 December, when
                # November is over and its 0s are no longer months to come but months of no investment.
                read_on=next_night(),
            )

    def warm(self, office: str) -> float:
        """Check every blank template once, so GX, its suites and the parsers are loaded before the first clerk."""
        from pipeline.gx_runtime import warm_up

        started = time.perf_counter()
        warm_up(self.registry)  # GX imported, every template's suites registered
        self.check(office, [(b.file_name, b.content) for b in self.blanks.values()])
        took = time.perf_counter() - started
        logger.info("portal warm in %.1f s", took)
        return took
