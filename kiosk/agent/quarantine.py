"""Quarantined events as people and the central server see them (status, heartbeat, CLI, doctor).

The decision to quarantine is in push.py; the rows are in the store. Here: one description of a
quarantined event, so every place that shows one says the same thing.
"""

from __future__ import annotations

from ..store import OutboxEvent, Store

# The heartbeat and `kiosk status` list this many; the count is always complete.
MAX_LISTED = 20


def describe(event: OutboxEvent) -> dict:
    ticket = event.payload.get("ticket") if isinstance(event.payload.get("ticket"), dict) else {}
    return {
        "seq": event.seq,
        "event_id": event.event_id,
        "kind": event.kind,
        "ticket_id": event.ticket_id,
        "number": ticket.get("number"),
        "service_day": ticket.get("service_day"),
        "created_at": event.created_at,
        "quarantined_at": event.quarantined_at,
        "rejections": event.rejections,
        "reason": event.last_error,
    }


def quarantine_summary(store: Store, limit: int = MAX_LISTED) -> dict:
    """`{"count", "events": [oldest `limit` described]}`: the heartbeat's and status's block."""
    return {"count": store.quarantine_count(), "events": [describe(e) for e in store.quarantined_events(limit)]}
