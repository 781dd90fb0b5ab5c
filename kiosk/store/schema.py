"""Database schema, one migration per `PRAGMA user_version` step.

Append a new step for every change; never edit a step that has shipped.
"""

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
    # 2: outbox events about the kiosk itself (e.g. kiosk.day_reset) carry no ticket.
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
        delivered_at TEXT
    );
    INSERT INTO outbox_v2 (seq, event_id, kind, ticket_id, payload, created_at, attempts, last_error, delivered_at)
        SELECT seq, event_id, kind, ticket_id, payload, created_at, attempts, last_error, delivered_at FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_v2 RENAME TO outbox;
    CREATE INDEX outbox_pending ON outbox (seq) WHERE delivered_at IS NULL;
    """,
]
