"""Database schema, one migration per `PRAGMA user_version` step.

Append a new step for every change; never edit a step that has shipped.
"""

# A ticket's print_state, as the CHECK constraint of migration 1 spells them (a test keeps the two
# in step): every module compares against these names, never against the bare strings.
PENDING = "pending"
PRINTED = "printed"
PRINT_FAILED = "print_failed"
PRINT_STATES = (PENDING, PRINTED, PRINT_FAILED)

MIGRATIONS: list[str] = [
    # 1: tickets, their outbox events, per-series counters and small JSON state.
    """
    CREATE TABLE tickets (
        cursor        INTEGER PRIMARY KEY AUTOINCREMENT,
        id            TEXT NOT NULL UNIQUE,
        kiosk_id      TEXT NOT NULL,
        number        TEXT NOT NULL,
        service       TEXT NOT NULL,
        prefix        TEXT NOT NULL,
        seq           INTEGER NOT NULL,
        priority      TEXT,
        service_day   TEXT NOT NULL,
        issued_at     TEXT NOT NULL,
        mono_ns       INTEGER NOT NULL,
        boot_id       TEXT NOT NULL,
        clock_trusted INTEGER NOT NULL,
        print_state   TEXT NOT NULL DEFAULT 'pending'
                      CHECK (print_state IN ('pending', 'printed', 'print_failed')),
        print_error   TEXT,
        printed_at    TEXT,
        reprints      INTEGER NOT NULL DEFAULT 0,
        UNIQUE (service_day, number)
    );
    CREATE INDEX tickets_day_service ON tickets (service_day, service, priority);
    CREATE TABLE outbox (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id     TEXT NOT NULL UNIQUE,
        kind         TEXT NOT NULL,
        ticket_id    TEXT NOT NULL REFERENCES tickets (id),
        payload      TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        delivered_at TEXT
    );
    CREATE INDEX outbox_pending ON outbox (seq) WHERE delivered_at IS NULL;
    CREATE TABLE counters (
        service_day TEXT NOT NULL,
        prefix      TEXT NOT NULL,
        last_seq    INTEGER NOT NULL,
        PRIMARY KEY (service_day, prefix)
    );
    CREATE TABLE state (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: quarantine (docs/sync.md): an event the server refused for good `rejections` times is set
    # aside (`quarantined_at`), kept undelivered, so the events after it can flow.
    """
    ALTER TABLE outbox ADD COLUMN rejections INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN quarantined_at TEXT;
    CREATE INDEX outbox_quarantined ON outbox (seq) WHERE quarantined_at IS NOT NULL AND delivered_at IS NULL;
    """,
    # 3: outbox events about the kiosk itself (e.g. kiosk.day_reset) carry no ticket.
    """
    CREATE TABLE outbox_v2 (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id     TEXT NOT NULL UNIQUE,
        kind         TEXT NOT NULL,
        ticket_id    TEXT REFERENCES tickets (id),
        payload      TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        delivered_at TEXT,
        rejections   INTEGER NOT NULL DEFAULT 0,
        quarantined_at TEXT
    );
    INSERT INTO outbox_v2 (seq, event_id, kind, ticket_id, payload, created_at, attempts, last_error, delivered_at,
                           rejections, quarantined_at)
        SELECT seq, event_id, kind, ticket_id, payload, created_at, attempts, last_error, delivered_at,
               rejections, quarantined_at FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_v2 RENAME TO outbox;
    CREATE INDEX outbox_pending ON outbox (seq) WHERE delivered_at IS NULL;
    CREATE INDEX outbox_quarantined ON outbox (seq) WHERE quarantined_at IS NOT NULL AND delivered_at IS NULL;
    """,
    # 4: each ticket's unguessable token, the key of its page on the central server (docs/central.md).
    """
    ALTER TABLE tickets ADD COLUMN token TEXT;
    """,
    # 5: M-Paspor check-in (kiosk/checkin). `bookings` is the office's pulled list, only what
    # check-in needs (no full name, no document numbers), replaced on each pull and purged after
    # its day. `checkins` holds this kiosk's check-ins (local = 1, at most one per booking and day:
    # the index is the last guard against a second number) and the other kiosks' pulled from the
    # central server (local = 0), so a code checked in next door is not checked in again here.
    """
    CREATE TABLE bookings (
        code        TEXT PRIMARY KEY,
        office      TEXT NOT NULL,
        day         TEXT NOT NULL,
        service     TEXT NOT NULL,
        slot        TEXT NOT NULL,
        masked_name TEXT
    );
    CREATE INDEX bookings_day ON bookings (day);
    CREATE TABLE checkins (
        ticket_id     TEXT PRIMARY KEY,
        code          TEXT NOT NULL,
        day           TEXT NOT NULL,
        kiosk_id      TEXT NOT NULL,
        number        TEXT NOT NULL,
        slot          TEXT,
        checked_in_at TEXT NOT NULL,
        unverified    INTEGER NOT NULL DEFAULT 0,
        local         INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX checkins_one_local ON checkins (code, day) WHERE local = 1;
    CREATE INDEX checkins_code ON checkins (code, day, checked_in_at);
    """,
]

# The schema version that added the quarantine's columns.
QUARANTINE_SCHEMA = 2
