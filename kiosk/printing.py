"""From a stored ticket to paper: builds the printer's content, prints, records the outcome.

The print happens after the ticket's COMMIT; its outcome is a second short transaction that moves
the ticket pending -> printed | print_failed and queues the matching outbox event
(Store.record_print). Every job (ticket, requirements slip, test page) answers with one
`PrintOutcome`. A printer that could confirm and did not counts as failed, so staff can reprint; one
that cannot confirm by its nature (no status support, a write-only device) has printed once it took
every byte. The number on screen stays valid either way.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import printer as escpos_printer
from printer import DocumentLine, RequirementsContent, TestPageContent, TicketContent
from printer.status import FAILED, OFFLINE, REFUSE, PrinterStatus, PrintResult
from printer.status import PRINTED as CONFIRMED

from .clock import Clock
from .config import KioskConfig, Service
from .state_keys import PRINTER, PRINTER_LOGO, QUEUE_STATS
from .store import PRINT_FAILED, PRINTED, CheckIn, Store, Ticket

STATS_FRESH_SECONDS = 600
REFUSE_STATES = REFUSE


@dataclass(frozen=True)
class PrintOutcome:
    """What became of one print job, whatever it was (ticket, slip, test page, logo upload)."""

    delivered: bool  # on paper as far as anyone can know (see PrintResult.delivered)
    confirmed: bool  # the printer itself reported the job done
    state: str  # the printer's state afterwards (printer.status.STATES)
    reason: str

    @classmethod
    def of(cls, result: PrintResult) -> "PrintOutcome":
        return cls(result.delivered, result.outcome == CONFIRMED, result.state, result.reason)

    @property
    def ok(self) -> bool:
        return self.delivered

    @property
    def print_state(self) -> str:
        return PRINTED if self.delivered else PRINT_FAILED

    def describe(self) -> str:
        """One line for a technician: 'printed', 'printed (unconfirmed: ...)' or 'not printed: ...'."""
        if self.confirmed:
            return "printed"
        if self.delivered:
            return f"printed (unconfirmed: {self.reason or self.state})"
        return f"not printed: {self.reason or self.state}"


def rupiah(amount: int) -> str:
    return "Rp" + f"{amount:,}".replace(",", ".")


def queue_estimate(stats: dict | None, service: Service, now: datetime) -> tuple[int | None, int | None]:
    """(people ahead, minutes of wait) in a service's regular queue, from the central server's last
    statistics, if fresh."""
    return series_estimate(stats, service.prefix, now)


def series_estimate(stats: dict | None, prefix: str, now: datetime) -> tuple[int | None, int | None]:
    """(people ahead, minutes of wait) in the number series `prefix` (a service's letter, or the
    shared priority series), if the statistics are fresh."""
    if not isinstance(stats, dict):
        return None, None
    try:
        fetched = datetime.fromisoformat(stats["fetched_at"])
        entry = stats.get(prefix)
        if entry is None or not 0 <= (now - fetched).total_seconds() <= STATS_FRESH_SECONDS:
            return None, None
        waiting = int(entry["waiting"])
        avg = entry.get("avg_service_s")
        minutes = math.ceil(waiting * float(avg) / 60) if avg else None
        return waiting, minutes
    except (KeyError, TypeError, ValueError, ArithmeticError):  # ArithmeticError: an overflowing estimate
        return None, None


def logo_recorded(record, key: str, device: str) -> bool:
    """Whether the stored upload record (state PRINTER_LOGO) says logo `key` went into `device`."""
    return (isinstance(record, dict) and record.get("key") == key
            and record.get("device") == device and bool(record.get("delivered")))


class TicketPrinting:
    """One printer for one process; its calls are serialised by the printer library's lock."""

    def __init__(self, config: KioskConfig, clock: Clock | None = None, printer=None):
        self.config = config
        self.clock = clock or Clock()
        self.tz = ZoneInfo(config.kiosk.timezone)
        self.model = config.printer.printer_model()
        self._printer = printer
        self._open_lock = threading.Lock()

    @property
    def printer(self):
        with self._open_lock:
            if self._printer is None:
                p = self.config.printer
                self._printer = escpos_printer.open_printer(
                    p.device,
                    self.model,
                    preview_dir=p.preview_dir or None,
                    status_timeout=p.status_timeout,
                    write_timeout=p.write_timeout,
                )
            return self._printer

    def close(self) -> None:
        with self._open_lock:
            if self._printer is not None:
                self._printer.close()
                self._printer = None

    # content ------------------------------------------------------------------------------

    def qr_payload(self, ticket: Ticket) -> str | None:
        qr = self.config.printer.qr
        if qr == "none":
            return None
        if qr == "ticket-id":
            public = self.config.central.public_url.rstrip("/")
            return f"{public}/t/{ticket.token}" if public and ticket.token else ticket.id
        return qr.format(id=ticket.id, number=ticket.number, kiosk=ticket.kiosk_id, day=ticket.service_day)

    def estimate(self, ticket: Ticket, stats: dict | None) -> tuple[int | None, int | None, bool]:
        """(people ahead, minutes, served first) for this ticket. A priority ticket is called before
        the regular queue: it is estimated from the priority series' own statistics, or said to be
        served first, never given the regular queue's wait."""
        now = self.clock.now()
        if ticket.priority:
            ahead, wait = series_estimate(stats, self.config.catalogue.priority_prefix, now)
            return ahead, wait, ahead is None and wait is None
        service = self.config.catalogue.find(ticket.service)
        ahead, wait = queue_estimate(stats, service, now) if service else (None, None)
        return ahead, wait, False

    def booking_lines(self, checkin: CheckIn | None) -> tuple:
        """What a booked ticket says of its booking: the slot, and UNVERIFIED when no list checked it."""
        if checkin is None:
            return ()
        slot = f" {datetime.fromisoformat(checkin.slot).astimezone(self.tz):%H:%M}" if checkin.slot else ""
        lines = [f"M-PASPOR{slot}"]
        if checkin.unverified:
            lines.append("BELUM TERVERIFIKASI / UNVERIFIED")
        return tuple(lines)

    def ticket_content(self, ticket: Ticket, stats: dict | None, checkin: CheckIn | None = None) -> TicketContent:
        cat = self.config.catalogue
        service = cat.find(ticket.service)
        name_id = service.name_id if service else ticket.service
        name_en = service.name_en if service else ticket.service
        ahead, wait, served_first = self.estimate(ticket, stats)
        label = None
        if ticket.priority:
            group = cat.priority_group(ticket.priority)
            label = f"PRIORITAS / PRIORITY - {group.id if group else ticket.priority}"
        return TicketContent(
            office_name=self.config.kiosk.office_name,
            office_lines=list(self.config.kiosk.office_lines),
            service_id=name_id,
            service_en=name_en,
            number=ticket.number,
            issued_at=ticket.issued_datetime.astimezone(self.tz),
            people_ahead=ahead,
            wait_minutes=wait,
            priority_label=label,
            qr_payload=self.qr_payload(ticket),
            footer_lines=list(self.config.printer.footer),
            ticket_id=ticket.id,
            kiosk_id=ticket.kiosk_id,
            served_first=served_first,
            booking_lines=self.booking_lines(checkin),
        )

    def requirements_content(self, service: Service, lang: str | None = None) -> RequirementsContent:
        """The slip of `service`; `lang` (default: the kiosk's first ui language) is the applicant's,
        which a printer without Font B prints alone (printers with Font B print both)."""
        return RequirementsContent(
            office_name=self.config.kiosk.office_name,
            service_id=service.name_id,
            service_en=service.name_en,
            documents=[
                DocumentLine(text_id=d.id, text_en=d.en, mandatory=d.mandatory, note=d.note_id, note_en=d.note_en)
                for d in service.documents
            ],
            fees=[f"{f.id} / {f.en}: {rupiah(f.amount)}" for f in service.fees],
            processing_time=" / ".join(t for t in (service.processing_id, service.processing_en) if t),
            notes=list(service.notes_id),
            notes_en=list(service.notes_en),
            footer_lines=list(self.config.printer.footer),
            printed_at=self.clock.now().astimezone(self.tz),
            lang=lang or self.config.ui.languages[0],
            fees_by_lang={"id": [f"{f.id}: {rupiah(f.amount)}" for f in service.fees],
                          "en": [f"{f.en}: {rupiah(f.amount)}" for f in service.fees]},
            processing_by_lang={"id": service.processing_id, "en": service.processing_en or service.processing_id},
        )

    # printing -----------------------------------------------------------------------------

    def _device_call(self, call, failed):
        """Run one printer call; a device that cannot even be opened (bad driver, vanished pty)
        becomes the `failed` answer with the reason, never an exception on the print path."""
        try:
            return call(self.printer)
        except Exception as e:  # noqa: BLE001 - whatever the driver raises, the applicant gets an answer
            return failed(f"printer error: {e}")

    def status(self, store: Store | None = None):
        status = self._device_call(lambda p: p.status(), lambda why: PrinterStatus(OFFLINE, why))
        if store is not None:
            self._remember(store, status.state, status.detail)
        return status

    def _remember(self, store: Store, state: str, detail: str) -> None:
        with store.transaction():
            store.set_state(PRINTER, {"state": state, "detail": detail, "at": self.clock.now().isoformat(timespec="seconds")})

    # The NV logo: printed only once `kiosk printer upload-logo` has put it into this printer. A
    # replacement printer has an empty NV memory, and a ticket without a header names no office.

    def logo_uploaded(self, store: Store | None) -> bool:
        key = self.model.nv_logo_key
        if not key or store is None:
            return False
        return logo_recorded(store.get_state(PRINTER_LOGO), key, self.config.printer.device)

    def record_logo_upload(self, store: Store, key: str, outcome: PrintOutcome) -> None:
        with store.transaction():
            store.set_state(PRINTER_LOGO, {
                "key": key, "device": self.config.printer.device, "delivered": outcome.delivered,
                "confirmed": outcome.confirmed, "at": self.clock.now().isoformat(timespec="seconds"),
            })

    def job_model(self, store: Store | None):
        """The model tickets and slips are encoded for: the configured one, without the NV logo
        unless its upload to this printer is on record (then the office name prints as text)."""
        if self.model.nv_logo_key and not self.logo_uploaded(store):
            return dataclasses.replace(self.model, nv_logo_key=None)
        return self.model

    def logo_note(self, store: Store | None) -> str:
        key = self.model.nv_logo_key
        if not key:
            return ""
        if self.logo_uploaded(store):
            at = store.get_state(PRINTER_LOGO).get("at", "?")
            return f"NV logo '{key}' uploaded {at}: tickets print it"
        return (f"NV logo '{key}' not uploaded to this printer: tickets print the office name as text "
                "(kiosk printer upload-logo)")

    def print_ticket(self, store: Store, ticket: Ticket, *, reprint: bool = False) -> PrintOutcome:
        content = self.ticket_content(ticket, store.get_state(QUEUE_STATS), store.checkin_by_ticket(ticket.id))
        data = escpos_printer.encode_ticket(content, self.job_model(store))
        outcome = self._print(data)
        now = self.clock.now().isoformat(timespec="milliseconds")
        with store.transaction():
            store.record_print(ticket.id, outcome.delivered, error=outcome.reason or outcome.state, at=now, reprint=reprint)
            store.set_state(PRINTER, {"state": outcome.state, "detail": outcome.reason, "at": now})
        return outcome

    def _print(self, data: bytes) -> PrintOutcome:
        result = self._device_call(lambda p: p.print(data), lambda why: PrintResult(FAILED, OFFLINE, why))
        return PrintOutcome.of(result)

    def _finish(self, outcome: PrintOutcome, store: Store | None) -> PrintOutcome:
        if store is not None:
            self._remember(store, outcome.state, outcome.reason)
        return outcome

    def print_requirements(self, service: Service, store: Store | None = None, lang: str | None = None) -> PrintOutcome:
        data = escpos_printer.encode_requirements(self.requirements_content(service, lang), self.job_model(store))
        return self._finish(self._print(data), store)

    def print_test_page(self, extra_lines: list[str] | None = None, store: Store | None = None) -> PrintOutcome:
        content = TestPageContent(
            kiosk_id=self.config.kiosk.id,
            device=self.config.printer.device,
            printed_at=self.clock.now().astimezone(self.tz),
            extra_lines=list(extra_lines or []),
            logo_note=self.logo_note(store),
        )
        return self._finish(self._print(escpos_printer.encode_test_page(content, self.model)), store)
