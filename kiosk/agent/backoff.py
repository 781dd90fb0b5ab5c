"""Capped exponential backoff with full jitter, and Retry-After parsing.

Full jitter (a uniform wait in [0, min(cap, initial * 2^n)]) spreads the retries of every kiosk
in an office that lost the same uplink, so they do not return to the server in one wave.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

MAX_EXPONENT = 32


class Backoff:
    def __init__(self, initial: float, cap: float, rng=random.random, retry_after_cap: float | None = None):
        self.initial, self.cap, self.rng = initial, cap, rng
        self.retry_after_cap = max(cap, retry_after_cap or cap)
        self.failures = 0

    def failure(self, retry_after: float | None = None) -> float:
        """Count a failure; return how long to wait before the next attempt."""
        ceiling = min(self.cap, self.initial * 2 ** min(self.failures, MAX_EXPONENT))
        self.failures += 1
        delay = self.rng() * ceiling
        if retry_after is not None:
            # The server knows its load: wait at least what it asked (a broken server asking for
            # days is cut to retry_after_cap, so a kiosk never goes silent for long).
            delay = max(delay, min(retry_after, self.retry_after_cap))
        return delay

    def success(self) -> None:
        self.failures = 0


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent or junk."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() also takes "²" or "٣", which float() refuses
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())
