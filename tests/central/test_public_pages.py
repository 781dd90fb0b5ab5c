"""The public pages on a real server: a ticket's place by its token, the display's calls, its audio."""

import re
from pathlib import Path

import pytest
import requests

from central.web import display as display_page
from central.web import ticket as ticket_page
from central.web.i18n import BASE

from .conftest import KIOSK, bearer, make_event

OFFICE = "BLITAR"
CATALOGUE = (Path(__file__).resolve().parents[2] / "config" / "services.toml").read_bytes()


def token_of(n: int, prefix: str = "A") -> str:
    return f"tok{prefix}{n:03d}".ljust(22, "x")


def push(server, kiosk_token, events):
    r = requests.post(server.url + "/api/v1/events", json={"kiosk_id": KIOSK, "office": OFFICE, "events": events},
                      headers=bearer(kiosk_token), timeout=5)
    assert r.status_code == 200 and not r.json()["rejected"], r.text
    return r


def issue(server, kiosk_token, numbers, prefix="A", **extra):
    events = []
    for n in numbers:
        event = make_event(n, prefix=prefix, **extra)
        event["ticket"]["token"] = token_of(n, prefix)
        event["ticket"]["service"] = "paspor-baru-dewasa"
        events.append(event)
    push(server, kiosk_token, events)


def status(server, token, **params):
    return requests.get(f"{server.url}/api/v1/public/tickets/{token}", params=params, timeout=5)


def call(server, counter_token, prefix="A"):
    return requests.post(f"{server.url}/api/v1/offices/{OFFICE}/services/{prefix}/next",
                         headers=bearer(counter_token), timeout=5)


def test_a_tickets_place_follows_the_counters(server, db, kiosk_token, counter_token):
    db.set_catalogue(OFFICE, CATALOGUE)
    issue(server, kiosk_token, range(1, 5))
    mine = token_of(3)
    first = status(server, mine).json()
    assert first["number"] == "A003" and first["status"] == "waiting" and first["ahead"] == 2
    assert first["service_name"] == {"id": "Paspor Baru Dewasa (M-Paspor)", "en": "New passport, adult (M-Paspor)"}
    assert first["now_serving"] is None and first["estimated_wait_min"] is None
    assert call(server, counter_token).json()["ticket"]["number"] == "A001"
    after_one = status(server, mine).json()
    assert after_one["ahead"] == 1 and after_one["now_serving"] == {"number": "A001", "counter": "desk-1"}
    call(server, counter_token)
    assert status(server, mine).json()["ahead"] == 0
    call(server, counter_token)
    called = status(server, mine).json()
    assert (called["status"], called["counter"], called["ahead"]) == ("called", "desk-1", None)
    call(server, counter_token)
    assert status(server, mine).json()["status"] == "done"
    assert status(server, token_of(4)).json()["status"] == "called"


def test_the_answer_holds_the_documented_facts_only(server, db, kiosk_token):
    issue(server, kiosk_token, [1])
    body = status(server, token_of(1)).json()
    assert set(body) <= {"number", "service", "service_name", "status", "counter", "ahead", "estimated_wait_min",
                         "now_serving", "survey_url", "server_time"}
    text = str(body)
    assert "t-K1-A1" not in text and KIOSK not in text and "08:00" not in text


def test_the_wait_is_estimated_from_served_tickets_and_counters(server, db, kiosk_token):
    issue(server, kiosk_token, range(1, 8))
    with db.write() as conn:  # two counters served A001 and A002 in 5 minutes each
        for n, counter in ((1, "1"), (2, "2")):
            conn.execute("UPDATE tickets SET called_at = ?, counter = ?, done_at = ? WHERE number = ?",
                         ("2026-11-27T01:00:00+00:00", counter, "2026-11-27T01:05:00+00:00", f"A00{n}"))
    body = status(server, token_of(7)).json()
    assert body["ahead"] == 4 and body["estimated_wait_min"] == 10  # 4 x 5 min / 2 counters


def test_priority_tickets_are_counted_ahead_as_the_counter_calls_them(server, db, kiosk_token, counter_token):
    events = [make_event(n, prefix="A") for n in (1, 2, 3)]
    events[2]["ticket"]["priority"] = "lansia"
    for e, n in zip(events, (1, 2, 3)):
        e["ticket"]["token"] = token_of(n)
    push(server, kiosk_token, events)
    assert status(server, token_of(3)).json()["ahead"] == 0
    assert status(server, token_of(1)).json()["ahead"] == 1
    assert call(server, counter_token).json()["ticket"]["number"] == "A003"


def test_a_token_not_yet_synced_says_so_and_works_once_the_ticket_arrives(server, db, kiosk_token):
    token = token_of(9)
    r = status(server, token)
    assert r.status_code == 404 and r.json()["error"] == "not_synced"
    page = requests.get(f"{server.url}/t/{token}", timeout=5)
    assert page.status_code == 200 and "mungkin belum tersinkron" in page.text
    english = requests.get(f"{server.url}/t/{token}?lang=en", timeout=5)
    assert "may not have synced yet" in english.text
    issue(server, kiosk_token, [9])
    assert status(server, token).json()["number"] == "A009"
    page = requests.get(f"{server.url}/t/{token}", timeout=5)
    assert "A009" in page.text and "mungkin belum tersinkron" not in re.sub(r'class="hidden"[^<]*', "", page.text)


def test_a_malformed_token_is_not_found_and_a_bad_token_in_an_event_is_not_stored(server, db, kiosk_token):
    assert requests.get(f"{server.url}/t/short", timeout=5).status_code == 404
    assert status(server, "x" * 65).status_code == 404
    event = make_event(1)
    event["ticket"]["token"] = 12345
    other = make_event(2)
    other["ticket"]["token"] = "../../etc/passwd-xxxxxxxxxx"
    push(server, kiosk_token, [event, other])
    assert [r[0] for r in db.conn().execute("SELECT token FROM tickets")] == [None, None]


def test_yesterdays_uncalled_ticket_says_its_day_is_over(server, db, kiosk_token):
    issue(server, kiosk_token, [1], service_day="2026-11-26")
    issue(server, kiosk_token, [1], prefix="B", service_day="2026-11-27")
    assert status(server, token_of(1)).json()["status"] == "expired"


def test_the_display_shows_the_latest_call_per_counter_and_the_last_calls(server, db, kiosk_token, counter_token):
    from central.auth import issue_token

    issue(server, kiosk_token, range(1, 5))
    empty = requests.get(f"{server.url}/api/v1/offices/{OFFICE}/display", timeout=5).json()
    assert empty["counters"] == [] and empty["recent"] == []
    other = issue_token(db, "counter", "3")
    call(server, counter_token)
    call(server, other)
    call(server, counter_token)
    body = requests.get(f"{server.url}/api/v1/offices/{OFFICE}/display", timeout=5).json()
    assert [(c["counter"], c["number"]) for c in body["counters"]] == [("3", "A002"), ("desk-1", "A003")]
    assert [c["number"] for c in body["recent"]] == ["A003", "A002", "A001"]
    page = requests.get(f"{server.url}/display/{OFFICE}", timeout=5)
    assert page.status_code == 200 and "display.js" in page.text
    assert requests.get(f"{server.url}/display/not%20an%20office", timeout=5).status_code == 404


def test_the_call_is_spoken_as_a_wav_rendered_on_the_server(server):
    r = requests.get(f"{server.url}/display/audio/A001/3.wav", timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"] == "audio/wav"
    assert r.content[:4] == b"RIFF" and len(r.content) > 20_000, "a second or more of speech"
    again = requests.get(f"{server.url}/display/audio/A001/3.wav", timeout=30)
    assert again.content == r.content
    chime = requests.get(f"{server.url}/display/chime.wav", timeout=5)
    assert chime.status_code == 200 and chime.content[:4] == b"RIFF"
    assert requests.get(f"{server.url}/display/audio/A001/x%20y.wav", timeout=5).status_code == 404
    assert requests.get(f"{server.url}/display/audio/A001/3.wav?lang=fr", timeout=5).status_code == 404


@pytest.mark.parametrize("texts", [ticket_page.TEXTS, display_page.TEXTS])
def test_every_text_has_both_languages(texts):
    for key, pair in {**texts.table, **BASE}.items():
        assert len(pair) == 2 and all(pair), key
        assert re.findall(r"{\w+}", pair[0]) == re.findall(r"{\w+}", pair[1]), key


def survey_form(**overrides):
    form = {"requirements": "4", "procedure": "3", "service_time": "2", "cost": "4", "product": "3",
            "competence": "4", "behaviour": "4", "complaints": "1", "facilities": "3", "sex": "female",
            "complaint": "Toilet kotor"}
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def test_the_phone_survey_opens_once_served_and_counts_one_response_per_ticket(server, db, kiosk_token,
                                                                               counter_token):
    from central import survey

    issue(server, kiosk_token, [1])
    token = token_of(1)
    url = f"{server.url}/t/{token}/survey"
    assert "setelah Anda selesai dilayani" in requests.get(url, timeout=5).text
    assert requests.post(url, data=survey_form(), timeout=5).status_code == 409
    call(server, counter_token)
    assert "survey_url" not in status(server, token).json(), "called, not yet done"
    call(server, counter_token)  # the counter moves on: A001 is done
    body = status(server, token).json()
    assert body["status"] == "done" and body["survey_url"] == f"/t/{token}/survey"
    form = requests.get(url, timeout=5)
    assert form.status_code == 200 and form.text.count('type="radio"') == 36
    assert "Apakah petugas sopan dan ramah?" in form.text and "Sangat sopan dan ramah" in form.text
    missing = requests.post(url, data=survey_form(cost=None), timeout=5)
    assert missing.status_code == 400 and "kesembilan" in missing.text
    assert len(re.findall(r"required\s+checked", missing.text)) == 8, "the eight answers given are kept"
    bad = requests.post(url, data=survey_form(sex="robot"), timeout=5)
    assert bad.status_code == 400 and "respondent.sex" in bad.text
    sent = requests.post(url, data=survey_form(), timeout=5, allow_redirects=False)
    assert sent.status_code == 303
    assert "Terima kasih" in requests.get(server.url + sent.headers["Location"], timeout=5).text
    again = requests.post(url, data=survey_form(requirements="1"), timeout=5)
    assert again.status_code == 409 and "sudah diisi" in again.text
    assert "sudah diisi" in requests.get(url, timeout=5).text
    row = db.conn().execute("SELECT * FROM survey_responses").fetchall()
    assert len(row) == 1
    assert (row[0]["source"], row[0]["ticket_id"], row[0]["u1"], row[0]["u8"], row[0]["sex"], row[0]["complaint"]) \
        == ("phone", "t-K1-A1", 4, 1, "female", "Toilet kotor")
    report = survey.ikm_report(db, "BLITAR", "2000-01-01", "2100-01-01", None)
    assert report.count == 1


def test_every_public_page_and_its_errors_carry_the_security_headers(db):
    from central.app import create_app
    from central.server import ServerThread

    app = create_app(db)
    limiter = app.extensions["central.public_limiter"]
    with ServerThread(app) as srv:
        answers = {path: requests.get(srv.url + path, timeout=5) for path in (
            "/", f"/t/{token_of(1)}", f"/t/{token_of(1)}/survey", "/t/bad", f"/display/{OFFICE}", "/display/a%20b")}
        limiter.burst, limiter.rate = 0, 0.01
        answers["429"] = requests.get(f"{srv.url}/display/{OFFICE}", timeout=5)
    assert [a.status_code for a in answers.values()] == [200, 200, 404, 404, 200, 404, 429]
    for path, answer in answers.items():
        assert answer.headers["Content-Type"].startswith("text/html"), path
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"], path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path
        assert answer.headers["Referrer-Policy"] == "no-referrer", path
        assert "<script>" not in answer.text, path


def test_a_tickets_place_is_the_order_the_counters_call_in(server, db, kiosk_token, counter_token):
    """A booked arrival called ahead of the walk-ins and a ticket transferred from another queue:
    each waiting ticket's `ahead` is exactly how many tickets the counters call before it."""
    from central import counter_queue

    from .test_bookings import checkin_event

    issue(server, kiosk_token, [1, 2, 4])
    booked = checkin_event(3, "MPAHEAD1", ahead=True)
    booked["ticket"]["token"] = token_of(3)
    push(server, kiosk_token, [booked])
    issue(server, kiosk_token, [1], prefix="C")
    assert counter_queue.call_next(db, OFFICE, "C", "9", "user:test")["number"] == "C001"
    counter_queue.transfer(db, OFFICE, "9", "A", "user:test")  # C001 waits in A now, by its issue time
    tokens = {f"A00{n}": token_of(n) for n in (1, 2, 3, 4)} | {"C001": token_of(1, "C")}
    places = {number: status(server, token).json()["ahead"] for number, token in tokens.items()}
    assert sorted(places.values()) == list(range(len(tokens)))
    called = [call(server, counter_token).json()["ticket"]["number"] for _ in tokens]
    assert called == sorted(places, key=places.get) == ["A003", "A001", "C001", "A002", "A004"]
