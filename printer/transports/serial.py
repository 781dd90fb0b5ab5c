"""Serial port (RS-232 or USB-serial), also the fake printer's pty.

pyserial opens and configures the port (termios, exclusive flock) but we do the I/O ourselves on its
file descriptor: python-escpos's Serial has no write timeout, and pyserial's own write does not say
how many bytes got out before a timeout.
"""
from __future__ import annotations

import errno
import os
import termios

import serial as pyserial

from .base import FdTransport, OpenError, TransportError

FLOW_CONTROLS = ("none", "rtscts", "dsrdtr")


class SerialTransport(FdTransport):
    def __init__(self, path: str, baud: int, flow: str = "none"):
        super().__init__()
        if flow not in FLOW_CONTROLS:
            raise ValueError(f"flow control must be one of {', '.join(FLOW_CONTROLS)}, got {flow!r}")
        self.path = path
        self.baud = baud
        self.flow = flow
        self._port: pyserial.Serial | None = None

    def describe(self) -> str:
        return f"serial port {self.path}"

    def open(self, timeout: float) -> None:
        port = pyserial.Serial(
            baudrate=self.baud, bytesize=8, parity="N", stopbits=1,
            rtscts=self.flow == "rtscts", dsrdtr=self.flow == "dsrdtr",
            timeout=0, write_timeout=0, exclusive=True,
        )
        port.port = self.path
        try:
            port.open()
        except (pyserial.SerialException, OSError, ValueError) as e:
            raise OpenError(f"cannot open {self.path}: {_serial_reason(e)}") from e
        self._port = port
        self._fd = port.fileno()

    def discard_input(self) -> None:
        fd = self._require_fd()
        try:
            termios.tcflush(fd, termios.TCIFLUSH)
        except termios.error as e:
            raise TransportError(f"{self.describe()} failed: {e}") from e
        super().discard_input()

    def discard_output(self) -> None:
        if self._fd is not None:
            try:
                termios.tcflush(self._fd, termios.TCOFLUSH)
            except termios.error:
                pass

    def close(self) -> None:
        port, self._port = self._port, None
        self._fd = None
        if port is not None:
            try:
                port.close()
            except Exception:
                pass

    def wire_seconds(self, n: int) -> float:
        return n * 10 / self.baud


def _serial_reason(e: Exception) -> str:
    """pyserial's messages repeat the errno and path twice; keep the part a technician needs."""
    text = str(e)
    if "exclusively lock" in text:
        return "port is in use by another program (it must be held by one only)"
    if e.args and isinstance(e.args[0], int):
        reason = os.strerror(e.args[0])
        if e.args[0] == errno.EACCES:
            reason += " (is the kiosk user in the 'dialout' group?)"
        return reason
    return text
