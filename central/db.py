"""Central storage: kiosks and tokens, events (each stored once), tickets, catalogues.

On SQLite (one file, the embedded default) or PostgreSQL (several server processes), chosen by
the `--db` URL; central/dialect.py runs the same SQL on both (docs/architecture.md). One
connection per thread (waitress serves requests from a small thread pool). `write()` is one
transaction: on SQLite it holds the one write lock from the start; on PostgreSQL it runs at READ
COMMITTED and what must not interleave takes an advisory lock (`lock`), e.g. a kiosk's batches.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shared.migrations import SchemaTooNew

from . import dialect
from .dialect import Busy, Connection
from .protocol import event_problem, ticket_token, utc_now_iso

AVG_SERVICE_WINDOW = 20
# Built once: json.dumps with non-default arguments builds a new encoder on every call.
_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

MIGRATIONS = [
    """
    CREATE TABLE kiosks(
        kiosk_id TEXT PRIMARY KEY,
        office_fixed TEXT,
        office TEXT,
        created_at TEXT NOT NULL,
        last_seen_at TEXT,
        last_heartbeat_at TEXT,
        last_heartbeat TEXT
    );
    CREATE TABLE tokens(
        token_id TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('kiosk', 'counter')),
        subject TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE events(
        rowid INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        kiosk_id TEXT NOT NULL,
        seq INTEGER,
        kind TEXT NOT NULL,
        ticket_id TEXT,
        created_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        payload TEXT NOT NULL
    );
    CREATE INDEX events_kiosk ON events(kiosk_id, rowid);
    CREATE TABLE tickets(
        cursor INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kiosk_id TEXT NOT NULL,
        office TEXT,
        number TEXT NOT NULL,
        service TEXT,
        prefix TEXT NOT NULL,
        seq INTEGER,
        priority INTEGER NOT NULL DEFAULT 0,
        service_day TEXT NOT NULL,
        issued_at TEXT,
        print_state TEXT,
        record TEXT NOT NULL,
        received_at TEXT NOT NULL,
        called_at TEXT,
        counter TEXT,
        done_at TEXT
    );
    CREATE INDEX tickets_queue ON tickets(office, service_day, prefix, called_at);
    CREATE INDEX tickets_counter ON tickets(office, counter, done_at);
    CREATE TABLE catalogues(
        office TEXT PRIMARY KEY,
        body BLOB NOT NULL,
        etag TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # 2: a ticket's record is read from its latest event instead of being stored a second time
    # (one JSON encoding per event instead of two when a batch arrives).
    """
    ALTER TABLE tickets ADD COLUMN event_id TEXT;
    UPDATE tickets SET event_id = (
        SELECT event_id FROM events WHERE events.ticket_id = tickets.id ORDER BY rowid DESC LIMIT 1
    );
    ALTER TABLE tickets DROP COLUMN record;
    """,
    # 3: a token may be bound to an office (counters too), and each token counts the events it
    # pushed for another kiosk's ticket or another office (refused, see ingest).
    """
    ALTER TABLE tokens ADD COLUMN office TEXT;
    ALTER TABLE tokens ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;
    UPDATE tokens SET office = (SELECT office_fixed FROM kiosks WHERE kiosk_id = tokens.subject) WHERE role = 'kiosk';
    """,
    # 4: each ticket's page token as the kiosk made it (central/web/ticket.py looks tickets up by it).
    """
    ALTER TABLE tickets ADD COLUMN token TEXT;
    CREATE INDEX tickets_token ON tickets(token);
    """,
    # 5: Survei Kepuasan Masyarakat responses (central/survey.py); the nine scores u1-u9 in
    # the regulation's order, one response per ticket and per kiosk event.
    """
    CREATE TABLE survey_responses(
        id INTEGER PRIMARY KEY,
        office TEXT NOT NULL,
        source TEXT NOT NULL,
        event_id TEXT UNIQUE,
        kiosk_id TEXT,
        ticket_id TEXT UNIQUE,
        service TEXT,
        answered_on TEXT NOT NULL,
        received_at TEXT NOT NULL,
        u1 INTEGER NOT NULL, u2 INTEGER NOT NULL, u3 INTEGER NOT NULL,
        u4 INTEGER NOT NULL, u5 INTEGER NOT NULL, u6 INTEGER NOT NULL,
        u7 INTEGER NOT NULL, u8 INTEGER NOT NULL, u9 INTEGER NOT NULL,
        age_band TEXT,
        sex TEXT,
        education TEXT,
        occupation TEXT,
        lang TEXT,
        complaint TEXT
    );
    CREATE INDEX survey_office_day ON survey_responses(office, answered_on);
    """,
    # 6: M-Paspor bookings (central/bookings.py): the imported list, only what check-in needs, and
    # the check-ins the kiosks report, one per event (duplicates of one booking are reported).
    """
    CREATE TABLE bookings(
        code TEXT PRIMARY KEY,
        office TEXT NOT NULL,
        day TEXT NOT NULL,
        service TEXT NOT NULL,
        slot TEXT NOT NULL,
        masked_name TEXT,
        imported_at TEXT NOT NULL
    );
    CREATE INDEX bookings_office_day ON bookings(office, day);
    CREATE TABLE booking_checkins(
        event_id TEXT PRIMARY KEY,
        office TEXT,
        code TEXT NOT NULL,
        day TEXT NOT NULL,
        kiosk_id TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        number TEXT NOT NULL,
        slot TEXT,
        checked_in_at TEXT NOT NULL,
        unverified INTEGER NOT NULL,
        ahead INTEGER NOT NULL DEFAULT 0,
        received_at TEXT NOT NULL
    );
    CREATE INDEX booking_checkins_office_day ON booking_checkins(office, day, code);
    CREATE INDEX booking_checkins_ticket ON booking_checkins(ticket_id);
    """,
    # 7: staff who log in to the counter and report pages (central/staff.py): users with a
    # scrypt password hash, server-side sessions (the cookie holds a secret, the row its hash),
    # login failures for throttling, the audit of every state change, the counters per office.
    """
    CREATE TABLE staff_users(
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('counter', 'supervisor')),
        office TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        password_changed_at TEXT NOT NULL,
        disabled_at TEXT
    );
    CREATE TABLE staff_sessions(
        session_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        csrf TEXT NOT NULL,
        counter TEXT,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX staff_sessions_user ON staff_sessions(username);
    CREATE TABLE staff_login_failures(
        subject TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        first_at TEXT NOT NULL,
        locked_until TEXT
    );
    CREATE TABLE staff_audit(
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        office TEXT,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT
    );
    CREATE INDEX staff_audit_office ON staff_audit(office, at);
    CREATE TABLE office_counters(
        office TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (office, name)
    );
    """,
    # 8: the counter actions beyond call-next (central/counter_queue.py): the service queue a
    # transferred ticket waits in now, its first call (waiting time), how it ended (served or
    # skipped), and every call and recall in order (what a lobby display announces).
    """
    ALTER TABLE tickets ADD COLUMN queue_prefix TEXT;
    ALTER TABLE tickets ADD COLUMN first_called_at TEXT;
    ALTER TABLE tickets ADD COLUMN outcome TEXT;
    ALTER TABLE tickets ADD COLUMN recalls INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE counter_calls(
        id INTEGER PRIMARY KEY,
        office TEXT NOT NULL,
        counter TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        number TEXT NOT NULL,
        action TEXT NOT NULL,
        at TEXT NOT NULL,
        actor TEXT NOT NULL
    );
    CREATE INDEX counter_calls_office ON counter_calls(office, id);
    """,
    # 9: commands for a kiosk (central/kiosk_commands.py): lock or unlock, picked up by the
    # kiosk's agent on its next pull and confirmed by its next heartbeat.
    """
    CREATE TABLE kiosk_commands(
        id INTEGER PRIMARY KEY,
        kiosk_id TEXT NOT NULL,
        office TEXT,
        action TEXT NOT NULL CHECK (action IN ('lock', 'unlock')),
        reason TEXT NOT NULL DEFAULT '',
        requested_by TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        fetched_at TEXT,
        applied_at TEXT,
        confirmed_at TEXT
    );
    CREATE INDEX kiosk_commands_kiosk ON kiosk_commands(kiosk_id, id);
    """,
    # 10: the pulled ticket logs (central/logpull.py; created by that module until now) live in the
    # schema like every other table, and a `log` token may read this server's ticket log
    # (GET /api/v1/tickets: the national server pulls the office servers' logs).
    """
    CREATE TABLE IF NOT EXISTS log_sources(
        kiosk_id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        token TEXT NOT NULL,
        cursor INTEGER NOT NULL DEFAULT 0,
        records INTEGER NOT NULL DEFAULT 0,
        last_pull_at TEXT,
        last_ok_at TEXT,
        last_error TEXT
    );
    CREATE TABLE IF NOT EXISTS kiosk_log(
        kiosk_id TEXT NOT NULL,
        cursor INTEGER NOT NULL,
        ticket_id TEXT NOT NULL,
        record TEXT NOT NULL,
        pulled_at TEXT NOT NULL,
        PRIMARY KEY (kiosk_id, cursor)
    );
    CREATE TABLE tokens_v4(
        token_id TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('kiosk', 'counter', 'log')),
        subject TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT,
        office TEXT,
        refused INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO tokens_v4(token_id, role, subject, secret_hash, created_at, revoked_at, office, refused)
        SELECT token_id, role, subject, secret_hash, created_at, revoked_at, office, refused FROM tokens;
    DROP TABLE tokens;
    ALTER TABLE tokens_v4 RENAME TO tokens;
    """,
]

# The ticket as its latest event carried it (`payload`, decoded by _ticket_dict), with the server's own columns.
TICKETS = "SELECT t.*, e.payload FROM tickets t JOIN events e ON e.event_id = t.event_id"


@dataclass(frozen=True)
class TokenRow:
    token_id: str
    role: str
    subject: str
    secret_hash: str
    created_at: str
    revoked_at: str | None
    office: str | None = None
    refused: int = 0


@dataclass(frozen=True)
class Catalogue:
    office: str
    body: bytes
    etag: str
    updated_at: str


class CentralDB:
    """`url`: a SQLite path (or sqlite:///path) or a postgresql:// URL (central/dialect.py)."""

    def __init__(self, url: str | Path):
        self.url = str(url)
        self.engine = dialect.open_engine(self.url)
        self.path = self.engine.describe()  # for messages: the file, or the URL without its password
        self.sqlite_file = self.engine.path if self.engine.name == "sqlite" else None
        if self.sqlite_file not in (None, ":memory:") and not os.path.exists(self.sqlite_file):
            # It holds every token hash and the kiosks' log tokens in plain text: 0600 from the
            # first byte, whatever the umask (SQLite gives -wal and -shm the same mode).
            os.close(os.open(self.sqlite_file, os.O_WRONLY | os.O_CREAT, 0o600))
        self._local = threading.local()
        self._all: list[Connection] = []
        self._lock = threading.Lock()
        self._migrate(self.conn())

    def readable_by_others(self) -> str | None:
        """The database's (or its WAL's) mode if group or others may read it, else None.

        On PostgreSQL the server's own access rules apply (pg_hba.conf, roles): nothing to check."""
        if self.sqlite_file is None:
            return None
        for suffix in ("", "-wal", "-shm"):
            try:
                mode = stat.S_IMODE(os.stat(self.sqlite_file + suffix).st_mode)
            except OSError:
                continue
            if mode & 0o077:
                return f"{self.sqlite_file + suffix} is mode {mode:04o}"
        return None

    def conn(self) -> Connection:
        """This thread's connection (a lost PostgreSQL connection is replaced on the next call)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self.engine.broken(conn):
            self._forget(conn)
            conn = None
        if conn is None:
            conn = self.engine.connect()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _forget(self, conn: Connection) -> None:
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - a broken connection may refuse even to close
            pass
        self._local.conn = None

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    @contextmanager
    def write(self):
        """One transaction: committed when the block ends, rolled back if it raises."""
        conn = self.conn()
        self.engine.begin(conn)
        try:
            yield conn
        except BaseException:
            try:
                self.engine.rollback(conn)
            except dialect.DatabaseError:  # the connection is gone, and the transaction with it
                self._forget(conn)
            raise
        try:
            self.engine.commit(conn)
        except dialect.DatabaseError:
            if self.engine.broken(conn):
                self._forget(conn)
            raise

    def lock(self, conn: Connection, key: str) -> None:
        """Inside `write()`: transactions taking the same key run one after the other."""
        self.engine.lock(conn, key)

    def schema_version(self) -> int:
        return self.engine.schema_version(self.conn())

    def _migrate(self, conn: Connection) -> None:
        try:
            self.engine.migrate(conn, MIGRATIONS)
        except SchemaTooNew as e:
            raise RuntimeError(f"{self.path}: database schema version {e.found} is newer than this "
                               f"kiosk-central ({e.known}); upgrade kiosk-central") from None

    # tokens and kiosks

    def add_token(self, token_id: str, role: str, subject: str, secret_hash: str, office: str | None) -> None:
        now = utc_now_iso()
        with self.write() as conn:
            conn.execute(
                "INSERT INTO tokens(token_id, role, subject, secret_hash, created_at, office) VALUES (?,?,?,?,?,?)",
                (token_id, role, subject, secret_hash, now, office),
            )
            if role == "kiosk":
                conn.execute(
                    "INSERT INTO kiosks(kiosk_id, office_fixed, office, created_at) VALUES (?,?,?,?) "
                    "ON CONFLICT(kiosk_id) DO UPDATE SET "
                    "office_fixed = coalesce(excluded.office_fixed, kiosks.office_fixed), "
                    "office = coalesce(excluded.office_fixed, kiosks.office)",
                    (subject, office, office, now),
                )

    def token(self, token_id: str) -> TokenRow | None:
        row = self.conn().execute("SELECT * FROM tokens WHERE token_id = ?", (token_id,)).fetchone()
        return TokenRow(**dict(row)) if row else None

    def tokens(self) -> list[TokenRow]:
        rows = self.conn().execute("SELECT * FROM tokens ORDER BY created_at, token_id").fetchall()
        return [TokenRow(**dict(r)) for r in rows]

    def count_refused(self, token_id: str, n: int) -> None:
        with self.write() as conn:
            conn.execute("UPDATE tokens SET refused = refused + ? WHERE token_id = ?", (n, token_id))

    def revoke_token(self, token_id: str) -> bool:
        with self.write() as conn:
            cur = conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                (utc_now_iso(), token_id),
            )
            return cur.rowcount == 1

    def kiosk(self, kiosk_id: str) -> dict | None:
        row = self.conn().execute("SELECT * FROM kiosks WHERE kiosk_id = ?", (kiosk_id,)).fetchone()
        return _kiosk_dict(row) if row else None

    def kiosks(self) -> list[dict]:
        return [_kiosk_dict(r) for r in self.conn().execute("SELECT * FROM kiosks ORDER BY kiosk_id")]

    def _touch_kiosk(self, conn, kiosk_id: str, office: str | None, now: str) -> str | None:
        """Record that the kiosk was seen; return its effective office.

        An office bound by the token wins; a kiosk without one keeps the first office it reported
        (the API refuses a different one), so no request body moves a kiosk between offices.
        """
        conn.execute(
            "UPDATE kiosks SET last_seen_at = ?, office = coalesce(office_fixed, office, ?) WHERE kiosk_id = ?",
            (now, office, kiosk_id),
        )
        row = conn.execute("SELECT office FROM kiosks WHERE kiosk_id = ?", (kiosk_id,)).fetchone()
        return row["office"] if row else office

    def record_heartbeat(self, kiosk_id: str, office: str | None, body: dict) -> None:
        now = utc_now_iso()
        with self.write() as conn:
            self._touch_kiosk(conn, kiosk_id, office, now)
            conn.execute(
                "UPDATE kiosks SET last_heartbeat_at = ?, last_heartbeat = ? WHERE kiosk_id = ?",
                (now, json.dumps(body, separators=(",", ":")), kiosk_id),
            )

    # events and tickets

    def ingest(self, kiosk_id: str, office: str | None, events: list,
               texts: list[str] | None = None) -> tuple[list[str], list[dict]]:
        """Store a batch in order, each event at most once.

        `texts`: each event's JSON text as received (protocol.loads_keeping_texts), stored as it
        is instead of encoding the event again; without them each event is encoded.

        An event id already held for this kiosk counts as accepted: that is what makes a retried
        batch safe. After the first rejection the rest of the batch is left unapplied (and marked
        retryable) so the server never holds a kiosk's events out of order. Seqs need not be
        contiguous: an event the kiosk quarantined is skipped and may arrive later (docs/sync.md).

        A ticket belongs to the kiosk whose event created it, in the office of that kiosk: an event
        for another kiosk's ticket, or naming another office, is refused for good (reasons
        `not_owner`, `office_mismatch`) and changes nothing.
        """
        accepted: list[str] = []
        rejected: list[dict] = []
        new_events: list[tuple] = []
        new_tickets: list[tuple] = []
        now = utc_now_iso()
        ids = [e["event_id"] for e in events if isinstance(e, dict) and _storable(e.get("event_id"))]
        with self.write() as conn:
            # One kiosk's batches one at a time, whichever server process they reach: a retry
            # racing its first attempt finds the events the first one stored (PostgreSQL; SQLite's
            # write lock already does this).
            self.lock(conn, "kiosk:" + kiosk_id)
            office = self._touch_kiosk(conn, kiosk_id, office, now)
            held = self._kiosk_of(conn, "events", "event_id", ids)  # which kiosk already holds each event
            owners = self._kiosk_of(conn, "tickets", "id", [  # which kiosk created each ticket
                e["ticket"]["id"] for e in events
                if isinstance(e, dict) and isinstance(e.get("ticket"), dict) and _storable(e["ticket"].get("id"))
            ])
            blocked = False
            for index, event in enumerate(events):
                event_id = event.get("event_id") if isinstance(event, dict) else None
                event_id = event_id if isinstance(event_id, str) else None
                if blocked:
                    rejected.append(_rejection(event_id, "not_applied", True, "an earlier event in this batch was rejected"))
                    continue
                problem = event_problem(event, kiosk_id)
                if problem is None and event_id in held:
                    if held[event_id] == kiosk_id:
                        accepted.append(event_id)
                        continue
                    problem = "event_id already used by another kiosk"
                reason = "invalid"
                if problem is None:
                    reason, problem = self._tenancy_problem(event, kiosk_id, office, owners)
                if problem is not None:
                    rejected.append(_rejection(event_id, reason, False, problem))
                    blocked = True
                    continue
                held[event_id] = kiosk_id
                if isinstance(event.get("ticket"), dict):
                    owners.setdefault(event["ticket"]["id"], kiosk_id)
                text = texts[index] if texts is not None else _compact(event)
                self._rows(kiosk_id, office, event, text, now, new_events, new_tickets)
                accepted.append(event_id)
            stored = conn.executemany(
                "INSERT INTO events(event_id, kiosk_id, seq, kind, ticket_id, created_at, received_at, payload) "
                "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (event_id) DO NOTHING",
                new_events,
            )
            if stored is not None and stored.rowcount != len(new_events):
                # Another kiosk stored one of these event ids since we looked (their locks differ):
                # nothing of this batch is kept, and the retry sees who holds it.
                raise Busy("an event id of this batch was stored by another kiosk meanwhile; retry")
            # A ticket shows its kiosk's newest event by outbox seq, not the last to arrive: a
            # quarantined event released later (docs/sync.md) must not roll a ticket back.
            conn.executemany(
                "INSERT INTO tickets(id, kiosk_id, office, number, service, prefix, seq, priority, service_day, "
                "issued_at, print_state, event_id, received_at, token) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET print_state = excluded.print_state, event_id = excluded.event_id "
                "WHERE tickets.kiosk_id = excluded.kiosk_id AND NOT coalesce("
                "(SELECT seq FROM events WHERE event_id = excluded.event_id) "
                "< (SELECT seq FROM events WHERE event_id = tickets.event_id), FALSE)",
                new_tickets,
            )
        return accepted, rejected

    @staticmethod
    def _kiosk_of(conn, table: str, key: str, ids: list[str]) -> dict[str, str]:
        """The kiosk_id of each row of `table` (events or tickets) whose `key` is in `ids`, one query per 500."""
        found = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(f"SELECT {key}, kiosk_id FROM {table} WHERE {key} IN ({marks})", chunk):
                found[row[key]] = row["kiosk_id"]
        return found

    @staticmethod
    def _tenancy_problem(event: dict, kiosk_id: str, office: str | None, owners: dict) -> tuple[str, str | None]:
        ticket = event.get("ticket")
        if not isinstance(ticket, dict):
            return "invalid", None
        owner = owners.get(ticket["id"])
        if owner is not None and owner != kiosk_id:
            return "not_owner", f"ticket {ticket['id']} belongs to another kiosk"
        if ticket.get("kiosk_id") not in (None, kiosk_id):
            return "not_owner", f"ticket.kiosk_id must be the authenticated kiosk ({kiosk_id})"
        if ticket.get("office") is not None and office is not None and ticket["office"] != office:
            return "office_mismatch", f"kiosk {kiosk_id} files tickets in office {office}, not {ticket['office']}"
        return "invalid", None

    @staticmethod
    def _rows(kiosk_id: str, office: str | None, event: dict, text: str, now: str, events: list,
              tickets: list) -> None:
        ticket = event.get("ticket") if isinstance(event.get("ticket"), dict) else None
        events.append((
            event["event_id"], kiosk_id, event.get("seq"), event["kind"],
            ticket["id"] if ticket else None, event["created_at"], now, text,
        ))
        if ticket is not None:
            tickets.append((
                ticket["id"], kiosk_id, office, ticket["number"], ticket.get("service"),
                ticket["prefix"], ticket.get("seq"), int(bool(ticket.get("priority"))), ticket["service_day"],
                ticket.get("issued_at"), ticket.get("print_state"),
                event["event_id"], now, ticket_token(ticket),
            ))

    def events(self, kiosk_id: str | None = None) -> list[dict]:
        sql = "SELECT * FROM events" + (" WHERE kiosk_id = ?" if kiosk_id else "") + " ORDER BY rowid"
        rows = self.conn().execute(sql, (kiosk_id,) if kiosk_id else ())
        return [dict(r) for r in rows]

    def iter_tickets(self, office: str | None = None, kiosk_id: str | None = None, batch: int = 500):
        """Tickets in the order the server received them, in constant memory."""
        where, args = [], []
        if office:
            where.append("t.office = ?")
            args.append(office)
        if kiosk_id:
            where.append("t.kiosk_id = ?")
            args.append(kiosk_id)
        clause = (" AND " + " AND ".join(where)) if where else ""
        after = 0
        while True:
            rows = self.conn().execute(
                f"{TICKETS} WHERE t.cursor > ?{clause} ORDER BY t.cursor LIMIT ?", (after, *args, batch)
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _ticket_dict(row)
            after = rows[-1]["cursor"]

    def ticket_log(self, after: int, limit: int, office: str | None = None) -> list[dict]:
        """One page of the ticket log after a cursor (GET /api/v1/tickets): the export's records,
        `cursor` this server's (the kiosk's own is kept as `central.kiosk_cursor`)."""
        clause, args = (" AND t.office = ?", (office,)) if office else ("", ())
        rows = self.conn().execute(f"{TICKETS} WHERE t.cursor > ?{clause} ORDER BY t.cursor LIMIT ?",
                                   (after, *args, limit)).fetchall()
        out = []
        for row in rows:
            record = _ticket_dict(row)
            record["central"]["kiosk_cursor"] = record.get("cursor")
            record["cursor"] = row["cursor"]
            out.append(record)
        return out

    # queue

    def current_service_day(self, office: str) -> str | None:
        row = self.conn().execute("SELECT max(service_day) FROM tickets WHERE office = ?", (office,)).fetchone()
        return row[0]

    def set_catalogue(self, office: str, body: bytes) -> str:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        with self.write() as conn:
            conn.execute(
                "INSERT INTO catalogues(office, body, etag, updated_at) VALUES (?,?,?,?) "
                "ON CONFLICT(office) DO UPDATE SET body = excluded.body, etag = excluded.etag, "
                "updated_at = excluded.updated_at",
                (office, body, etag, utc_now_iso()),
            )
        return etag

    def catalogue(self, office: str) -> Catalogue | None:
        row = self.conn().execute("SELECT * FROM catalogues WHERE office = ?", (office,)).fetchone()
        return Catalogue(row["office"], bytes(row["body"]), row["etag"], row["updated_at"]) if row else None


def _storable(value) -> bool:
    """A string both engines can look up (PostgreSQL's text holds no NUL; protocol refuses it too)."""
    return isinstance(value, str) and "\x00" not in value


def _rejection(event_id: str | None, reason: str, retry: bool, detail: str) -> dict:
    return {"event_id": event_id, "reason": reason, "retry": retry, "detail": detail}


def _seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def _ticket_dict(row) -> dict:
    record = json.loads(row["payload"])["ticket"]
    record["central"] = {
        "kiosk_id": row["kiosk_id"],
        "office": row["office"],
        "received_at": row["received_at"],
        "called_at": row["called_at"],
        "counter": row["counter"],
        "done_at": row["done_at"],
    }
    return record


def _kiosk_dict(row) -> dict:
    out = dict(row)
    out["last_heartbeat"] = json.loads(out["last_heartbeat"]) if out["last_heartbeat"] else None
    return out
