"""Drives the real KioskApp in-process: builds it on the shared Window, taps widgets with
UnitTestTouch, pumps Kivy's event loop, fast-forwards the idle timers and the wall clock."""

from __future__ import annotations

import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

from kiosk.admin_pin import hash_pin
from kiosk.clock import ManualClock

REPO = Path(__file__).resolve().parents[2]
SERVICES = REPO / "config" / "services.toml"
# Thursday 26 Nov 2026, 10:00 WIB: inside the default catalogue's opening hours (Mon-Fri 08-16).
OPEN_TIME = datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)
PIN = "2468"
PIN_HASH = hash_pin(PIN, n=2**10)  # cheap cost for tests; the format is the same


def write_ui_config(folder: Path, *, catalogue: Path = SERVICES, ui: str = "", admin: str = "", kiosk: str = "",
                    printer: str = "", extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kiosk.toml"
    path.write_text(textwrap.dedent(f"""
        [kiosk]
        id = "ui-test"
        office_code = "TEST"
        office_name = "Kantor Imigrasi Kelas I TPI Uji Coba"
        catalogue = "{catalogue}"
        {kiosk}

        [store]
        path = "kiosk.db"

        [printer]
        device = "virtual"
        status_timeout = 0.3
        write_timeout = 2.0
        {printer}

        [ui]
        fullscreen = false
        idle_seconds = 45
        ticket_seconds = 15
        {ui}

        [admin]
        pin_hash = "{PIN_HASH}"
        max_pin_attempts = 5
        lockout_seconds = 300
        {admin}
    """) + textwrap.dedent(extra))
    return path


class FakeMonotonic:
    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class Driver:
    def __init__(self, window, config, fake, clock: ManualClock | None = None, size=(800, 480)):
        from kivy.base import EventLoop

        from kiosk.printing import TicketPrinting
        from kiosk.ui.app import with_printer_device
        from kiosk.ui.kioskapp import KioskApp

        self.window = window
        self.EventLoop = EventLoop
        window.size = size
        self.fake = fake
        self.clock = clock or ManualClock(OPEN_TIME)
        self.mono = FakeMonotonic()
        self.config = with_printer_device(config, f"serial:{fake.path}@115200")
        self.printing = TicketPrinting(self.config, self.clock)
        self.app = KioskApp(self.config, clock=self.clock, printing=self.printing, monotonic=self.mono)
        self.app._run_prepare()
        self.settle()

    # -- pumping
    def pump(self, frames: int = 2) -> None:
        for _ in range(frames):
            self.EventLoop.idle()

    def settle(self, timeout: float = 10.0) -> None:
        """Until the worker has nothing to do and its results have been shown."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump(1)
            if self.app.worker is not None and self.app.worker.pending() == 0:
                self.pump(3)
                if self.app.worker.pending() == 0:
                    return
            if time.monotonic() > deadline:
                raise AssertionError("the worker did not finish in time")
            time.sleep(0.002)

    def wait_for(self, predicate, timeout: float = 10.0, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump(1)
            value = predicate()
            if value:
                return value
        raise AssertionError(f"timed out waiting for {what}; screen={self.screen} texts={self.texts()[:20]}")

    def idle_for(self, seconds: float) -> None:
        """Fast-forward the idle timers (the app's monotonic clock) and run one tick."""
        self.mono.advance(seconds)
        self.app.tick(0)
        self.pump(2)

    # -- looking
    @property
    def screen(self) -> str:
        return self.app.sm.current

    def current(self):
        return self.app.sm.current_screen

    def widgets(self, root=None):
        root = root or self.current()
        return list(root.walk(restrict=True))

    def labels(self, root=None):
        from kivy.uix.label import Label

        return [w for w in self.widgets(root) if isinstance(w, Label)]

    def texts(self, root=None) -> list[str]:
        return [w.text for w in self.labels(root) if w.text]

    def screen_text(self) -> str:
        return "\n".join(self.texts())

    def find(self, text: str, root=None, exact: bool = False):
        """The widget showing `text` (a Label/Button, or the tile/row that contains it)."""
        matches = [w for w in self.labels(root) if (w.text == text if exact else text in w.text)]
        if not matches:
            raise AssertionError(f"{text!r} not on screen {self.screen}: {self.texts(root)}")
        return matches[0]

    def has(self, text: str) -> bool:
        return any(text in t for t in self.texts())

    # -- touching
    # A person's taps come about a second apart; the app drops taps right after a screen change.
    PACE_S = 1.0

    def tap_at(self, x: float, y: float, after: float | None = None) -> None:
        """Tap at (x, y), `after` seconds (on the app's monotonic clock) after the previous tap."""
        from kivy.tests.common import UnitTestTouch

        self.mono.advance(self.PACE_S if after is None else after)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.pump(1)
        touch.touch_up()
        self.pump(2)

    def tap(self, widget) -> None:
        """Tap a widget's centre; a Label inside a tile taps the tile."""
        self.scroll_into_view(widget)
        x, y = widget.to_window(*widget.center)
        self.tap_at(x, y)

    def taps(self, widget, count: int = 2, gap: float = 0.3) -> None:
        """A double (triple...) tap on the widget's place: `count` taps `gap` seconds apart, each
        landing on whatever the screen shows there by then."""
        self.scroll_into_view(widget)
        x, y = widget.to_window(*widget.center)
        self.tap_at(x, y)
        for _ in range(count - 1):
            self.tap_at(x, y, after=gap)

    def pixel(self, widget, fx: float = 0.5, fy: float = 0.5) -> tuple:
        """The RGBA (0-255) the widget draws at a point (fractions of its size), read back from
        the GPU: what the applicant sees there, not a property."""
        self.pump(2)
        img = widget.export_as_image()
        w, h = img.texture.size
        px = img.texture.pixels
        x, y = min(w - 1, int(w * fx)), min(h - 1, int(h * (1 - fy)))  # the export is upside down
        i = (y * w + x) * 4
        return tuple(px[i:i + 4])

    def tap_text(self, text: str, exact: bool = False) -> None:
        self.tap(self.find(text, exact=exact))

    def scroll_into_view(self, widget) -> None:
        from kivy.uix.scrollview import ScrollView

        parent = widget.parent
        seen = set()
        while parent is not None and not isinstance(parent, ScrollView) and id(parent) not in seen:
            seen.add(id(parent))  # the Window is its own parent
            parent = parent.parent
        if isinstance(parent, ScrollView):
            parent.scroll_to(widget, padding=10, animate=False)
            self.pump(3)
            for effect in (parent.effect_x, parent.effect_y):
                if effect is not None:
                    effect.velocity = 0  # a scroll still coasting would take the tap as "stop"
            self.pump(2)

    def press_and_hold(self, x: float, y: float, seconds: float) -> None:
        from kivy.tests.common import UnitTestTouch

        self.mono.advance(self.PACE_S)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.pump(1)
        self.mono.advance(seconds)
        self.app.tick(0)
        self.pump(1)
        touch.touch_up()
        self.pump(2)

    # -- keys: a HID keyboard-wedge scanner, or a person at a USB keyboard
    def key(self, key: str) -> None:
        """One key press into the live Window's key events, as SDL delivers a US keyboard's: a
        character (capitals and symbols with shift) or "enter", "tab", "backspace"."""
        from kiosk.ui.scanning import US_SHIFT

        named = {"enter": 13, "tab": 9, "backspace": 8}
        unshift = {v: k for k, v in US_SHIFT.items()}
        if key in named:
            keycode, mods = named[key], []
        elif key.isalpha() and key.isupper():
            keycode, mods = ord(key.lower()), ["shift"]
        elif key in unshift:
            keycode, mods = ord(unshift[key]), ["shift"]
        else:
            keycode, mods = ord(key), []
        self.window.dispatch("on_key_down", keycode, 0, chr(keycode) if keycode >= 32 else None, mods)
        self.window.dispatch("on_key_up", keycode, 0)

    def hid_scan(self, code: str, suffix: str = "enter") -> None:
        """A keyboard-wedge scan: the code's keys and the suffix in one burst (a scanner sends them
        a few ms apart; SDL hands them over in one poll), then the loop runs."""
        for k in [*code, suffix]:
            self.key(k)
        self.pump(2)

    def type_slowly(self, keys, gap: float = 0.25) -> None:
        """A person typing: keys `gap` real seconds apart (the recogniser's timing is real time),
        the loop pumped in between, and after the last key until the recogniser has let it go."""
        for k in keys:
            self.key(k)
            deadline = time.monotonic() + gap
            while time.monotonic() < deadline:
                self.pump(1)
                time.sleep(0.005)

    # -- the printer
    def jobs(self):
        return list(self.fake.jobs)

    def job_text(self, index: int = -1) -> str:
        return self.fake.jobs[index].decoded.text

    def close(self) -> None:
        app = self.app
        if app.root is not None and app.root.parent is not None:
            self.window.remove_widget(app.root)
        # on_stop also clears kv's cached `app` proxy (it caches the app until on_stop); nothing
        # may evaluate kv after this, or the proxy would cache this old app again.
        app.dispatch("on_stop")
