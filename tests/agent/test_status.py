"""Heartbeat contents, backlog levels and backoff arithmetic."""

import time
from datetime import datetime, timedelta, timezone

import pytest

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


def test_pending_head_counts_up_to_the_limit_without_reading_payloads(rig):
    assert rig.store.pending_head(5) == (0, None)
    rig.issue(8)
    count, oldest = rig.store.pending_head(5)
    assert count == 5 and oldest == rig.store.pending_events(1)[0].created_at


def test_the_agent_checkpoints_the_wal_only_once_the_ui_is_quiet(rig, monkeypatch):
    """The UI's commits never checkpoint (the WAL grows past the default 1,000 pages untouched);
    the agent copies it back into the database file once nobody has committed for a while."""
    import os

    from kiosk.agent import loop
    from kiosk.store import Store

    monkeypatch.setattr(loop, "CHECKPOINT_QUIET_S", 0.2)
    monkeypatch.setattr(loop, "CHECKPOINT_EVERY_S", 0.0)
    agent_store = Store(rig.config.store.path)
    agent = rig.agent(agent_store)
    path = rig.config.store.path
    rig.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db_size = os.path.getsize(path)
    for i in range(6):  # the UI busy: each look sees a new commit, 6 MB of them in all
        with rig.store.transaction():
            rig.store.set_state(f"test.{i}", "x" * 1_000_000)
        assert agent.checkpoint_when_quiet() is False
    assert os.path.getsize(path + "-wal") > 1000 * 4096, "the UI's commits did not checkpoint"
    assert os.path.getsize(path) == db_size
    deadline = time.monotonic() + 5
    while not agent.checkpoint_when_quiet():
        assert time.monotonic() < deadline, "no checkpoint once the UI was quiet"
        time.sleep(0.05)
    assert os.path.getsize(path) > db_size + 100 * 4096
    # Everything was copied: a checkpoint now finds nothing left to do.
    frames, copied = agent_store.checkpoint()
    assert frames == copied
    agent_store.close()
