"""Ticket numbering rules as pure functions: the service day and the number itself."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def service_day_for(moment: datetime, tz: str, day_starts_at: time) -> date:
    """The office-timezone date on which the service day containing `moment` began."""
    local = moment.astimezone(ZoneInfo(tz))
    start = timedelta(hours=day_starts_at.hour, minutes=day_starts_at.minute)
    return (local - start).date()


def resolve_service_day(computed: date, stored: date | None, *, trusted: bool, max_untrusted_jump: int) -> date:
    """The day to number tickets in, given what the clock says and the stored high-water mark.

    Never backwards: a Pi that boots with yesterday's time keeps today's numbering. Forward
    freely on a trusted clock; an untrusted one may move at most `max_untrusted_jump` days, so a
    clock set a year ahead cannot strand the numbering in the future.
    """
    if stored is None:
        return computed
    if computed <= stored:
        return stored
    if trusted or (computed - stored).days <= max_untrusted_jump:
        return computed
    return stored


def next_seq(last: int | None, block: tuple[int, int]) -> int | None:
    """The next sequence number in this kiosk's block, or None when the block is used up."""
    first, final = block
    seq = first if last is None else last + 1
    return seq if seq <= final else None


def format_number(prefix: str, seq: int, block: tuple[int, int]) -> str:
    width = max(3, len(str(block[1])))
    return f"{prefix}{seq:0{width}d}"
