"""Plain records read from and written to the store; their dicts are the wire format."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from .schema import PENDING


@dataclass(frozen=True)
class Ticket:
    id: str
    kiosk_id: str
    number: str
    service: str
    prefix: str
    seq: int
    priority: str | None
    service_day: str
    issued_at: str
    mono_ns: int
    boot_id: str
    clock_trusted: bool
    print_state: str = PENDING
    print_error: str | None = None
    printed_at: str | None = None
    reprints: int = 0
    # The ticket page's key (`<central.public_url>/t/<token>`): random, never derived from the
    # number; None on tickets issued before schema step 4.
    token: str | None = None
    cursor: int | None = None

    @classmethod
    def from_values(cls, values: tuple) -> "Ticket":
        """From a row selected as TICKET_COLUMNS (field order): positional, the cheap way."""
        values = list(values)
        values[_CLOCK_TRUSTED_AT] = bool(values[_CLOCK_TRUSTED_AT])
        return cls(*values)

    def to_dict(self) -> dict:
        # Every field is a scalar: a shallow read is enough, and much cheaper than asdict's deep copy.
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @property
    def issued_datetime(self) -> datetime:
        return datetime.fromisoformat(self.issued_at)


TICKET_COLUMNS = ", ".join(Ticket.__dataclass_fields__)
_CLOCK_TRUSTED_AT = list(Ticket.__dataclass_fields__).index("clock_trusted")


@dataclass(frozen=True)
class OutboxEvent:
    seq: int
    event_id: str
    kind: str
    ticket_id: str | None  # None for an event about the kiosk itself
    payload: dict
    created_at: str
    attempts: int
    last_error: str | None = None
    rejections: int = 0                 # permanent rejections since it was last queued
    quarantined_at: str | None = None   # set aside after too many of them (docs/sync.md)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "OutboxEvent":
        data = dict(row)
        data.pop("delivered_at", None)
        data["payload"] = json.loads(data["payload"])
        return cls(**data)

    def wire(self) -> dict:
        """The event as sent to the central server: the stored payload plus its outbox order."""
        return {**self.payload, "seq": self.seq}


@dataclass(frozen=True)
class OutboxStats:
    depth: int                          # waiting to be sent (quarantined events not counted)
    oldest_created_at: str | None       # of those
    delivered: int
    quarantined: int = 0                # kept, not sent until a technician retries them

    def oldest_age_seconds(self, now: datetime) -> float | None:
        if self.oldest_created_at is None:
            return None
        return max(0.0, (now - datetime.fromisoformat(self.oldest_created_at)).total_seconds())


@dataclass(frozen=True)
class Booking:
    """One row of the office's booking list, as much as check-in needs and no more."""

    code: str
    office: str
    day: str                    # the booked service day, YYYY-MM-DD
    service: str                # catalogue key ("" for another office's code: only its office is known)
    slot: str                   # ISO-8601 with offset ("" for another office's code)
    masked_name: str | None = None

    @property
    def slot_datetime(self) -> datetime | None:
        return datetime.fromisoformat(self.slot) if self.slot else None


@dataclass(frozen=True)
class CheckIn:
    """A booking turned into a ticket, here or on another kiosk of the office (pulled)."""

    code: str
    day: str
    kiosk_id: str
    ticket_id: str
    number: str
    checked_in_at: str
    slot: str | None = None      # the booked slot (None: unverified, no list to read it from)
    unverified: bool = False
    local: bool = True          # made on this kiosk (its ticket is in this store)
    reprints: int = 0           # of the local ticket (0 for another kiosk's)

    def wire(self) -> dict:
        """The check-in as the outbox event and the central server's list carry it."""
        return {"code": self.code, "day": self.day, "kiosk_id": self.kiosk_id, "ticket_id": self.ticket_id,
                "number": self.number, "slot": self.slot, "checked_in_at": self.checked_in_at,
                "unverified": self.unverified}
