"""My ticket on a phone (360x740) in headless Chromium: the place follows the counters' calls,
the page keeps working through a server restart, a ticket not yet synced shows up once it is."""

import time

from selenium.webdriver.common.by import By
from support.waiting import wait_for

from .conftest import PHONE, set_viewport, shot, text_of

# The page asks every 4 s; a change shows within one interval (plus a slow machine's margin).
SHOWS_WITHIN_S = 15


def test_the_page_shows_the_right_place_after_counters_call_numbers(central, browser):
    set_viewport(browser, PHONE)
    tokens = [central.issue(f"A{n:03d}") for n in range(1, 6)]
    desk1, desk2 = central.counter("1"), central.counter("2")
    browser.get(f"{central.url}/t/{tokens[3]}")
    assert text_of(browser, "number") == "A004"
    assert text_of(browser, "status") == "Menunggu"
    assert text_of(browser, "ahead") == "3"
    assert text_of(browser, "serving") == "-"
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"the page is {width} px wide on a {PHONE[0]} px phone"

    assert central.call_next(desk1) == "A001"
    assert central.call_next(desk2) == "A002"
    wait_for("1 person ahead", lambda: text_of(browser, "ahead") == "1", SHOWS_WITHIN_S, 0.2)
    assert text_of(browser, "serving") == "A002 di loket 2"
    shot(browser, "central-ticket-waiting.png")

    central.call_next(desk1)  # A003, with A001 done: an average service time exists now
    wait_for("no one ahead", lambda: text_of(browser, "ahead") == "0", SHOWS_WITHIN_S, 0.2)
    assert text_of(browser, "wait") == "Anda berikutnya"
    central.call_next(desk2)
    wait_for("the call", lambda: text_of(browser, "status") == "Silakan ke loket 2", SHOWS_WITHIN_S, 0.2)
    assert "called" in browser.find_element(By.ID, "status").get_attribute("class")
    shot(browser, "central-ticket-called.png")

    browser.find_element(By.CSS_SELECTOR, "a.lang").click()
    wait_for("English", lambda: text_of(browser, "status") == "Please go to counter 2", 10, 0.2)
    browser.get(f"{central.url}/t/{tokens[4]}")
    assert text_of(browser, "status") == "Waiting", "English is remembered"
    browser.get(f"{central.url}/t/{tokens[4]}?lang=id")


def test_the_page_survives_a_server_restart(central, browser):
    set_viewport(browser, PHONE)
    token = central.issue("C001")
    central.issue("C002")
    mine = central.issue("C003")
    desk = central.counter("5")
    browser.get(f"{central.url}/t/{mine}")
    assert text_of(browser, "ahead") == "2"
    central.kill()
    wait_for("the page to say it is not connected", lambda: browser.find_element(By.ID, "offline").is_displayed(),
             SHOWS_WITHIN_S, 0.2)
    central.start()
    assert central.call_next(desk, "C") == "C001"
    wait_for("the page to catch up after the restart", lambda: text_of(browser, "ahead") == "1", 30, 0.2)
    assert not browser.find_element(By.ID, "offline").is_displayed()
    assert token


def test_a_ticket_not_synced_yet_says_so_then_appears(central, browser):
    set_viewport(browser, PHONE)
    token = "offline" + "x" * 15
    browser.get(f"{central.url}/t/{token}")
    assert "mungkin belum tersinkron" in text_of(browser, "unknown")
    assert text_of(browser, "status") == "Tiket belum sampai di server"
    shot(browser, "central-ticket-unsynced.png")
    started = time.monotonic()
    central.issue_with_token("D001", token)
    wait_for("the ticket once it arrived", lambda: text_of(browser, "number") == "D001", SHOWS_WITHIN_S, 0.2)
    assert not browser.find_element(By.ID, "unknown").is_displayed()
    assert text_of(browser, "status") == "Menunggu" and text_of(browser, "ahead") == "0"
    assert time.monotonic() - started < SHOWS_WITHIN_S


def test_once_served_the_page_links_the_survey_and_takes_one_response(central, browser):
    set_viewport(browser, PHONE)
    mine = central.issue("E001")
    central.issue("E002")
    desk = central.counter("7")
    browser.get(f"{central.url}/t/{mine}")
    assert not browser.find_element(By.ID, "survey").is_displayed()
    central.call_next(desk, "E")
    central.call_next(desk, "E")  # E001 done
    wait_for("the survey link", lambda: browser.find_element(By.ID, "survey").is_displayed(), SHOWS_WITHIN_S, 0.2)
    assert text_of(browser, "status") == "Selesai dilayani"
    browser.find_element(By.ID, "survey-link").click()
    radios = browser.find_elements(By.CSS_SELECTOR, "input[type=radio]")
    assert len(radios) == 36
    shot(browser, "central-survey.png")
    for element in ("requirements", "procedure", "service_time", "cost", "product", "competence", "behaviour",
                    "complaints", "facilities"):
        radio = browser.find_element(By.CSS_SELECTOR, f"input[name={element}][value='3']")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", radio)
        radio.click()
    browser.find_element(By.ID, "send").click()
    wait_for("the thanks", lambda: "Terima kasih" in text_of(browser, "result"), 10, 0.1)
    row = central.db.conn().execute("SELECT source, u1, u9 FROM survey_responses").fetchall()
    assert [tuple(r) for r in row] == [("phone", 3, 3)]
    browser.back()
    browser.refresh()
    assert "sudah diisi" in text_of(browser, "result")
