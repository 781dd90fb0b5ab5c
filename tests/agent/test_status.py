"""Heartbeat contents, backlog levels and backoff arithmetic."""

from datetime import datetime, timedelta, timezone

from kiosk.agent import state
from kiosk.agent.backlog import backlog_level, backlog_summary
from kiosk.agent.backoff import Backoff, parse_retry_after
from kiosk.state_keys import PRINTER
from kiosk.store import OutboxStats

KIOSK_ID = "test-kiosk"
NOW = datetime(2026, 11, 27, 5, 0, tzinfo=timezone.utc)


def test_heartbeat_reports_what_staff_need(rig, central, central_db, proxy):
    rig.store.set_state(PRINTER, {"state": "paper_near_end", "detail": "roll nearly empty", "at": NOW.isoformat()})
    rig.issue(2)
    agent = rig.agent()
    assert agent.heartbeat() is True
    beat = central_db.kiosk(KIOSK_ID)["last_heartbeat"]
    assert beat["kiosk_id"] == KIOSK_ID and beat["office"] == "TEST" and beat["version"]
    assert beat["printer"]["state"] == "paper_near_end" and beat["paper_warning"] is True
    assert beat["outbox"]["depth"] == 2 and beat["outbox"]["level"] == "ok"
    assert beat["outbox"]["oldest_age_s"] >= 0
    assert set(beat["clock"]) >= {"trusted", "ntp_synchronized", "drift_s"}
    assert beat["uptime_s"] >= 0 and beat["last_error"] is None

    proxy.set_fault("status", times=1, status=500)
    agent.sync_once(pull=False)
    assert agent.heartbeat() is True
    beat = central_db.kiosk(KIOSK_ID)["last_heartbeat"]
    assert beat["last_error"]["during"] == "push" and "HTTP 500" in beat["last_error"]["error"]


def test_backlog_warning_reaches_heartbeat_and_log_and_nothing_is_dropped(make_rig, proxy, central_db, caplog):
    rig = make_rig("backlog_warn_events = 3")
    proxy.set_fault("refuse")
    rig.issue(3)
    agent = rig.agent()
    report = agent.sync_once()
    assert report.pending == 3 and report.pulls["backlog"] == "warn"
    proxy.clear()
    assert agent.heartbeat() is True
    beat = central_db.kiosk(KIOSK_ID)["last_heartbeat"]
    assert beat["outbox"]["level"] == "warn" and "3 events not delivered" in beat["outbox"]["reasons"][0]
    assert any("backlog:" in r.getMessage() for r in caplog.records)
    assert agent.sync_once().pending == 0
    assert len(central_db.events()) == 3


def stats(depth, age_minutes=None, delivered=0):
    oldest = None if age_minutes is None else (NOW - timedelta(minutes=age_minutes)).isoformat()
    return OutboxStats(depth=depth, oldest_created_at=oldest, delivered=delivered)


def test_backlog_level_by_count_and_by_age(rig):
    central = rig.config.central  # defaults: warn at 500 events or 30 minutes
    assert backlog_level(stats(0), rig.config, NOW) == "ok"
    assert backlog_level(stats(499, 29), rig.config, NOW) == "ok"
    assert backlog_level(stats(central.backlog_warn_events, 1), rig.config, NOW) == "warn"
    assert backlog_level(stats(1, 31), central, NOW) == "warn"
    summary = backlog_summary(stats(600, 45), rig.config, NOW)
    assert summary["level"] == "warn" and len(summary["reasons"]) == 2
    assert summary["oldest_age_s"] == 2700.0


def test_full_jitter_backoff_is_capped_and_resets():
    top = Backoff(1.0, 8.0, rng=lambda: 1.0)
    assert [top.failure() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    top.success()
    assert top.failure() == 1.0
    bottom = Backoff(1.0, 8.0, rng=lambda: 0.0)
    assert bottom.failure() == 0.0
    assert bottom.failure(retry_after=30) == 8.0, "without retry_after_cap, Retry-After is cut to the backoff cap"
    capped = Backoff(1.0, 8.0, rng=lambda: 0.0, retry_after_cap=60)
    assert capped.failure(retry_after=5) == 5.0
    assert capped.failure(retry_after=86400) == 60.0
    many = Backoff(0.5, 60.0)
    for _ in range(10_000):
        assert 0.0 <= many.failure() <= 60.0


def test_retry_after_parsing():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Fri, 27 Nov 2026 05:00:30 GMT", NOW) == 30.0
    assert parse_retry_after("Fri, 27 Nov 2026 04:00:00 GMT", NOW) == 0.0
    # Found by tests/campaigns (server-reply fuzzing): a latin-1 "²" is a digit to str.isdigit().
    assert parse_retry_after("\xb2") is None
    assert parse_retry_after("\u0663") is None


def test_agent_state_keys_are_written(rig, central):
    agent = rig.agent()
    rig.issue(1)
    agent.sync_once()
    assert rig.store.get_state(state.LAST_SYNC)["delivered"] == 1
    assert rig.store.get_state(state.LAST_SYNC)["pending"] == 0


def test_only_the_agents_connection_gives_up_fsync(rig):
    from kiosk.store import Store

    agents = Store(rig.config.store.path)
    agents.relax_durability()
    assert agents.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert rig.store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL, for tickets
    agents.close()


def test_pending_wire_is_the_wire_form_of_pending_events(rig):
    import json

    rig.issue(3)
    wire = rig.store.pending_wire(10)
    events = rig.store.pending_events(10)
    assert [event_id for event_id, _ in wire] == [e.event_id for e in events]
    assert [json.loads(text) for _, text in wire] == [e.wire() for e in events]


class RecordingStop:
    def __init__(self):
        self.waits = []

    def is_set(self):
        return False

    def wait(self, seconds):
        self.waits.append(seconds)
        return False


def test_a_drain_pauses_between_batches_only_while_the_ui_commits(rig, central, monkeypatch):
    from kiosk.agent import loop

    rig.issue(60)  # three batches of 20
    agent = rig.agent()
    agent.stop = RecordingStop()
    versions = iter(range(100))
    monkeypatch.setattr(agent.store, "data_version", lambda: next(versions))
    assert agent._drain().delivered == 60
    assert agent.stop.waits == [loop.YIELD_S, loop.YIELD_S]

    rig.issue(60)
    monkeypatch.setattr(agent.store, "data_version", lambda: 7)
    agent._yield_to_ui()
    agent.stop = RecordingStop()
    assert agent._drain().delivered == 60
    assert agent.stop.waits == [], "no pause when nobody else writes"

    rig.issue(60)
    agent.stop = RecordingStop()
    monkeypatch.setattr(agent.store, "data_version", lambda: next(versions))
    assert agent.sync_once(pull=False).delivered == 60
    assert agent.stop.waits == [], "`kiosk sync now` is a person waiting: no pauses"


def test_delivery_marks_commit_in_small_transactions_and_all_land(rig, monkeypatch):
    from kiosk.store import db

    rig.issue(7)
    ids = [event_id for event_id, _ in rig.store.pending_wire(100)]
    commits = []
    real = type(rig.store).transaction
    monkeypatch.setattr(db, "MARK_CHUNK", 3)
    monkeypatch.setattr(type(rig.store), "transaction", lambda self: (commits.append(1), real(self))[1])
    assert rig.store.mark_delivered(ids + ["not-an-event"]) == 7
    assert len(commits) == 3  # 8 ids, 3 per transaction
    assert rig.store.outbox_stats().depth == 0
    assert rig.store.mark_delivered(ids) == 0, "marking again changes nothing"


def test_the_agents_connection_flushes_its_own_wal_writes_and_the_uis_does_not(rig, monkeypatch):
    """Delivery marks commit without fsync under the lock, then the agent flushes the WAL itself:
    once per call while nobody else commits, after every mark transaction while the UI does."""
    import itertools
    import os

    from kiosk.store import Store, db

    flushed = []
    real = os.fdatasync

    def recording(fd):
        flushed.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(db.os, "fdatasync", recording)
    rig.issue(120)
    assert flushed == [], "the UI's connection keeps synchronous=FULL: SQLite syncs, not us"
    agents = Store(rig.config.store.path)
    agents.relax_durability()
    wal = str(rig.config.store.path) + "-wal"
    ids = [event_id for event_id, _ in agents.pending_wire(500)]
    assert agents.mark_delivered(ids[:60]) == 60
    assert flushed == [wal], "the UI quiet: one flush for the whole call"

    flushed.clear()
    versions = itertools.count(100)
    monkeypatch.setattr(agents, "data_version", lambda: next(versions))  # the UI commits all the time
    assert agents.mark_delivered(ids[60:]) == 60
    assert flushed == [wal] * -(-60 // db.MARK_CHUNK), "the UI busy: a flush after every mark transaction"
    assert agents.outbox_stats().depth == 0
    agents.close()
