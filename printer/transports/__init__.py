"""Byte pipes to a printer. Each owns its timeouts; none comes from python-escpos."""
from .base import DeviceBusy, OpenError, Transport, TransportError, WriteTimeout

__all__ = ["DeviceBusy", "OpenError", "Transport", "TransportError", "WriteTimeout"]
