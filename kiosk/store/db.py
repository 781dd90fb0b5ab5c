"""The kiosk's SQLite store: tickets, their outbox events, counters and small JSON state.

WAL with synchronous=FULL: a committed ticket survives a process kill and a power cut (as far as
the SD card honours flushes). Every write is a short `BEGIN IMMEDIATE` transaction, and every
connection waits up to `busy_timeout` for another writer, so the UI, the agent and the CLI share
the file without "database is locked" reaching anyone. One Store per thread.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import quote

from shared.migrations import SchemaTooNew, migrate

from ..ids import time_ordered_id
from .records import TICKET_COLUMNS, Booking, CheckIn, OutboxEvent, OutboxStats, Ticket
from .schema import MIGRATIONS, PENDING, PRINT_FAILED, PRINT_STATES, PRINTED, QUARANTINE_SCHEMA

SCHEMA_VERSION = len(MIGRATIONS)

EXPORT_CHUNK = 500
LOG_CHUNK = 1000
# Delivery marks are committed this many at a time: each transaction holds the write lock for a
# fraction of a millisecond, so an issue never waits behind a whole batch's marks.
MARK_CHUNK = 50


def _json_value(field: str) -> str:
    return "json(iif(clock_trusted, 'true', 'false'))" if field == "clock_trusted" else field


# One ticket-log record as SQLite writes it: a JSON object, keys sorted, UTF-8 as is. Built in
# SQL so an export of 100,000 tickets never makes a Python object per field (see bench/export.py).
TICKET_JSON = "json_object(" + ", ".join(
    f"'{f}', {_json_value(f)}" for f in sorted(Ticket.__dataclass_fields__)) + ")"


class StoreError(Exception):
    """The database cannot be opened or used; the message names the file and what to do."""


class Store:
    # Set by relax_durability (the agent's connection); class defaults, since open_readonly skips __init__.
    _flush_own_writes = False
    _unflushed = False

    def __init__(self, path: str | Path, *, busy_timeout: float = 5.0):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                # Tickets and the PIN lockout are for the kiosk's own user: created 0600 whatever the
                # umask (SQLite gives the -wal and -shm files the database file's mode).
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            self.conn = sqlite3.connect(str(self.path), timeout=busy_timeout, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            migrate(self.conn, MIGRATIONS)
        except SchemaTooNew as e:
            self.conn.close()
            raise StoreError(_too_new(self.path, e.found)) from None
        except sqlite3.DatabaseError as e:
            raise StoreError(f"cannot open database {self.path}: {e}") from None
        except OSError as e:
            raise StoreError(f"cannot create the folder for database {self.path}: {e.strerror}") from None

    @classmethod
    def open_readonly(cls, path: str | Path, *, busy_timeout: float = 5.0) -> "Store":
        """A Store that only reads: nothing is created, migrated or written (the doctor's view of a
        database the running kiosk owns). sqlite3.Error comes through for the caller to report."""
        store = cls.__new__(cls)
        store.path = Path(path)
        store.conn = sqlite3.connect(f"file:{quote(str(store.path))}?mode=ro", uri=True, timeout=busy_timeout,
                                     isolation_level=None)
        store.conn.row_factory = sqlite3.Row
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def relax_durability(self) -> None:
        """Commits on this connection stop waiting for the disk under the write lock (WAL +
        synchronous=NORMAL); the connection flushes its own WAL writes right after each of its
        transactions instead, outside the lock. Only for writes that are safe to lose: the sync
        agent's delivery marks (a lost mark means the event is sent again and the server keeps it
        once) and its status keys.

        Why the flush: the WAL is one file, and fsync flushes every dirty page of it. Left to the
        kernel, the agent's unsynced marks would be written by the next applicant's commit, whose
        fsync then carries a whole batch's marks (bench/sync.py measured issue p95 1.4-1.8x idle
        that way; docs/sync.md). Flushed by the agent itself, 50 marks at a time, they are gone
        before the applicant commits. While nobody else commits, one flush per call of
        mark_delivered is enough (a batch drains with one fdatasync instead of ten)."""
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self._flush_own_writes = True
        self._others_version = self.data_version()

    def _after_own_commit(self) -> None:
        """On a relaxed connection: flush now if another connection (the UI) committed since we
        last looked, else leave it to flush_own_writes at the end of the operation."""
        self._unflushed = True
        version = self.data_version()
        if version != self._others_version:
            self._others_version = version
            self.flush_own_writes()

    def flush_own_writes(self) -> None:
        if self._unflushed:
            self._unflushed = False
            self._flush_wal()

    def _flush_wal(self) -> None:
        try:
            fd = os.open(f"{self.path}-wal", os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            os.fdatasync(fd)
        finally:
            os.close(fd)

    def checkpoint(self) -> None:
        """A PASSIVE checkpoint: copies what it can of the WAL into the database, waits for nobody."""
        self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def data_version(self) -> int:
        """Changes whenever another connection (another process: the UI) commits; a cheap way for
        the agent to notice the kiosk is busy issuing without reading any table."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def newer_than_code(self) -> str | None:
        """Why this software must not use the database (it was written by a newer one), or None."""
        version = self.schema_version()
        return _too_new(self.path, version) if version > SCHEMA_VERSION else None

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """One write transaction; the write lock is taken at BEGIN so it cannot fail half-way."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        if self._flush_own_writes:
            self._after_own_commit()

    # state ---------------------------------------------------------------------------------

    def get_state(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def states(self, prefix: str) -> dict[str, Any]:
        """Every state value whose key starts with `prefix`, keyed without it."""
        rows = self.conn.execute("SELECT key, value FROM state WHERE substr(key, 1, ?) = ? ORDER BY key",
                                 (len(prefix), prefix))
        return {key[len(prefix):]: json.loads(value) for key, value in rows}

    def set_state(self, key: str, value: Any) -> None:
        self.conn.execute(
            "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value, sort_keys=True)),
        )

    # numbering -----------------------------------------------------------------------------

    def last_seq(self, service_day: str, prefix: str) -> int | None:
        row = self.conn.execute(
            "SELECT last_seq FROM counters WHERE service_day = ? AND prefix = ?", (service_day, prefix)
        ).fetchone()
        return None if row is None else row[0]

    def set_last_seq(self, service_day: str, prefix: str, seq: int) -> None:
        self.conn.execute(
            "INSERT INTO counters (service_day, prefix, last_seq) VALUES (?, ?, ?) "
            "ON CONFLICT (service_day, prefix) DO UPDATE SET last_seq = excluded.last_seq",
            (service_day, prefix, seq),
        )

    def count_issued(self, service_day: str, service: str, *, priority: bool) -> int:
        """Walk-in numbers of a service on a day (priority or regular): the quotas count these; an
        M-Paspor check-in's number (its slot was given by the booking system) is not one of them."""
        op = "IS NOT NULL" if priority else "IS NULL"
        return self.conn.execute(
            f"SELECT count(*) FROM tickets WHERE service_day = ? AND service = ? AND priority {op} "
            "AND id NOT IN (SELECT ticket_id FROM checkins WHERE local = 1 AND day = ?)",
            (service_day, service, service_day),
        ).fetchone()[0]

    # tickets -------------------------------------------------------------------------------

    def insert_ticket(self, ticket: Ticket) -> Ticket:
        data = ticket.to_dict()
        data.pop("cursor")
        data["clock_trusted"] = int(data["clock_trusted"])
        cols = ", ".join(data)
        marks = ", ".join("?" for _ in data)
        cur = self.conn.execute(f"INSERT INTO tickets ({cols}) VALUES ({marks})", tuple(data.values()))
        return Ticket(**{**ticket.to_dict(), "cursor": cur.lastrowid})

    def ticket(self, ticket_id: str) -> Ticket | None:
        row = self.conn.execute(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return None if row is None else Ticket.from_values(tuple(row))

    def ticket_by_number(self, number: str, service_day: str | None = None) -> Ticket | None:
        """The newest ticket with that number (on that service day, if given)."""
        sql = f"SELECT {TICKET_COLUMNS} FROM tickets WHERE number = ?"
        args: tuple = (number.upper(),)
        if service_day:
            sql += " AND service_day = ?"
            args += (service_day,)
        row = self.conn.execute(sql + " ORDER BY cursor DESC LIMIT 1", args).fetchone()
        return None if row is None else Ticket.from_values(tuple(row))

    def last_ticket(self) -> Ticket | None:
        row = self.conn.execute(f"SELECT {TICKET_COLUMNS} FROM tickets ORDER BY cursor DESC LIMIT 1").fetchone()
        return None if row is None else Ticket.from_values(tuple(row))

    def tickets_on(self, service_day: str) -> list[Ticket]:
        rows = self.conn.execute(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE service_day = ? ORDER BY cursor", (service_day,))
        return [Ticket.from_values(tuple(r)) for r in rows]

    def counts_by_service(self, service_day: str) -> dict[str, dict[str, int]]:
        rows = self.conn.execute(
            "SELECT service, count(*) AS total, count(priority) AS priority, "
            f"sum(print_state = '{PRINT_FAILED}') AS print_failed "
            "FROM tickets WHERE service_day = ? GROUP BY service ORDER BY service",
            (service_day,),
        )
        return {r["service"]: {"total": r["total"], "priority": r["priority"], "print_failed": r["print_failed"]} for r in rows}

    def iter_tickets(self, after: int = 0, limit: int | None = None) -> Iterator[Ticket]:
        """Tickets in issue order after a cursor, read in chunks so memory stays flat."""
        remaining = limit
        while remaining is None or remaining > 0:
            chunk = EXPORT_CHUNK if remaining is None else min(EXPORT_CHUNK, remaining)
            cur = self.conn.cursor()
            cur.row_factory = None  # plain tuples: building sqlite3.Row objects costs more than the query
            rows = cur.execute(
                f"SELECT {TICKET_COLUMNS} FROM tickets WHERE cursor > ? ORDER BY cursor LIMIT ?", (after, chunk)
            ).fetchall()
            for row in rows:
                yield Ticket.from_values(row)
            if len(rows) < chunk:
                return
            after = rows[-1][-1]
            if remaining is not None:
                remaining -= len(rows)

    def iter_log_text(self, after: int = 0, limit: int | None = None) -> Iterator[str]:
        """The ticket log after a cursor as JSON-lines text, in issue order, a chunk of up to
        LOG_CHUNK records at a time (each line ends in a newline), so memory stays flat.

        SQLite builds each record and joins the chunk (group_concat over the ordered subquery,
        which delivers its rows in order): Python only passes one string per chunk along."""
        remaining = limit
        while remaining is None or remaining > 0:
            chunk = LOG_CHUNK if remaining is None else min(LOG_CHUNK, remaining)
            last, count, text = self.conn.execute(
                f"SELECT max(c), count(*), group_concat(j, char(10)) FROM "
                f"(SELECT cursor AS c, {TICKET_JSON} AS j FROM tickets WHERE cursor > ? ORDER BY cursor LIMIT ?)",
                (after, chunk),
            ).fetchone()
            if count:
                yield text + "\n"
            if count < chunk:
                return
            after = last
            if remaining is not None:
                remaining -= count

    def set_print_state(self, ticket_id: str, state: str, *, error: str | None, at: str, reprint: bool = False) -> Ticket:
        if state not in PRINT_STATES:
            raise ValueError(f"print state must be one of {', '.join(PRINT_STATES)}, got {state!r}")
        self.conn.execute(
            "UPDATE tickets SET print_state = ?, print_error = ?, "
            "printed_at = CASE WHEN ? = ? THEN ? ELSE printed_at END, "
            "reprints = reprints + ? WHERE id = ?",
            (state, error, state, PRINTED, at, int(reprint), ticket_id),
        )
        ticket = self.ticket(ticket_id)
        if ticket is None:
            raise KeyError(ticket_id)
        return ticket

    def record_print(self, ticket_id: str, printed: bool, *, error: str | None, at: str, reprint: bool = False) -> Ticket:
        """The one print-state transition: pending/printed/print_failed -> printed | print_failed,
        and the outbox event the central server hears it by (ticket.printed, ticket.reprinted or
        ticket.print_failed). Call inside a transaction."""
        state = PRINTED if printed else PRINT_FAILED
        updated = self.set_print_state(ticket_id, state, error=None if printed else error, at=at, reprint=reprint and printed)
        kind = "ticket.reprinted" if reprint and printed else f"ticket.{state}"
        self.add_event(kind, updated, at)
        return updated

    def stale_pending(self, boot_id: str, before_mono_ns: int) -> list[Ticket]:
        """Tickets still 'pending' whose print cannot be running any more: issued on another boot,
        or on this one before `before_mono_ns` (a process killed between issue and print outcome)."""
        rows = self.conn.execute(
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE print_state = ? AND (boot_id != ? OR mono_ns < ?) "
            "ORDER BY cursor",
            (PENDING, boot_id, before_mono_ns),
        ).fetchall()
        return [Ticket.from_values(tuple(r)) for r in rows]

    # outbox --------------------------------------------------------------------------------

    def add_event(self, kind: str, ticket: Ticket, created_at: str, extra: dict | None = None) -> str:
        """`extra`: more top-level payload keys (a check-in event's "checkin")."""
        event_id = time_ordered_id()
        payload = {
            **(extra or {}),
            "event_id": event_id,
            "kind": kind,
            "kiosk_id": ticket.kiosk_id,
            "created_at": created_at,
            "ticket": ticket.to_dict(),
        }
        self.conn.execute(
            "INSERT INTO outbox (event_id, kind, ticket_id, payload, created_at) VALUES (?, ?, ?, ?, ?)",
            (event_id, kind, ticket.id, json.dumps(payload, sort_keys=True), created_at),
        )
        return event_id

    def add_kiosk_event(self, kind: str, kiosk_id: str, body: dict, created_at: str) -> str:
        """An outbox event about the kiosk itself (no ticket); `body` goes under the key `kind`'s
        last part, e.g. kiosk.day_reset -> {"day_reset": body}."""
        event_id = time_ordered_id()
        payload = {"event_id": event_id, "kind": kind, "kiosk_id": kiosk_id, "created_at": created_at,
                   kind.rsplit(".", 1)[-1]: body}
        self.conn.execute(
            "INSERT INTO outbox (event_id, kind, ticket_id, payload, created_at) VALUES (?, ?, NULL, ?, ?)",
            (event_id, kind, json.dumps(payload, sort_keys=True), created_at),
        )
        return event_id

    def tickets_after(self, service_day: str) -> tuple[int, str | None, str | None]:
        """(count, first day, last day) of the tickets numbered on service days after this one."""
        row = self.conn.execute(
            "SELECT count(*), min(service_day), max(service_day) FROM tickets WHERE service_day > ?", (service_day,)
        ).fetchone()
        return row[0], row[1], row[2]

    def pending_events(self, limit: int) -> list[OutboxEvent]:
        """The oldest events due to be sent: undelivered and not quarantined."""
        rows = self.conn.execute(
            "SELECT * FROM outbox WHERE delivered_at IS NULL AND quarantined_at IS NULL ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [OutboxEvent.from_row(r) for r in rows]

    def pending_wire(self, limit: int, after_seq: int = 0) -> list[tuple[str, str]]:
        """(event_id, JSON text of `OutboxEvent.wire()`) for the oldest undelivered events after
        `after_seq` (the agent's cursor past the events it holds delivery marks for).

        The agent sends these as they are: SQLite adds `seq` to the stored payload, so a backlog
        drains without decoding and re-encoding every event in Python."""
        rows = self.conn.execute(
            "SELECT event_id, json_set(payload, '$.seq', seq) FROM outbox "
            "WHERE delivered_at IS NULL AND quarantined_at IS NULL AND seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def seq_of(self, event_id: str) -> int | None:
        row = self.conn.execute("SELECT seq FROM outbox WHERE event_id = ?", (event_id,)).fetchone()
        return None if row is None else row[0]

    def events_for(self, ticket_id: str) -> list[OutboxEvent]:
        rows = self.conn.execute("SELECT * FROM outbox WHERE ticket_id = ? ORDER BY seq", (ticket_id,))
        return [OutboxEvent.from_row(r) for r in rows]

    def mark_delivered(self, event_ids: Iterable[str], at: str | None = None) -> int:
        """Stamp events delivered, MARK_CHUNK per transaction (a mark is idempotent and losing one
        only means a resend the server deduplicates, so they need not commit together)."""
        ids = list(event_ids)
        marked = 0
        for i in range(0, len(ids), MARK_CHUNK):
            with self.transaction():
                marked += self.stamp_delivered(ids[i:i + MARK_CHUNK], at)
        self.flush_own_writes()
        return marked

    def stamp_delivered(self, event_ids: list[str], at: str | None = None) -> int:
        """The delivery stamp itself, inside the caller's transaction; `at` defaults to now (UTC)."""
        stamp = at or self.conn.execute("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')").fetchone()[0]
        marks = ", ".join("?" for _ in event_ids)
        return self.conn.execute(
            f"UPDATE outbox SET delivered_at = ? WHERE delivered_at IS NULL AND event_id IN ({marks})",
            (stamp, *event_ids),
        ).rowcount

    def note_attempt(self, event_ids: Iterable[str], error: str | None) -> None:
        ids = list(event_ids)
        if not ids:
            return
        with self.transaction():
            self.count_attempt(ids, error)
        self.flush_own_writes()

    def count_attempt(self, event_ids: list[str], error: str | None) -> None:
        """One failed attempt to send these events, inside the caller's transaction."""
        marks = ", ".join("?" for _ in event_ids)
        self.conn.execute(
            f"UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE event_id IN ({marks})",
            (error, *event_ids),
        )

    def outbox_stats(self) -> OutboxStats:
        undelivered = self.conn.execute("SELECT count(*) FROM outbox WHERE delivered_at IS NULL").fetchone()[0]
        quarantined = self.quarantine_count()
        oldest = self.conn.execute(
            "SELECT created_at FROM outbox WHERE delivered_at IS NULL AND quarantined_at IS NULL ORDER BY seq LIMIT 1"
        ).fetchone()
        total = self.conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
        return OutboxStats(depth=undelivered - quarantined, oldest_created_at=oldest and oldest[0],
                           delivered=total - undelivered, quarantined=quarantined)

    # quarantine: events the server refused for good, set aside so later ones flow (docs/sync.md)

    def note_rejection(self, event_id: str, reason: str) -> int:
        """Count one permanent rejection of an undelivered event; return its count (0: no such event)."""
        with self.transaction():
            self.conn.execute(
                "UPDATE outbox SET rejections = rejections + 1, last_error = ? "
                "WHERE event_id = ? AND delivered_at IS NULL",
                (reason, event_id),
            )
            row = self.conn.execute(
                "SELECT rejections FROM outbox WHERE event_id = ? AND delivered_at IS NULL", (event_id,)
            ).fetchone()
        return row[0] if row else 0

    def quarantine(self, event_id: str, at: str | None = None) -> bool:
        """Set an undelivered event aside; it is kept, and no longer sent. False if it was not pending."""
        with self.transaction():
            at = at or self.conn.execute("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')").fetchone()[0]
            cur = self.conn.execute(
                "UPDATE outbox SET quarantined_at = ? "
                "WHERE event_id = ? AND delivered_at IS NULL AND quarantined_at IS NULL",
                (at, event_id),
            )
        return cur.rowcount == 1

    def quarantine_count(self) -> int:
        return self.conn.execute(
            "SELECT count(*) FROM outbox WHERE quarantined_at IS NOT NULL AND delivered_at IS NULL"
        ).fetchone()[0]

    def head_rejections(self) -> int:
        """Permanent refusals of the oldest event due to be sent (0 when there is none)."""
        row = self.conn.execute(
            "SELECT rejections FROM outbox WHERE delivered_at IS NULL AND quarantined_at IS NULL ORDER BY seq LIMIT 1"
        ).fetchone()
        return row[0] if row else 0

    def quarantine_streak(self) -> int:
        """Quarantined events after the newest delivered one: how many in a row the server refused."""
        return self.conn.execute(
            "SELECT count(*) FROM outbox WHERE quarantined_at IS NOT NULL AND delivered_at IS NULL "
            "AND seq > coalesce((SELECT max(seq) FROM outbox WHERE delivered_at IS NOT NULL), 0)"
        ).fetchone()[0]

    def quarantined_events(self, limit: int | None = None) -> list[OutboxEvent]:
        """Quarantined events, oldest first."""
        rows = self.conn.execute(
            "SELECT * FROM outbox WHERE quarantined_at IS NOT NULL AND delivered_at IS NULL ORDER BY seq LIMIT ?",
            (-1 if limit is None else limit,),
        ).fetchall()
        return [OutboxEvent.from_row(r) for r in rows]

    def holds_quarantine(self) -> bool:
        """Whether this database has the quarantine's columns (a read-only view of a database the
        agent has not upgraded yet has none, and so no quarantined event)."""
        return self.schema_version() >= QUARANTINE_SCHEMA

    def release_quarantined(self, refs: Iterable[str] | None = None) -> list[OutboxEvent]:
        """Queue quarantined events again (all of them when `refs` is None), each with a fresh count
        of rejections. A ref is an event id or an outbox seq. Returns the events released."""
        with self.transaction():
            chosen = self.quarantined_events()
            if refs is not None:
                wanted = {str(r) for r in refs}
                chosen = [e for e in chosen if e.event_id in wanted or str(e.seq) in wanted]
            self.conn.executemany(
                "UPDATE outbox SET quarantined_at = NULL, rejections = 0 WHERE seq = ?", [(e.seq,) for e in chosen]
            )
        return chosen

    # bookings and check-ins (kiosk/checkin; docs/sync.md) ---------------------------------------

    def replace_bookings(self, bookings: Iterable[Booking]) -> int:
        """The pulled list replaces the one held (call inside a transaction). Returns its size."""
        self.conn.execute("DELETE FROM bookings")
        cur = self.conn.executemany(
            "INSERT INTO bookings (code, office, day, service, slot, masked_name) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (code) DO NOTHING",
            [(b.code, b.office, b.day, b.service, b.slot, b.masked_name) for b in bookings],
        )
        return cur.rowcount

    def booking(self, code: str) -> Booking | None:
        row = self.conn.execute(
            "SELECT code, office, day, service, slot, masked_name FROM bookings WHERE code = ?", (code,)
        ).fetchone()
        return None if row is None else Booking(*row)

    def count_bookings(self) -> int:
        return self.conn.execute("SELECT count(*) FROM bookings").fetchone()[0]

    _CHECKIN = ("SELECT c.code, c.day, c.kiosk_id, c.ticket_id, c.number, c.checked_in_at, c.slot, c.unverified, "
                "c.local, coalesce(t.reprints, 0) FROM checkins c LEFT JOIN tickets t ON t.id = c.ticket_id")

    @staticmethod
    def _checkin(row) -> CheckIn | None:
        if row is None:
            return None
        code, day, kiosk, ticket, number, at, slot, unverified, local, reprints = row
        return CheckIn(code, day, kiosk, ticket, number, at, slot, bool(unverified), bool(local), reprints)

    def checkin_of(self, code: str, day: str) -> CheckIn | None:
        """The check-in of booking `code` on service day `day`: this kiosk's, else the earliest
        another kiosk made (pulled)."""
        return self._checkin(self.conn.execute(
            f"{self._CHECKIN} WHERE c.code = ? AND c.day = ? ORDER BY c.local DESC, c.checked_in_at, c.ticket_id LIMIT 1",
            (code, day),
        ).fetchone())

    def checkin_by_ticket(self, ticket_id: str) -> CheckIn | None:
        return self._checkin(self.conn.execute(f"{self._CHECKIN} WHERE c.ticket_id = ?", (ticket_id,)).fetchone())

    def checkins_on(self, day: str) -> list[CheckIn]:
        rows = self.conn.execute(f"{self._CHECKIN} WHERE c.day = ? ORDER BY c.checked_in_at, c.ticket_id", (day,))
        return [self._checkin(r) for r in rows]

    def add_checkin(self, checkin: CheckIn) -> None:
        """This kiosk's check-in (inside the transaction that issues its ticket). A second local
        check-in of one booking on one day violates checkins_one_local: sqlite3.IntegrityError."""
        self.conn.execute(
            "INSERT INTO checkins (ticket_id, code, day, kiosk_id, number, slot, checked_in_at, unverified, local) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (checkin.ticket_id, checkin.code, checkin.day, checkin.kiosk_id, checkin.number, checkin.slot,
             checkin.checked_in_at, int(checkin.unverified)),
        )

    def merge_checkins(self, checkins: Iterable[CheckIn]) -> int:
        """Other kiosks' check-ins pulled from the central server; ones already held (this kiosk's
        own among them) are left as they are. Returns how many were new."""
        cur = self.conn.executemany(
            "INSERT INTO checkins (ticket_id, code, day, kiosk_id, number, slot, checked_in_at, unverified, local) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (ticket_id) DO NOTHING",
            [(c.ticket_id, c.code, c.day, c.kiosk_id, c.number, c.slot, c.checked_in_at, int(c.unverified))
             for c in checkins],
        )
        return cur.rowcount

    def purge_bookings(self, before_day: str) -> int:
        """Forget bookings and check-ins of service days before `before_day` (the tickets stay)."""
        n = self.conn.execute("DELETE FROM bookings WHERE day < ?", (before_day,)).rowcount
        return n + self.conn.execute("DELETE FROM checkins WHERE day < ?", (before_day,)).rowcount

    # health --------------------------------------------------------------------------------

    def quick_check(self) -> str:
        return self.conn.execute("PRAGMA quick_check").fetchone()[0]

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                total += p.stat().st_size
        return total


def _too_new(path: Path, version: int) -> str:
    return (f"database {path} has schema version {version}, newer than this kiosk software knows "
            f"({SCHEMA_VERSION}): it was written by a newer version. Install that version again, or "
            "restore a backup made by this one (docs/operations.md, 'Database'); the file was not changed")
