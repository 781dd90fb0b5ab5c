"""Issuing a ticket: the one way a number is made.

Everything happens in one local `BEGIN IMMEDIATE` transaction (service day, rules, counter, ticket
and its outbox event), so a number is either fully issued and queued for the central server or
not issued at all. No network, no printer: printing comes after COMMIT (kiosk.printing).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable
from zoneinfo import ZoneInfo

from . import locale
from .clock import Clock, clock_trusted
from .config import KioskConfig, Service
from .ids import time_ordered_id
from .numbering import format_number, next_seq, resolve_service_day, service_day_for
from .state_keys import LOCK, SERVER_CLOCK, SERVICE_DAY
from .store import CheckIn, Store, Ticket


@dataclass(frozen=True)
class Refusal:
    """Why no number was issued: a stable code for scripts, and a message key with its parameters
    that every reader (touchscreen, CLI) renders through the gettext catalogue (kiosk/locale), so a
    new language is a .po file. A parameter may be a {lang: text} mapping (a service's name)."""

    code: str
    key: str
    params: dict = field(default_factory=dict, hash=False)

    def text(self, lang: str) -> str:
        return locale.t(lang, self.key, **self.params)

    def __str__(self) -> str:
        return f"{self.text('en')} ({self.code})"


class Refused(Exception):
    def __init__(self, refusal: Refusal):
        self.refusal = refusal
        super().__init__(str(refusal))


def new_ticket_token() -> str:
    """The key of a ticket's page on the central server: 128 random bits, nothing to guess from."""
    return secrets.token_urlsafe(16)


class Issuer:
    def __init__(self, config: KioskConfig, store: Store, clock: Clock | None = None):
        self.config = config
        self.store = store
        self.clock = clock or Clock()
        self.tz = ZoneInfo(config.kiosk.timezone)

    # reading ------------------------------------------------------------------------------

    def trusted(self) -> bool:
        return clock_trusted(self.clock, self.store.get_state(SERVER_CLOCK))

    def service_day(self, now: datetime | None = None, trusted: bool | None = None) -> date:
        """The day tickets are numbered in now (read-only: the stored mark moves only on issue)."""
        now = now or self.clock.now()
        trusted = self.trusted() if trusted is None else trusted
        stored = self.store.get_state(SERVICE_DAY)
        return resolve_service_day(
            service_day_for(now, self.config.kiosk.timezone, self.config.kiosk.day_starts_at),
            date.fromisoformat(stored) if stored else None,
            trusted=trusted,
            max_untrusted_jump=self.config.kiosk.max_untrusted_day_jump,
        )

    def locked(self) -> dict | None:
        lock = self.store.get_state(LOCK)
        return lock if lock and lock.get("locked") else None

    def check(self, service: Service, priority: str | None = None, *, now: datetime | None = None) -> Refusal | None:
        """Would issuing be refused right now? The same rules `issue` applies, without writing."""
        now = now or self.clock.now()
        return self._refusal(service, priority, now, self.service_day(now).isoformat())

    def _refusal(self, service: Service, priority: str | None, now: datetime, day: str) -> Refusal | None:
        cat = self.config.catalogue
        if self.locked():
            return Refusal("locked", "refusal.locked")
        name = {"id": service.name_id, "en": service.name_en}
        local = now.astimezone(self.tz)
        if not cat.is_open(service, local):
            hours = cat.hours_for(service)
            return Refusal("closed", "refusal.closed", {"service": name, "hours": {lang: hours.summary(lang) for lang in ("id", "en")}})
        if priority is not None:
            if not service.priority_allowed:
                return Refusal("priority_not_allowed", "refusal.priority_not_allowed", {"service": name})
            if cat.priority_group(priority) is None:
                return Refusal("unknown_priority_group", "refusal.unknown_priority_group", {"group": priority})
            if self.store.count_issued(day, service.key, priority=True) >= service.priority_quota:
                return Refusal("priority_quota_full", "refusal.priority_quota_full", {"service": name})
        elif self.store.count_issued(day, service.key, priority=False) >= service.daily_quota:
            return Refusal("quota_full", "refusal.quota_full", {"service": name})
        series = cat.priority_prefix if priority is not None else service.prefix
        if next_seq(self.store.last_seq(day, series), self.config.kiosk.number_block) is None:
            return Refusal("block_exhausted", "refusal.block_exhausted")
        return None

    # writing ------------------------------------------------------------------------------

    def issue(self, service_name: str, priority: str | None = None) -> Ticket:
        """Issue one ticket or raise Refused. The ticket and its outbox event commit together."""
        service = self.config.catalogue.find(service_name)
        if service is None:
            raise Refused(Refusal("unknown_service", "refusal.unknown_service", {"service": service_name}))
        with self.store.transaction():
            now = self.clock.now()
            trusted = self.trusted()
            day = self.service_day(now, trusted).isoformat()
            refusal = self._refusal(service, priority, now, day)
            if refusal:
                raise Refused(refusal)
            block = self.config.kiosk.number_block
            series = self.config.catalogue.priority_prefix if priority is not None else service.prefix
            seq = next_seq(self.store.last_seq(day, series), block)
            ticket = self._insert(service, series, seq, priority, day, now, trusted)
            self.store.add_event("ticket.issued", ticket, now.isoformat(timespec="milliseconds"))
        return ticket

    def _insert(self, service: Service, series: str, seq: int, priority: str | None, day: str, now: datetime,
                trusted: bool) -> Ticket:
        """The ticket row and the series' last number, inside the caller's transaction: walk-in and
        booked numbers are made alike (each with its page token)."""
        block = self.config.kiosk.number_block
        ticket = self.store.insert_ticket(
            Ticket(
                id=time_ordered_id(),
                kiosk_id=self.config.kiosk.id,
                number=format_number(series, seq, block),
                service=service.key,
                prefix=series,
                seq=seq,
                priority=priority,
                service_day=day,
                issued_at=now.astimezone(self.tz).isoformat(timespec="seconds"),
                mono_ns=self.clock.monotonic_ns(),
                boot_id=self.clock.boot_id(),
                clock_trusted=trusted,
                token=new_ticket_token(),
            )
        )
        self.store.set_last_seq(day, series, seq)
        self.store.set_state(SERVICE_DAY, day)
        return ticket

    # M-Paspor check-in ------------------------------------------------------------------------

    def booked_series(self, service: Service) -> str:
        series = self.config.bookings.series
        return service.prefix if series == "service" else series

    def issue_booked(self, decide: Callable[[datetime, date], object], *, now: datetime | None = None
                     ) -> tuple[Ticket | None, object]:
        """Check a booking in: in ONE transaction, `decide(now, service_day)` (kiosk.checkin's
        decision, read inside the write lock so two taps or two processes cannot both see "not yet
        checked in"), then the ticket, its check-in record and both outbox events (ticket.issued,
        ticket.checked_in). Returns (ticket, lookup), or (None, lookup) when the lookup does not
        allow a new number (already checked in, refused). Raises Refused when issuing itself is
        refused (locked kiosk, exhausted block, a service the catalogue lacks).

        Booked numbers are not counted against a service's walk-in opening hours or quota: the
        slot was given by M-Paspor; the kiosk lock and the number block still apply."""
        with self.store.transaction():
            now = now or self.clock.now()
            trusted = self.trusted()
            day_date = self.service_day(now, trusted)
            day = day_date.isoformat()
            lookup = decide(now, day_date)
            if not lookup.may_check_in:
                return None, lookup
            service = self.config.catalogue.find(lookup.service or "")
            if service is None:
                raise Refused(Refusal("unknown_service", "refusal.unknown_service", {"service": lookup.service or "-"}))
            if self.locked():
                raise Refused(Refusal("locked", "refusal.locked"))
            block = self.config.kiosk.number_block
            series = self.booked_series(service)
            seq = next_seq(self.store.last_seq(day, series), block)
            if seq is None:
                raise Refused(Refusal("block_exhausted", "refusal.block_exhausted"))
            at = now.isoformat(timespec="milliseconds")
            ticket = self._insert(service, series, seq, None, day, now, trusted)
            checkin = CheckIn(
                code=lookup.code, day=day, kiosk_id=ticket.kiosk_id, ticket_id=ticket.id, number=ticket.number,
                checked_in_at=at, slot=lookup.slot.isoformat() if lookup.slot else None,
                unverified=lookup.outcome == "unverified",
            )
            self.store.add_checkin(checkin)
            self.store.add_event("ticket.issued", ticket, at)
            self.store.add_event("ticket.checked_in", ticket, at, extra={"checkin": {
                **checkin.wire(), "office": self.config.kiosk.office_code, "service": service.key,
                "ahead": self.config.bookings.ahead_of_walk_ins,
            }})
        return ticket, lookup
