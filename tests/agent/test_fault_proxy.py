"""The fault proxy itself: each fault does what it says to a plain requests client."""

import time

import pytest
import requests

KIOSK_ID = "test-kiosk"
TIMEOUT = (1.0, 0.5)


def batch(n=4, start=1):
    return {"kiosk_id": KIOSK_ID, "events": [
        {"event_id": f"e{i}", "kind": "note", "kiosk_id": KIOSK_ID, "seq": i, "created_at": "2026-11-27T00:00:00Z"}
        for i in range(start, start + n)
    ]}


@pytest.fixture
def post(proxy, kiosk_token):
    session = requests.Session()
    session.trust_env = False
    headers = {"Authorization": f"Bearer {kiosk_token}"}

    def _post(body=None, path="/api/v1/events"):
        return session.post(proxy.url + path, json=body or batch(), headers=headers, timeout=TIMEOUT)

    yield _post
    session.close()


def test_pass_through_keeps_the_connection_alive(post, proxy, central_db):
    assert post().json()["accepted"] == ["e1", "e2", "e3", "e4"]
    assert post(batch(start=5)).status_code == 200
    assert len(central_db.events()) == 8
    assert [s.events for s in proxy.seen("/api/v1/events")] == [4, 4]


def test_refuse_then_recover(post, proxy, central_db):
    post()
    proxy.set_fault("refuse")
    with pytest.raises(requests.ConnectionError):
        post(batch(start=5))
    proxy.clear()
    assert post(batch(start=5)).status_code == 200
    assert len(central_db.events()) == 8


def test_reset_mid_request_applies_nothing(post, proxy, central_db):
    proxy.set_fault("reset", times=1)
    with pytest.raises(requests.ConnectionError):
        post()
    assert central_db.events() == []
    assert post().status_code == 200


def test_blackhole_times_out(post, proxy, central_db):
    proxy.set_fault("blackhole")
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        post()
    assert time.monotonic() - started < 3
    assert central_db.events() == []


def test_delay_and_drop_reply_apply_the_batch_but_the_client_never_hears(post, proxy, central_db):
    proxy.set_fault("delay", times=1, delay_s=2.0)
    with pytest.raises(requests.ReadTimeout):
        post()
    assert len(central_db.events()) == 4
    proxy.set_fault("drop_reply", times=1)
    with pytest.raises(requests.ConnectionError):
        post(batch(start=5))
    assert len(central_db.events()) == 8


def test_status_answers_without_forwarding(post, proxy, central_db):
    proxy.set_fault("status", times=1, status=429, retry_after=7)
    r = post()
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    proxy.set_fault("status", times=1, status=500, forward=True)
    assert post().status_code == 500
    assert len(central_db.events()) == 4


def test_truncated_and_malformed_replies(post, proxy, central_db):
    proxy.set_fault("truncate", times=1)
    with pytest.raises(requests.RequestException):
        post().json()
    proxy.set_fault("malformed", times=1)
    r = post(batch(start=5))
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    assert len(central_db.events()) == 8


def test_partial_forwards_the_first_events_only(post, proxy, central_db):
    proxy.set_fault("partial", times=1, keep=1)
    assert post().json()["accepted"] == ["e1"]
    assert [e["event_id"] for e in central_db.events()] == ["e1"]


def test_faults_can_target_one_path(post, proxy, central_db):
    proxy.set_fault("status", status=503)
    assert post({"kiosk_id": KIOSK_ID}, path="/api/v1/heartbeat").status_code == 200
    assert post().status_code == 503
