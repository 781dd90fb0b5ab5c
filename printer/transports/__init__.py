"""Byte pipes to a printer. Each owns its timeouts; none comes from python-escpos."""
from .base import OpenError, Transport, TransportError, WriteTimeout

__all__ = ["OpenError", "Transport", "TransportError", "WriteTimeout"]
