"""The staff pages through Flask: login, CSRF, throttling, each counter action's effect on the
queue and the audit, the report's figures against hand-computed ones, the kiosk lock command."""

import csv
import io
import re

import pytest

from central import kiosk_commands, staff
from central.app import create_app
from central.auth import issue_token

OFFICE, KIOSK = "BLITAR", "K1"
PASSWORD = "a long enough password"


@pytest.fixture
def app(db):
    staff.add_user(db, "rina", "counter", OFFICE, PASSWORD, "test")
    staff.add_user(db, "ana", "supervisor", OFFICE, PASSWORD, "test")
    staff.add_user(db, "joko", "supervisor", "MALANG", PASSWORD, "test")
    staff.set_counters(db, OFFICE, ["1", "2", "3"], "test")
    db.set_catalogue(OFFICE, '''priority_prefix = "P"
[[services]]
key = "paspor-baru"
prefix = "A"
name_id = "Paspor Baru"
name_en = "New passport"
[[services]]
key = "pengambilan"
prefix = "G"
name_id = "Pengambilan Paspor"
name_en = "Passport pickup"
'''.encode())
    return create_app(db)


def login(client, user, password=PASSWORD, **extra):
    page = client.get("/staff/login")
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)
    return client.post("/staff/login", data={"form_token": token, "username": user, "password": password, **extra})


def csrf_of(client, path="/counter"):
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def push(db, make_event, n=4):
    events = [make_event(i) for i in range(1, n + 1)] + [make_event(1, prefix="G")]
    assert len(db.ingest(KIOSK, OFFICE, events)[0]) == n + 1


def audit(db, actor=None):
    return [(r["actor"], r["action"], r["target"]) for r in reversed(staff.audit_rows(db, OFFICE, limit=500))
            if actor is None or r["actor"] == actor]


def test_login_sets_a_strict_httponly_session_cookie_and_lands_on_the_role_page(app):
    client = app.test_client()
    assert client.get("/counter").headers["Location"].startswith("/staff/login")
    reply = login(client, "rina")
    assert reply.status_code == 303 and reply.headers["Location"] == "/counter"
    cookie = next(h for h in reply.headers.getlist("Set-Cookie") if h.startswith("staff_session="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    page = client.get("/counter")
    assert page.status_code == 200 and "rina (counter)" in page.text
    assert "Content-Security-Policy" in page.headers and "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "no inline script"
    over_https = app.test_client()
    page = over_https.get("/staff/login", base_url="https://central.example")
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)
    reply = over_https.post("/staff/login", base_url="https://central.example",
                            data={"form_token": token, "username": "ana", "password": PASSWORD})
    assert reply.headers["Location"] == "/reports"
    assert any(h.startswith("staff_session=") and "Secure" in h for h in reply.headers.getlist("Set-Cookie"))
    app.config["STAFF_SECURE_COOKIES"] = True  # `serve --secure-cookies`, behind an https proxy
    reply = login(app.test_client(), "rina")
    assert any(h.startswith("staff_session=") and "Secure" in h for h in reply.headers.getlist("Set-Cookie"))


def test_wrong_password_forged_login_form_and_throttling(app, db):
    client = app.test_client()
    wrong = login(client, "rina", "not the password")
    assert wrong.status_code == 401 and "wrong user name or password" in wrong.text
    assert "staff_session=" not in " ".join(wrong.headers.getlist("Set-Cookie"))
    forged = app.test_client().post("/staff/login", data={"form_token": "x", "username": "rina", "password": PASSWORD})
    assert forged.status_code == 403
    for _ in range(staff.USER_FAILURES - 1):
        assert login(client, "rina", "guess again").status_code == 401
    throttled = login(client, "rina")  # the right password, too late
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 60
    assert "too many failed logins" in throttled.text
    assert audit(db).count(("user:rina", "login.failed", "rina")) == staff.USER_FAILURES


def test_a_post_without_the_sessions_csrf_token_changes_nothing(app, db, make_event):
    push(db, make_event)
    client = app.test_client()
    login(client, "rina")
    csrf = csrf_of(client)
    assert client.post("/counter/sit", data={"counter": "2", "csrf": csrf}).status_code == 303
    before = audit(db)
    for data in ({"queue": "A"}, {"queue": "A", "csrf": "forged"}, {"queue": "A", "csrf": ""}):
        refused = client.post("/counter/next", data=data)
        assert refused.status_code == 403 and "kedaluwarsa" in refused.text
    assert db.conn().execute("SELECT count(*) FROM tickets WHERE called_at IS NOT NULL").fetchone()[0] == 0
    assert audit(db) == before
    # Another session's token does not do either.
    other = app.test_client()
    login(other, "ana")
    assert client.post("/counter/next", data={"queue": "A", "csrf": csrf_of(other)}).status_code == 403
    # Logged out: a POST goes to the login page, the token of the closed session is dead.
    client.post("/staff/logout", data={"csrf": csrf})
    assert client.post("/counter/next", data={"queue": "A", "csrf": csrf}).headers["Location"].startswith("/staff/login")


def test_counter_actions_by_form_drive_the_queue_and_are_audited(app, db, make_event):
    push(db, make_event)
    client = app.test_client()
    login(client, "rina")
    csrf = csrf_of(client)
    page = client.get("/counter").text
    assert 'id="sit-1"' in page and 'id="next-A"' not in page  # pick a counter first
    client.post("/counter/sit", data={"counter": "2", "csrf": csrf})
    page = client.get("/counter").text
    assert "4 waiting" in page or "4 menunggu" in page
    client.post("/counter/next", data={"queue": "A", "csrf": csrf})
    page = client.get("/counter").text
    assert re.search(r'id="current-number">A001<', page)
    client.post("/counter/recall", data={"csrf": csrf})
    assert db.conn().execute("SELECT recalls FROM tickets WHERE number = 'A001'").fetchone()[0] == 1
    client.post("/counter/transfer", data={"queue": "G", "csrf": csrf})
    row = db.conn().execute("SELECT queue_prefix, called_at, counter FROM tickets WHERE number = 'A001'").fetchone()
    assert tuple(row) == ("G", None, None)
    assert 'id="idle"' in client.get("/counter").text
    client.post("/counter/next", data={"queue": "G", "csrf": csrf})
    assert re.search(r'id="current-number">A001<', client.get("/counter").text)  # the transferred ticket was first
    client.post("/counter/skip", data={"csrf": csrf})
    client.post("/counter/next", data={"queue": "A", "csrf": csrf})
    client.post("/counter/done", data={"csrf": csrf})
    outcomes = dict(db.conn().execute("SELECT number, outcome FROM tickets WHERE outcome IS NOT NULL").fetchall())
    assert outcomes == {"A001": "skipped", "A002": "served"}
    nobody = client.post("/counter/next", data={"queue": "P", "csrf": csrf})
    assert "m=nobody" in nobody.headers["Location"]
    assert client.post("/counter/next", data={"queue": "Z", "csrf": csrf}).headers["Location"].endswith("m=bad_queue")
    assert client.post("/counter/recall", data={"csrf": csrf}).headers["Location"].endswith("m=no_current")
    assert [a[1:] for a in audit(db, "user:rina")] == [
        ("login", "rina"), ("counter.sit", "2"), ("ticket.call", "A001"), ("ticket.recall", "A001"),
        ("ticket.transfer", "A001"), ("ticket.call", "A001"), ("ticket.skip", "A001"), ("ticket.call", "A002"),
        ("ticket.done", "A002"), ("ticket.call_next", None)]


@pytest.fixture
def known_day(db, make_event):
    """Four tickets with hand-set times (office time +07:00):
    A001 issued 08:10, called 08:25, done 08:35  -> wait 15 min, service 10 min
    A002 issued 08:20, called 08:50, done 09:10  -> wait 30 min, service 20 min
    A003 issued 09:05, still waiting
    G001 issued 09:30, called 09:40, skipped 09:45 -> wait 10 min, no service time
    """
    events = [make_event(i) for i in (1, 2, 3)] + [make_event(1, prefix="G")]
    for event, issued in zip(events, ("08:10", "08:20", "09:05", "09:30")):
        event["ticket"]["issued_at"] = f"2026-11-27T{issued}:00+07:00"
    db.ingest(KIOSK, OFFICE, events)
    day = "2026-11-27T{}:00+07:00".format
    with db.write() as conn:
        for number, called, done, outcome in (("A001", "08:25", "08:35", "served"), ("A002", "08:50", "09:10", "served"),
                                              ("G001", "09:40", "09:45", "skipped")):
            conn.execute("UPDATE tickets SET called_at = ?, first_called_at = ?, done_at = ?, outcome = ?, counter = '1' "
                         "WHERE number = ?", (day(called), day(called), day(done), outcome, number))
    return db


def test_report_figures_match_the_hand_computed_ones(app, known_day):
    client = app.test_client()
    login(client, "ana")
    page = client.get("/reports?from=2026-11-27&to=2026-11-27")
    assert page.status_code == 200 and "<svg" in page.text and 'id="hourly-total">4<' in page.text
    hourly = list(csv.reader(io.StringIO(client.get("/reports/hourly.csv?from=2026-11-27").text)))
    assert hourly == [["hour", "A", "G", "total"], ["08:00", "2", "0", "2"], ["09:00", "1", "1", "2"]]
    times = list(csv.DictReader(io.StringIO(client.get("/reports/times.csv?from=2026-11-27").text)))
    a, g_ = times
    assert (a["service"], a["issued"], a["waiting"], a["served"], a["skipped"]) == ("A", "3", "1", "2", "0")
    assert (a["wait_mean_min"], a["wait_median_min"], a["wait_p90_min"]) == ("22.5", "22.5", "30.0")
    assert (a["service_mean_min"], a["service_median_min"], a["service_p90_min"]) == ("15.0", "15.0", "20.0")
    assert (g_["served"], g_["skipped"], g_["wait_mean_min"], g_["service_mean_min"]) == ("0", "1", "10.0", "")
    # Another day: nothing.
    assert 'id="hourly-total"' not in client.get("/reports?from=2026-11-28").text


def test_reports_are_for_supervisors_of_the_office(app, known_day):
    counter = app.test_client()
    login(counter, "rina")
    assert counter.get("/reports").status_code == 403
    assert counter.get("/reports/times.csv").status_code == 403
    other_office = app.test_client()
    login(other_office, "joko")
    assert "A001" not in other_office.get("/reports?from=2026-11-27").text
    assert other_office.get("/reports/hourly.csv?from=2026-11-27").text.strip() == "hour,total"
    assert app.test_client().get("/reports").status_code == 302


def test_kiosk_health_and_the_lock_command_with_its_confirmation(app, db, make_event):
    issue_token(db, "kiosk", KIOSK, office=OFFICE)
    db.ingest(KIOSK, OFFICE, [make_event(1)])
    db.record_heartbeat(KIOSK, OFFICE, {
        "printer": {"state": "paper_out"}, "paper_warning": True, "outbox": {"depth": 12, "level": "warn"},
        "quarantine": {"count": 2, "events": []}, "lock": {"locked": False}})
    client = app.test_client()
    login(client, "ana")
    row = re.search(r'<tr id="kiosk-K1">(.*?)</tr>', client.get("/reports").text, re.S).group(1)
    assert "paper_out" in row and ">12<" in row and ">2<" in row and 'id="lock-K1"' in row
    csrf = csrf_of(client, "/reports")
    sent = client.post("/reports/kiosks/K1/lock", data={"csrf": csrf, "reason": "printer empty"})
    assert sent.status_code == 303 and "m=lock_sent" in sent.headers["Location"]
    command = kiosk_commands.latest_per_kiosk(db, OFFICE)["K1"]
    assert (command["action"], command["requested_by"], command["reason"]) == ("lock", "user:ana", "printer empty")
    assert "waiting for the kiosk" in client.get("/reports?lang=en").text
    assert client.post("/reports/kiosks/K9/lock", data={"csrf": csrf}).headers["Location"].endswith("m=bad_kiosk")
    assert kiosk_commands.pending_for(db, KIOSK)[0]["id"] == command["id"]
    assert "picked up by the kiosk" in client.get("/reports").text
    db.record_heartbeat(KIOSK, OFFICE, {"lock": {"locked": True}})
    assert kiosk_commands.confirm_from_heartbeat(db, KIOSK, {"commands": {"applied": [
        {"id": command["id"], "applied_at": "2026-11-27T09:00:01+07:00"}]}}) == 1
    row = re.search(r'<tr id="kiosk-K1">(.*?)</tr>', client.get("/reports").text, re.S).group(1)
    assert "lock confirmed by the kiosk at" in row and 'id="unlock-K1"' in row
    assert ("user:ana", "kiosk.lock", "K1") in audit(db)
    # Another office's supervisor cannot lock this kiosk.
    other = app.test_client()
    login(other, "joko")
    assert other.post("/reports/kiosks/K1/unlock", data={"csrf": csrf_of(other, "/reports")}).headers[
        "Location"].endswith("m=bad_kiosk")


def test_every_staff_page_renders_in_both_languages(app, known_day):
    client = app.test_client()
    login(client, "ana")
    client.post("/counter/sit", data={"counter": "1", "csrf": csrf_of(client)})
    for lang in ("id", "en"):
        for path in ("/counter", "/reports?from=2026-11-27", "/staff/login"):
            assert client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}").status_code in (200, 302)


def test_ikm_per_element_and_period_with_the_regulations_bands(app, db):
    from central import survey
    from central.ikm import ELEMENTS

    for day, score in (("2026-11-26", 2), ("2026-11-27", 4), ("2026-11-27", 3)):
        assert survey.record_response(db, OFFICE, dict.fromkeys(ELEMENTS, score), source="phone", answered_on=day)
    client = app.test_client()
    login(client, "ana")
    # One day: NRR (4 + 3) / 2 = 3.5 per element -> 3.5 x 25 = 87.50, band B (76.61-88.30).
    page = client.get("/reports?from=2026-11-27&to=2026-11-27&lang=en").text
    total = re.search(r'id="ikm-total">(.*?)</p>', page, re.S).group(1)
    assert "<strong>87.50</strong> (B, good)" in total and "Respondents 2" in total
    elements = re.search(r'id="ikm-elements">(.*?)</table>', page, re.S).group(1)
    assert elements.count("<td class=\"n\">3.500</td><td class=\"n\">87.50</td><td>B (good)</td>") == 9
    # Two days by day: 26th all 2s -> 50.00 D; 27th 87.50 B; together NRR 3 -> 75.00 C (65.00-76.60).
    page = client.get("/reports?from=2026-11-26&to=2026-11-27&by=day&lang=en").text
    assert "<strong>75.00</strong> (C, fair)" in page
    rows = re.findall(r"<tr><td>(2026-11-2\d)</td><td class=\"n\">(\d)</td><td class=\"n\">([\d.]+)</td><td>(\w)",
                      re.search(r'id="ikm-rows">(.*?)</table>', page, re.S).group(1))
    assert rows == [("2026-11-26", "1", "50.00", "D"), ("2026-11-27", "2", "87.50", "B")]
    exported = list(csv.reader(io.StringIO(client.get("/reports/ikm.csv?from=2026-11-26&to=2026-11-27&by=day").text)))
    assert exported[0][0] == "day" and [r[0] for r in exported[1:]] == ["2026-11-26", "2026-11-27", "TOTAL"]
    assert exported[-1][-3:] == ["75.00", "C", "kurang baik"]
    assert 'id="ikm-none"' in client.get("/reports?from=2026-11-28").text
