"""A booking list for tests: bookings around 12:00 WIB on 2026-11-27 (JAKARTA_NOON), held as the
agent would hold one pulled from the central server."""

from __future__ import annotations

from datetime import datetime, timedelta

from kiosk.checkin.listing import hold_list, parse_list

OFFICE = "TEST"
DAY = "2026-11-27"


def booking(code: str, slot: str, *, day: str = DAY, service: str = "paspor-baru", name: str | None = "B*** S******") -> dict:
    return {"code": code, "day": day, "service": service, "slot": f"{day}T{slot}:00+07:00", "masked_name": name}


# At JAKARTA_NOON (12:00 WIB): ONTIME 12:15 (window 11:15-12:45), EARLY 14:00, LATE 10:00, and one
# tomorrow and one yesterday; ELSEWHERE is booked at another office.
BOOKINGS = [
    booking("ONTIME01", "12:15"),
    booking("ONTIME02", "12:00"),
    booking("ONTIME03", "11:30", service="pengambilan", name=None),
    booking("EARLY001", "14:00"),
    booking("LATE0001", "10:00"),
    booking("TOMORROW", "09:00", day="2026-11-28"),
    booking("YESTERDY", "09:00", day="2026-11-26"),
]


def list_body(bookings=None, *, checkins=(), office: str = OFFICE, days=(DAY, "2026-11-28")) -> dict:
    return {
        "office": office, "days": list(days),
        "bookings": list(BOOKINGS if bookings is None else bookings),
        "elsewhere": [{"code": "ELSEWHERE", "office": "OTHER", "day": DAY}],
        "checkins": list(checkins),
    }


def seed_list(store, fetched_at: datetime, body: dict | None = None, *, age: timedelta = timedelta(0)) -> None:
    hold_list(store, parse_list(body or list_body(), OFFICE), fetched_at=(fetched_at - age).isoformat())
