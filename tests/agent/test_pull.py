"""Catalogue, queue statistics and server time pulled through the real client and server."""

import json
import os

import pytest

from kiosk.agent import state
from kiosk.agent.pull import pull_catalogue, write_atomically
from kiosk.clock import Clock, clock_trusted
from kiosk.printing import queue_estimate
from kiosk.state_keys import QUEUE_STATS, SERVER_CLOCK

OFFICE = "TEST"

CATALOGUE = """
[hours]
mon = ["00:00-24:00"]
tue = ["00:00-24:00"]
wed = ["00:00-24:00"]
thu = ["00:00-24:00"]
fri = ["00:00-24:00"]
sat = ["00:00-24:00"]
sun = ["00:00-24:00"]

[[services]]
key = "paspor-baru"
prefix = "A"
name_id = "Paspor Baru (dari pusat)"
name_en = "New passport (from central)"

[[services]]
key = "visa"
prefix = "V"
name_id = "Visa"
name_en = "Visa"
"""


def catalogue_calls(central):
    return central.recorder.seen("GET", f"/offices/{OFFICE}/catalogue")


def test_a_valid_catalogue_is_applied_and_the_core_prefers_it(rig, central, central_db):
    etag = central_db.set_catalogue(OFFICE, CATALOGUE.encode())
    agent = rig.agent()
    assert agent.pull()["catalogue"] == "applied"
    assert rig.config.remote_catalogue_path.read_text() == CATALOGUE
    reloaded = rig.reload()
    assert [s.prefix for s in reloaded.catalogue.services] == ["A", "V"]
    assert reloaded.catalogue.find("A").name_en == "New passport (from central)"
    assert rig.store.get_state(state.CATALOGUE)["etag"] == etag
    # The agent's own view follows too (queue stats cover the new service).
    assert "V" in rig.store.get_state(QUEUE_STATS)


def test_an_unchanged_catalogue_is_not_sent_again(rig, central, central_db):
    etag = central_db.set_catalogue(OFFICE, CATALOGUE.encode())
    agent = rig.agent()
    agent.pull()
    agent.pull()
    first, second = catalogue_calls(central)
    assert first["status"] == 200 and first["body_bytes"] == len(CATALOGUE.encode())
    assert second["if_none_match"] == etag
    assert second["status"] == 304 and second["body_bytes"] == 0
    central_db.set_catalogue(OFFICE, CATALOGUE.replace("Visa", "Visa kunjungan").encode())
    assert agent.pull()["catalogue"] == "applied"
    assert catalogue_calls(central)[-1]["status"] == 200


def test_an_invalid_catalogue_is_rejected_and_the_running_one_kept(rig, central, central_db, caplog):
    running = rig.config.catalogue
    bad = CATALOGUE.replace('prefix = "V"', 'prefix = "VV"')
    bad_etag = central_db.set_catalogue(OFFICE, bad.encode())
    agent = rig.agent()
    assert agent.pull()["catalogue"] == "rejected"
    assert not rig.config.remote_catalogue_path.exists()
    assert rig.reload().catalogue == running
    known = rig.store.get_state(state.CATALOGUE)
    assert known["rejected_etag"] == bad_etag and "services[1].prefix" in known["error"]
    assert any("rejected the catalogue" in r.message for r in caplog.records)
    # Nor is the rejected one downloaded again every minute.
    agent.pull()
    assert catalogue_calls(central)[-1]["status"] == 304
    assert catalogue_calls(central)[-1]["if_none_match"] == bad_etag


def test_an_invalid_update_keeps_the_previously_applied_catalogue(rig, central, central_db):
    central_db.set_catalogue(OFFICE, CATALOGUE.encode())
    agent = rig.agent()
    agent.pull()
    central_db.set_catalogue(OFFICE, b"services = 3\n")
    assert agent.pull()["catalogue"] == "rejected"
    assert rig.config.remote_catalogue_path.read_text() == CATALOGUE
    assert [s.prefix for s in rig.reload().catalogue.services] == ["A", "V"]


def test_no_catalogue_on_the_server_keeps_the_local_one(rig, central):
    agent = rig.agent()
    assert agent.pull()["catalogue"] == "absent"
    assert not rig.config.remote_catalogue_path.exists()


def test_a_pull_that_fails_changes_nothing(rig, proxy, central_db):
    central_db.set_catalogue(OFFICE, CATALOGUE.encode())
    proxy.set_fault("truncate", paths=("/api/v1/offices",))
    agent = rig.agent()
    assert "pull_error" in agent.pull()
    assert not rig.config.remote_catalogue_path.exists()
    assert rig.store.get_state(state.LAST_ERROR)["during"] == "pull"


def test_queue_statistics_feed_the_ticket_estimate(rig, central, central_db):
    import requests

    from central.auth import issue_token

    rig.issue(3)
    agent = rig.agent()
    agent.sync_once()
    counter = issue_token(central_db, "counter", "desk-1")
    r = requests.post(f"{central.url}/api/v1/offices/{OFFICE}/services/A/next",
                      headers={"Authorization": f"Bearer {counter}"}, timeout=5)
    assert r.json()["ticket"]["number"] == "A001"
    agent.pull()
    stats = rig.store.get_state(QUEUE_STATS)
    assert stats["A"] == {"waiting": 2, "avg_service_s": None}
    assert stats["G"] == {"waiting": 0, "avg_service_s": None}
    service = rig.config.catalogue.find("A")
    assert queue_estimate(stats, service, Clock().now()) == (2, None)


@pytest.mark.parametrize("body", [
    b'{"services": {"A": {"waiting": -1, "avg_service_s": 3}}}',
    b'{"services": {"A": {"waiting": "many"}}}',
    b'{"services": []}',
    b"[1, 2]",
    b"<html>",
    b"[" * 100_000 + b"]" * 100_000,  # found by tests/campaigns: json raised RecursionError out of the client
    # found by tests/campaigns: numbers that overflow float() or the printed wait estimate
    b'{"services": {"A": {"waiting": 1, "avg_service_s": 1' + b"0" * 400 + b"}}}",
    b'{"services": {"A": {"waiting": 1' + b"0" * 400 + b', "avg_service_s": 60}}}',
    b'{"services": {"A": {"waiting": 1, "avg_service_s": Infinity}}}',
    b'{"services": {"A": {"waiting": 10, "avg_service_s": 1e308}}}',
    b'{"services": {"A": {"waiting": 1, "avg_service_s": NaN}}}',
])
def test_malformed_queue_statistics_are_logged_and_the_old_ones_kept(rig, proxy, body, caplog):
    rig.store.set_state(QUEUE_STATS, {"fetched_at": "2026-11-27T05:00:00+00:00", "A": {"waiting": 4, "avg_service_s": 60.0}})
    proxy.set_fault("malformed", paths=("/api/v1/offices/TEST/queue",), body=body)
    outcome = rig.agent().pull()
    assert "pull_error" in outcome
    assert rig.store.get_state(QUEUE_STATS)["A"]["waiting"] == 4
    assert any("pull failed (protocol)" in r.getMessage() for r in caplog.records)


def test_unknown_fields_in_replies_are_ignored(rig, proxy):
    body = json.dumps({"office": OFFICE, "new_field": {"x": 1}, "services": {
        "A": {"waiting": 5, "avg_service_s": 120, "color": "red"}}}).encode()
    proxy.set_fault("malformed", paths=("/api/v1/offices/TEST/queue",), body=body)
    assert rig.agent().pull()["queue"] == "updated"
    assert rig.store.get_state(QUEUE_STATS)["A"] == {"waiting": 5, "avg_service_s": 120.0}


def test_server_date_lets_an_unsynced_clock_be_trusted(rig, central):
    from kiosk.clock import ManualClock

    unsynced = ManualClock(Clock().now(), synchronized=False)
    assert clock_trusted(unsynced, rig.store.get_state(SERVER_CLOCK)) is False
    rig.agent().pull()
    check = rig.store.get_state(SERVER_CLOCK)
    assert check["ok"] is True and abs(check["drift_s"]) < 2
    assert clock_trusted(unsynced, check) is True


def test_a_wrong_clock_is_reported_not_trusted(rig, central):
    from datetime import timedelta

    from kiosk.agent.client import CentralClient
    from kiosk.agent.loop import Agent
    from kiosk.clock import ManualClock

    skewed = ManualClock(Clock().now() - timedelta(hours=3), synchronized=False)
    agent = Agent(rig.config, rig.store, CentralClient(rig.config.central, clock=skewed), clock=skewed)
    agent.pull()
    check = rig.store.get_state(SERVER_CLOCK)
    assert check["ok"] is False and 3 * 3600 - 5 < check["drift_s"] < 3 * 3600 + 5
    assert clock_trusted(skewed, check) is False


def test_atomic_write_leaves_old_or_new_never_a_mix(tmp_path):
    target = tmp_path / "catalogue.remote.toml"
    write_atomically(target, "old")
    write_atomically(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["catalogue.remote.toml"]


def test_write_failure_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "catalogue.remote.toml"
    write_atomically(target, "old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomically(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["catalogue.remote.toml"]


def test_pull_catalogue_reports_each_outcome(rig, central, central_db):
    client = rig.agent().client
    clock = Clock()
    assert pull_catalogue(rig.store, client, rig.config, clock) == ("absent", None)
    central_db.set_catalogue(OFFICE, CATALOGUE.encode())
    outcome, catalogue = pull_catalogue(rig.store, client, rig.config, clock)
    assert outcome == "applied" and catalogue.find("V") is not None
    assert pull_catalogue(rig.store, client, rig.config, clock) == ("unchanged", None)


def test_an_overflowing_wait_estimate_is_unknown_not_an_error():
    """Found by tests/campaigns: math.ceil(inf) raised OverflowError in every ticket's print."""
    now = Clock().now()
    service = type("S", (), {"prefix": "A"})()
    stats = {"fetched_at": now.isoformat(), "A": {"waiting": 10**6, "avg_service_s": 1e308}}
    assert queue_estimate(stats, service, now) == (None, None)
