"""Serial port (RS-232 or USB-serial), also the fake printer's pty: `serial:PATH@BAUD[,FLOW]`.

pyserial opens and configures the port (termios, exclusive flock) but we do the I/O ourselves on its
file descriptor: python-escpos's Serial has no write timeout, and pyserial's own write does not say
how many bytes got out before a timeout.
"""
from __future__ import annotations

import errno
import os
import termios
from pathlib import Path
from typing import Callable

import serial as pyserial

from .base import DeviceBusy, FdTransport, OpenError, TransportError
from .kind import Access, BadDevice, DeviceSpec, OpenOptions, TransportKind

FLOW_CONTROLS = ("none", "rtscts", "dsrdtr")
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)
# The lock is taken with flock(LOCK_NB) (EAGAIN when held); a TIOCEXCL port refuses open() (EBUSY).
BUSY_ERRNOS = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EBUSY)


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
            error = DeviceBusy if e.args and e.args[0] in BUSY_ERRNOS else OpenError
            raise error(f"cannot open {self.path}: {_serial_reason(e)}") from e
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
            except Exception:  # noqa: BLE001 - a vanished device may fail to close; the port is dropped either way
                pass

    def wire_seconds(self, n: int) -> float:
        return n * 10 / self.baud


def _serial_reason(e: Exception) -> str:
    """pyserial's messages repeat the errno and path twice; keep the part a technician needs."""
    if e.args and e.args[0] in BUSY_ERRNOS:
        return "port is in use by another program (it must be held by one only)"
    if e.args and isinstance(e.args[0], int):
        reason = os.strerror(e.args[0])
        if e.args[0] == errno.EACCES:
            reason += " (is the kiosk user in the 'dialout' group?)"
        return reason
    return str(e)


def parse(rest: str | None) -> DeviceSpec:
    path, at, tail = (rest or "").rpartition("@")
    if not at or not path:
        raise BadDevice("serial needs PATH@BAUD")
    baud_s, _, flow = tail.partition(",")
    flow = flow or "none"
    if not baud_s.isdigit() or int(baud_s) not in BAUD_RATES:
        raise BadDevice(f"baud rate {baud_s!r} is not one of {', '.join(map(str, BAUD_RATES))}")
    if flow == "xonxoff":
        raise BadDevice("xonxoff flow control corrupts binary ESC/POS data; set the printer to "
                        "rtscts (or dsrdtr, or none)")
    if flow not in FLOW_CONTROLS:
        raise BadDevice(f"flow control {flow!r} is not one of {', '.join(FLOW_CONTROLS)}")
    return DeviceSpec("serial", path=path, baud=int(baud_s), flow=flow)


def open_serial(spec: DeviceSpec, options: OpenOptions) -> SerialTransport:
    return SerialTransport(spec.path, spec.baud, spec.flow)


def access(spec: DeviceSpec, at: Callable[[str], Path]) -> Access:
    node = at(spec.path)
    if not node.exists():
        return Access(node, missing=(f"{spec.path} does not exist",
                                     "plug the printer in; list serial adapters with: ls -l /dev/serial/by-id/"))
    return Access(node)


KIND = TransportKind("serial", "serial:/dev/ttyUSB0@19200[,rtscts|,dsrdtr]", parse, open_serial, access,
                     path_argument=True)
