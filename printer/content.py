"""What goes on paper, as plain data the kiosk fills in. No printer knowledge here."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class TicketContent:
    office_name: str
    office_lines: list[str]
    service_id: str  # service name in Bahasa Indonesia
    service_en: str
    number: str  # e.g. "A001"
    issued_at: datetime  # timezone-aware, already in the office's timezone
    people_ahead: int | None
    wait_minutes: int | None  # None: printed as unknown, in both languages
    priority_label: str | None
    qr_payload: str | None  # ticket id or a status URL
    footer_lines: list[str]
    ticket_id: str
    kiosk_id: str
    # A priority ticket without statistics of its own series: say it is served first rather than
    # quote the regular queue's wait.
    served_first: bool = False
    # An M-Paspor check-in: "M-PASPOR 09:30" and, checked in without a list, an "UNVERIFIED" line.
    booking_lines: tuple = ()


@dataclass
class DocumentLine:
    text_id: str
    text_en: str
    mandatory: bool
    note: str = ""  # in Indonesian, or both languages when note_en is empty
    note_en: str = ""


@dataclass
class RequirementsContent:
    office_name: str
    service_id: str
    service_en: str
    documents: list[DocumentLine]
    fees: list[str]
    processing_time: str
    notes: list[str]  # in Indonesian, or both languages when notes_en is empty
    footer_lines: list[str]
    printed_at: datetime
    notes_en: list[str] = field(default_factory=list)  # notes_en[i] translates notes[i]
    # A printer without Font B has no room for both languages (a 58 mm ZJ-5870 slip would be about
    # 29 cm): its slip is in the applicant's language `lang` ("id" or "en") alone, the fees and the
    # processing time taken from these {lang: ...} texts (missing: the bilingual ones above).
    lang: str = "id"
    fees_by_lang: dict[str, list[str]] = field(default_factory=dict)
    processing_by_lang: dict[str, str] = field(default_factory=dict)


@dataclass
class TestPageContent:
    kiosk_id: str
    device: str
    printed_at: datetime
    extra_lines: list[str] = field(default_factory=list)
    logo_note: str = ""  # whether the configured NV logo is known to be in this printer

    __test__ = False  # not a pytest test class despite the name
