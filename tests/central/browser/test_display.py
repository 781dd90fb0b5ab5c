"""The lobby display on a TV (1920x1080) in headless Chromium: a call shows within 2 s and is
announced with the chime and the server's spoken WAV; it reconnects by itself after a restart."""

import time

from selenium.webdriver.common.by import By
from support.waiting import wait_for

from .conftest import OFFICE, TV, set_viewport, shot, text_of, texts_of

CALL_SHOWS_WITHIN_S = 2.0


def fetched(browser, part: str) -> list[str]:
    return [n for n in browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; });") if part in n]


def test_a_call_shows_within_two_seconds_and_is_announced(central, browser):
    set_viewport(browser, TV)
    central.issue("A001")
    central.issue("A002")
    central.issue("B001", service="paspor-baru-anak")
    loket3 = central.counter("3")
    browser.get(f"{central.url}/display/{OFFICE}")
    wait_for("the first answer", lambda: text_of(browser, "latest-label") == "Belum ada panggilan", 5, 0.1)
    time.sleep(1.2)  # the page has its baseline: what it shows next is a new call

    called = time.monotonic()
    assert central.call_next(loket3) == "A001"
    wait_for("A001 on the display", lambda: text_of(browser, "latest-number") == "A001", CALL_SHOWS_WITHIN_S, 0.05)
    shown_after = time.monotonic() - called
    assert shown_after <= CALL_SHOWS_WITHIN_S
    assert text_of(browser, "latest-counter") == "Loket 3"
    assert "A001" in text_of(browser, "counters") and "A001" in text_of(browser, "recent")
    wait_for("the chime and the spoken call to be fetched",
             lambda: fetched(browser, "/display/chime.wav") and fetched(browser, "/display/audio/A001/3.wav"), 10, 0.1)

    loket1 = central.counter("1")
    assert central.call_next(loket1, "B") == "B001"
    wait_for("B001", lambda: text_of(browser, "latest-number") == "B001", CALL_SHOWS_WITHIN_S + 1, 0.05)
    rows = texts_of(browser, "#counters tr")
    assert rows == ["B001 Loket 1", "A001 Loket 3"]
    wait_for("B001 spoken", lambda: fetched(browser, "/display/audio/B001/1.wav"), 15, 0.1)
    size = browser.execute_script("return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size == list(TV), f"the display scrolls: {size}"
    shot(browser, "central-display.png")


def test_the_display_reconnects_by_itself_through_a_server_restart(central, browser):
    set_viewport(browser, TV)
    central.issue("A003")
    browser.get(f"{central.url}/display/{OFFICE}")
    wait_for("the first answer", lambda: text_of(browser, "recent"), 5, 0.1)
    central.kill()
    wait_for("'reconnecting'", lambda: browser.find_element(By.ID, "conn").is_displayed(), 10, 0.1)
    central.start()
    loket2 = central.counter("2")
    assert central.call_next(loket2) == "A002"
    wait_for("the call after the restart", lambda: text_of(browser, "latest-number") == "A002", 15, 0.1)
    assert not browser.find_element(By.ID, "conn").is_displayed()
