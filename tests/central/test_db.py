"""Central storage details that the API tests do not reach."""

import json

import central.db as cdb


def test_a_version_1_database_is_migrated_and_its_tickets_stay_readable(tmp_path, monkeypatch):
    path = tmp_path / "c.db"
    monkeypatch.setattr(cdb, "MIGRATIONS", cdb.MIGRATIONS[:1])
    old = cdb.CentralDB(path)
    conn = old.conn()
    conn.execute("INSERT INTO events(event_id, kiosk_id, seq, kind, ticket_id, created_at, received_at, payload) "
                 "VALUES ('e1', 'K1', 1, 'ticket.issued', 't1', 'c', 'r', ?)",
                 (json.dumps({"ticket": {"id": "t1", "number": "A001", "print_state": "pending"}}),))
    conn.execute("INSERT INTO tickets(id, kiosk_id, office, number, prefix, service_day, record, received_at) "
                 "VALUES ('t1', 'K1', 'BLITAR', 'A001', 'A', '2026-11-27', '{}', 'r')")
    old.close()
    monkeypatch.undo()

    db = cdb.CentralDB(path)
    assert db.conn().execute("PRAGMA user_version").fetchone()[0] == len(cdb.MIGRATIONS)
    (ticket,) = db.iter_tickets()
    assert ticket["number"] == "A001" and ticket["print_state"] == "pending"
    assert ticket["central"]["office"] == "BLITAR"
    db.close()


def test_a_newer_database_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "c.db"
    cdb.CentralDB(path).close()
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    try:
        cdb.CentralDB(path)
    except RuntimeError as err:
        assert "newer than this kiosk-central" in str(err)
    else:
        raise AssertionError("opened a database from the future")
