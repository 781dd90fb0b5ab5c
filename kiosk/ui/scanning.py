"""The booking scanner inside the touchscreen: `[scanner] device` read and handed to the UI thread.

- "hid": a keyboard-wedge scanner types the code as keys. Every key the Window gets goes through
  the HidRecogniser (kiosk/scanner/hid.py), which tells a scan (a fast burst ending in Enter/Tab)
  from typing by timing alone. A scan goes to `on_code`, never into a field; keys a person typed
  are released to `on_typed` (the check-in screen's keypad takes them). Keys are read from
  `on_key_down` with a US shift map, not from SDL text input, which is only on while a TextInput
  has focus: scanners emulate a US keyboard, so key + shift is what they sent.
- "serial:PATH@BAUD": a SerialScanner thread; its callbacks are moved to the Kivy thread with
  Clock.schedule_once.
- "none": no scanner; the keypad still works.

`arrived_at` keeps the perf_counter time each code was handed on (the scan bench). A serial code
may go to `on_code_thread` on the reader thread instead (the check-in starts its lookup on the
worker at once and lets the Kivy thread decide whether to show it).
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from kivy.clock import Clock
from kivy.core.window import Window

from ..scanner import HidRecogniser, Refused, SerialScanner, parse_scanner_device
from ..scanner.hid import Scan, Typed

log = logging.getLogger("kiosk.ui.scanner")

ENTER_KEYS = (13, 271)  # Return, keypad Enter
NAMED = {9: "tab", 8: "backspace"}
KEYPAD = {256 + d: str(d) for d in range(10)} | {266: ".", 267: "/", 268: "*", 269: "-", 270: "+"}
US_SHIFT = dict(zip("1234567890-=[]\\;',./`", '!@#$%^&*()_+{}|:"<>?~'))


def key_of(keycode: int, modifiers) -> str | None:
    """What a US-layout key press types: one character, "enter", "tab", "backspace", or None for keys that type nothing (arrows, F-keys, modifiers alone)."""
    if keycode in ENTER_KEYS:
        return "enter"
    if keycode in NAMED:
        return NAMED[keycode]
    if keycode in KEYPAD:
        return KEYPAD[keycode]
    if not 32 <= keycode <= 126:
        return None
    ch = chr(keycode)
    shift = "shift" in modifiers
    if ch.isalpha():
        return ch.upper() if shift != ("capslock" in modifiers) else ch.lower()
    return US_SHIFT.get(ch, ch) if shift else ch


class ScanInput:
    def __init__(self, section, on_code: Callable[[str], None], on_refused: Callable[[Refused], None],
                 on_typed: Callable[[str], None] | None = None, on_code_thread: Callable[[str], None] | None = None):
        self.section = section
        self.device = parse_scanner_device(section.device)
        self.on_code = on_code
        self.on_refused = on_refused
        self.on_typed = on_typed or (lambda key: None)
        self.on_code_thread = on_code_thread  # serial: called on the reader thread instead of posting on_code
        self.serial: SerialScanner | None = None
        self.hid: HidRecogniser | None = None
        self.arrived_at = 0.0
        self.read_at = 0.0  # serial: when the reader thread had the code
        self.state = "off" if self.device.kind == "none" else "starting"
        self._tick_event = None

    def start(self) -> "ScanInput":
        if self.device.kind == "hid":
            self.hid = HidRecogniser(max_gap_ms=self.section.hid_max_gap_ms, prefix=self.section.prefix,
                                     suffix=self.section.suffix, rules=self.section.rules())
            Window.bind(on_key_down=self._key_down)
            self.state = "listening"
        elif self.device.kind == "serial":
            self.serial = SerialScanner.from_config(
                self.section, self._serial_code,
                on_refused=lambda refused: self._post(self._refused, refused),
                on_state=lambda state, detail: self._post(self._serial_state, state, detail))
            self.serial.start()
        log.info("booking scanner: %s", self.section.device)
        return self

    def stop(self) -> None:
        if self.hid is not None:
            Window.unbind(on_key_down=self._key_down)
            self.hid = None
        if self._tick_event is not None:
            self._tick_event.cancel()
            self._tick_event = None
        if self.serial is not None:
            self.serial.stop()
            self.serial = None
        self.state = "off"

    # -- serial: reader thread -> Kivy thread ---------------------------------------------------

    @staticmethod
    def _post(fn, *args) -> None:
        Clock.schedule_once(lambda dt: fn(*args), 0)

    def _serial_code(self, code: str) -> None:
        self.read_at = time.perf_counter()
        if self.on_code_thread is not None:
            self.arrived_at = self.read_at
            self.on_code_thread(code)
        else:
            self._post(self._code, code)

    def _serial_state(self, state: str, detail: str) -> None:
        self.state = state
        log.info("booking scanner %s: %s %s", self.device.path, state, detail)

    # -- HID: Window keys -> recogniser ---------------------------------------------------------

    def _key_down(self, window, keycode, scancode, codepoint, modifiers):
        if self.hid is None:
            return False
        key = key_of(keycode, modifiers or ())
        if key is None:
            return False
        self._deliver(self.hid.feed(key, time.monotonic()))
        self._schedule_tick()
        return True

    def _schedule_tick(self) -> None:
        if self._tick_event is not None:
            self._tick_event.cancel()
            self._tick_event = None
        deadline = self.hid.deadline if self.hid is not None else None
        if deadline is not None:
            self._tick_event = Clock.schedule_once(self._tick, max(0.0, deadline - time.monotonic()) + 0.001)

    def _tick(self, dt) -> None:
        self._tick_event = None
        if self.hid is not None:
            self._deliver(self.hid.tick(time.monotonic()))
            self._schedule_tick()

    def _deliver(self, items) -> None:
        for item in items:
            if isinstance(item, Scan):
                self._code(item.code)
            elif isinstance(item, Typed):
                self.on_typed(item.key)
            elif isinstance(item, Refused):
                self._refused(item)
            else:  # check_code's plain str never comes out of the recogniser; kept safe anyway
                self._code(str(item))

    # -- both -----------------------------------------------------------------------------------

    def _code(self, code: str) -> None:
        self.arrived_at = time.perf_counter()
        try:
            self.on_code(code)
        except Exception:  # a failing screen must not stop the next scan
            log.exception("handling a scanned code failed")

    def _refused(self, refused: Refused) -> None:
        log.warning("booking scanner: refused: %s", refused.reason)
        try:
            self.on_refused(refused)
        except Exception:
            log.exception("handling a refused scan failed")
