"""What a counter does to the queue: call next, recall, skip, done, transfer to another service.

A ticket waits in its service queue: its own prefix, or the one it was transferred to
(`tickets.queue_prefix`). Waiting = not called; called = `called_at` set and `done_at` not;
finished = `done_at` set, with `outcome` served or skipped. A counter serves one ticket at a
time: calling the next one finishes the current one as served. Booked M-Paspor arrivals checked
in "ahead" are called before the walk-ins of their queue. Every call and recall is a row of `counter_calls` (in order: what a lobby display
announces) and every action a row of `staff_audit` with who did it, in the same transaction.
`CentralDB.lock(conn, "queue:OFFICE")` makes two counters' calls serial (PostgreSQL's advisory lock;
SQLite's one write lock already does).
"""

from __future__ import annotations

import json
import tomllib
from datetime import datetime

from .bookings import booked_marks
from .db import AVG_SERVICE_WINDOW, CentralDB
from .protocol import PREFIX_RE, utc_now_iso
from .staff import audit

SERVED, SKIPPED = "served", "skipped"
QUEUE = "coalesce(t.queue_prefix, t.prefix)"
_COLUMNS = ("t.id, t.kiosk_id, t.office, t.number, t.service, t.prefix, t.queue_prefix, t.priority, t.service_day, "
            "t.issued_at, t.received_at, t.called_at, t.first_called_at, t.counter, t.done_at, t.outcome, "
            "t.recalls, t.event_id, t.cursor")


class NoCurrentTicket(Exception):
    """The counter is serving no ticket, so there is nothing to recall, skip, finish or transfer."""


def _day(conn, office: str) -> str | None:
    return conn.execute("SELECT max(service_day) FROM tickets WHERE office = ?", (office,)).fetchone()[0]


def _current(conn, office: str, counter: str):
    return conn.execute(
        f"SELECT {_COLUMNS} FROM tickets t WHERE t.office = ? AND t.counter = ? AND t.called_at IS NOT NULL "
        "AND t.done_at IS NULL ORDER BY t.called_at DESC LIMIT 1",
        (office, counter),
    ).fetchone()


def ticket_view(conn, row) -> dict:
    """The ticket as the kiosk last reported it, with the server's queue columns under `central`."""
    payload = conn.execute("SELECT payload FROM events WHERE event_id = ?", (row["event_id"],)).fetchone()
    record = json.loads(payload["payload"]).get("ticket") if payload else None
    record = dict(record) if isinstance(record, dict) else {"id": row["id"], "number": row["number"],
                                                            "prefix": row["prefix"], "service_day": row["service_day"]}
    record["central"] = {
        "kiosk_id": row["kiosk_id"], "office": row["office"], "received_at": row["received_at"],
        "called_at": row["called_at"], "counter": row["counter"], "done_at": row["done_at"],
        "queue": row["queue_prefix"] or row["prefix"], "first_called_at": row["first_called_at"],
        "outcome": row["outcome"], "recalls": row["recalls"],
    }
    return record


def _finish(conn, office: str, counter: str, outcome: str, now: str) -> None:
    conn.execute(
        "UPDATE tickets SET done_at = ?, outcome = ? WHERE office = ? AND counter = ? AND called_at IS NOT NULL "
        "AND done_at IS NULL",
        (now, outcome, office, counter),
    )


def _log_call(conn, office: str, counter: str, row, action: str, now: str, actor: str) -> None:
    conn.execute(
        "INSERT INTO counter_calls(office, counter, ticket_id, number, action, at, actor) VALUES (?,?,?,?,?,?,?)",
        (office, counter, row["id"], row["number"], action, now, actor),
    )


def call_next(db: CentralDB, office: str, prefix: str, counter: str, actor: str) -> dict | None:
    """Finish the counter's current ticket as served and call the next one waiting in `prefix`'s queue.

    Priority tickets first, then issue time. None when no one is waiting (the current ticket is
    finished all the same: the counter is free).
    """
    now = utc_now_iso()
    with db.write() as conn:
        db.lock(conn, "queue:" + office)  # two counters never call the same ticket
        current = _current(conn, office, counter)
        _finish(conn, office, counter, SERVED, now)
        if current is not None:
            audit(conn, actor, office, "ticket.done", current["number"], f"counter {counter}", now)
        day = _day(conn, office)
        # A booked M-Paspor arrival checked in "ahead" (kiosk.toml bookings.ahead_of_walk_ins) is
        # called before the walk-ins of its queue, earliest slot first.
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM tickets t JOIN booking_checkins b ON b.ticket_id = t.id "
            f"WHERE t.office = ? AND t.service_day = ? AND {QUEUE} = ? AND t.called_at IS NULL AND t.done_at IS NULL "
            "AND b.ahead = 1 ORDER BY t.priority DESC, b.slot, t.cursor LIMIT 1",
            (office, day, prefix),
        ).fetchone()
        if row is None:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM tickets t WHERE t.office = ? AND t.service_day = ? AND {QUEUE} = ? "
                "AND t.called_at IS NULL AND t.done_at IS NULL ORDER BY t.priority DESC, t.issued_at, t.cursor LIMIT 1",
                (office, day, prefix),
            ).fetchone()
        if row is None:
            audit(conn, actor, office, "ticket.call_next", None, f"counter {counter}, queue {prefix}: no one waiting", now)
            return None
        conn.execute(
            "UPDATE tickets SET called_at = ?, first_called_at = coalesce(first_called_at, ?), counter = ? "
            "WHERE id = ?",
            (now, now, counter, row["id"]),
        )
        _log_call(conn, office, counter, row, "call", now, actor)
        audit(conn, actor, office, "ticket.call", row["number"], f"counter {counter}, queue {prefix}", now)
        ticket = ticket_view(conn, _by_id(conn, row["id"]))
        ticket["central"]["booking"] = booked_marks(db, [ticket["id"]]).get(ticket["id"])
        return ticket


def waiting_ahead(conn, ticket: dict) -> int:
    """How many waiting tickets `call_next` calls before `ticket` (its columns id, office,
    service_day, prefix, queue_prefix, priority, issued_at, cursor): the same order, in SQL."""
    queue = ticket["queue_prefix"] or ticket["prefix"]
    waiting = (f"t.office = ? AND t.service_day = ? AND {QUEUE} = ? AND t.called_at IS NULL AND t.done_at IS NULL "
               "AND t.id <> ?")
    args = [ticket["office"], ticket["service_day"], queue, ticket["id"]]
    booked_ahead = "EXISTS (SELECT 1 FROM booking_checkins b WHERE b.ticket_id = t.id AND b.ahead = 1)"
    mine = conn.execute("SELECT slot FROM booking_checkins WHERE ticket_id = ? AND ahead = 1 ORDER BY slot LIMIT 1",
                        (ticket["id"],)).fetchone()
    if mine is not None:
        # among the booked arrivals called ahead: priority, then slot, then arrival
        before = ("t.priority > ? OR (t.priority = ? AND (coalesce(b.slot, '') < ? "
                  "OR (coalesce(b.slot, '') = ? AND t.cursor < ?)))")
        return conn.execute(
            f"SELECT count(DISTINCT t.id) FROM tickets t JOIN booking_checkins b ON b.ticket_id = t.id AND b.ahead = 1 "
            f"WHERE {waiting} AND ({before})",
            (*args, ticket["priority"], ticket["priority"], mine["slot"] or "", mine["slot"] or "", ticket["cursor"]),
        ).fetchone()[0]
    before = ("t.priority > ? OR (t.priority = ? AND (coalesce(t.issued_at, '') < ? "
              "OR (coalesce(t.issued_at, '') = ? AND t.cursor < ?)))")
    issued = ticket["issued_at"] or ""
    return conn.execute(
        f"SELECT count(*) FROM tickets t WHERE {waiting} AND ({booked_ahead} OR {before})",
        (*args, ticket["priority"], ticket["priority"], issued, issued, ticket["cursor"]),
    ).fetchone()[0]


def _by_id(conn, ticket_id: str):
    return conn.execute(f"SELECT {_COLUMNS} FROM tickets t WHERE t.id = ?", (ticket_id,)).fetchone()


def _act_on_current(db: CentralDB, office: str, counter: str, actor: str, action: str, change) -> dict:
    now = utc_now_iso()
    with db.write() as conn:
        db.lock(conn, "queue:" + office)
        row = _current(conn, office, counter)
        if row is None:
            raise NoCurrentTicket(f"counter {counter} is serving no ticket: call one first")
        detail = change(conn, row, now)
        audit(conn, actor, office, action, row["number"], f"counter {counter}" + (f", {detail}" if detail else ""), now)
        return ticket_view(conn, _by_id(conn, row["id"]))


def recall(db: CentralDB, office: str, counter: str, actor: str) -> dict:
    """Call the counter's current ticket again (the applicant did not come yet)."""
    def change(conn, row, now):
        # A recall is a call again: the lobby display announces a ticket whose called_at moved.
        conn.execute("UPDATE tickets SET recalls = recalls + 1, called_at = ? WHERE id = ?", (now, row["id"]))
        _log_call(conn, office, counter, row, "recall", now, actor)
    return _act_on_current(db, office, counter, actor, "ticket.recall", change)


def skip(db: CentralDB, office: str, counter: str, actor: str) -> dict:
    """Finish the current ticket as skipped (no-show): it does not count as served."""
    def change(conn, row, now):
        _finish(conn, office, counter, SKIPPED, now)
    return _act_on_current(db, office, counter, actor, "ticket.skip", change)


def done(db: CentralDB, office: str, counter: str, actor: str) -> dict:
    """Finish the current ticket as served without calling another."""
    def change(conn, row, now):
        _finish(conn, office, counter, SERVED, now)
    return _act_on_current(db, office, counter, actor, "ticket.done", change)


def transfer(db: CentralDB, office: str, counter: str, to_prefix: str, actor: str) -> dict:
    """Send the current ticket to another service's queue, where it waits again in issue order."""
    def change(conn, row, now):
        conn.execute(
            "UPDATE tickets SET queue_prefix = ?, called_at = NULL, counter = NULL WHERE id = ?", (to_prefix, row["id"])
        )
        return f"from queue {row['queue_prefix'] or row['prefix']} to {to_prefix}"
    return _act_on_current(db, office, counter, actor, "ticket.transfer", change)


def current(db: CentralDB, office: str, counter: str) -> dict | None:
    conn = db.conn()
    row = _current(conn, office, counter)
    return ticket_view(conn, row) if row else None


def recent_calls(db: CentralDB, office: str, limit: int = 10) -> list[dict]:
    rows = db.conn().execute(
        "SELECT id, counter, ticket_id, number, action, at FROM counter_calls WHERE office = ? ORDER BY id DESC LIMIT ?",
        (office, limit),
    )
    return [dict(r) for r in rows]


def queue_stats(db: CentralDB, office: str, service_day: str | None = None) -> dict:
    """`GET .../queue` (docs/openapi.yaml) per service queue: transferred tickets wait in their new
    queue, and a skipped ticket's time is not a service time."""
    conn = db.conn()
    day = service_day or _day(conn, office)
    services: dict[str, dict] = {}
    if day is None:
        return {"office": office, "service_day": None, "services": services}
    rows = conn.execute(
        f"SELECT {QUEUE} AS queue, count(*) AS issued, count(t.called_at) AS served "
        f"FROM tickets t WHERE t.office = ? AND t.service_day = ? GROUP BY {QUEUE} ORDER BY {QUEUE}",
        (office, day),
    ).fetchall()
    for row in rows:
        finished = conn.execute(
            f"SELECT t.called_at, t.done_at FROM tickets t WHERE t.office = ? AND t.service_day = ? AND {QUEUE} = ? "
            "AND t.done_at IS NOT NULL AND t.called_at IS NOT NULL AND coalesce(t.outcome, 'served') = 'served' "
            "ORDER BY t.done_at DESC LIMIT ?",
            (office, day, row["queue"], AVG_SERVICE_WINDOW),
        ).fetchall()
        durations = [_seconds(r["called_at"], r["done_at"]) for r in finished]
        services[row["queue"]] = {
            "waiting": row["issued"] - row["served"],
            "issued": row["issued"],
            "served": row["served"],
            "avg_service_s": round(sum(durations) / len(durations), 1) if durations else None,
        }
    return {"office": office, "service_day": day, "services": services}


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def office_queues(db: CentralDB, office: str) -> list[dict]:
    """The queues a counter may call or transfer to: the catalogue's services (and its priority
    series), then any other prefix with tickets today; each with its names and who is waiting."""
    stats = queue_stats(db, office)["services"]
    found: dict[str, dict] = {}
    catalogue = db.catalogue(office)
    data = {}
    if catalogue is not None:
        try:
            data = tomllib.loads(catalogue.body.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}
    services = data.get("services") if isinstance(data.get("services"), list) else []
    for service in services:
        prefix = service.get("prefix") if isinstance(service, dict) else None
        if isinstance(prefix, str) and PREFIX_RE.match(prefix):
            found.setdefault(prefix, {"prefix": prefix, "name_id": str(service.get("name_id") or prefix),
                                      "name_en": str(service.get("name_en") or prefix)})
    priority = data.get("priority_prefix")
    if isinstance(priority, str) and PREFIX_RE.match(priority):
        found.setdefault(priority, {"prefix": priority, "name_id": "Prioritas", "name_en": "Priority"})
    for prefix in stats:
        found.setdefault(prefix, {"prefix": prefix, "name_id": prefix, "name_en": prefix})
    return [{**q, "waiting": stats.get(q["prefix"], {}).get("waiting", 0)} for q in found.values()]
