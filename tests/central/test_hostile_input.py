"""Hostile input gets a 400 (or 404) with a reason, never a 500: huge integers, deep JSON, lone
surrogates, paths that would redirect."""

import pytest
import requests

from central.protocol import MAX_INT

KIOSK = "K1"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def raw_post(server, token, path, data: bytes):
    return requests.post(f"{server.url}/api/v1/{path}", data=data,
                         headers={**bearer(token), "Content-Type": "application/json"}, timeout=10)


def events_body(event) -> bytes:
    import json

    return json.dumps({"kiosk_id": KIOSK, "events": [event]}).encode()


@pytest.mark.parametrize("where,value", [
    ("seq", 2**63), ("seq", 10**40), ("seq", -1), ("ticket.seq", 10**40), ("ticket.seq", 2**64),
])
def test_integers_beyond_64_bits_are_refused_with_the_field(server, db, kiosk_token, make_event, where, value):
    event = make_event(1)
    if where == "seq":
        event["seq"] = value
    else:
        event["ticket"]["seq"] = value
    r = raw_post(server, kiosk_token, "events", events_body(event))
    assert r.status_code == 200, r.text
    (rejected,) = r.json()["rejected"]
    assert rejected["reason"] == "invalid" and where in rejected["detail"] and str(MAX_INT) in rejected["detail"]
    assert db.events() == []


@pytest.mark.parametrize("path", ["events", "heartbeat"])
def test_json_nested_100k_deep_is_refused_before_parsing(server, kiosk_token, path):
    for data in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
                 b'{"kiosk_id": "K1", "x": ' + b"[" * 40 + b"]" * 40 + b"}"):
        r = raw_post(server, kiosk_token, path, data)
        assert r.status_code == 400 and "deeper than 32" in r.json()["message"], r.text[:200]
    r = raw_post(server, kiosk_token, path, b'{"kiosk_id": "K1", "events": [], "x": "' + b"[" * 100 + b'"}')
    assert r.status_code == 200, "brackets inside a string are not nesting"


@pytest.mark.parametrize("field", ["event_id", "ticket.number", "kind", "a new field"])
def test_a_lone_surrogate_is_a_400_naming_where(server, db, kiosk_token, make_event, field):
    event = make_event(1)
    if field.startswith("ticket."):
        event["ticket"][field[7:]] = "A\ud800"
    else:
        event[field] = "x\udfff"
    r = raw_post(server, kiosk_token, "events", events_body(event))  # json.dumps writes it as \\ud800
    assert r.status_code == 400 and "not valid Unicode" in r.json()["message"]
    assert field.split(".")[-1] in r.json()["message"]
    r = raw_post(server, kiosk_token, "heartbeat", b'{"kiosk_id": "K1", "note": "\\ud800"}')
    assert r.status_code == 400
    assert db.events() == []


def test_a_lone_surrogate_in_raw_bytes_or_utf16_is_a_400_too(server, db, kiosk_token):
    """The walk of the parsed body is skipped for plain UTF-8 text, never for these."""
    encoded = b'{"kiosk_id": "K1", "note": "A\xed\xa0\x80"}'  # U+D800 written as UTF-8 bytes
    # These bytes happen to be valid UTF-8 as well (D8 80 is U+0600).
    utf16 = '{"kiosk_id": "K1", "note": "A\ud800\u0080"}'.encode("utf-16-le", "surrogatepass")
    for data in (encoded, utf16, b'{"kiosk_id": "K1", "note": "\\\\\\udFfF"}'):
        r = raw_post(server, kiosk_token, "heartbeat", data)
        assert r.status_code == 400 and "body.note is not valid Unicode" in r.json()["message"], (data, r.text)
    r = raw_post(server, kiosk_token, "heartbeat", b'{"kiosk_id": "K1", "note": "\\\\ud800 \\ud83d\\ude00"}')
    assert r.status_code == 200, "an escaped backslash before 'ud800', and a surrogate pair, are valid text"


@pytest.mark.parametrize("text,deep", [
    ('{"a": "\\"[[[[", "b": []}', False),  # an escaped quote does not end the string
    ('{"a": "\\\\", "b": ' + "[" * 40 + "]" * 40 + "}", True),  # an escaped backslash does not escape the quote
    ('{"a": "]]]]}}}}", "b": ' + "[" * 32 + "]" * 32 + "}", True),
    ('{"a": "x\\n", "b": ' + "[" * 31 + "]" * 31 + "}", False),
])
def test_nesting_is_counted_outside_strings_only(text, deep):
    from central.protocol import json_depth_problem

    assert (json_depth_problem(text.encode()) is not None) is deep


def test_an_event_is_stored_as_received_unless_a_key_repeats(server, db, kiosk_token, make_event):
    """The server stores an event's own text; one repeating a key (json.loads keeps the last,
    SQLite's json_extract the first) is stored as validated instead, so the ticket a counter
    calls is the one that was checked."""
    import json

    plain, twice = make_event(1), make_event(2)
    plain_text = json.dumps(plain, indent=1)
    evil = json.dumps({**twice["ticket"], "number": "EVIL", "kiosk_id": "K9"})
    twice_text = json.dumps(twice)[:-1] + ', "ticket": ' + json.dumps(twice["ticket"]) + "}"
    twice_text = twice_text.replace('"ticket": {', '"ticket": ' + evil + ', "x": {', 1)
    for text, event in ((plain_text, plain), (twice_text, twice)):
        data = ('{"kiosk_id": "K1", "events": [ %s ]}' % text).encode()
        r = raw_post(server, kiosk_token, "events", data)
        assert r.status_code == 200 and r.json()["accepted"] == [event["event_id"]], r.text
    payloads = {e["event_id"]: e["payload"] for e in db.events()}
    assert payloads[plain["event_id"]] == plain_text
    stored = json.loads(payloads[twice["event_id"]])
    assert stored["ticket"] == twice["ticket"] and "EVIL" not in payloads[twice["event_id"]]
    numbers = {t["number"] for t in db.iter_tickets()}
    assert numbers == {"A001", "A002"}


def test_a_path_that_would_redirect_is_a_json_404(server, counter_token, kiosk_token):
    for path in ("/api/v1/offices/BLITAR/services/..%2F/next", "/api/v1/offices/BLITAR/services/A%2F..%2F/next",
                 "/api/v1//health", "/api/v1/offices/BLITAR//queue"):
        r = requests.post(server.url + path, headers=bearer(counter_token), timeout=5, allow_redirects=False) \
            if path.endswith("next") else requests.get(server.url + path, headers=bearer(kiosk_token), timeout=5,
                                                       allow_redirects=False)
        assert r.status_code == 404, (path, r.status_code, r.text[:100])
        assert r.headers["Content-Type"] == "application/json" and r.json()["error"] == "not_found"


def test_a_bad_service_day_is_a_400(server, kiosk_token):
    r = requests.get(f"{server.url}/api/v1/offices/BLITAR/queue", params={"service_day": "2026-11-\u0662\u0667"},
                     headers=bearer(kiosk_token), timeout=5)
    assert r.status_code == 400 and "service_day" in r.json()["message"]
