"""Tenancy: a ticket belongs to the kiosk that created it, an office comes from the token, and every
route answers every role x office combination as the table below says (a new route without a row fails)."""

import re

import requests
from support.tenancy import AWAY, HOME, MATRIX, ROLES, make_principals, run_matrix

from central import counter_queue
from central.app import create_app
from central.auth import issue_token


def bearer(token):
    return {"Authorization": f"Bearer {token}"} if token else {}


def post(server, token, path, body):
    return requests.post(f"{server.url}/api/v1/{path}", json=body, headers=bearer(token), timeout=5)


def push(server, token, kiosk_id, events, office=None):
    body = {"kiosk_id": kiosk_id, "events": events, **({"office": office} if office else {})}
    return post(server, token, "events", body)


def test_another_kiosk_cannot_rewrite_a_delivered_ticket(server, db, make_event):
    a = issue_token(db, "kiosk", "KA", office=HOME)
    b = issue_token(db, "kiosk", "KB", office=HOME)
    issued = make_event(1, kiosk_id="KA")
    assert push(server, a, "KA", [issued]).json()["accepted"] == [issued["event_id"]]

    forged = make_event(7, kiosk_id="KB", kind="ticket.printed", ticket_id=issued["ticket"]["id"])
    forged["ticket"].update(number="B999", print_state="printed")
    body = push(server, b, "KB", [forged, make_event(8, kiosk_id="KB")]).json()
    assert body["accepted"] == []
    first, rest = body["rejected"]
    assert (first["reason"], first["retry"]) == ("not_owner", False)
    assert "belongs to another kiosk" in first["detail"]
    assert (rest["reason"], rest["retry"]) == ("not_applied", True)

    (ticket,) = db.iter_tickets()
    assert (ticket["number"], ticket["print_state"], ticket["central"]["kiosk_id"]) == ("A001", "pending", "KA")
    assert [t.refused for t in db.tokens() if t.subject == "KB"] == [1]
    assert [e["kiosk_id"] for e in db.events()] == ["KA"]


def test_a_kiosk_cannot_file_a_ticket_under_another_kiosk_or_office(server, db, make_event):
    c = issue_token(db, "kiosk", "KC")  # unbound: keeps the first office it reports
    assert push(server, c, "KC", [make_event(1, kiosk_id="KC")], office=AWAY).status_code == 200
    posing = make_event(2, kiosk_id="KC")
    posing["ticket"]["kiosk_id"] = "KA"
    elsewhere = make_event(3, kiosk_id="KC")
    elsewhere["ticket"]["office"] = HOME
    for event, reason in ((posing, "not_owner"), (elsewhere, "office_mismatch")):
        rejected = push(server, c, "KC", [event]).json()["rejected"]
        assert [(r["reason"], r["retry"]) for r in rejected] == [(reason, False)]
    r = push(server, c, "KC", [make_event(4, kiosk_id="KC")], office=HOME)
    assert r.status_code == 409 and r.json()["error"] == "office_mismatch"
    assert {t["central"]["office"] for t in db.iter_tickets()} == {AWAY}
    assert counter_queue.queue_stats(db, HOME)["services"] == {}


def test_the_office_comes_from_the_token_not_the_body(server, db, make_event):
    token = issue_token(db, "kiosk", "K9", office=HOME)
    r = push(server, token, "K9", [make_event(1, kiosk_id="K9")], office=AWAY)
    assert r.status_code == 409 and AWAY in r.json()["message"]
    event = make_event(2, kiosk_id="K9")
    event["ticket"]["office"] = AWAY
    assert push(server, token, "K9", [event]).json()["rejected"][0]["reason"] == "office_mismatch"
    assert push(server, token, "K9", [make_event(3, kiosk_id="K9")]).json()["rejected"] == []
    assert [t["central"]["office"] for t in db.iter_tickets()] == [HOME]


def test_a_counter_bound_to_an_office_calls_only_there(server, db, make_event):
    kiosk = issue_token(db, "kiosk", "KM", office=AWAY)
    push(server, kiosk, "KM", [make_event(1, kiosk_id="KM")])
    home_counter = issue_token(db, "counter", "desk-1", office=HOME)
    r = requests.post(f"{server.url}/api/v1/offices/{AWAY}/services/A/next", headers=bearer(home_counter), timeout=5)
    assert r.status_code == 403 and r.json()["error"] == "office_mismatch"
    assert counter_queue.queue_stats(db, AWAY)["services"]["A"]["waiting"] == 1
    away_counter = issue_token(db, "counter", "desk-2", office=AWAY)
    r = requests.post(f"{server.url}/api/v1/offices/{AWAY}/services/A/next", headers=bearer(away_counter), timeout=5)
    assert r.status_code == 200 and r.json()["ticket"]["number"] == "A001"


# -- the matrix: every route x role x office (tests/support/tenancy.py) ---------------------------


def app_routes(db) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in create_app(db).url_map.iter_rules() if rule.rule.startswith("/api/")
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_a_row_in_the_tenancy_matrix(db):
    assert app_routes(db) == set(MATRIX), "add the new route to MATRIX (tests/support/tenancy.py) for every role"


def test_every_route_answers_every_role_and_office_as_the_matrix_says(server, db, make_event):
    def push_home(token, kiosk_id):
        events = [make_event(n, kiosk_id=kiosk_id) for n in range(1, 10)]
        assert len(push(server, token, kiosk_id, events).json()["accepted"]) == 9

    cells = run_matrix(server.url, make_principals(db, push_home))
    assert len(cells) == len(MATRIX) * len(ROLES)
    wrong = {k: v for k, v in cells.items() if v[0] != v[1]}
    assert not wrong, f"(got, expected): {wrong}"
    assert re.fullmatch(r"A00\d", counter_queue.call_next(db, HOME, "A", "check", "user:test")["number"])
