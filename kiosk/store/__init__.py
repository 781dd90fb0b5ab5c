"""The kiosk's local SQLite store."""

from .db import Store, StoreError
from .records import Booking, CheckIn, OutboxEvent, OutboxStats, Ticket
from .schema import PENDING, PRINT_FAILED, PRINT_STATES, PRINTED

__all__ = ["Booking", "CheckIn", "PENDING", "PRINTED", "PRINT_FAILED", "PRINT_STATES", "OutboxEvent", "OutboxStats", "Store", "StoreError", "Ticket"]
