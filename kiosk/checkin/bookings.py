"""M-Paspor check-in rules as pure functions: what a scanned code means here and now.

No I/O: the Lobby reads the booking, any check-in of it and the list's age from the store, and
this module decides. Every refused outcome carries a `Refusal` (gettext key + parameters), the
same shape the issuer's refusals have, so the screens render it in either language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.booking_codes import normalise_code

from ..issuer import Refusal
from ..scanner.codes import CodeRules, Refused, check_code
from ..store import Booking, CheckIn

FOUND = "found"
ALREADY_CHECKED_IN = "already_checked_in"
TOO_EARLY = "too_early"
LAPSED = "lapsed"              # too late, or a booking for an earlier day
OTHER_DAY = "other_day"        # a booking for a later day
OTHER_OFFICE = "other_office"
UNKNOWN = "unknown"
MALFORMED = "malformed"
UNVERIFIED = "unverified"      # no fresh list to check against; may check in, flagged
OUTCOMES = (FOUND, ALREADY_CHECKED_IN, TOO_EARLY, LAPSED, OTHER_DAY, OTHER_OFFICE, UNKNOWN, MALFORMED, UNVERIFIED)
# The outcomes that lead to a new number.
MAY_CHECK_IN = (FOUND, UNVERIFIED)


@dataclass(frozen=True)
class Window:
    before_minutes: int
    after_minutes: int


@dataclass(frozen=True)
class BookingLookup:
    outcome: str                # one of OUTCOMES
    code: str
    service: str | None = None
    slot: datetime | None = None
    masked_name: str | None = None
    come_back_at: datetime | None = None     # TOO_EARLY: when the window opens
    ticket_number: str | None = None         # ALREADY_CHECKED_IN
    reprints_left: int = 0
    walk_in_services: tuple = ()
    refusal: Refusal | None = None
    checked_in_elsewhere: str | None = None  # ALREADY_CHECKED_IN on another kiosk: its id

    @property
    def may_check_in(self) -> bool:
        return self.outcome in MAY_CHECK_IN


def _hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def decide(
    raw_code: str,
    *,
    rules: CodeRules,
    office: str,
    now: datetime,
    today: date,
    booking: Booking | None,
    checkin: CheckIn | None,
    list_fresh: bool,
    window: Window | None,
    max_reprints: int,
    walk_ins: tuple = (),
    service_names: dict | None = None,
) -> BookingLookup:
    """The outcome of `raw_code` at `now` (timezone-aware, the office's zone) on service day `today`.

    `window` is the booked service's check-in window (None: the service is not in the catalogue).
    A check-in already made (here or pulled from another kiosk) wins over everything else: one
    booking never gets two numbers while the kiosks can see each other's check-ins."""
    code = normalise_code(raw_code)
    checked = check_code(code, rules)
    if isinstance(checked, Refused):
        return BookingLookup(MALFORMED, code, walk_in_services=walk_ins,
                             refusal=Refusal("checkin_malformed", "checkin.malformed"))
    if checkin is not None and checkin.day == today.isoformat():
        left = max(0, max_reprints - checkin.reprints) if checkin.local else 0
        return BookingLookup(
            ALREADY_CHECKED_IN, code,
            service=booking.service if booking else None,
            slot=booking.slot_datetime if booking else None,
            masked_name=booking.masked_name if booking else None,
            ticket_number=checkin.number, reprints_left=left, walk_in_services=walk_ins,
            refusal=Refusal("checkin_already", "checkin.already", {"number": checkin.number}),
            checked_in_elsewhere=None if checkin.local else checkin.kiosk_id,
        )
    if booking is None:
        if list_fresh:
            return BookingLookup(UNKNOWN, code, walk_in_services=walk_ins,
                                 refusal=Refusal("checkin_unknown", "checkin.unknown"))
        return BookingLookup(UNVERIFIED, code, walk_in_services=walk_ins)
    if booking.office != office:
        return BookingLookup(OTHER_OFFICE, code, walk_in_services=walk_ins,
                             refusal=Refusal("checkin_other_office", "checkin.other_office", {"office": booking.office}))
    slot = booking.slot_datetime.astimezone(now.tzinfo)
    common = dict(service=booking.service, slot=slot, masked_name=booking.masked_name, walk_in_services=walk_ins)
    name = (service_names or {}).get(booking.service, booking.service)
    if booking.day < today.isoformat():
        return BookingLookup(LAPSED, code, **common,
                             refusal=Refusal("checkin_lapsed", "checkin.lapsed", {"day": booking.day, "time": _hhmm(slot)}))
    if booking.day > today.isoformat():
        return BookingLookup(OTHER_DAY, code, **common,
                             refusal=Refusal("checkin_other_day", "checkin.other_day", {"day": booking.day, "time": _hhmm(slot)}))
    if window is None:
        return BookingLookup(UNKNOWN, code, **common,
                             refusal=Refusal("checkin_service_unavailable", "checkin.service_unavailable", {"service": name}))
    opens = slot - timedelta(minutes=window.before_minutes)
    closes = slot + timedelta(minutes=window.after_minutes)
    if now < opens:
        return BookingLookup(TOO_EARLY, code, **common, come_back_at=opens,
                             refusal=Refusal("checkin_too_early", "checkin.too_early",
                                             {"time": _hhmm(slot), "from": _hhmm(opens)}))
    if now > closes:
        return BookingLookup(LAPSED, code, **common,
                             refusal=Refusal("checkin_lapsed", "checkin.lapsed", {"day": booking.day, "time": _hhmm(slot)}))
    return BookingLookup(FOUND, code, **common)


def list_is_fresh(fetched_at: str | None, now: datetime, max_age_minutes: float, today: date, days: list | None) -> bool:
    """Whether the pulled list may be trusted to say "unknown": fetched within max_age and covering today."""
    if not fetched_at:
        return False
    try:
        age = (now - datetime.fromisoformat(fetched_at)).total_seconds()
    except (TypeError, ValueError):
        return False
    if not -300 <= age <= max_age_minutes * 60:
        return False
    return days is None or today.isoformat() in days

