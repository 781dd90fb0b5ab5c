"""The lobby façade: everything the touchscreen asks of the kiosk, with no GUI in it.

The Kivy screens (kiosk/ui) never touch SQL, ESC/POS or the printer: they call a `Lobby` — on the
UI process's worker thread, which owns the Lobby and its Store (one Store per thread) — and show
the plain, frozen answers it returns. Every text a person reads comes in both languages from the
gettext catalogues (kiosk/locale) or from the catalogue's own id/en fields.

Unit-testable without Kivy (tests/ui/test_lobby.py); imports no Kivy.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import __version__, locale
from .admin_pin import PinCheck, PinGate
from .checkin import UNKNOWN, UNVERIFIED, BookingLookup, Window, decide, list_is_fresh, normalise_code
from .checkin.listing import held_summary
from .clock import Clock
from .config import Catalogue, ConfigError, KioskConfig, Service, parse_catalogue
from .issuer import Issuer, Refusal, Refused
from .locale import both
from .printing import REFUSE_STATES, TicketPrinting, queue_estimate
from .state_keys import AGENT_LAST_ERROR, AGENT_LAST_SYNC, BOOKINGS_LIST, LOCK, PRINTER, QUEUE_STATS
from .store import PRINT_FAILED, PRINTED, Store, Ticket

log = logging.getLogger("kiosk.lobby")

# Written by the sync agent (names as in kiosk/agent/state.py); read here for the staff screen only.
PRINTER_STATES = ("ready", "paper_near_end", "paper_out", "cover_open", "offline", "unknown")
# A print takes at most a few seconds (status, write_timeout, confirmation); a ticket still
# 'pending' this long after it was issued belongs to a process that died while printing it.
INTERRUPTED_PRINT_S = 60
INTERRUPTED_REASON = "printing was interrupted (the kiosk restarted); reprint if the applicant has no ticket"


@dataclass(frozen=True)
class PrinterView:
    state: str  # one of PRINTER_STATES
    detail: str
    at: str | None
    message_id: str
    message_en: str

    @property
    def can_print(self) -> bool:
        return self.state not in REFUSE_STATES


@dataclass(frozen=True)
class ServiceView:
    key: str
    prefix: str
    name_id: str
    name_en: str
    description_id: str
    description_en: str
    state: str  # "open" | "closed" | "quota_full" | "locked" | "unavailable"
    refusal: Refusal | None  # why a regular number would be refused now (rendered by the screens)
    priority_open: bool
    waiting: int | None
    wait_minutes: int | None

    @property
    def open(self) -> bool:
        return self.state == "open"


@dataclass(frozen=True)
class Snapshot:
    """What the screens show, taken in one go on the worker thread."""

    open: bool  # at least one service takes tickets now, and the kiosk is not locked
    locked: bool
    hours: dict  # {lang: "Senin-Jumat 08:00-16:00"}, a parameter for the catalogue's texts
    printer: PrinterView
    services: tuple = ()
    taken_at: str = ""

    def service(self, key: str) -> ServiceView | None:
        return next((s for s in self.services if s.key == key), None)


@dataclass(frozen=True)
class IssueResult:
    issued: bool
    code: str  # PRINTED | PRINT_FAILED | a Refusal code
    message_id: str
    message_en: str
    number: str | None = None
    ticket_id: str | None = None
    service: str | None = None
    priority: str | None = None
    print_state: str | None = None
    printer_state: str | None = None
    printer_reason: str | None = None
    people_ahead: int | None = None
    wait_minutes: int | None = None
    served_first: bool = False  # a priority number with no statistics of its own: called first
    refusal: Refusal | None = None  # when not issued: why, rendered through the catalogue
    booking: BookingLookup | None = None  # check_in_and_print: the booking as decided at issue

    @property
    def printed(self) -> bool:
        return self.code == PRINTED


@dataclass(frozen=True)
class PrintReport:
    """A print job's outcome: `ok`, the printer `state` and `reason` for scripts and logs, and a
    message key with its parameters that every reader (staff screen, `kiosk print`) renders through
    the gettext catalogue (kiosk/locale), as it renders a Refusal."""

    ok: bool
    state: str
    reason: str
    key: str
    params: dict = field(default_factory=dict, hash=False)
    number: str | None = None

    def text(self, lang: str) -> str:
        return locale.t(lang, self.key, **self.params)


@dataclass(frozen=True)
class StaffInfo:
    kiosk_id: str
    office: str
    version: str
    printer: PrinterView
    locked: bool
    outbox_depth: int
    outbox_oldest_age_s: float | None
    last_sync: dict | None
    central_url: str
    network: str  # "up" | "down" | "standalone"
    last_ticket: str | None
    failed_today: list = field(default_factory=list)


_STATE_KEYS = {"closed": "closed", "locked": "locked", "quota_full": "quota_full", "priority_quota_full": "quota_full"}


def printer_view(value: dict | None) -> PrinterView:
    value = value if isinstance(value, dict) else {}
    state = value.get("state") if value.get("state") in PRINTER_STATES else "unknown"
    mid, men = both(f"printer.{state}")
    return PrinterView(state, str(value.get("detail") or ""), value.get("at"), mid, men)


def default_route() -> bool:
    """Whether Linux has a default route (no packets sent, no DNS)."""
    try:
        with open("/proc/net/route") as f:
            return any(line.split()[1] == "00000000" for line in list(f)[1:] if len(line.split()) > 2)
    except OSError:
        return False


class Lobby:
    def __init__(self, config: KioskConfig, store: Store, clock: Clock | None = None, printing: TicketPrinting | None = None):
        self.config = config
        self.store = store
        self.clock = clock or Clock()
        self.issuer = Issuer(config, store, self.clock)
        self.printing = printing or TicketPrinting(config, self.clock)
        self.pins = PinGate(config.admin, store, self.clock)
        self._data_version: int | None = None
        self._catalogue_file: tuple | None = None

    # reading ----------------------------------------------------------------------------------

    def printer_state(self) -> PrinterView:
        """The last known printer state (no printer I/O)."""
        return printer_view(self.store.get_state(PRINTER))

    def refresh_printer(self) -> PrinterView:
        """Ask the printer now (up to status_timeout, twice after a reconnect) and remember it."""
        self.printing.status(self.store)
        return self.printer_state()

    def locked(self) -> bool:
        return self.issuer.locked() is not None

    def service_view(self, service: Service, now: datetime, stats: dict | None) -> ServiceView:
        refusal = self.issuer.check(service, now=now)
        state = "open" if refusal is None else _STATE_KEYS.get(refusal.code, "unavailable")
        priority_open = False
        if service.priority_allowed and self.config.catalogue.priority_groups:
            priority_open = self.issuer.check(service, self.config.catalogue.priority_groups[0].key, now=now) is None
        waiting, minutes = queue_estimate(stats, service, now)
        return ServiceView(
            key=service.key, prefix=service.prefix, name_id=service.name_id, name_en=service.name_en,
            description_id=service.description_id, description_en=service.description_en,
            state=state, refusal=refusal, priority_open=priority_open,
            waiting=waiting, wait_minutes=minutes,
        )

    def snapshot(self) -> Snapshot:
        now = self.clock.now()
        stats = self.store.get_state(QUEUE_STATS)
        locked = self.locked()
        local = now.astimezone(self.issuer.tz)
        cat = self.config.catalogue
        services = tuple(self.service_view(s, now, stats) for s in cat.services)
        open_now = not locked and any(cat.is_open(s, local) for s in cat.services)
        return Snapshot(
            open=open_now,
            locked=locked,
            hours={lang: cat.hours.summary(lang) for lang in ("id", "en")},
            printer=self.printer_state(),
            services=services,
            taken_at=now.isoformat(timespec="seconds"),
        )

    def watch(self) -> Snapshot | None:
        """A fresh snapshot if another process (`kiosk lock`, the agent) has written to the database
        since the last call, else None. `PRAGMA data_version` reads no table: cheap enough to ask
        twice a second, so a lock shows on the screen at once instead of at the next 30 s poll."""
        version = self.store.data_version()
        if version == self._data_version:
            return None
        self._data_version = version
        return self.snapshot()

    def catalogue_update(self) -> Catalogue | None:
        """The catalogue the agent pulled from the central server (catalogue.remote.toml), when it
        differs from the one in use and validates; None otherwise. Reads only: `use_catalogue`
        switches, so the touchscreen decides when (at the next return home)."""
        path = self.config.remote_catalogue_path
        try:
            st = path.stat()
        except OSError:
            return None
        seen = (st.st_ino, st.st_mtime_ns, st.st_size)
        if seen == self._catalogue_file:
            return None
        self._catalogue_file = seen
        try:
            catalogue = parse_catalogue(path.read_text(encoding="utf-8"), str(path))
        except (OSError, UnicodeDecodeError, ConfigError) as e:
            log.warning("kept the running catalogue: %s cannot be used: %s", path, e)
            return None
        current = self.config.catalogue
        return None if dataclasses.replace(catalogue, source=current.source) == current else catalogue

    def use_catalogue(self, catalogue: Catalogue) -> KioskConfig:
        """Switch issuing and printing to `catalogue` in one step (this thread runs every issue)."""
        config = dataclasses.replace(self.config, catalogue=catalogue)
        self.config = self.issuer.config = self.printing.config = config
        log.info("now using the catalogue from %s (%d services)", config.remote_catalogue_path, len(catalogue.services))
        return config

    # the applicant's actions ------------------------------------------------------------------

    def issue_and_print(self, service_key: str, priority: str | None = None) -> IssueResult:
        """Issue one number and print it. A number that was issued is always returned, printed or not."""
        try:
            ticket = self.issuer.issue(service_key, priority)
        except Refused as e:
            r = e.refusal
            return IssueResult(False, r.code, r.text("id"), r.text("en"), service=service_key, priority=priority, refusal=r)
        return self._print_issued(ticket)

    def _print_issued(self, ticket: Ticket, booking: BookingLookup | None = None) -> IssueResult:
        """Print a ticket just issued (walk-in or booked) and say what the applicant holds."""
        outcome = self.printing.print_ticket(self.store, ticket)
        ticket = self.store.ticket(ticket.id) or ticket
        ahead, minutes, served_first = self.printing.estimate(ticket, self.store.get_state(QUEUE_STATS))
        mid, men = both("ticket.take" if outcome.delivered else "ticket.print_failed")
        return IssueResult(
            True, outcome.print_state, mid, men,
            number=ticket.number, ticket_id=ticket.id, service=ticket.service, priority=ticket.priority,
            print_state=ticket.print_state, printer_state=outcome.state, printer_reason=outcome.reason,
            people_ahead=ahead, wait_minutes=minutes, served_first=served_first, booking=booking,
        )

    def recover_interrupted_prints(self) -> list[str]:
        """Mark tickets whose print was cut off by a crash or power cut as print_failed, so staff see
        them among the failed prints and can reprint; the central server hears of it too.
        Returns their numbers."""
        before = self.clock.monotonic_ns() - INTERRUPTED_PRINT_S * 1_000_000_000
        now = self.clock.now().isoformat(timespec="milliseconds")
        with self.store.transaction():
            stale = self.store.stale_pending(self.clock.boot_id(), before)
            for ticket in stale:
                self.store.record_print(ticket.id, False, error=INTERRUPTED_REASON, at=now)
        return [t.number for t in stale]

    def print_requirements(self, service_key: str, lang: str | None = None) -> PrintReport:
        """`lang`: the applicant's language (default the kiosk's first), the one a printer without
        Font B prints the slip in."""
        service = self.config.catalogue.find(service_key)
        if service is None:
            return PrintReport(False, "unknown", service_key, "error.unknown_service")
        outcome = self.printing.print_requirements(service, self.store, lang)
        key = "requirements.printed" if outcome.delivered else "requirements.failed"
        return PrintReport(outcome.delivered, outcome.state, outcome.reason, key)

    # M-Paspor check-in (kiosk/checkin; docs/architecture.md, "Check-in") -----------------------

    def _service_by_key(self, key: str | None) -> Service | None:
        return next((s for s in self.config.catalogue.services if s.key == key), None)

    def _unverified_service(self) -> Service | None:
        cat = self.config.catalogue
        wanted = self.config.bookings.unverified_service
        if wanted:
            return self._service_by_key(wanted)
        return next((s for s in cat.services if s.mpaspor_required), cat.services[0] if cat.services else None)

    def walk_in_services(self, now: datetime | None = None) -> tuple:
        """Service keys an applicant without a usable booking may still take a number for now:
        those that need no booking, and those open to priority groups (who may come without one)."""
        if self.issuer.locked():
            return ()
        cat = self.config.catalogue
        local = (now or self.clock.now()).astimezone(self.issuer.tz)
        return tuple(s.key for s in cat.services
                     if (not s.mpaspor_required or s.priority_allowed) and cat.is_open(s, local))

    def _lookup(self, code: str, now: datetime, day) -> BookingLookup:
        bookings = self.config.bookings
        key = normalise_code(code)
        booking = self.store.booking(key)
        checkin = self.store.checkin_of(key, day.isoformat())
        held = self.store.get_state(BOOKINGS_LIST) or {}
        fresh = list_is_fresh(held.get("fetched_at"), now, bookings.max_age_minutes, day, held.get("days"))
        service = self._service_by_key(booking.service) if booking else None
        window = None
        if service is not None:
            window = Window(
                bookings.window_before_minutes if service.checkin_before_minutes is None else service.checkin_before_minutes,
                bookings.window_after_minutes if service.checkin_after_minutes is None else service.checkin_after_minutes,
            )
        names = {s.key: {"id": s.name_id, "en": s.name_en} for s in self.config.catalogue.services}
        lookup = decide(
            code, rules=self.config.scanner.rules(), office=self.config.kiosk.office_code,
            now=now.astimezone(self.issuer.tz), today=day, booking=booking, checkin=checkin, list_fresh=fresh,
            window=window, max_reprints=bookings.max_reprints, walk_ins=self.walk_in_services(now),
            service_names=names,
        )
        if lookup.outcome == UNVERIFIED:
            service = self._unverified_service()
            if not bookings.accept_unverified or service is None:
                return dataclasses.replace(lookup, outcome=UNKNOWN,
                                           refusal=Refusal("checkin_cannot_verify", "checkin.cannot_verify"))
            return dataclasses.replace(lookup, service=service.key)
        return lookup

    def find_booking(self, code: str, now: datetime | None = None) -> BookingLookup:
        """What `code` means here and now; reads the store only (no network, no print)."""
        now = now or self.clock.now()
        return self._lookup(code, now, self.issuer.service_day(now))

    def check_in_and_print(self, code: str, now: datetime | None = None) -> IssueResult:
        """Check a booking in and print its number. One local transaction makes the ticket, the
        check-in and their outbox events; a booking already checked in (here, or on another kiosk
        whose check-in the agent pulled) gets no second number: the result is not `issued` and
        carries the existing number (code `checkin_already`), or the refusal."""
        try:
            ticket, lookup = self.issuer.issue_booked(lambda at, day: self._lookup(code, at, day), now=now)
        except Refused as e:
            r = e.refusal
            return IssueResult(False, r.code, r.text("id"), r.text("en"), refusal=r)
        if ticket is None:
            r = lookup.refusal or Refusal("checkin_unknown", "checkin.unknown")
            checkin = self.store.checkin_of(lookup.code, self.issuer.service_day(now).isoformat()) \
                if lookup.ticket_number else None
            return IssueResult(False, r.code, r.text("id"), r.text("en"), number=lookup.ticket_number,
                               ticket_id=checkin.ticket_id if checkin else None, service=lookup.service,
                               refusal=r, booking=lookup)
        log.info("checked in booking for %s as %s%s", ticket.service, ticket.number,
                 " (unverified)" if lookup.outcome == UNVERIFIED else "")
        return self._print_issued(ticket, lookup)

    def reprint_booking(self, code: str) -> PrintReport:
        """Print again the number booking `code` got today on this kiosk, at most
        `bookings.max_reprints` times; each reprint is counted on the ticket and sent to the central
        server (ticket.reprinted). A number given by another kiosk is not printed here."""
        key = normalise_code(code)
        checkin = self.store.checkin_of(key, self.issuer.service_day().isoformat())
        if checkin is None:
            return PrintReport(False, "unknown", "no check-in today", "checkin.no_ticket")
        if not checkin.local:
            return PrintReport(False, "elsewhere", f"checked in on {checkin.kiosk_id}", "checkin.reprint_elsewhere",
                               {"number": checkin.number}, checkin.number)
        ticket = self.store.ticket(checkin.ticket_id)
        if ticket is None:
            return PrintReport(False, "unknown", "ticket missing", "checkin.no_ticket")
        first_print_missing = ticket.print_state != PRINTED
        if not first_print_missing and ticket.reprints >= self.config.bookings.max_reprints:
            return PrintReport(False, "limit", "reprint limit reached", "checkin.reprint_limit",
                               {"number": ticket.number}, ticket.number)
        outcome = self.printing.print_ticket(self.store, ticket, reprint=not first_print_missing)
        log.info("booking reprint of %s: %s", ticket.number, outcome.describe())
        key = "checkin.reprinted" if outcome.delivered else "staff.print_failed"
        return PrintReport(outcome.delivered, outcome.state, outcome.reason, key, {"number": ticket.number}, ticket.number)

    def bookings_info(self) -> dict:
        """For staff and `kiosk status`: the held list's age and size, and today's check-ins."""
        return held_summary(self.store, self.issuer.service_day().isoformat())

    # staff ------------------------------------------------------------------------------------

    def check_pin(self, pin: str) -> PinCheck:
        return self.pins.check(pin)

    def staff_info(self) -> StaffInfo:
        self.recover_interrupted_prints()
        now = self.clock.now()
        stats = self.store.outbox_stats()
        day = self.issuer.service_day(now).isoformat()
        last = self.store.last_ticket()
        failed = [t.number for t in self.store.tickets_on(day) if t.print_state == PRINT_FAILED]
        url = self.config.central.url
        ok = self.store.get_state(AGENT_LAST_SYNC)
        err = self.store.get_state(AGENT_LAST_ERROR)
        ok_at = ok.get("at") if isinstance(ok, dict) else None
        err_at = err.get("at") if isinstance(err, dict) else None
        if not url:
            network = "standalone"
        elif err_at and (not ok_at or err_at > ok_at):
            network = "down"
        elif ok_at:
            network = "up"
        else:
            network = "up" if default_route() else "down"
        sync = {"last_ok_at": ok_at, "last_error": err.get("error") if err_at and (not ok_at or err_at > ok_at) else None}
        return StaffInfo(
            kiosk_id=self.config.kiosk.id,
            office=self.config.kiosk.office_name,
            version=__version__,
            printer=self.printer_state(),
            locked=self.locked(),
            outbox_depth=stats.depth,
            outbox_oldest_age_s=stats.oldest_age_seconds(now),
            last_sync=sync,
            central_url=url,
            network=network,
            last_ticket=last.number if last else None,
            failed_today=failed[-10:],
        )

    def test_print(self) -> PrintReport:
        outcome = self.printing.print_test_page([f"host {socket.gethostname()}"], self.store)
        key = "staff.test_printed" if outcome.delivered else "staff.print_failed"
        return PrintReport(outcome.delivered, outcome.state, outcome.reason, key)

    def reprint(self, number: str | None = None) -> PrintReport:
        """Reprint the last ticket, or today's ticket with that number."""
        if number:
            day = self.issuer.service_day().isoformat()
            ticket = self.store.ticket_by_number(number.strip().upper(), day)
        else:
            ticket = self.store.last_ticket()
        if ticket is None:
            return PrintReport(False, "unknown", "no such ticket", "staff.no_ticket", {"number": number or "-"}, number)
        outcome = self.printing.print_ticket(self.store, ticket, reprint=ticket.print_state == PRINTED)
        key = "staff.reprinted" if outcome.delivered else "staff.print_failed"
        return PrintReport(outcome.delivered, outcome.state, outcome.reason, key, {"number": ticket.number}, ticket.number)

    def reprint_failed(self) -> list[PrintReport]:
        """Reprint today's tickets whose print failed, oldest first; stops at the first failure."""
        day = self.issuer.service_day().isoformat()
        reports = []
        for ticket in [t for t in self.store.tickets_on(day) if t.print_state == PRINT_FAILED]:
            reports.append(self.reprint(ticket.number))
            if not reports[-1].ok:
                break
        return reports

    def paper_refilled(self) -> PrinterView:
        return self.refresh_printer()

    def set_locked(self, locked: bool, by: str = "staff-ui") -> bool:
        with self.store.transaction():
            self.store.set_state(LOCK, {"locked": locked, "by": by, "at": self.clock.now().isoformat(timespec="seconds")})
        return locked


def open_lobby(config: KioskConfig, clock: Clock | None = None, printing: TicketPrinting | None = None) -> Lobby:
    """A Lobby with its own Store, for the thread that calls this."""
    Path(config.store.path).parent.mkdir(parents=True, exist_ok=True)
    lobby = Lobby(config, Store(config.store.path), clock, printing)
    lobby.recover_interrupted_prints()  # the UI starting again after a crash or power cut
    return lobby
