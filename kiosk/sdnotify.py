"""systemd's notify protocol (sd_notify) without a dependency: READY=1, WATCHDOG=1, STOPPING=1.

Both long-running processes call it: the UI from its Kivy main loop (so a frozen screen stops the
watchdog pings and systemd restarts it) and the agent from its loop. Outside systemd
($NOTIFY_SOCKET unset) every call is a cheap no-op, so tests and `kiosk run` need nothing.

The protocol is one datagram per message to the AF_UNIX socket named in $NOTIFY_SOCKET; a name
starting with "@" is in the abstract namespace. A failed send must never take the kiosk down:
it is reported through the return value only.
"""

from __future__ import annotations

import os
import socket
import time

SEND_TIMEOUT_S = 1.0


class Notifier:
    """One socket for the life of the process; `Notifier()` reads $NOTIFY_SOCKET once."""

    def __init__(self, address: str | None = None):
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self._sock: socket.socket | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def notify(self, *fields: str) -> bool:
        """Send `KEY=VALUE` lines as one datagram; True if systemd got it (False outside systemd)."""
        if not self.enabled:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.settimeout(SEND_TIMEOUT_S)
            self._sock.sendto("\n".join(fields).encode("utf-8"), self.address)
            return True
        except OSError:
            self.close()
            return False

    def ready(self, status: str = "") -> bool:
        return self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval() -> float | None:
    """How often to ping: half of WatchdogSec (from $WATCHDOG_USEC), None when no watchdog is set."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1e6 / 2


class WatchdogPinger:
    """Call `tick()` from a loop as often as you like; it pings at most every half watchdog period."""

    def __init__(self, notifier: Notifier | None = None, interval: float | None = None):
        self.notifier = notifier or Notifier()
        self.interval = interval if interval is not None else watchdog_interval()
        self._last = float("-inf")

    def tick(self) -> bool:
        if self.interval is None:
            return False
        now = time.monotonic()
        if now - self._last < self.interval:
            return False
        self._last = now
        return self.notifier.watchdog()


_default: Notifier | None = None


def _notifier() -> Notifier:
    global _default
    if _default is None:
        _default = Notifier()
    return _default


def ready(status: str = "") -> bool:
    return _notifier().ready(status)


def watchdog() -> bool:
    return _notifier().watchdog()


def stopping() -> bool:
    return _notifier().stopping()
