"""The tenancy matrix: what every central route answers each role, for a request about office HOME.

Used by tests/central/test_tenancy.py (a route without a row fails there) and the security campaign.
"""

from __future__ import annotations

import uuid

import requests

from central.auth import issue_token

HOME, AWAY = "BLITAR", "MALANG"

ROLES = ("anonymous", "revoked", "kiosk_home", "kiosk_away", "kiosk_unbound", "counter_home", "counter_away",
         "counter_unbound")

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
    ("GET", "/api/v1/offices/<office>/quarantine"): dict(anonymous=401, revoked=401, kiosk_home=403, kiosk_away=403,
                                                         kiosk_unbound=403, counter_home=200, counter_away=403,
                                                         counter_unbound=200),
    ("GET", "/api/v1/offices/<office>/ikm"): dict(anonymous=401, revoked=401, kiosk_home=403, kiosk_away=403,
                                                  kiosk_unbound=403, counter_home=200, counter_away=403,
                                                  counter_unbound=200),
    ("GET", "/api/v1/offices/<office>/bookings"): dict(anonymous=401, revoked=401, kiosk_home=200, kiosk_away=403,
                                                       kiosk_unbound=200, counter_home=200, counter_away=403,
                                                       counter_unbound=200),
    ("GET", "/api/v1/offices/<office>/bookings/duplicates"): dict(
        anonymous=401, revoked=401, kiosk_home=403, kiosk_away=403, kiosk_unbound=403, counter_home=200,
        counter_away=403, counter_unbound=200),
    ("POST", "/api/v1/offices/<office>/services/<prefix>/next"): dict(
        anonymous=401, revoked=401, kiosk_home=403, kiosk_away=403, kiosk_unbound=403, counter_home=200,
        counter_away=403, counter_unbound=200),
    # The matrix's counters serve no ticket when these run (sorted before call-next): 409 is access granted.
    **{("POST", f"/api/v1/offices/<office>/counter/{action}"): dict(
        anonymous=401, revoked=401, kiosk_home=403, kiosk_away=403, kiosk_unbound=403, counter_home=409,
        counter_away=403, counter_unbound=409) for action in ("recall", "skip", "done")},
    ("POST", "/api/v1/offices/<office>/counter/transfer"): dict(  # 400: the matrix's body names no prefix
        anonymous=401, revoked=401, kiosk_home=403, kiosk_away=403, kiosk_unbound=403, counter_home=400,
        counter_away=403, counter_unbound=400),
    ("GET", "/api/v1/offices/<office>/counter"): dict(
        anonymous=401, revoked=401, kiosk_home=403, kiosk_away=403, kiosk_unbound=403, counter_home=200,
        counter_away=403, counter_unbound=200),
    # Asked about kiosk K-home: only its own token reads its commands.
    ("GET", "/api/v1/kiosks/<kiosk_id>/commands"): dict(
        anonymous=401, revoked=401, kiosk_home=200, kiosk_away=403, kiosk_unbound=403, counter_home=403,
        counter_away=403, counter_unbound=403),
    # Public (central/web/): no token needed, none changes the answer; an unknown ticket token is 404.
    ("GET", "/api/v1/offices/<office>/display"): dict.fromkeys(ROLES, 200),
    ("GET", "/api/v1/public/tickets/<token>"): dict.fromkeys(ROLES, 404),
}




def make_principals(db, push) -> dict:
    """A token for every role (and the catalogue and tickets the routes need); `push(token, kiosk_id, events)`."""
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
    push(tokens["kiosk_home"][0], "K-home")
    return tokens


def run_matrix(base_url: str, principals: dict) -> dict:
    """{(method, rule, role): (got, expected)} for every cell; error answers must be JSON."""
    cells = {}
    for (method, rule), expected in sorted(MATRIX.items()):
        path = (rule.replace("<office>", HOME).replace("<prefix>", "A").replace("<kiosk_id>", "K-home")
                .replace("<token>", "x" * 22))
        for role in ROLES:
            token, subject = principals[role]
            body = {"kiosk_id": subject, "office": HOME, "events": []} if method == "POST" else None
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            r = requests.request(method, base_url + path, json=body, headers=headers, timeout=5)
            got = r.status_code
            if got >= 400 and not r.headers.get("Content-Type", "").startswith("application/json"):
                got = f"{got} (not JSON)"
            cells[(method, rule, role)] = (got, expected[role])
    return cells


def ticket_event(n: int, kiosk_id: str, ticket_id: str | None = None, kind: str = "ticket.issued") -> dict:
    return {"event_id": str(uuid.uuid4()), "kind": kind, "kiosk_id": kiosk_id, "seq": n,
            "created_at": "2026-11-27T01:00:00.000+00:00",
            "ticket": {"id": ticket_id or str(uuid.uuid4()), "kiosk_id": kiosk_id, "number": f"A{n:03d}",
                       "prefix": "A", "seq": n, "service_day": "2026-11-27", "print_state": "pending"}}
