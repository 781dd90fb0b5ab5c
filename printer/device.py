"""Device strings from configuration -> a transport, and `open_printer`.

    virtual                          in-process fake printer on a real pty (previews to preview_dir)
    serial:PATH@BAUD[,FLOW]          e.g. serial:/dev/ttyUSB0@19200, serial:/dev/ttyS0@9600,rtscts
                                     FLOW: none (default), rtscts or dsrdtr; always 8N1
    usb:VID:PID[:IN:OUT]             hex ids, e.g. usb:04b8:0e15 or usb:04b8:0e15:81:01
    tcp:HOST[:PORT]                  raw TCP, port 9100 by default; IPv6 as tcp:[fd00::5]:9100
    file:PATH                        append every job to PATH (or a device node such as /dev/usb/lp0)

XON/XOFF is rejected on purpose: ESC/POS carries binary bytes (QR and logo lengths, image data)
that would be taken for XON/XOFF and silently dropped.

Each kind is one module in printer/transports/ declaring a `TransportKind` (parse, open, access);
`KINDS` below is the registry everyone else asks.
"""
from __future__ import annotations

from .connection import Printer
from .model import PrinterModel
from .transports import file, serial, tcp, usb, virtual
from .transports.base import Transport
from .transports.kind import BadDevice, DeviceSpec, OpenOptions, TransportKind

KINDS: dict[str, TransportKind] = {k.name: k for k in (virtual.KIND, serial.KIND, usb.KIND, tcp.KIND, file.KIND)}
EXPECTED = " | ".join(k.syntax for k in KINDS.values())

__all__ = ["EXPECTED", "KINDS", "DeviceSpec", "device_kind", "make_transport", "open_printer",
           "parse_device"]


def _bad(device: str, why: str) -> ValueError:
    return ValueError(f"invalid printer device {device!r}: {why}. Expected: {EXPECTED}")


def device_kind(device: str) -> TransportKind | None:
    """The kind a device string names by its prefix, or None (not validated further)."""
    return KINDS.get(device.partition(":")[0]) if isinstance(device, str) else None


def parse_device(device: str) -> DeviceSpec:
    if not isinstance(device, str) or not device.strip():
        raise _bad(str(device), "empty")
    name, sep, rest = device.partition(":")
    kind = KINDS.get(name)
    if kind is None:
        raise _bad(device, f"unknown kind {name!r}" if sep else "missing the kind prefix")
    try:
        return kind.parse(rest if sep else None)
    except BadDevice as e:
        raise _bad(device, e.why) from None


def make_transport(spec: DeviceSpec, options: OpenOptions = OpenOptions()) -> Transport:
    kind = KINDS.get(spec.kind)
    if kind is None:
        raise ValueError(f"no transport for device kind {spec.kind!r}")
    return kind.open(spec, options)


def open_printer(device: str, model: PrinterModel, *, preview_dir: str | None = None,
                 status_timeout: float = 0.3, write_timeout: float = 5.0,
                 confirm_timeout: float = 4.0) -> Printer:
    """A `Printer` for a device string. Does not touch the device yet: the first status() or print()
    opens it, so a kiosk can start while its printer is unplugged."""
    if not isinstance(model, PrinterModel):
        raise TypeError(f"expected PrinterModel, got {type(model).__name__}")
    transport = make_transport(parse_device(device), OpenOptions(paper_mm=model.paper_mm, preview_dir=preview_dir))
    printer = Printer(transport, model, device=device, status_timeout=status_timeout,
                      write_timeout=write_timeout, confirm_timeout=confirm_timeout)
    printer.fake = getattr(transport, "fake", None)
    return printer
