"""The office's booking list as the central server serves it (docs/openapi.yaml, BookingList),
checked field by field before it replaces the list the kiosk holds.

Wire shape: {"office", "days": [YYYY-MM-DD...], "bookings": [{"code", "day", "service", "slot",
"masked_name"}], "elsewhere": [{"code", "office", "day"}], "checkins": [{"code", "day", "kiosk_id",
"ticket_id", "number", "slot", "checked_in_at", "unverified"}]}. "elsewhere" names codes booked at
another office (only the office), so the kiosk can say where to go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from shared.booking_codes import normalise_code

from ..state_keys import BOOKINGS_LIST
from ..store import Booking, CheckIn, Store

MAX_BOOKINGS = 50_000
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CODE = re.compile(r"^[!-~]{1,256}$")


class ListError(ValueError):
    """The served list is not usable; the message names the entry and field."""


@dataclass(frozen=True)
class BookingList:
    office: str
    days: tuple
    bookings: tuple
    checkins: tuple


def _text(entry: dict, key: str, where: str, *, max_len: int = 256, optional: bool = False) -> str | None:
    value = entry.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= max_len:
        raise ListError(f"{where}.{key} must be a string of 1-{max_len} characters")
    return value


def _day(entry: dict, key: str, where: str) -> str:
    value = _text(entry, key, where, max_len=10)
    try:
        if not _DAY.match(value):
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise ListError(f"{where}.{key} must be a date YYYY-MM-DD, got {value!r}") from None
    return value


def _moment(entry: dict, key: str, where: str, *, optional: bool = False) -> str | None:
    value = _text(entry, key, where, max_len=64, optional=optional)
    if value is None:
        return None
    try:
        if datetime.fromisoformat(value).tzinfo is None:
            raise ValueError
    except ValueError:
        raise ListError(f"{where}.{key} must be an ISO-8601 time with its UTC offset, got {value!r}") from None
    return value


def _code(entry: dict, where: str) -> str:
    code = normalise_code(_text(entry, "code", where) or "")
    if not _CODE.match(code):
        raise ListError(f"{where}.code must be printable ASCII without spaces")
    return code


def _list(body: dict, key: str) -> list:
    value = body.get(key, [])
    if not isinstance(value, list) or len(value) > MAX_BOOKINGS:
        raise ListError(f"{key} must be a list of at most {MAX_BOOKINGS} entries")
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise ListError(f"{key}[{i}] must be an object")
    return value


def parse_list(body, office: str) -> BookingList:
    if not isinstance(body, dict):
        raise ListError("the booking list must be a JSON object")
    if body.get("office") != office:
        raise ListError(f"the list is for office {body.get('office')!r}, not {office!r}")
    days = body.get("days")
    if not isinstance(days, list) or not all(isinstance(d, str) and _DAY.match(d) for d in days):
        raise ListError("days must be a list of dates YYYY-MM-DD")
    bookings = []
    for i, e in enumerate(_list(body, "bookings")):
        where = f"bookings[{i}]"
        name = _text(e, "masked_name", where, max_len=120, optional=True)
        bookings.append(Booking(_code(e, where), office, _day(e, "day", where), _text(e, "service", where, max_len=40),
                                _moment(e, "slot", where), name))
    for i, e in enumerate(_list(body, "elsewhere")):
        where = f"elsewhere[{i}]"
        bookings.append(Booking(_code(e, where), _text(e, "office", where, max_len=32), _day(e, "day", where), "", ""))
    checkins = []
    for i, e in enumerate(_list(body, "checkins")):
        where = f"checkins[{i}]"
        checkins.append(CheckIn(
            _code(e, where), _day(e, "day", where), _text(e, "kiosk_id", where, max_len=128),
            _text(e, "ticket_id", where, max_len=128), _text(e, "number", where, max_len=32),
            _moment(e, "checked_in_at", where), _moment(e, "slot", where, optional=True),
            bool(e.get("unverified")), local=False,
        ))
    return BookingList(office, tuple(days), tuple(bookings), tuple(checkins))


def hold_list(store: Store, booking_list: BookingList, *, fetched_at: str, etag: str | None = None,
              purge_before: str | None = None, state: dict | None = None) -> int:
    """Replace the held list with `booking_list` and merge its check-ins, in one transaction.
    Returns how many of the check-ins were new to this kiosk."""
    with store.transaction():
        store.replace_bookings(booking_list.bookings)
        fresh = store.merge_checkins(booking_list.checkins)
        if purge_before:
            store.purge_bookings(purge_before)
        store.set_state(BOOKINGS_LIST, {
            "office": booking_list.office, "etag": etag, "fetched_at": fetched_at, "checked_at": fetched_at,
            "days": list(booking_list.days), "count": len(booking_list.bookings), "error": None,
            **(state or {}),
        })
    return fresh


def held_summary(store: Store, day: str) -> dict:
    """The list held and today's check-ins, for `kiosk status` and the staff screen."""
    held = store.get_state(BOOKINGS_LIST) or {}
    checkins = store.checkins_on(day)
    return {
        "held": store.count_bookings(), "fetched_at": held.get("fetched_at"), "days": held.get("days"),
        "error": held.get("error"),
        "checked_in_here": sum(c.local for c in checkins),
        "unverified_here": sum(c.local and c.unverified for c in checkins),
        "checked_in_elsewhere": sum(not c.local for c in checkins),
    }
