"""The kiosk's local SQLite store."""

from .db import Store, StoreError
from .records import OutboxEvent, OutboxStats, Ticket

__all__ = ["OutboxEvent", "OutboxStats", "Store", "StoreError", "Ticket"]
