"""Device strings from configuration -> a transport, and `open_printer`.

    virtual                          in-process fake printer on a real pty (previews to preview_dir)
    serial:PATH@BAUD[,FLOW]          e.g. serial:/dev/ttyUSB0@19200, serial:/dev/ttyS0@9600,rtscts
                                     FLOW: none (default), rtscts or dsrdtr; always 8N1
    usb:VID:PID[:IN:OUT]             hex ids, e.g. usb:04b8:0e15 or usb:04b8:0e15:81:01
    tcp:HOST[:PORT]                  raw TCP, port 9100 by default; IPv6 as tcp:[fd00::5]:9100
    file:PATH                        append every job to PATH (or a device node such as /dev/usb/lp0)

XON/XOFF is rejected on purpose: ESC/POS carries binary bytes (QR and logo lengths, image data)
that would be taken for XON/XOFF and silently dropped.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass

from .connection import Printer
from .model import PrinterModel
from .transports.base import Transport
from .transports.file import FileTransport
from .transports.serial import FLOW_CONTROLS, SerialTransport
from .transports.tcp import TcpTransport
from .transports.usb import UsbTransport

BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)
VIRTUAL_BAUD = 115200
EXPECTED = ("virtual | serial:/dev/ttyUSB0@19200[,rtscts|,dsrdtr] | usb:04b8:0e15[:81:01] | "
            "tcp:192.168.1.50[:9100] | file:/path/to/jobs.bin")


@dataclass(frozen=True)
class DeviceSpec:
    kind: str  # virtual | serial | usb | tcp | file
    path: str = ""
    baud: int = 0
    flow: str = "none"
    vendor: int = 0
    product: int = 0
    in_ep: int | None = None
    out_ep: int | None = None
    host: str = ""
    port: int = 0


def _bad(device: str, why: str) -> ValueError:
    return ValueError(f"invalid printer device {device!r}: {why}. Expected: {EXPECTED}")


def _hex(device: str, value: str, what: str, digits: int) -> int:
    if not re.fullmatch(r"[0-9a-fA-F]{1,%d}" % digits, value):
        raise _bad(device, f"{what} {value!r} is not a hex number of at most {digits} digits")
    return int(value, 16)


def parse_device(device: str) -> DeviceSpec:
    if not isinstance(device, str) or not device.strip():
        raise _bad(str(device), "empty")
    kind, sep, rest = device.partition(":")
    if device == "virtual":
        return DeviceSpec("virtual")
    if not sep:
        raise _bad(device, "missing the kind prefix")
    if kind == "serial":
        path, at, tail = rest.rpartition("@")
        if not at or not path:
            raise _bad(device, "serial needs PATH@BAUD")
        baud_s, _, flow = tail.partition(",")
        flow = flow or "none"
        if not baud_s.isdigit() or int(baud_s) not in BAUD_RATES:
            raise _bad(device, f"baud rate {baud_s!r} is not one of {', '.join(map(str, BAUD_RATES))}")
        if flow == "xonxoff":
            raise _bad(device, "xonxoff flow control corrupts binary ESC/POS data; set the printer to "
                               "rtscts (or dsrdtr, or none)")
        if flow not in FLOW_CONTROLS:
            raise _bad(device, f"flow control {flow!r} is not one of {', '.join(FLOW_CONTROLS)}")
        return DeviceSpec("serial", path=path, baud=int(baud_s), flow=flow)
    if kind == "usb":
        parts = rest.split(":")
        if len(parts) not in (2, 4):
            raise _bad(device, "usb needs VID:PID or VID:PID:IN:OUT in hex")
        vendor = _hex(device, parts[0], "vendor id", 4)
        product = _hex(device, parts[1], "product id", 4)
        in_ep = out_ep = None
        if len(parts) == 4:
            in_ep = _hex(device, parts[2], "IN endpoint", 2)
            out_ep = _hex(device, parts[3], "OUT endpoint", 2)
            if not in_ep & 0x80 or out_ep & 0x80:
                raise _bad(device, "IN endpoint addresses have bit 7 set (e.g. 81), OUT ones do not (e.g. 01)")
        return DeviceSpec("usb", vendor=vendor, product=product, in_ep=in_ep, out_ep=out_ep)
    if kind == "tcp":
        m = re.fullmatch(r"\[([0-9a-fA-F:.]+)\](?::(\d+))?|([^:\[\]]+)(?::(\d+))?", rest)
        if not m:
            raise _bad(device, "tcp needs HOST or HOST:PORT (IPv6 in brackets)")
        host = m.group(1) or m.group(3)
        port = int(m.group(2) or m.group(4) or 9100)
        if not 1 <= port <= 65535:
            raise _bad(device, f"port {port} is out of range")
        return DeviceSpec("tcp", host=host, port=port)
    if kind == "file":
        if not rest:
            raise _bad(device, "file needs a path")
        return DeviceSpec("file", path=rest)
    raise _bad(device, f"unknown kind {kind!r}")


def make_transport(spec: DeviceSpec) -> Transport:
    if spec.kind == "serial":
        return SerialTransport(spec.path, spec.baud, spec.flow)
    if spec.kind == "usb":
        return UsbTransport(spec.vendor, spec.product, spec.in_ep, spec.out_ep)
    if spec.kind == "tcp":
        return TcpTransport(spec.host, spec.port)
    if spec.kind == "file":
        return FileTransport(spec.path)
    raise ValueError(f"no transport for device kind {spec.kind!r}")


def open_printer(device: str, model: PrinterModel, *, preview_dir: str | None = None,
                 status_timeout: float = 0.3, write_timeout: float = 5.0,
                 confirm_timeout: float = 4.0) -> Printer:
    """A `Printer` for a device string. Does not touch the device yet: the first status() or print()
    opens it, so a kiosk can start while its printer is unplugged."""
    if not isinstance(model, PrinterModel):
        raise TypeError(f"expected PrinterModel, got {type(model).__name__}")
    spec = parse_device(device)
    kwargs = dict(device=device, status_timeout=status_timeout, write_timeout=write_timeout,
                  confirm_timeout=confirm_timeout)
    if spec.kind == "virtual":
        from .fake import FakePrinter  # not at module level: `python -m printer.fake` must stay clean

        # A private symlink to the pty, so a simulated unplug + replug keeps the same path.
        link = os.path.join(tempfile.mkdtemp(prefix="virtual-printer-"), "printer.tty")
        fake = FakePrinter(link=link, preview_dir=preview_dir, paper_mm=model.paper_mm, cleanup_dir=True)
        fake.start()
        printer = Printer(SerialTransport(fake.path, VIRTUAL_BAUD), model, **kwargs)
        printer.fake = fake
        return printer
    return Printer(make_transport(spec), model, **kwargs)
