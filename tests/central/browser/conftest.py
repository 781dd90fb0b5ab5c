"""A real `kiosk-central serve` on loopback and one headless Chromium per test module, driven by
Selenium through Debian's chromedriver (no downloads: Selenium Manager is kept offline).

Screenshots of the pages go to $KIOSK_CENTRAL_SHOTS when it is set (docs/img for docs/central.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from support.waiting import free_port, wait_for

from central.auth import issue_token
from central.db import CentralDB

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
OFFICE = "BLITAR"
KIOSK = "blitar-lobby-1"
PHONE = (360, 740)
TV = (1920, 1080)
# An element's text as WebElement.text gives it: what is rendered, table cells joined by a space.
VISIBLE_TEXT = r"function (e) { return e.innerText.replace(/[ \t\u00a0]+/g, ' ').trim(); }"
CATALOGUE = (Path(__file__).resolve().parents[3] / "config" / "services.toml").read_bytes()

if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
    pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed (Debian packages chromium, chromium-driver: make debs)",
                pytrace=False)


class Central:
    """`kiosk-central serve` as its own process on a fixed loopback port, so it can be killed and
    started again at the same address while a page stays open."""

    def __init__(self, folder: Path):
        self.db_path = folder / "central.db"
        self.log = folder / "central.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.db = CentralDB(self.db_path)
        self.db.set_catalogue(OFFICE, CATALOGUE)
        self.kiosk_token = issue_token(self.db, "kiosk", KIOSK, office=OFFICE)
        self.seq = 0

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "central", "serve", "--db", str(self.db_path),
                 "--listen", f"127.0.0.1:{self.port}", "--log-level", "warning"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for("kiosk-central to answer", self.up, 20)

    def up(self) -> bool:
        try:
            return requests.get(self.url + "/api/v1/health", timeout=0.5).ok
        except requests.RequestException:
            return False

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def counter(self, name: str) -> str:
        return issue_token(self.db, "counter", name, office=OFFICE)

    def issue(self, number: str, service: str = "paspor-baru-dewasa") -> str:
        """A ticket as a kiosk files it (one ticket.issued event); returns its page token."""
        return self.issue_with_token(number, uuid.uuid4().hex[:22], service)

    def issue_with_token(self, number: str, token: str, service: str = "paspor-baru-dewasa") -> str:
        self.seq += 1
        prefix = number.rstrip("0123456789")
        ticket = {"id": str(uuid.uuid4()), "kiosk_id": KIOSK, "number": number, "service": service,
                  "prefix": prefix, "seq": int(number[len(prefix):]), "priority": None,
                  "service_day": "2026-11-27", "issued_at": f"2026-11-27T08:00:{self.seq:02d}+07:00",
                  "print_state": "printed", "token": token}
        event = {"event_id": str(uuid.uuid4()), "kind": "ticket.issued", "kiosk_id": KIOSK, "seq": self.seq,
                 "created_at": "2026-11-27T01:00:00.000+00:00", "ticket": ticket}
        r = requests.post(self.url + "/api/v1/events", json={"kiosk_id": KIOSK, "office": OFFICE, "events": [event]},
                          headers={"Authorization": f"Bearer {self.kiosk_token}"}, timeout=5)
        assert r.ok and not r.json()["rejected"], r.text
        return token

    def call_next(self, counter_token: str, prefix: str = "A") -> str:
        r = requests.post(f"{self.url}/api/v1/offices/{OFFICE}/services/{prefix}/next",
                          headers={"Authorization": f"Bearer {counter_token}"}, timeout=5)
        assert r.status_code == 200, r.text
        return r.json()["ticket"]["number"]


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    server = Central(tmp_path_factory.mktemp("central"))
    server.start()
    yield server
    if server.proc.poll() is None:
        server.proc.terminate()
        server.proc.wait(10)
    server.db.close()


@pytest.fixture(scope="module")
def chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--autoplay-policy=no-user-gesture-required", "--mute-audio", "--hide-scrollbars",
                "--no-first-run", "--disable-extensions", "--lang=id"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium):
    """The module's Chromium without the cookies an earlier test left (a staff session that test
    did not get to log out of would turn the next test's login page into a redirect)."""
    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    return chromium


def set_viewport(driver, size: tuple[int, int]) -> None:
    """The page's own viewport at `size` (the window's frame is not the page's)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": size[0] < 600})


def text_of(driver, element_id: str) -> str:
    """The element's visible text, or "" while the page does not hold it. Found and read in one
    script: a page being replaced (a form's POST loading the next page, counter.js swapping a part
    in) must not go between finding the element and reading it, which fails the read instead of
    letting wait_for poll again."""
    from selenium.common.exceptions import InvalidSessionIdException, WebDriverException

    try:
        return driver.execute_script(
            f"var e = document.getElementById(arguments[0]); return e ? ({VISIBLE_TEXT})(e) : '';", element_id) or ""
    except InvalidSessionIdException:
        raise
    except WebDriverException:  # the document went while the script ran: the next poll reads the new one
        return ""


def texts_of(driver, selector: str) -> list[str]:
    """The visible texts of every element `selector` matches, read in one script like text_of (the
    display's script rewrites its rows every poll)."""
    return driver.execute_script(
        f"return Array.from(document.querySelectorAll(arguments[0]), {VISIBLE_TEXT});",
        selector)


def click(driver, element_id: str) -> None:
    """Click the element, finding it again if counter.js swapped its part of the page in between."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def once() -> bool:
        try:
            driver.find_element(By.ID, element_id).click()
            return True
        except (NoSuchElementException, StaleElementReferenceException):
            return False

    wait_for(f"#{element_id} to be clicked", once, 10, 0.1)


def shot(driver, name: str) -> None:
    folder = os.environ.get("KIOSK_CENTRAL_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / name))
