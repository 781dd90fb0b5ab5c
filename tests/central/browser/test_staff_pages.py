"""The staff pages in headless Chromium: the counter flow by clicks (log in, sit at a counter, call
next, recall, transfer, skip, done), and the office report at 1920x1080 with a kiosk locked from
it and the kiosk's confirmation shown."""

import uuid

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from support.waiting import wait_for

from central import kiosk_commands, staff, survey
from central.ikm import ELEMENTS

from .conftest import KIOSK, OFFICE, TV, click, set_viewport, shot, text_of, texts_of

PASSWORD = "loket password 1"
COUNTER_SCREEN = (1280, 800)
REPORT_DAY = "2026-11-20"


def log_in(browser, central, user: str) -> None:
    browser.get(f"{central.url}/staff/login")
    browser.find_element(By.ID, "username").send_keys(user)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click(browser, "login")
    wait_for("the logged-in page", lambda: user in text_of(browser, "user"), 10, 0.1)


def ticket(central, number: str, issued: str, day: str = "2026-11-27") -> None:
    """A ticket as the kiosk files it, issued at `issued` (HH:MM, office time) on `day`."""
    central.seq += 1
    prefix = number.rstrip("0123456789")
    service = {"A": "paspor-baru-dewasa", "B": "paspor-baru-anak", "G": "pengambilan-paspor"}[prefix]
    record = {"id": str(uuid.uuid4()), "kiosk_id": KIOSK, "number": number, "service": service, "prefix": prefix,
              "seq": int(number[len(prefix):]), "priority": None, "service_day": day,
              "issued_at": f"{day}T{issued}:00+07:00", "print_state": "printed"}
    event = {"event_id": str(uuid.uuid4()), "kind": "ticket.issued", "kiosk_id": KIOSK, "seq": central.seq,
             "created_at": "2026-11-27T01:00:00.000+00:00", "ticket": record}
    r = requests.post(central.url + "/api/v1/events", json={"kiosk_id": KIOSK, "office": OFFICE, "events": [event]},
                      headers={"Authorization": f"Bearer {central.kiosk_token}"}, timeout=5)
    assert r.ok and not r.json()["rejected"], r.text


def outcome(central, number: str):
    return central.db.conn().execute(
        "SELECT counter, outcome, coalesce(queue_prefix, prefix) AS queue, recalls FROM tickets WHERE number = ?",
        (number,)).fetchone()


def test_the_counter_flow_by_clicks(central, browser):
    set_viewport(browser, COUNTER_SCREEN)
    staff.add_user(central.db, "rina", "counter", OFFICE, PASSWORD, "test")
    staff.set_counters(central.db, OFFICE, ["1", "2", "3"], "test")
    for number, issued in (("A001", "08:01"), ("A002", "08:03"), ("B001", "08:04")):
        ticket(central, number, issued)
    browser.get(f"{central.url}/counter")
    assert "/staff/login" in browser.current_url
    log_in(browser, central, "rina")
    click(browser, "sit-2")
    wait_for("counter 2", lambda: text_of(browser, "seat") == "Loket 2", 10, 0.1)
    assert text_of(browser, "waiting-A") == "2 menunggu" and text_of(browser, "waiting-G") == "0 menunggu"
    ticket(central, "G001", "08:05")  # a kiosk issues while the page is open: it takes the count in by itself
    wait_for("the page's own refresh", lambda: text_of(browser, "waiting-G") == "1 menunggu", 15, 0.2)

    click(browser, "next-A")
    wait_for("A001 called", lambda: text_of(browser, "current-number") == "A001", 10, 0.1)
    assert outcome(central, "A001")["counter"] == "2"
    click(browser, "recall")
    wait_for("the recall", lambda: "dipanggil ulang 1x" in text_of(browser, "serving"), 10, 0.1)
    assert outcome(central, "A001")["recalls"] == 1
    shot(browser, "central-counter.png")

    Select(browser.find_element(By.ID, "transfer-queue")).select_by_value("B")
    click(browser, "transfer")
    wait_for("the counter free again", lambda: text_of(browser, "idle"), 10, 0.1)
    assert outcome(central, "A001")["queue"] == "B" and text_of(browser, "waiting-B") == "2 menunggu"

    click(browser, "next-B")  # A001 was issued before B001: it is first in B's queue
    wait_for("A001 called at B", lambda: text_of(browser, "current-number") == "A001", 10, 0.1)
    click(browser, "skip")
    wait_for("the skip", lambda: text_of(browser, "idle"), 10, 0.1)
    click(browser, "next-A")
    wait_for("A002 called", lambda: text_of(browser, "current-number") == "A002", 10, 0.1)
    click(browser, "done")
    wait_for("done", lambda: text_of(browser, "idle"), 10, 0.1)
    click(browser, "next-A")
    wait_for("nobody waiting", lambda: "Tidak ada yang menunggu" in text_of(browser, "message"), 10, 0.1)

    assert outcome(central, "A001")["outcome"] == "skipped" and outcome(central, "A002")["outcome"] == "served"
    assert outcome(central, "B001")["counter"] is None
    actions = [r["action"] for r in reversed(staff.audit_rows(central.db, OFFICE)) if r["actor"] == "user:rina"]
    assert actions == ["login", "counter.sit", "ticket.call", "ticket.recall", "ticket.transfer", "ticket.call",
                       "ticket.skip", "ticket.call", "ticket.done", "ticket.call_next"]
    recent = text_of(browser, "recent")
    assert "A002" in recent and "A001" in recent
    click(browser, "logout")
    wait_for("the login page", lambda: "/staff/login" in browser.current_url, 10, 0.1)


def test_the_report_page_at_1920x1080_and_a_kiosk_locked_from_it(central, browser):
    set_viewport(browser, TV)
    staff.add_user(central.db, "ana", "supervisor", OFFICE, PASSWORD, "test")
    # A morning a week before the counter test's day: tickets each hour, called and finished at
    # set times (office time +07:00).
    day = f"{REPORT_DAY}T{{}}:00+07:00".format
    times = [("A010", "08:02", "08:20", "08:31"), ("A011", "08:15", "08:35", "08:52"), ("B010", "08:40", "08:50", "09:02"),
             ("A012", "09:05", "09:30", "09:41"), ("G010", "09:10", "09:15", "09:18"), ("A013", "10:01", None, None),
             ("B011", "10:20", None, None), ("G011", "10:25", "10:30", "10:31")]
    for number, issued, _, _ in times:
        ticket(central, number, issued, REPORT_DAY)
    with central.db.write() as conn:
        for number, _, called, done in times:
            if called:
                conn.execute("UPDATE tickets SET called_at = ?, first_called_at = ?, done_at = ?, outcome = 'served', "
                             "counter = '1' WHERE number = ?", (day(called), day(called), day(done), number))
    for scores in ((4, 4, 3, 4, 3, 4, 4, 3, 3), (3, 3, 3, 4, 3, 3, 4, 3, 2), (4, 3, 3, 4, 4, 4, 4, 4, 3)):
        survey.record_response(central.db, OFFICE, dict(zip(ELEMENTS, scores)), source="kiosk", answered_on=REPORT_DAY)
    kiosk_auth = {"Authorization": f"Bearer {central.kiosk_token}"}
    heartbeat = {"kiosk_id": KIOSK, "office": OFFICE, "printer": {"state": "paper_near_end"}, "paper_warning": True,
                 "outbox": {"depth": 3, "level": "ok"}, "quarantine": {"count": 0, "events": []},
                 "lock": {"locked": False}}
    assert requests.post(central.url + "/api/v1/heartbeat", json=heartbeat, headers=kiosk_auth, timeout=5).ok

    log_in(browser, central, "ana")
    browser.get(f"{central.url}/reports?from={REPORT_DAY}&to={REPORT_DAY}")
    assert "<svg" in browser.page_source
    assert text_of(browser, "hourly-total") == "8"
    # A010 waited 18 and was served 11 min, A011 20 and 17, A012 25 and 11; A013 waits.
    assert text_of(browser, "times-A").split() == ["A", "4", "1", "3", "0", "21.0", "20.0", "25.0", "13.0", "11.0", "17.0"]
    hour_10 = [row for row in texts_of(browser, "#hourly-table tbody tr") if row.startswith("10:00")]
    assert hour_10 == ["10:00 1 1 1 3"]  # A013, B011, G011 (A, B, G columns, then the total)
    # G010: waited 5, served 3 min; G011: waited 5, served 1 min.
    assert text_of(browser, "times-G").split() == ["G", "2", "0", "2", "0", "5.0", "5.0", "5.0", "2.0", "2.0", "3.0"]
    # Nine elements summing to 93 over 3 responses: NRR 3.444 -> 86.11, band B (76.61-88.30).
    assert "86.11 (B, baik)" in text_of(browser, "ikm-total") and "Responden 3" in text_of(browser, "ikm-total")
    row = text_of(browser, f"kiosk-{KIOSK}")
    assert "paper_near_end" in row and "terbuka" in row

    browser.find_element(By.CSS_SELECTOR, f"#kiosk-{KIOSK} input[name=reason]").send_keys("kertas habis")
    click(browser, f"lock-{KIOSK}")
    wait_for("the command queued", lambda: "menunggu kios" in text_of(browser, f"kiosk-{KIOSK}"), 10, 0.1)
    # The kiosk's agent, as it speaks: pull the command, apply it, confirm in the heartbeat.
    pulled = requests.get(f"{central.url}/api/v1/kiosks/{KIOSK}/commands", headers=kiosk_auth, timeout=5).json()
    command = pulled["commands"][0]
    assert (command["action"], command["reason"], command["requested_by"]) == ("lock", "kertas habis", "user:ana")
    confirmed = {**heartbeat, "lock": {"locked": True, "by": "central:user:ana"},
                 "commands": {"applied": [{"id": command["id"], "action": "lock",
                                           "applied_at": "2026-11-27T10:40:01+07:00"}]}}
    assert requests.post(central.url + "/api/v1/heartbeat", json=confirmed, headers=kiosk_auth, timeout=5).ok
    browser.get(f"{central.url}/reports?from={REPORT_DAY}&to={REPORT_DAY}")
    row = text_of(browser, f"kiosk-{KIOSK}")
    assert "dikonfirmasi kios" in row and "terkunci" in row
    assert kiosk_commands.command(central.db, command["id"])["confirmed_at"]
    size = browser.execute_script("return document.documentElement.scrollWidth")
    assert size <= TV[0], f"the report is {size} px wide at {TV[0]}"
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": TV[0], "height": browser.execute_script("return document.documentElement.scrollHeight"),
        "deviceScaleFactor": 1, "mobile": False})
    shot(browser, "central-reports.png")
    set_viewport(browser, TV)
