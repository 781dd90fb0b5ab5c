"""The one logging setup of every kiosk process (kiosk CLI, agent, touchscreen, kiosk-central).

In shared/ because central/ never imports kiosk/: both import this.

Under systemd, stderr is the journal (systemd sets $JOURNAL_STREAM to its "device:inode"): each
record is then one line `<P>name: message`, P its syslog priority, which journald strips and keeps
as the entry's priority, so `journalctl -u kiosk-agent -p warning` finds warnings; no timestamp,
since the journal stamps every entry itself. Elsewhere (a terminal, a test, a file) each line
starts with the time and level instead. Tracebacks are folded onto their record's line, so one
record stays one journal entry.

Kivy logs through Python logging (KIVY_LOG_MODE=PYTHON, set here before any Kivy import), so the
touchscreen's Kivy lines get the same format instead of Kivy's own colour codes.
"""

from __future__ import annotations

import logging
import os
import sys

LEVELS = ("debug", "info", "warning", "error")
TERMINAL_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JOURNAL_FORMAT = "<%(priority)d>%(name)s: %(message)s"
# syslog(3) priorities: what journald's -p filters on.
PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}


class OneLineFormatter(logging.Formatter):
    """One record, one line; with the syslog priority when `journal` is set."""

    def __init__(self, journal: bool):
        super().__init__(JOURNAL_FORMAT if journal else TERMINAL_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        record.priority = next((p for level, p in sorted(PRIORITY.items(), reverse=True) if record.levelno >= level), 7)
        return super().format(record).replace("\r", "").replace("\n", " | ")


def stderr_is_journal(stream=None) -> bool:
    """True when $JOURNAL_STREAM names this process's stderr (not merely an inherited variable:
    systemd's advice, since a child whose stderr was redirected still has it)."""
    value = os.environ.get("JOURNAL_STREAM", "")
    try:
        device, inode = (int(v) for v in value.split(":"))
        st = os.fstat((stream or sys.stderr).fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (device, inode)


def setup_logging(level: str = "info", *, stream=None) -> None:
    """Route every record (ours, the libraries', Kivy's) to one stderr handler at `level`."""
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter(journal=stderr_is_journal(stream)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper()))
    # urllib3 logs each new connection at DEBUG only; keep its warnings.
    logging.getLogger("urllib3").setLevel(max(logging.WARNING, root.level))
