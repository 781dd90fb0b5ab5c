"""`kiosk day reset --to DAY` after a clock that ran ahead: guarded by the tickets on later days,
recorded as a kiosk.day_reset outbox event that the real central server accepts and keeps."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid

from kiosk.state_keys import SERVICE_DAY
from kiosk.store import Store, Ticket

AHEAD = "2031-05-06"  # where a clock set years ahead left the numbering


def kiosk(config_path, *argv, timeout=60):
    return subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config_path), *argv],
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, "SUDO_USER": "teknisi"})


def issue_on(store: Store, day: str, n: int, kiosk_id: str = "test-kiosk") -> None:
    with store.transaction():
        for i in range(1, n + 1):
            store.insert_ticket(Ticket(
                id=str(uuid.uuid4()), kiosk_id=kiosk_id, number=f"A{i:03d}", service="paspor-baru", prefix="A",
                seq=i, priority=None, service_day=day, issued_at=f"{day}T08:00:00+07:00", mono_ns=i,
                boot_id="b", clock_trusted=False))
            store.set_last_seq(day, "A", i)
        store.set_state(SERVICE_DAY, day)


def resets(store: Store) -> list[dict]:
    return [e.payload for e in store.pending_events(1000) if e.kind == "kiosk.day_reset"]


def test_refused_while_later_tickets_exist_then_forced_and_delivered(rig, central_db):
    issue_on(rig.store, AHEAD, 3)
    refused = kiosk(rig.config_path, "day", "reset", "--to", "2026-11-27")
    assert refused.returncode == 1
    assert "refused: 3 ticket(s) exist on service days after 2026-11-27 (2031-05-06)" in refused.stderr
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert rig.store.get_state(SERVICE_DAY) == AHEAD and resets(rig.store) == []

    forced = kiosk(rig.config_path, "day", "reset", "--to", "2026-11-27", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "Service day reset from 2031-05-06 to 2026-11-27 by teknisi (3 ticket(s) on later days kept, --force)" \
        in forced.stdout
    assert rig.store.get_state(SERVICE_DAY) == "2026-11-27"
    (event,) = resets(rig.store)
    assert event["day_reset"] == {"from": AHEAD, "to": "2026-11-27", "by": "teknisi", "tickets_after": 3, "forced": True}

    synced = kiosk(rig.config_path, "sync", "now")
    assert synced.returncode == 0, synced.stderr
    held = [e for e in central_db.events("test-kiosk") if e["kind"] == "kiosk.day_reset"]
    assert len(held) == 1 and held[0]["ticket_id"] is None
    assert json.loads(held[0]["payload"])["day_reset"]["from"] == AHEAD
    assert rig.store.outbox_stats().depth == 0


def test_a_new_database_stuck_ahead_without_tickets_resets_without_force(rig):
    rig.store.set_state(SERVICE_DAY, AHEAD)
    r = kiosk(rig.config_path, "day", "reset", "--to", "2026-11-27", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["from"] == AHEAD and out["to"] == "2026-11-27" and out["tickets_after"] == 0 and not out["forced"]
    # the real clock (today, trusted or within the allowed jump) now decides again, not 2031
    assert out["service_day_now"] < AHEAD
    again = kiosk(rig.config_path, "day", "reset", "--to", "2026-11-27")
    assert again.returncode == 0 and "already 2026-11-27: nothing changed" in again.stdout
    assert len(resets(rig.store)) == 1


def test_a_bad_day_is_a_usage_error(rig):
    r = kiosk(rig.config_path, "day", "reset", "--to", "27-11-2026")
    assert r.returncode == 2 and "--to '27-11-2026': expected a date YYYY-MM-DD" in r.stderr


def test_a_version_1_database_keeps_its_outbox_through_the_migration(tmp_path):
    from kiosk.store.schema import MIGRATIONS

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    conn.execute("INSERT INTO tickets (id, kiosk_id, number, service, prefix, seq, service_day, issued_at, mono_ns, "
                 "boot_id, clock_trusted) VALUES ('t1', 'k', 'A001', 's', 'A', 1, '2026-11-27', 'x', 1, 'b', 1)")
    conn.execute("INSERT INTO outbox (event_id, kind, ticket_id, payload, created_at) "
                 "VALUES ('e1', 'ticket.issued', 't1', '{}', 'x')")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert [e.event_id for e in store.pending_events(10)] == ["e1"]
        with store.transaction():
            store.add_kiosk_event("kiosk.day_reset", "k", {"to": "2026-11-27"}, "x")
        assert [e.seq for e in store.pending_events(10)] == [1, 2]
