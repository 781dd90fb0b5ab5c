"""`virtual`: the fake printer (printer/fake.py) on a real pty, in-process; previews to preview_dir."""
from __future__ import annotations

import os
import tempfile

from .kind import BadDevice, DeviceSpec, OpenOptions, TransportKind, no_node
from .serial import SerialTransport

BAUD = 115200


def parse(rest: str | None) -> DeviceSpec:
    if rest is not None:
        raise BadDevice("virtual takes no argument")
    return DeviceSpec("virtual")


class VirtualTransport(SerialTransport):
    """The serial line to an in-process fake printer; `fake` is that printer (tests drive its faults)."""

    def __init__(self, fake):
        super().__init__(fake.path, BAUD)
        self.fake = fake


def open_virtual(spec: DeviceSpec, options: OpenOptions) -> VirtualTransport:
    from ..fake import FakePrinter  # not at module level: `python -m printer.fake` must stay clean

    # A private symlink to the pty, so a simulated unplug + replug keeps the same path.
    link = os.path.join(tempfile.mkdtemp(prefix="virtual-printer-"), "printer.tty")
    fake = FakePrinter(link=link, preview_dir=options.preview_dir, paper_mm=options.paper_mm, cleanup_dir=True)
    fake.start()
    return VirtualTransport(fake)


KIND = TransportKind("virtual", "virtual", parse, open_virtual, no_node("virtual printer: no device node to open"))
