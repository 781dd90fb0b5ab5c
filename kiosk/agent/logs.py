"""Agent logging: one event per line on stderr, for journald."""

from __future__ import annotations

import logging
import sys


class OneLineFormatter(logging.Formatter):
    """Tracebacks folded onto the event's line, so one event stays one journal entry."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", " | ")


def setup_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper()))
    # urllib3 logs each new connection at DEBUG only; keep its warnings.
    logging.getLogger("urllib3").setLevel(max(logging.WARNING, root.level))
