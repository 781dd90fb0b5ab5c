"""Public encoders: content + printer model -> the exact bytes of one print job."""
from __future__ import annotations

from . import layouts
from .content import RequirementsContent, TestPageContent, TicketContent
from .model import PrinterModel


def _check(content, kind, model) -> None:
    if not isinstance(content, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(content).__name__}")
    if not isinstance(model, PrinterModel):
        raise TypeError(f"expected PrinterModel, got {type(model).__name__}")


def encode_ticket(content: TicketContent, model: PrinterModel) -> bytes:
    _check(content, TicketContent, model)
    return layouts.ticket(content, model).bytes()


def encode_requirements(content: RequirementsContent, model: PrinterModel) -> bytes:
    _check(content, RequirementsContent, model)
    return layouts.requirements(content, model).bytes()


def encode_test_page(content: TestPageContent, model: PrinterModel) -> bytes:
    _check(content, TestPageContent, model)
    return layouts.test_page(content, model).bytes()
