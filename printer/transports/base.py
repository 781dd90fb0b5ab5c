"""What every transport offers, and a file-descriptor implementation shared by serial, TCP and file.

Every call takes a timeout and returns or raises by then: nothing here ever blocks without a bound.
Errors carry a `detail` meant for a technician ("cannot open /dev/ttyUSB0: No such file or
directory") and, for writes, how many bytes got out before the failure.
"""
from __future__ import annotations

import errno
import os
import select
import time


class TransportError(Exception):
    """The connection failed; `detail` says what happened, `sent` how many bytes went out."""

    def __init__(self, detail: str, *, sent: int = 0):
        super().__init__(detail)
        self.detail = detail
        self.sent = sent


class OpenError(TransportError):
    """The device could not be opened (absent, busy, refused): nothing was sent."""


class DeviceBusy(OpenError):
    """Another program holds the device (a serial port's exclusive lock): it is there and may well
    be fine, just not ours to open now."""


class WriteTimeout(TransportError):
    """The device stopped accepting data (stalled, paused by flow control)."""


class Transport:
    """Interface. `describe()` names the device for messages."""

    can_read = True

    def open(self, timeout: float) -> None:
        raise NotImplementedError

    @property
    def is_open(self) -> bool:
        raise NotImplementedError

    def write(self, data: bytes, timeout: float, total: float | None = None) -> int:
        """Send all of `data`. Fails when the device accepts nothing for `timeout` seconds (a stall)
        or when the whole write takes longer than `total` (default: `timeout`)."""
        raise NotImplementedError

    def read(self, n: int, timeout: float) -> bytes:
        """Up to n bytes: returns early only when n arrived; fewer means the timeout passed."""
        raise NotImplementedError

    def discard_input(self) -> None:
        """Drop stale bytes (a late answer to an earlier query) before asking again."""

    def discard_output(self) -> None:
        """Drop bytes still queued for the device, so a half job is not printed later."""

    def close(self) -> None:
        raise NotImplementedError

    def wire_seconds(self, n: int) -> float:
        """How long n bytes take on the wire (serial 8N1 = 10 bits a byte); 0 when not limiting."""
        return 0.0

    def describe(self) -> str:
        raise NotImplementedError


class FdTransport(Transport):
    """Non-blocking fd + select(): writes and reads with deadlines, exact byte counts."""

    def __init__(self) -> None:
        self._fd: int | None = None

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    def _require_fd(self) -> int:
        if self._fd is None:
            raise TransportError(f"{self.describe()} is not open")
        return self._fd

    def write(self, data: bytes, timeout: float, total: float | None = None) -> int:
        fd = self._require_fd()
        view = memoryview(data)
        sent = 0
        start = progress = time.monotonic()
        deadline = start + max(timeout, total or 0.0)
        while sent < len(view):
            now = time.monotonic()
            remaining = min(progress + timeout, deadline) - now
            if remaining <= 0:
                raise WriteTimeout(
                    f"{self.describe()} stopped accepting data: {sent} of {len(view)} bytes sent, "
                    f"nothing accepted for {now - progress:.1f} s (printer stalled, paused, or flow "
                    "control holding)",
                    sent=sent,
                )
            try:
                _, writable, _ = select.select([], [fd], [], remaining)
                if not writable:
                    continue
                n = os.write(fd, view[sent:])
                if n:
                    sent += n
                    progress = time.monotonic()
            except BlockingIOError:
                continue
            except OSError as e:
                raise TransportError(
                    f"{self.describe()} failed after {sent} of {len(view)} bytes: {_why(e)}", sent=sent
                ) from e
        return sent

    def read(self, n: int, timeout: float) -> bytes:
        fd = self._require_fd()
        out = bytearray()
        deadline = time.monotonic() + timeout
        while len(out) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                readable, _, _ = select.select([fd], [], [], remaining)
                if not readable:
                    break
                chunk = os.read(fd, n - len(out))
            except BlockingIOError:
                continue
            except OSError as e:
                raise TransportError(f"{self.describe()} read failed: {_why(e)}") from e
            if not chunk:
                raise TransportError(f"{self.describe()} disconnected (end of file while reading)")
            out += chunk
        return bytes(out)

    def discard_input(self) -> None:
        fd = self._require_fd()
        for _ in range(64):  # bounded: a babbling device cannot keep us here
            try:
                readable, _, _ = select.select([fd], [], [], 0)
                if not readable or not os.read(fd, 4096):
                    return
            except BlockingIOError:
                return
            except OSError as e:
                raise TransportError(f"{self.describe()} read failed: {_why(e)}") from e

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass


def _why(e: OSError) -> str:
    if e.errno == errno.EIO:
        return "I/O error (device unplugged or powered off?)"
    if e.errno == errno.EPIPE:
        return "connection closed by the printer"
    return e.strerror or str(e)
