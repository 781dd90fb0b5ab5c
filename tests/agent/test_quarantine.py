"""The poisoned-event hole, closed: an event the real central server refuses for good is
quarantined after `central.quarantine_after_rejections` refusals, kept, and shown; the events
after it flow; a technician releases it with the real CLI and the server then holds every event
exactly once, each ticket in its newest state.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from agent.conftest import KIOSK_ID, OFFICE, KioskRig
from support.poison import Poisoner

from central.app import create_app
from central.auth import issue_token
from central.server import ServerThread
from kiosk.agent.push import QUARANTINE_STREAK_MAX
from kiosk.printing import TicketPrinting
from kiosk.store import Store
from kiosk.store.schema import MIGRATIONS

REPO = Path(__file__).resolve().parents[2]
QUARANTINE_AFTER = 3


def run(*argv, timeout=60):
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ})


def kiosk(rig: KioskRig, *argv, timeout=60):
    return run("-m", "kiosk", "--config", str(rig.config_path), *argv, timeout=timeout)


@pytest.fixture
def server(central_db):
    """The real central server with a Poisoner in front of its app."""
    app = create_app(central_db)
    poison = Poisoner(app.wsgi_app)
    app.wsgi_app = poison
    with ServerThread(app) as srv:
        srv.poison = poison
        yield srv


@pytest.fixture
def qrig(tmp_path, server, kiosk_token):
    rig = KioskRig(tmp_path / "etc", server.url, kiosk_token,
                   central_extra=f"quarantine_after_rejections = {QUARANTINE_AFTER}")
    yield rig
    rig.close()


def outbox(rig: KioskRig) -> list[dict]:
    rows = rig.store.conn.execute("SELECT seq, event_id, kind, ticket_id, delivered_at, quarantined_at, rejections "
                                  "FROM outbox ORDER BY seq")
    return [dict(r) for r in rows]


def held_ids(central_db) -> list[str]:
    return [e["event_id"] for e in central_db.events(KIOSK_ID)]


def settle(rig: KioskRig, quarantined: int, timeout: float = 20.0) -> None:
    """Wait until nothing is left to send and `quarantined` events are set aside."""
    rig.wait_until(lambda: rig.store.outbox_stats().depth == 0 and rig.store.quarantine_count() == quarantined,
                   timeout, f"an empty outbox with {quarantined} quarantined")


def test_a_refused_event_is_quarantined_and_the_events_after_it_flow(qrig, server, central_db, caplog):
    qrig.issue(6)
    ids = qrig.outbox_ids()
    server.poison.add(ids[2])
    caplog.set_level(logging.ERROR, logger="kiosk.agent.push")
    qrig.start_agent()
    settle(qrig, 1)
    qrig.stop_agent()

    assert held_ids(central_db) == ids[:2] + ids[3:], "every other event exactly once, in outbox order"
    (row,) = [r for r in outbox(qrig) if r["quarantined_at"]]
    assert row["event_id"] == ids[2] and row["delivered_at"] is None, "kept, never dropped"
    assert row["rejections"] == QUARANTINE_AFTER == server.poison.refusals[ids[2]]
    stats = qrig.store.outbox_stats()
    assert (stats.depth, stats.quarantined, stats.delivered) == (0, 1, 5)
    (event,) = qrig.store.quarantined_events()
    assert "ticket.prefix must be 1-8 letters A-Z" in event.last_error
    assert any("quarantined event " + ids[2] in r.getMessage() for r in caplog.records)
    # Later events keep flowing past it.
    qrig.issue(2)
    qrig.start_agent()
    settle(qrig, 1)
    assert held_ids(central_db) == ids[:2] + ids[3:] + qrig.outbox_ids()[6:]


def test_a_later_event_of_the_same_ticket_flows_and_the_release_does_not_roll_the_ticket_back(
        qrig, server, central_db):
    first = qrig.issuer.issue("A")
    (issued_event,) = qrig.store.events_for(first.id)
    server.poison.add(issued_event.event_id)
    printing = TicketPrinting(qrig.config)
    try:
        assert printing.print_ticket(qrig.store, first).ok
    finally:
        printing.close()
    qrig.start_agent()
    settle(qrig, 1)
    qrig.stop_agent()
    # The printed event of the same ticket was delivered: the applicant's ticket is in the queue.
    on_server = {t["id"]: t for t in central_db.iter_tickets(kiosk_id=KIOSK_ID)}
    assert on_server[first.id]["print_state"] == "printed"

    # The server is fixed; the technician releases the quarantined issue event.
    server.poison.clear()
    proc = kiosk(qrig, "sync", "quarantine", "retry", str(issued_event.seq))
    assert proc.returncode == 0, proc.stderr
    assert "released 1 event(s)" in proc.stdout and issued_event.event_id in proc.stdout
    proc = kiosk(qrig, "sync", "now", "--push-only")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    held = held_ids(central_db)
    assert sorted(held) == sorted(qrig.outbox_ids()) and len(held) == len(set(held)), "all, exactly once"
    assert held[-1] == issued_event.event_id, "the released event arrived last"
    on_server = {t["id"]: t for t in central_db.iter_tickets(kiosk_id=KIOSK_ID)}
    assert on_server[first.id]["print_state"] == "printed", "an older event arriving late must not roll it back"
    assert on_server[first.id]["print_state"] == qrig.store.ticket(first.id).print_state


def test_a_refused_batch_is_retried_event_by_event_so_only_the_bad_one_is_quarantined(qrig, server, central_db):
    qrig.issue(7)
    ids = qrig.outbox_ids()
    server.poison.add(ids[4], whole=True)  # 422 for any request carrying it
    qrig.start_agent()
    settle(qrig, 1)
    qrig.stop_agent()
    assert held_ids(central_db) == ids[:4] + ids[5:]
    (event,) = qrig.store.quarantined_events()
    assert event.event_id == ids[4] and "HTTP 422" in event.last_error
    # Found by halving (7 -> 4 accepted -> 2 refused -> 1 refused); after that a refused batch
    # tries the already refused event alone at once; then the rest goes in one batch.
    assert server.poison.batches == 4 + 2 * (QUARANTINE_AFTER - 1) + 1


def test_a_server_answering_404_to_everything_quarantines_nothing(tmp_path, kiosk_token, central_db):
    def not_here(environ, start_response):
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"error": "not_found", "message": "no such route"}']

    with ServerThread(not_here) as srv:
        rig = KioskRig(tmp_path / "etc", srv.url, kiosk_token, central_extra="quarantine_after_rejections = 1")
        try:
            rig.issue(3)
            for _ in range(4):
                report = rig.agent().sync_once(pull=False)
                assert report.error and "HTTP 404" in report.error
            assert rig.store.quarantine_count() == 0 and rig.store.outbox_stats().depth == 3
        finally:
            rig.close()


def test_a_server_refusing_every_event_gets_a_few_quarantined_then_the_outbox_holds(qrig, server, central_db,
                                                                                     caplog):
    """A misprovisioned kiosk (the server refuses all it sends) must not empty its outbox into the
    quarantine: after QUARANTINE_STREAK_MAX in a row the next event is held and retried."""
    caplog.set_level(logging.ERROR, logger="kiosk.agent.push")
    qrig.issue(QUARANTINE_STREAK_MAX + 4)
    server.poison.rule = lambda event: True
    qrig.start_agent()
    qrig.wait_until(lambda: qrig.store.quarantine_count() == QUARANTINE_STREAK_MAX, 30, "the streak limit")
    qrig.wait_until(lambda: any("the server refuses this kiosk" in r.getMessage() for r in caplog.records), 10,
                    "the hold to be logged")
    assert qrig.store.quarantine_count() == QUARANTINE_STREAK_MAX
    assert qrig.store.outbox_stats().depth == 4 and held_ids(central_db) == []
    # The configuration is fixed on the server: the held events flow by themselves ...
    server.poison.clear()
    settle(qrig, QUARANTINE_STREAK_MAX)
    qrig.stop_agent()
    assert held_ids(central_db) == qrig.outbox_ids()[QUARANTINE_STREAK_MAX:]
    # ... and one command sends the quarantined ones.
    proc = kiosk(qrig, "sync", "quarantine", "retry", "--all", "--json")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["released"]) == QUARANTINE_STREAK_MAX
    qrig.start_agent()
    settle(qrig, 0)
    held = held_ids(central_db)
    assert sorted(held) == sorted(qrig.outbox_ids()) and len(set(held)) == len(held)


def test_the_technician_sees_it_everywhere_and_acts_with_the_cli(qrig, server, central_db, kiosk_token):
    qrig.issue(4)
    ids = qrig.outbox_ids()
    server.poison.add(ids[1])
    qrig.start_agent()
    settle(qrig, 1)
    qrig.stop_agent()
    seq = outbox(qrig)[1]["seq"]

    # kiosk status, for people and for scripts
    proc = kiosk(qrig, "status")
    assert proc.returncode == 0, proc.stderr
    assert "Quarantine   1 event(s) refused for good" in proc.stdout
    assert "kiosk sync quarantine retry --all" in proc.stdout
    status = json.loads(kiosk(qrig, "status", "--json").stdout)
    assert status["outbox"]["quarantined"] == 1 and status["outbox"]["depth"] == 0
    assert status["quarantine"]["count"] == 1 and status["quarantine"]["events"][0]["event_id"] == ids[1]

    # the list, both ways
    proc = kiosk(qrig, "sync", "quarantine", "list")
    assert proc.returncode == 0 and ids[1] in proc.stdout and "ticket.prefix" in proc.stdout
    listed = json.loads(kiosk(qrig, "sync", "quarantine", "list", "--json").stdout)
    assert listed["count"] == 1
    (event,) = listed["events"]
    assert (event["seq"], event["event_id"], event["kind"], event["rejections"]) == (seq, ids[1], "ticket.issued",
                                                                                     QUARANTINE_AFTER)
    assert event["number"] == qrig.store.ticket(event["ticket_id"]).number

    # kiosk sync now says it is not all synced
    proc = kiosk(qrig, "sync", "now", "--push-only")
    assert proc.returncode == 1 and "1 quarantined" in proc.stdout
    assert "1 events quarantined" in proc.stderr and "Traceback" not in proc.stderr

    # kiosk doctor: FAIL with the fix
    proc = kiosk(qrig, "doctor", "--json", "--timeout", "2")
    (check,) = [c for c in json.loads(proc.stdout)["checks"] if c["name"] == "quarantine"]
    assert check["status"] == "FAIL" and f"seq {seq} ticket.issued" in check["detail"]
    assert "kiosk sync quarantine retry --all" in check["fix"]
    assert proc.returncode == 1

    # the heartbeat declares it; the central server stores it and lists the kiosk
    assert qrig.agent().heartbeat()
    beat = central_db.kiosk(KIOSK_ID)["last_heartbeat"]
    assert beat["quarantine"]["count"] == 1 and beat["quarantine"]["events"][0]["event_id"] == ids[1]
    assert beat["outbox"]["quarantined"] == 1
    counter = issue_token(central_db, "counter", "loket-1")
    r = requests.get(f"{server.url}/api/v1/offices/{OFFICE}/quarantine",
                     headers={"Authorization": f"Bearer {counter}"}, timeout=5)
    assert r.status_code == 200
    (listed_kiosk,) = r.json()["kiosks"]
    assert listed_kiosk["kiosk_id"] == KIOSK_ID and listed_kiosk["quarantined"] == 1
    assert listed_kiosk["events"][0]["event_id"] == ids[1]
    r = requests.get(f"{server.url}/api/v1/offices/{OFFICE}/quarantine",
                     headers={"Authorization": f"Bearer {kiosk_token}"}, timeout=5)
    assert r.status_code == 403
    db = ("--db", central_db.path)
    proc = run("-m", "central", "quarantine", *db)
    assert proc.returncode == 0 and f"{KIOSK_ID}  office {OFFICE}  1 quarantined event(s)" in proc.stdout
    assert ids[1] in proc.stdout
    assert "QUARANTINED 1" in run("-m", "central", "kiosks", *db).stdout

    # the technician's commands: wrong use is refused clearly, nothing released
    proc = kiosk(qrig, "sync", "quarantine", "retry")
    assert proc.returncode == 2 and "--all" in proc.stderr
    proc = kiosk(qrig, "sync", "quarantine", "retry", "999999", ids[0])
    assert proc.returncode == 1 and "not quarantined: 999999" in proc.stderr
    assert qrig.store.quarantine_count() == 1

    # fixed on the server, released by event id: delivered once, and every view clears
    server.poison.clear()
    proc = kiosk(qrig, "sync", "quarantine", "retry", ids[1])
    assert proc.returncode == 0, proc.stderr
    proc = kiosk(qrig, "sync", "now")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(held_ids(central_db)) == sorted(ids)
    assert "Quarantine   none" in kiosk(qrig, "status").stdout
    assert kiosk(qrig, "sync", "quarantine", "list").stdout.strip() == "no quarantined events"
    assert central_db.kiosk(KIOSK_ID)["last_heartbeat"]["quarantine"]["count"] == 0
    assert json.loads(run("-m", "central", "quarantine", "--json", *db).stdout) == {"office": None, "kiosks": []}
    proc = kiosk(qrig, "doctor", "--json", "--timeout", "2")
    (check,) = [c for c in json.loads(proc.stdout)["checks"] if c["name"] == "quarantine"]
    assert check["status"] == "OK"


def test_a_version_1_database_is_upgraded_with_its_outbox_intact(tmp_path):
    path = tmp_path / "kiosk.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("INSERT INTO tickets (id, kiosk_id, number, service, prefix, seq, service_day, issued_at, mono_ns, "
                 "boot_id, clock_trusted) VALUES ('t1', 'k', 'A001', 'a', 'A', 1, '2026-11-27', 'x', 0, 'b', 1)")
    conn.execute("INSERT INTO outbox (event_id, kind, ticket_id, payload, created_at, attempts, last_error) "
                 "VALUES ('e1', 'ticket.issued', 't1', '{}', '2026-11-27T05:00:00+00:00', 4, 'refused')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        (event,) = store.pending_events(10)
        assert (event.event_id, event.attempts, event.rejections, event.quarantined_at) == ("e1", 4, 0, None)
        assert store.outbox_stats().quarantined == 0
