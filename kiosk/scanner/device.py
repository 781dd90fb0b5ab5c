"""`[scanner] device`: "none", "hid", or "serial:PATH@BAUD"."""

from __future__ import annotations

from dataclasses import dataclass

BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


@dataclass(frozen=True)
class ScannerDevice:
    kind: str  # "none" | "hid" | "serial"
    path: str = ""
    baud: int = 0


def parse_scanner_device(value: str) -> ScannerDevice:
    """ValueError says what is wrong with the value."""
    if value in ("none", "hid"):
        return ScannerDevice(value)
    name, sep, rest = value.partition(":")
    if name != "serial" or not sep:
        raise ValueError(f'"{value}" must be "none", "hid" or "serial:PATH@BAUD" (e.g. "serial:/dev/ttyACM0@9600")')
    path, at, baud = rest.rpartition("@")
    if not at or not path:
        raise ValueError(f'"{value}": serial needs PATH@BAUD (e.g. "serial:/dev/ttyACM0@9600")')
    if not baud.isdigit() or int(baud) not in BAUD_RATES:
        raise ValueError(f'"{value}": baud rate {baud!r} is not one of {", ".join(map(str, BAUD_RATES))}')
    return ScannerDevice("serial", path, int(baud))
