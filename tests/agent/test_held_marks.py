"""Delivery marks wait in memory while the UI commits (kiosk/agent/marks.py): the agent writes
nothing to the kiosk's database while an applicant is being served, still sends every event once,
and records every delivery when the lobby pauses, when it stops, or when the marks are overdue."""

from __future__ import annotations

import itertools
import time

from agent.test_quarantine import qrig, server  # noqa: F401 - fixtures: the server with a Poisoner

from kiosk.agent import marks
from kiosk.store import Store


def delivered_in_db(store: Store) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT event_id FROM outbox WHERE delivered_at IS NOT NULL")}


def ui_agent(rig):
    """The agent on its own connection, as in its own process; rig.store is the UI's."""
    store = Store(rig.config.store.path)
    store.relax_durability()
    agent = rig.agent(store)
    agent.marks.ui_committed()  # the first look only learns the UI's version
    return agent


def test_while_the_ui_commits_a_drain_marks_nothing_and_sends_each_event_once(rig, central, central_db):
    agent = ui_agent(rig)
    rig.issue(60)  # the UI commits: the agent's next look notices it
    result = agent._drain()
    assert result.delivered == 60 and result.pending == 0
    assert len(central.recorder.seen("POST", "/events")) == 3, "three batches of 20, none sent twice"
    assert len(central_db.events("test-kiosk")) == 60
    assert delivered_in_db(rig.store) == set(), "no write to the database while the UI is busy"
    assert agent.marks.count == 60 and rig.store.outbox_stats().depth == 60
    assert agent.store.pending_wire(20, agent.marks.cursor) == [], "the next read starts after the held events"

    assert agent.push_step() > 0 and len(central.recorder.seen("POST", "/events")) == 3, "nothing to send"
    assert not agent.marks.due(), "the UI committed less than QUIET_S ago"
    time.sleep(marks.QUIET_S)
    assert agent.marks.due()
    statements = []
    agent.store.conn.set_trace_callback(statements.append)
    agent.tick()
    agent.store.conn.set_trace_callback(None)
    marks_at = [i for i, sql in enumerate(statements) if sql.startswith("UPDATE outbox SET delivered_at")]
    assert marks_at and "PRAGMA wal_checkpoint(PASSIVE)" in statements[marks_at[-1]:], \
        "the agent folds its marks back into the database while the lobby is quiet"
    assert delivered_in_db(rig.store) == {e["event_id"] for e in central_db.events("test-kiosk")}
    assert rig.store.outbox_stats().depth == 0 and agent.marks.count == 0 and agent.marks.cursor == 0
    assert rig.store.get_state("agent.last_sync")["delivered"] == 60, "the sync summary lands with the marks"
    stamps = [r[0] for r in rig.store.conn.execute("SELECT delivered_at FROM outbox")]
    assert all(s.endswith("Z") and len(s) == len("2026-11-29T06:00:00.000Z") for s in stamps), stamps
    agent.store.close()


def test_marks_held_too_long_are_written_though_the_ui_never_pauses(rig, central, central_db, monkeypatch):
    monkeypatch.setattr(marks, "HOLD_MAX_S", 0.3)
    monkeypatch.setattr(marks, "WRITE_CHUNK", 7)
    agent = ui_agent(rig)
    versions = itertools.count(1000)
    monkeypatch.setattr(agent.store, "data_version", lambda: next(versions))  # a commit before every look
    rig.issue(30)
    agent.push_step()
    assert agent.marks.count == 30 and not agent.marks.due()
    agent.marks.write()
    assert len(delivered_in_db(rig.store)) == 7, "not overdue: one chunk, then the UI's commit stops it"
    time.sleep(0.3)
    assert agent.marks.due(), "overdue: due whatever the UI does"
    agent.marks.write()
    assert len(delivered_in_db(rig.store)) == 30 and agent.marks.count == 0
    agent.store.close()


def test_a_long_drain_writes_its_marks_once_they_pass_held_max(rig, central, central_db, monkeypatch):
    monkeypatch.setattr(marks, "HELD_MAX", 40)
    agent = ui_agent(rig)
    rig.issue(100)  # five batches of 20, the UI busy all along
    agent._drain()
    assert len(central_db.events("test-kiosk")) == 100
    assert len(delivered_in_db(rig.store)) == 80, "written between batches at 40 and 80 held, the last 20 held"
    assert agent.marks.count == 20
    agent.store.close()


def test_a_clean_stop_records_every_delivery_the_server_confirmed(rig, central, central_db):
    rig.start_agent()
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:  # a busy lobby: the UI never pauses for QUIET_S
        rig.issue(1)
        time.sleep(0.05)
    rig.wait_until(lambda: len(central_db.events("test-kiosk")) >= 20, what="the server to hold 20 events")
    rig.stop_agent()
    on_server = {e["event_id"] for e in central_db.events("test-kiosk")}
    assert delivered_in_db(rig.store) == on_server, "held marks written on SIGTERM's way out"
    rig.start_agent()
    rig.wait_drained()
    rig.stop_agent()
    assert len(central_db.events("test-kiosk")) == rig.store.conn.execute("SELECT count(*) FROM outbox").fetchone()[0]


def test_a_refused_event_after_held_ones_writes_them_first(qrig, server, central_db):  # noqa: F811
    agent = ui_agent(qrig)
    qrig.issue(25)  # batches of 20: the second one holds the refused event
    ids = qrig.outbox_ids()
    server.poison.add(ids[22])
    result = agent._drain()
    assert result.delivered == 22
    assert delivered_in_db(qrig.store) == set(ids[:22]), \
        "the quarantine counts on delivery as the database says it: the held marks went first"
    assert agent.marks.count == 0 and agent.marks.cursor == 0
    server.poison.clear()
    assert agent.sync_once(pull=False).pending == 0
    assert len(central_db.events("test-kiosk")) == 25
    agent.store.close()


def test_with_the_server_down_a_failed_push_writes_nothing_until_the_lobby_is_quiet(rig, proxy, central_db):
    """Connection refused: the attempt count and the last error wait in memory like the marks
    (each backoff step of an outage used to be two writes meeting the applicants' issues)."""
    agent = ui_agent(rig)
    proxy.set_fault("refuse")
    rig.issue(5)
    before = rig.store.conn.execute("SELECT sum(attempts) FROM outbox").fetchone()[0]
    statements = []
    agent.store.conn.set_trace_callback(statements.append)
    agent.push_step()
    assert agent.push_backoff.failures == 1, "the push was tried and failed"
    agent.store.conn.set_trace_callback(None)
    writes = [s for s in statements if s.split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "BEGIN")]
    assert writes == [], "a failed push while the UI commits writes nothing"
    assert rig.store.conn.execute("SELECT sum(attempts) FROM outbox").fetchone()[0] == before
    assert rig.store.get_state("agent.last_error") is None
    assert agent.marks.held and agent.marks.cursor == 0 and agent.marks.count == 0, "nothing delivered"

    assert not agent.marks.due(), "the UI committed less than QUIET_S ago"
    time.sleep(marks.QUIET_S)
    assert agent.marks.due()
    agent.marks.write()
    rows = [tuple(r) for r in rig.store.conn.execute("SELECT attempts, last_error FROM outbox")]
    assert len(rows) == 5 and all(a == 1 and "refused" in (e or "").lower() for a, e in rows), rows
    error = rig.store.get_state("agent.last_error")
    assert error["during"] == "push" and error["kind"] == "network", error
    assert not agent.marks.held

    proxy.clear()
    agent.push_backoff.success()
    assert agent.sync_once(pull=False).pending == 0
    assert len(central_db.events("test-kiosk")) == 5
    agent.store.close()
