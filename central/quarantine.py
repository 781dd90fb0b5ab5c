"""Kiosks holding quarantined events, from what each declared in its last heartbeat.

A kiosk quarantines an event the server refused for good so its later events flow (the kiosk's
docs/sync.md); the heartbeat's `quarantine` block names them. The server keeps no copy of its
own: the kiosk is the authority on what it still holds, and its next heartbeat after a retry
clears the entry. A heartbeat is a kiosk's word, so every field is checked before it is shown.
"""

from __future__ import annotations

from .db import CentralDB

MAX_EVENTS = 20
_TEXT_FIELDS = ("event_id", "kind", "ticket_id", "number", "service_day", "created_at", "quarantined_at", "reason")
_INT_FIELDS = ("seq", "rejections")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _event(raw) -> dict | None:
    if not isinstance(raw, dict):
        return None
    out = {}
    for key in _TEXT_FIELDS:
        value = raw.get(key)
        out[key] = value[:500] if isinstance(value, str) else None
    for key in _INT_FIELDS:
        value = raw.get(key)
        out[key] = value if _is_int(value) else None
    return out


def declared(heartbeat) -> dict | None:
    """The heartbeat's quarantine block, checked; None when it declares none."""
    block = heartbeat.get("quarantine") if isinstance(heartbeat, dict) else None
    count = block.get("count") if isinstance(block, dict) else None
    if not _is_int(count) or count <= 0:
        return None
    raw_events = block.get("events") if isinstance(block.get("events"), list) else []
    events = [e for e in map(_event, raw_events[:MAX_EVENTS]) if e is not None]
    return {"count": count, "events": events}


def quarantined_kiosks(db: CentralDB, office: str | None = None) -> list[dict]:
    """Kiosks (of one office, or all) whose last heartbeat declared quarantined events."""
    out = []
    for kiosk in db.kiosks():
        if office is not None and kiosk["office"] != office:
            continue
        block = declared(kiosk["last_heartbeat"])
        if block is None:
            continue
        out.append({
            "kiosk_id": kiosk["kiosk_id"],
            "office": kiosk["office"],
            "reported_at": kiosk["last_heartbeat_at"],
            "quarantined": block["count"],
            "events": block["events"],
        })
    return out
