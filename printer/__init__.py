"""Queue-ticket printing for the kiosk: layouts, ESC/POS encoding, transports, status, a fake
printer, a decoder and a preview renderer. Imports nothing from `kiosk/`. See docs/printer.md.

Submodules used directly: printer.fake (FakePrinter, `python -m printer.fake`), printer.decode
(decode), printer.preview (render_png). printer.fake is not imported here so that running it with
`python -m` does not load it twice.
"""
from .connection import Printer
from .content import DocumentLine, RequirementsContent, TestPageContent, TicketContent
from .device import open_printer, parse_device
from .encode import encode_requirements, encode_test_page, encode_ticket
from .logo import upload_logo
from .model import PrinterModel
from .status import (
    COVER_OPEN,
    FAILED,
    OFFLINE,
    PAPER_NEAR_END,
    PAPER_OUT,
    PRINTED,
    READY,
    STATES,
    UNKNOWN,
    PrinterStatus,
    PrintResult,
)

__all__ = [
    "COVER_OPEN", "FAILED", "OFFLINE", "PAPER_NEAR_END", "PAPER_OUT", "PRINTED", "READY", "STATES",
    "UNKNOWN", "DocumentLine", "Printer", "PrinterModel", "PrinterStatus", "PrintResult",
    "RequirementsContent", "TestPageContent", "TicketContent", "encode_requirements",
    "encode_test_page", "encode_ticket", "open_printer", "parse_device", "upload_logo",
]
