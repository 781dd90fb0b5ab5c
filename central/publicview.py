"""What the public pages read (central/web/): one ticket by its page token, and an office's calls.

Only the columns a page shows are read, never the ticket's record: the pages expose a ticket's
number, service and place in the queue and nothing else (not its id, kiosk or issue time).
A ticket's place is counted in call_next's order (`counter_queue.waiting_ahead`), in the queue it
waits in now (its own series, or the one a counter transferred it to).
"""

from __future__ import annotations

import math
import threading
import tomllib

from .counter_queue import QUEUE, waiting_ahead
from .db import AVG_SERVICE_WINDOW, CentralDB, _seconds_between

RECENT_CALLS = 8
COLUMNS = ("cursor, id, office, number, service, prefix, queue_prefix, priority, service_day, issued_at, called_at, "
           "counter, done_at")


def ticket_by_token(db: CentralDB, token: str) -> dict | None:
    """The ticket's columns the pages need (its id only to link a survey response; never shown)."""
    row = db.conn().execute(
        f"SELECT {COLUMNS} FROM tickets WHERE token = ? ORDER BY cursor LIMIT 1", (token,)
    ).fetchone()
    return dict(row) if row else None


def ticket_status(db: CentralDB, token: str) -> dict | None:
    """The ticket page's facts, or None when no ticket with this token has arrived."""
    ticket = ticket_by_token(db, token)
    if ticket is None:
        return None
    office, day = ticket["office"], ticket["service_day"]
    queue = ticket["queue_prefix"] or ticket["prefix"]
    conn = db.conn()
    status, ahead, wait_min = "waiting", None, None
    if ticket["done_at"]:
        status = "done"
    elif ticket["called_at"]:
        status = "called"
    elif day != db.current_service_day(office):
        status = "expired"
    else:
        ahead = waiting_ahead(conn, ticket)
        wait_min = _estimated_wait_min(db, office, day, queue, ahead)
    serving = conn.execute(
        f"SELECT t.number, t.counter FROM tickets t WHERE t.office = ? AND t.service_day = ? AND {QUEUE} = ? "
        "AND t.called_at IS NOT NULL ORDER BY t.called_at DESC, t.cursor DESC LIMIT 1",
        (office, day, queue),
    ).fetchone()
    return {
        "number": ticket["number"],
        "service": ticket["service"],
        "service_name": service_names(db, office).get(ticket["service"]),
        "status": status,
        "counter": ticket["counter"] if status in ("called", "done") else None,
        "ahead": ahead,
        "estimated_wait_min": wait_min,
        "now_serving": {"number": serving["number"], "counter": serving["counter"]} if serving else None,
        "office": office,
    }


def _estimated_wait_min(db: CentralDB, office: str, day: str, queue: str, ahead: int) -> int | None:
    """People ahead x the recent average service time / the counters calling this queue today;
    None until a ticket of the queue has been served (no guess is better than a wrong one). A
    skipped ticket (no-show) is no service time."""
    conn = db.conn()
    rows = conn.execute(
        f"SELECT t.called_at, t.done_at FROM tickets t WHERE t.office = ? AND t.service_day = ? AND {QUEUE} = ? "
        "AND t.done_at IS NOT NULL AND t.called_at IS NOT NULL AND coalesce(t.outcome, 'served') = 'served' "
        "ORDER BY t.done_at DESC LIMIT ?",
        (office, day, queue, AVG_SERVICE_WINDOW),
    ).fetchall()
    if not rows:
        return None
    average = sum(_seconds_between(r["called_at"], r["done_at"]) for r in rows) / len(rows)
    counters = conn.execute(
        f"SELECT count(DISTINCT t.counter) FROM tickets t WHERE t.office = ? AND t.service_day = ? AND {QUEUE} = ? "
        "AND t.counter IS NOT NULL",
        (office, day, queue),
    ).fetchone()[0]
    return math.ceil(ahead * average / max(1, counters) / 60)


def display_state(db: CentralDB, office: str) -> dict:
    """The lobby display's facts: the latest call at each counter and the last few calls today."""
    day = db.current_service_day(office)
    if day is None:
        return {"office": office, "service_day": None, "counters": [], "recent": []}
    conn = db.conn()
    latest = conn.execute(
        "SELECT number, prefix, counter, called_at FROM tickets t WHERE office = ? AND service_day = ? "
        "AND called_at = (SELECT max(called_at) FROM tickets u WHERE u.office = t.office "
        "AND u.service_day = t.service_day AND u.counter = t.counter) ORDER BY counter",
        (office, day),
    ).fetchall()
    recent = conn.execute(
        "SELECT number, prefix, counter, called_at FROM tickets WHERE office = ? AND service_day = ? "
        "AND called_at IS NOT NULL ORDER BY called_at DESC, cursor DESC LIMIT ?",
        (office, day, RECENT_CALLS),
    ).fetchall()
    return {"office": office, "service_day": day, "counters": [dict(r) for r in latest],
            "recent": [dict(r) for r in recent]}


_names: dict[str, tuple[str, dict]] = {}
_names_lock = threading.Lock()


def service_names(db: CentralDB, office: str) -> dict[str, dict[str, str]]:
    """{service key: {"id": name, "en": name}} from the office's installed catalogue (cached by
    its ETag); empty without one (the page then shows the service key)."""
    catalogue = db.catalogue(office)
    if catalogue is None:
        return {}
    with _names_lock:
        cached = _names.get(office)
        if cached and cached[0] == catalogue.etag:
            return cached[1]
    try:
        data = tomllib.loads(catalogue.body.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        data = {}
    names = {}
    for service in data.get("services", []) if isinstance(data.get("services"), list) else []:
        if isinstance(service, dict) and isinstance(service.get("key"), str):
            names[service["key"]] = {"id": str(service.get("name_id", service["key"])),
                                     "en": str(service.get("name_en", service["key"]))}
    with _names_lock:
        _names[office] = (catalogue.etag, names)
    return names
