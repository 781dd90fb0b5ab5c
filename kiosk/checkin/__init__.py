"""M-Paspor check-in: the booking list's rules (bookings.py), without I/O or Kivy.

The Lobby is the way in (`find_booking`, `check_in_and_print`, `reprint_booking`); docs/architecture.md,
"Check-in", is the contract the touchscreen codes against.
"""

from shared.booking_codes import mask_name, normalise_code

from .bookings import (
    ALREADY_CHECKED_IN,
    FOUND,
    LAPSED,
    MALFORMED,
    MAY_CHECK_IN,
    OTHER_DAY,
    OTHER_OFFICE,
    OUTCOMES,
    TOO_EARLY,
    UNKNOWN,
    UNVERIFIED,
    Booking,
    BookingLookup,
    CheckIn,
    Window,
    decide,
    list_is_fresh,
)

__all__ = [
    "ALREADY_CHECKED_IN", "FOUND", "LAPSED", "MALFORMED", "MAY_CHECK_IN", "OTHER_DAY", "OTHER_OFFICE", "OUTCOMES",
    "TOO_EARLY", "UNKNOWN", "UNVERIFIED", "Booking", "BookingLookup", "CheckIn", "Window", "decide",
    "list_is_fresh", "mask_name", "normalise_code",
]
