"""Queue-ticket printing for the kiosk: layouts, ESC/POS encoding, transports, status, a fake
printer, a decoder and a preview renderer. Imports nothing from `kiosk/`. See docs/printer.md.

Submodules used directly: printer.fake (FakePrinter, `python -m printer.fake`), printer.decode
(decode), printer.preview (render_png). printer.fake is not imported here so that running it with
`python -m` does not load it twice.

The names below are loaded on first use (PEP 562): a device check (`printer.device`) or a status
constant must not pull in PIL and the layouts, which the touchscreen would otherwise import before
its first frame.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "Printer": "connection",
    "DocumentLine": "content", "RequirementsContent": "content", "TestPageContent": "content",
    "TicketContent": "content",
    "open_printer": "device", "parse_device": "device",
    "encode_requirements": "encode", "encode_test_page": "encode", "encode_ticket": "encode",
    "upload_logo": "logo",
    "PrinterModel": "model",
    **{name: "status" for name in ("COVER_OPEN", "FAILED", "OFFLINE", "PAPER_NEAR_END", "PAPER_OUT", "PRINTED",
                                   "READY", "STATES", "UNKNOWN", "PrinterStatus", "PrintResult")},
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'printer' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
