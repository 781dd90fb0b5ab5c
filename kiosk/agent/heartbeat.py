"""The heartbeat: what the central server's staff see of this kiosk."""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..checkin.listing import held_summary
from ..clock import Clock, clock_trusted
from ..config import KioskConfig
from ..issuer import Issuer
from ..state_keys import LOCK, PRINTER, SERVER_CLOCK
from ..store import Store
from . import state
from .backlog import backlog_summary
from .commands import applied_commands
from .quarantine import quarantine_summary

PAPER_WARNINGS = ("paper_near_end", "paper_out")


def host_uptime_s() -> float | None:
    try:
        return round(float(Path("/proc/uptime").read_text().split()[0]), 1)
    except (OSError, ValueError, IndexError):
        return None


def heartbeat_body(store: Store, config: KioskConfig, clock: Clock, uptime_s: float) -> dict:
    now = clock.now()
    printer = store.get_state(PRINTER)
    server_check = store.get_state(SERVER_CLOCK) or {}
    catalogue = store.get_state(state.CATALOGUE) or {}
    outbox = backlog_summary(store.outbox_stats(), config, now)
    return {
        "kiosk_id": config.kiosk.id,
        "office": config.kiosk.office_code,
        "version": __version__,
        "sent_at": now.isoformat(timespec="seconds"),
        "uptime_s": round(uptime_s, 1),
        "host_uptime_s": host_uptime_s(),
        "printer": printer,
        "paper_warning": isinstance(printer, dict) and printer.get("state") in PAPER_WARNINGS,
        "outbox": outbox,
        # Declared, so the server (and its staff) know which of this kiosk's events it will not see
        # until a technician acts: `GET /api/v1/offices/{office}/quarantine` lists them.
        "quarantine": quarantine_summary(store),
        "clock": {
            "trusted": clock_trusted(clock, server_check),
            "ntp_synchronized": clock.synchronized(),
            "drift_s": server_check.get("drift_s"),
            "checked_at": server_check.get("checked_at"),
        },
        "catalogue_etag": catalogue.get("etag"),
        # The lock as the staff see it on the report page; `commands` confirms the central ones applied.
        "lock": store.get_state(LOCK),
        "commands": applied_commands(store),
        "last_sync": store.get_state(state.LAST_SYNC),
        "last_error": store.get_state(state.LAST_ERROR),
        # The M-Paspor list this kiosk holds and today's check-ins (staff see a kiosk checking in
        # unverified because its list is old).
        "bookings": held_summary(store, Issuer(config, store, clock).service_day(now).isoformat()),
    }
