"""The HTTP API over a real waitress server on loopback."""

import time

import requests

from central.app import create_app
from central.server import ServerThread

KIOSK, OFFICE = "K1", "BLITAR"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def post_events(server, token, events, **body):
    return requests.post(f"{server.url}/api/v1/events", json={"kiosk_id": KIOSK, "events": events, **body},
                         headers=bearer(token), timeout=5)


def test_batch_is_stored_once_and_retry_counts_as_accepted(server, db, kiosk_token, make_event):
    events = [make_event(n) for n in range(1, 6)]
    first = post_events(server, kiosk_token, events, office=OFFICE)
    assert first.status_code == 200
    assert first.json()["accepted"] == [e["event_id"] for e in events]
    assert first.json()["rejected"] == []
    assert "Date" in first.headers

    again = post_events(server, kiosk_token, events[2:] + [make_event(6)], office=OFFICE)
    assert again.json()["accepted"][:3] == [e["event_id"] for e in events[2:]]

    stored = db.events(KIOSK)
    assert [e["seq"] for e in stored] == [1, 2, 3, 4, 5, 6]
    tickets = list(db.iter_tickets())
    assert [t["number"] for t in tickets] == ["A001", "A002", "A003", "A004", "A005", "A006"]
    assert tickets[0]["central"]["office"] == OFFICE


def test_later_events_update_the_ticket_without_duplicating_it(server, db, kiosk_token, make_event):
    issued = make_event(1)
    printed = make_event(1, kind="ticket.printed")
    printed["ticket"]["print_state"] = "printed"
    assert post_events(server, kiosk_token, [issued, printed]).status_code == 200
    tickets = list(db.iter_tickets())
    assert len(tickets) == 1 and tickets[0]["print_state"] == "printed"
    assert len(db.events()) == 2


def test_rejection_stops_the_batch_so_order_is_kept(server, db, kiosk_token, make_event):
    good, bad, after = make_event(1), make_event(2), make_event(3)
    bad["ticket"]["prefix"] = "a1"
    body = post_events(server, kiosk_token, [good, bad, after]).json()
    assert body["accepted"] == [good["event_id"]]
    assert [(r["event_id"], r["reason"], r["retry"]) for r in body["rejected"]] == [
        (bad["event_id"], "invalid", False),
        (after["event_id"], "not_applied", True),
    ]
    assert "ticket.prefix" in body["rejected"][0]["detail"]
    assert [e["event_id"] for e in db.events()] == [good["event_id"]]


def test_a_kiosk_may_only_post_its_own_events(server, db, kiosk_token, make_event):
    other = make_event(1, kiosk_id="K2")
    body = post_events(server, kiosk_token, [other]).json()
    assert body["accepted"] == [] and body["rejected"][0]["reason"] == "invalid"
    r = requests.post(f"{server.url}/api/v1/events", json={"kiosk_id": "K2", "events": []},
                      headers=bearer(kiosk_token), timeout=5)
    assert r.status_code == 403 and r.json()["error"] == "kiosk_mismatch"
    assert db.events() == []


def test_event_id_of_another_kiosk_is_not_taken_over(server, db, kiosk_token, make_event):
    from central.auth import issue_token

    other_token = issue_token(db, "kiosk", "K2")
    event = make_event(1)
    post_events(server, kiosk_token, [event])
    stolen = dict(event, kiosk_id="K2")
    r = requests.post(f"{server.url}/api/v1/events", json={"kiosk_id": "K2", "events": [stolen]},
                      headers=bearer(other_token), timeout=5)
    assert r.json()["accepted"] == []
    assert "another kiosk" in r.json()["rejected"][0]["detail"]


def test_batch_limit_accepts_a_prefix_and_asks_for_the_rest(server, db, kiosk_token, make_event):
    events = [make_event(n) for n in range(1, 61)]
    body = post_events(server, kiosk_token, events).json()
    assert len(body["accepted"]) == 50
    assert {r["reason"] for r in body["rejected"]} == {"batch_limit"}
    assert all(r["retry"] for r in body["rejected"])
    assert len(db.events()) == 50


def test_unknown_fields_are_tolerated(server, db, kiosk_token, make_event):
    event = make_event(1, future_field={"x": 1})
    event["ticket"]["new_thing"] = 3
    body = post_events(server, kiosk_token, [event], client_hint="v2").json()
    assert body["accepted"] == [event["event_id"]]


def test_bad_requests_get_json_errors(server, kiosk_token):
    url = f"{server.url}/api/v1/events"
    r = requests.post(url, data=b"{not json", headers=bearer(kiosk_token), timeout=5)
    assert r.status_code == 400 and r.json()["error"] == "malformed"
    r = requests.post(url, json={"events": "nope"}, headers=bearer(kiosk_token), timeout=5)
    assert r.status_code == 400
    r = requests.get(f"{server.url}/api/v1/nowhere", timeout=5)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = requests.get(url, headers=bearer(kiosk_token), timeout=5)
    assert r.status_code == 405


def test_tokens_are_checked(server, db, kiosk_token, counter_token):
    url = f"{server.url}/api/v1/events"
    token_id, secret = kiosk_token.split(".")
    for header in ({}, {"Authorization": "Basic abc"}, bearer("nodot"), bearer(f"{token_id}.{secret}x"),
                   bearer(f"ffffffffffff.{secret}")):
        r = requests.post(url, json={"events": []}, headers=header, timeout=5)
        assert r.status_code == 401, header
        assert r.headers["WWW-Authenticate"] == "Bearer"
    r = requests.post(url, json={"events": []}, headers=bearer(counter_token), timeout=5)
    assert r.status_code == 403
    assert db.revoke_token(token_id)
    r = requests.post(url, json={"events": []}, headers=bearer(kiosk_token), timeout=5)
    assert r.status_code == 401


def test_office_bound_kiosk_cannot_speak_for_another_office(server, db):
    from central.auth import issue_token

    token = issue_token(db, "kiosk", "K9", office="BLITAR")
    r = requests.post(f"{server.url}/api/v1/heartbeat", json={"kiosk_id": "K9", "office": "MALANG"},
                      headers=bearer(token), timeout=5)
    assert r.status_code == 409 and r.json()["error"] == "office_mismatch"
    r = requests.get(f"{server.url}/api/v1/offices/MALANG/queue", headers=bearer(token), timeout=5)
    assert r.status_code == 403


def test_catalogue_etag_and_not_modified(server, db, kiosk_token):
    url = f"{server.url}/api/v1/offices/{OFFICE}/catalogue"
    assert requests.get(url, headers=bearer(kiosk_token), timeout=5).status_code == 404
    etag = db.set_catalogue(OFFICE, "[[services]]\nkey = \"a\"\n".encode())
    r = requests.get(url, headers=bearer(kiosk_token), timeout=5)
    assert r.status_code == 200 and r.headers["ETag"] == etag
    assert r.headers["Content-Type"].startswith("application/toml")
    assert r.text.startswith("[[services]]")
    r = requests.get(url, headers={**bearer(kiosk_token), "If-None-Match": f'"other", {etag}'}, timeout=5)
    assert r.status_code == 304 and r.content == b""
    db.set_catalogue(OFFICE, b"# changed\n")
    r = requests.get(url, headers={**bearer(kiosk_token), "If-None-Match": etag}, timeout=5)
    assert r.status_code == 200 and r.headers["ETag"] != etag


def test_queue_statistics_follow_counter_calls(server, db, kiosk_token, counter_token, make_event):
    events = [make_event(n) for n in range(1, 5)] + [make_event(n, prefix="B") for n in range(1, 3)]
    post_events(server, kiosk_token, events, office=OFFICE)
    queue_url = f"{server.url}/api/v1/offices/{OFFICE}/queue"
    stats = requests.get(queue_url, headers=bearer(kiosk_token), timeout=5).json()
    assert stats["service_day"] == "2026-11-27"
    assert stats["services"]["A"] == {"waiting": 4, "issued": 4, "served": 0, "avg_service_s": None}
    assert stats["services"]["B"]["waiting"] == 2

    next_url = f"{server.url}/api/v1/offices/{OFFICE}/services/A/next"
    first = requests.post(next_url, headers=bearer(counter_token), timeout=5).json()
    assert first["ticket"]["number"] == "A001" and first["counter"] == "desk-1"
    time.sleep(0.05)
    second = requests.post(next_url, headers=bearer(counter_token), timeout=5).json()
    assert second["ticket"]["number"] == "A002"
    stats = requests.get(queue_url, headers=bearer(kiosk_token), timeout=5).json()
    assert stats["services"]["A"]["waiting"] == 2 and stats["services"]["A"]["served"] == 2
    assert 0.04 <= stats["services"]["A"]["avg_service_s"] < 5

    assert requests.post(next_url, headers=bearer(kiosk_token), timeout=5).status_code == 403
    requests.post(next_url, headers=bearer(counter_token), timeout=5)
    requests.post(next_url, headers=bearer(counter_token), timeout=5)
    assert requests.post(next_url, headers=bearer(counter_token), timeout=5).status_code == 204


def test_heartbeat_is_stored_with_the_reported_office(server, db, kiosk_token):
    body = {"kiosk_id": KIOSK, "office": OFFICE, "version": "0.1.0", "outbox": {"depth": 3, "level": "ok"}}
    r = requests.post(f"{server.url}/api/v1/heartbeat", json=body, headers=bearer(kiosk_token), timeout=5)
    assert r.status_code == 200 and r.json()["ok"] is True
    kiosk = db.kiosk(KIOSK)
    assert kiosk["office"] == OFFICE and kiosk["last_heartbeat"]["outbox"]["depth"] == 3


def test_health_needs_no_token(server):
    r = requests.get(f"{server.url}/api/v1/health", timeout=5)
    assert r.status_code == 200 and r.json()["ok"] is True


def test_concurrent_retries_of_one_batch_store_it_once(server, db, kiosk_token, make_event):
    from concurrent.futures import ThreadPoolExecutor

    events = [make_event(n) for n in range(1, 41)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: post_events(server, kiosk_token, events), range(4)))
    assert all(len(r.json()["accepted"]) == 40 for r in results)
    assert [e["seq"] for e in db.events()] == list(range(1, 41))


def test_server_thread_stops_with_a_kept_alive_connection(db):
    srv = ServerThread(create_app(db)).start()
    session = requests.Session()
    assert session.get(f"{srv.url}/api/v1/health", timeout=5).status_code == 200
    started = time.monotonic()
    srv.stop()
    assert time.monotonic() - started < 3
    try:
        session.get(f"{srv.url}/api/v1/health", timeout=1)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("server still answering after stop()")


def test_an_event_repeated_inside_one_batch_is_stored_once(server, db, kiosk_token, make_event):
    event = make_event(1)
    body = post_events(server, kiosk_token, [event, make_event(2), event]).json()
    assert body["accepted"] == [event["event_id"], body["accepted"][1], event["event_id"]]
    assert [e["seq"] for e in db.events()] == [1, 2]
