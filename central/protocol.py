"""Shapes of the request bodies the kiosk sends, checked before anything touches the database.

Unknown fields are tolerated everywhere (older servers must accept newer kiosks); a field we rely
on with the wrong type is a rejection naming the field.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

MAX_ID_LEN = 128
OFFICE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
PREFIX_RE = re.compile(r"^[A-Z]{1,8}$")
TICKET_KIND_PREFIX = "ticket."


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _is_short_str(value, max_len: int = MAX_ID_LEN) -> bool:
    return isinstance(value, str) and 0 < len(value) <= max_len


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def event_problem(event, kiosk_id: str) -> str | None:
    """Why this event cannot be stored, or None. `kiosk_id` is the authenticated kiosk."""
    if not isinstance(event, dict):
        return "event must be a JSON object"
    if not _is_short_str(event.get("event_id")):
        return f"event_id must be a string of 1-{MAX_ID_LEN} characters"
    if not _is_short_str(event.get("kind"), 64):
        return "kind must be a string of 1-64 characters"
    if event.get("kiosk_id") != kiosk_id:
        return f"kiosk_id must be the authenticated kiosk ({kiosk_id})"
    if "seq" in event and not _is_int(event["seq"]):
        return "seq must be an integer"
    if not _is_short_str(event.get("created_at"), 64):
        return "created_at must be a timestamp string"
    if event["kind"].startswith(TICKET_KIND_PREFIX):
        return ticket_problem(event.get("ticket"))
    return None


def ticket_problem(ticket) -> str | None:
    if not isinstance(ticket, dict):
        return "ticket must be a JSON object"
    for key in ("id", "number", "service_day"):
        if not _is_short_str(ticket.get(key)):
            return f"ticket.{key} must be a non-empty string"
    if not (isinstance(ticket.get("prefix"), str) and PREFIX_RE.match(ticket["prefix"])):
        return "ticket.prefix must be 1-8 letters A-Z"
    if "seq" in ticket and not _is_int(ticket["seq"]):
        return "ticket.seq must be an integer"
    if ticket.get("priority") is not None and not isinstance(ticket["priority"], (str, bool)):
        return "ticket.priority must be a priority group name, true/false or null"
    for key in ("issued_at", "service", "print_state", "office"):
        if ticket.get(key) is not None and not _is_short_str(ticket[key], 256):
            return f"ticket.{key} must be a string"
    return None


def office_problem(office) -> str | None:
    if office is None:
        return None
    if not (isinstance(office, str) and OFFICE_RE.match(office)):
        return "office must be 1-32 characters A-Z, a-z, 0-9, '_' or '-'"
    return None
