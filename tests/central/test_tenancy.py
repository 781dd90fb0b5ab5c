"""Tenancy: a ticket belongs to the kiosk that created it, an office comes from the token, and every
route answers every role x office combination as the table below says (a new route without a row fails)."""

import re

import pytest
import requests

from central.app import create_app
from central.auth import issue_token

HOME, AWAY = "BLITAR", "MALANG"


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
    assert db.queue_stats(HOME)["services"] == {}


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
    assert db.queue_stats(AWAY)["services"]["A"]["waiting"] == 1
    away_counter = issue_token(db, "counter", "desk-2", office=AWAY)
    r = requests.post(f"{server.url}/api/v1/offices/{AWAY}/services/A/next", headers=bearer(away_counter), timeout=5)
    assert r.status_code == 200 and r.json()["ticket"]["number"] == "A001"


# -- the matrix: every route x role x office ------------------------------------------------------

ROLES = ("anonymous", "revoked", "kiosk_home", "kiosk_away", "kiosk_unbound", "counter_home", "counter_away",
         "counter_unbound")
KIOSK_BODY = "kiosk body"  # the request body names the token's kiosk and office HOME

# (method, rule) -> expected status per role, for a request about office HOME.
MATRIX = {
    ("GET", "/api/v1/health"): dict.fromkeys(ROLES, 200),
    ("POST", "/api/v1/events"): dict(anonymous=401, revoked=401, kiosk_home=200, kiosk_away=409, kiosk_unbound=200,
                                     counter_home=403, counter_away=403, counter_unbound=403),
    ("POST", "/api/v1/heartbeat"): dict(anonymous=401, revoked=401, kiosk_home=200, kiosk_away=409,
                                        kiosk_unbound=200, counter_home=403, counter_away=403, counter_unbound=403),
    ("GET", "/api/v1/offices/<office>/catalogue"): dict(anonymous=401, revoked=401, kiosk_home=200, kiosk_away=403,
                                                        kiosk_unbound=200, counter_home=200, counter_away=403,
                                                        counter_unbound=200),
    ("GET", "/api/v1/offices/<office>/queue"): dict(anonymous=401, revoked=401, kiosk_home=200, kiosk_away=403,
                                                    kiosk_unbound=200, counter_home=200, counter_away=403,
                                                    counter_unbound=200),
    ("POST", "/api/v1/offices/<office>/services/<prefix>/next"): dict(
        anonymous=401, revoked=401, kiosk_home=403, kiosk_away=403, kiosk_unbound=403, counter_home=200,
        counter_away=403, counter_unbound=200),
}


def app_routes(db) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in create_app(db).url_map.iter_rules() if rule.rule.startswith("/api/")
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_a_row_in_the_tenancy_matrix(db):
    assert app_routes(db) == set(MATRIX), "add the new route to MATRIX with its answer for every role"


@pytest.fixture
def principals(db, server, make_event):
    tokens = {
        "anonymous": (None, None),
        "revoked": (issue_token(db, "kiosk", "K-revoked", office=HOME), "K-revoked"),
        "kiosk_home": (issue_token(db, "kiosk", "K-home", office=HOME), "K-home"),
        "kiosk_away": (issue_token(db, "kiosk", "K-away", office=AWAY), "K-away"),
        "kiosk_unbound": (issue_token(db, "kiosk", "K-unbound"), "K-unbound"),
        "counter_home": (issue_token(db, "counter", "desk-home", office=HOME), "desk-home"),
        "counter_away": (issue_token(db, "counter", "desk-away", office=AWAY), "desk-away"),
        "counter_unbound": (issue_token(db, "counter", "desk-any"), "desk-any"),
    }
    assert db.revoke_token(tokens["revoked"][0].split(".")[0])
    db.set_catalogue(HOME, b'[[services]]\nkey = "a"\n')
    home = tokens["kiosk_home"][0]
    events = [make_event(n, kiosk_id="K-home") for n in range(1, 10)]
    assert len(push(server, home, "K-home", events).json()["accepted"]) == 9
    return tokens


def test_every_route_answers_every_role_and_office_as_the_matrix_says(server, db, principals):
    seen = {}
    for (method, rule), expected in sorted(MATRIX.items()):
        path = rule.replace("<office>", HOME).replace("<prefix>", "A")
        for role in ROLES:
            token, subject = principals[role]
            body = {"kiosk_id": subject, "office": HOME, "events": []} if method == "POST" else None
            r = requests.request(method, server.url + path, json=body, headers=bearer(token), timeout=5)
            seen[(method, rule, role)] = r.status_code
            if r.status_code >= 400:
                assert r.headers["Content-Type"].startswith("application/json"), (method, rule, role)
    wrong = {k: (v, MATRIX[k[:2]][k[2]]) for k, v in seen.items() if v != MATRIX[k[:2]][k[2]]}
    assert not wrong, f"(got, expected): {wrong}"
    assert re.fullmatch(r"A00\d", db.call_next(HOME, "A", "check")["number"])
