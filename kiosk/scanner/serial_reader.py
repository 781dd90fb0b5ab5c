"""A serial / USB-CDC scanner read in its own thread: complete codes go to a callback.

The caller never blocks: `start()` returns at once, every read has a timeout, and a device that
disappears (USB unplugged, pty closed) is reopened every `reconnect_seconds` until it is back.
Callbacks run on the reader thread; a UI hands them over to its own loop (Kivy: Clock.schedule_once).
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

import serial as pyserial

from .codes import CodeRules, Refused
from .framing import SerialFramer

log = logging.getLogger(__name__)


class SerialScanner:
    def __init__(self, path: str, baud: int, on_code: Callable[[str], None], *,
                 on_refused: Callable[[Refused], None] | None = None,
                 on_state: Callable[[str, str], None] | None = None,
                 prefix: str = "", suffix: str = "enter", rules: CodeRules = CodeRules(),
                 read_timeout: float = 0.2, reconnect_seconds: float = 1.0):
        self.path = path
        self.baud = baud
        self.on_code = on_code
        self.on_refused = on_refused or (lambda r: log.warning("scanner %s: refused: %s", path, r.reason))
        self.on_state = on_state or (lambda state, detail: log.info("scanner %s: %s %s", path, state, detail))
        self.framer = SerialFramer(prefix=prefix, suffix=suffix, rules=rules)
        self.read_timeout = read_timeout
        self.reconnect_seconds = reconnect_seconds
        self.connected = threading.Event()
        self.reconnects = 0  # times the device was reopened after being lost
        self.last_error = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_config(cls, section, on_code: Callable[[str], None], **callbacks) -> "SerialScanner":
        """The reader for a `[scanner]` section whose device is serial (ValueError otherwise)."""
        from .device import parse_scanner_device

        dev = parse_scanner_device(section.device)
        if dev.kind != "serial":
            raise ValueError(f'[scanner] device = "{section.device}" is not a serial scanner')
        return cls(dev.path, dev.baud, on_code, prefix=section.prefix, suffix=section.suffix, rules=section.rules(),
                   reconnect_seconds=section.reconnect_seconds, **callbacks)

    def start(self) -> "SerialScanner":
        self._thread = threading.Thread(target=self._run, name=f"scanner:{self.path}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self) -> "SerialScanner":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _open(self) -> pyserial.Serial | None:
        try:
            port = pyserial.Serial(self.path, self.baud, timeout=self.read_timeout, exclusive=True)
        except (pyserial.SerialException, OSError, ValueError) as e:
            reason = str(e).splitlines()[0] if str(e) else e.__class__.__name__
            if reason != self.last_error:
                self.on_state("unavailable", reason)
            self.last_error = reason
            return None
        self.last_error = ""
        return port

    def _run(self) -> None:
        ever_open = False
        while not self._stop.is_set():
            port = self._open()
            if port is None:
                self._stop.wait(self.reconnect_seconds)
                continue
            if ever_open:
                self.reconnects += 1
            ever_open = True
            self.framer.reset()
            self.connected.set()
            self.on_state("connected", self.path)
            try:
                self._read(port)
            finally:
                self.connected.clear()
                try:
                    port.close()
                except Exception:  # noqa: BLE001 - a vanished device may fail to close; it is gone anyway
                    pass
            if not self._stop.is_set():
                self._stop.wait(min(self.reconnect_seconds, 0.05))

    def _read(self, port: pyserial.Serial) -> None:
        while not self._stop.is_set():
            try:
                data = port.read(port.in_waiting or 1)
            except (pyserial.SerialException, OSError, TypeError) as e:
                # TypeError: pyserial's read on a port closed under it; all mean the device is gone.
                self.last_error = str(e).splitlines()[0] if str(e) else e.__class__.__name__
                self.on_state("lost", self.last_error)
                return
            if not data:
                continue
            for item in self.framer.feed(data):
                try:
                    if isinstance(item, Refused):
                        self.on_refused(item)
                    else:
                        self.on_code(item)
                except Exception:  # a failing callback must not stop the reader
                    log.exception("scanner %s: callback failed", self.path)

