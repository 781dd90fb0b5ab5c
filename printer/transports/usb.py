"""USB printer class device through pyusb (libusb).

pyusb timeouts are integers in milliseconds and 0 means "wait forever" (python-escpos's Usb passes
0 by default): every call here converts seconds to at least 1 ms. Claiming the interface makes our
access exclusive; the kernel's usblp driver is detached first if it holds the device.
"""
from __future__ import annotations

import errno
import glob
import math
import re
from pathlib import Path
from typing import Callable

from .base import DeviceBusy, OpenError, Transport, TransportError, WriteTimeout
from .kind import Access, BadDevice, DeviceSpec, OpenOptions, TransportKind

try:
    import usb.core
    import usb.util
except ImportError:  # pragma: no cover - pyusb is a declared dependency
    usb = None


def ms(seconds: float) -> int:
    """Seconds -> pyusb milliseconds, never 0 (which pyusb takes as no timeout at all)."""
    return max(1, math.ceil(seconds * 1000))


class UsbTransport(Transport):
    def __init__(self, vendor: int, product: int, in_ep: int | None = None, out_ep: int | None = None,
                 interface: int = 0):
        self.vendor = vendor
        self.product = product
        self.in_ep = in_ep
        self.out_ep = out_ep
        self.interface = interface
        self._dev = None
        self._in = in_ep
        self._out = out_ep

    def describe(self) -> str:
        return f"USB printer {self.vendor:04x}:{self.product:04x}"

    @property
    def is_open(self) -> bool:
        return self._dev is not None

    def open(self, timeout: float) -> None:
        if usb is None:
            raise OpenError("pyusb is not installed")
        try:
            dev = usb.core.find(idVendor=self.vendor, idProduct=self.product)
        except usb.core.NoBackendError as e:
            raise OpenError("no libusb backend found: install libusb-1.0-0") from e
        if dev is None:
            raise OpenError(f"no USB device {self.vendor:04x}:{self.product:04x} found "
                            "(unplugged or off? check `lsusb`)")
        try:
            try:
                if dev.is_kernel_driver_active(self.interface):
                    dev.detach_kernel_driver(self.interface)
            except NotImplementedError:
                pass
            try:
                dev.set_configuration()
            except usb.core.USBError:
                pass  # already configured (and claimed by us earlier): claiming below decides
            usb.util.claim_interface(dev, self.interface)
            if self._in is None or self._out is None:
                self._find_endpoints(dev)
        except usb.core.USBError as e:
            if e.errno == errno.EBUSY:  # another program has claimed the interface
                raise DeviceBusy(f"cannot open {self.describe()}: in use by another program") from e
            raise OpenError(f"cannot open {self.describe()}: {e} "
                            "(permission? add a udev rule for the kiosk user)") from e
        self._dev = dev

    def _find_endpoints(self, dev) -> None:
        intf = dev.get_active_configuration()[(self.interface, 0)]
        for ep in intf:
            is_in = usb.util.endpoint_direction(ep.bEndpointAddress) == usb.util.ENDPOINT_IN
            bulk = usb.util.endpoint_type(ep.bmAttributes) == usb.util.ENDPOINT_TYPE_BULK
            if bulk and is_in and self._in is None:
                self._in = ep.bEndpointAddress
            if bulk and not is_in and self._out is None:
                self._out = ep.bEndpointAddress
        if self._out is None:
            raise OpenError(f"{self.describe()} has no bulk OUT endpoint on interface {self.interface}")

    def write(self, data: bytes, timeout: float, total: float | None = None) -> int:
        if self._dev is None:
            raise TransportError(f"{self.describe()} is not open")
        timeout = max(timeout, total or 0.0)  # one bulk transfer: libusb only knows a total timeout
        try:
            sent = self._dev.write(self._out, data, timeout=ms(timeout))
        except usb.core.USBTimeoutError as e:
            raise WriteTimeout(f"{self.describe()} stopped accepting data within {timeout:.1f} s "
                               "(printer stalled or offline)") from e
        except usb.core.USBError as e:
            raise TransportError(f"{self.describe()} write failed: {e} (unplugged?)") from e
        if sent != len(data):
            raise WriteTimeout(f"{self.describe()} accepted {sent} of {len(data)} bytes", sent=sent)
        return sent

    def read(self, n: int, timeout: float) -> bytes:
        if self._dev is None:
            raise TransportError(f"{self.describe()} is not open")
        if self._in is None:
            return b""
        try:
            data = self._dev.read(self._in, max(n, 64), timeout=ms(timeout))
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as e:
            raise TransportError(f"{self.describe()} read failed: {e} (unplugged?)") from e
        return bytes(data)[:n]

    def close(self) -> None:
        dev, self._dev = self._dev, None
        if dev is not None:
            try:
                usb.util.release_interface(dev, self.interface)
                usb.util.dispose_resources(dev)
            except Exception:  # noqa: BLE001 - an unplugged printer cannot be released; it is gone anyway
                pass


def _hex(value: str, what: str, digits: int) -> int:
    if not re.fullmatch(r"[0-9a-fA-F]{1,%d}" % digits, value):
        raise BadDevice(f"{what} {value!r} is not a hex number of at most {digits} digits")
    return int(value, 16)


def parse(rest: str | None) -> DeviceSpec:
    parts = (rest or "").split(":")
    if len(parts) not in (2, 4):
        raise BadDevice("usb needs VID:PID or VID:PID:IN:OUT in hex")
    vendor = _hex(parts[0], "vendor id", 4)
    product = _hex(parts[1], "product id", 4)
    in_ep = out_ep = None
    if len(parts) == 4:
        in_ep = _hex(parts[2], "IN endpoint", 2)
        out_ep = _hex(parts[3], "OUT endpoint", 2)
        if not in_ep & 0x80 or out_ep & 0x80:
            raise BadDevice("IN endpoint addresses have bit 7 set (e.g. 81), OUT ones do not (e.g. 01)")
    return DeviceSpec("usb", vendor=vendor, product=product, in_ep=in_ep, out_ep=out_ep)


def open_usb(spec: DeviceSpec, options: OpenOptions) -> UsbTransport:
    return UsbTransport(spec.vendor, spec.product, spec.in_ep, spec.out_ep)


def access(spec: DeviceSpec, at: Callable[[str], Path]) -> Access:
    """The /dev/bus/usb node of the connected device with these ids, found through sysfs."""
    for id_file in sorted(glob.glob(str(at("/sys/bus/usb/devices/*/idVendor")))):
        folder = Path(id_file).parent
        try:
            ids = int((folder / "idVendor").read_text(), 16), int((folder / "idProduct").read_text(), 16)
            if ids == (spec.vendor, spec.product):
                bus, num = int((folder / "busnum").read_text()), int((folder / "devnum").read_text())
                return Access(at(f"/dev/bus/usb/{bus:03d}/{num:03d}"))
        except (OSError, ValueError):
            continue
    return Access(missing=(f"no USB device {spec.vendor:04x}:{spec.product:04x} is connected",
                           "plug the printer in and switch it on; `lsusb` must list it (docs/raspberry-pi.md)"))


KIND = TransportKind("usb", "usb:04b8:0e15[:81:01]", parse, open_usb, access)
