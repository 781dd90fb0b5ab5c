"""Pushing the outbox: oldest first, in batches, each event delivered exactly once.

An event is marked delivered only when a 2xx reply lists its id as accepted. Anything else
(an error, a reply we cannot read, an event the server did not mention) leaves it pending to be
sent again; the event id makes the resend harmless on the server.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from ..store import Store
from .client import CentralClient, CentralError, Rejection

log = logging.getLogger("kiosk.agent.push")


@dataclass
class BatchResult:
    sent: int = 0
    delivered: int = 0
    error: CentralError | None = None
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def progressed(self) -> bool:
        return self.delivered > 0


@dataclass
class DrainResult:
    batches: int = 0
    sent: int = 0
    delivered: int = 0
    error: CentralError | None = None
    pending: int | None = None


def push_batch(store: Store, client: CentralClient, *, batch_size: int, kiosk_id: str, office: str,
               events: list[tuple[str, str]] | None = None) -> BatchResult:
    """`events`: the batch as Store.pending_wire returned it, when the caller already read it."""
    if events is None:
        events = store.pending_wire(batch_size)
    if not events:
        return BatchResult()
    ids = [event_id for event_id, _ in events]
    started = time.monotonic()
    try:
        reply = client.post_events([text for _, text in events], kiosk_id=kiosk_id, office=office)
    except CentralError as err:
        store.note_attempt(ids, str(err))
        return BatchResult(sent=len(ids), error=err)
    accepted = set(reply.accepted).intersection(ids)
    delivered = store.mark_delivered([i for i in ids if i in accepted])
    stray = set(reply.accepted) - accepted
    if stray:
        log.warning("server accepted %d event ids this batch did not hold; ignored", len(stray))
    result = BatchResult(sent=len(ids), delivered=delivered)
    missing = [i for i in ids if i not in accepted]
    if missing:
        result.rejected = [r for r in reply.rejected if r.event_id in missing]
        _note_not_accepted(store, missing, result.rejected)
        permanent = [r for r in result.rejected if not r.retry]
        for r in permanent:
            log.error("server rejected event %s: %s (%s); it stays in the outbox and blocks later events "
                      "until the cause is fixed", r.event_id, r.reason, r.detail)
        if not result.progressed:
            first = permanent[0] if permanent else (result.rejected[0] if result.rejected else None)
            reason = f"{first.reason}: {first.detail}" if first else "no event acknowledged"
            result.error = CentralError("rejected", f"server accepted none of {len(ids)} events ({reason})")
    log.debug("batch of %d: %d delivered, %d not accepted, %.0f ms", len(ids), delivered, len(missing),
              (time.monotonic() - started) * 1000)
    return result


def _note_not_accepted(store: Store, missing: list[str], rejected: list[Rejection]) -> None:
    by_reason: dict[str, list[str]] = {}
    reasons = {r.event_id: f"{r.reason}: {r.detail}" if r.detail else r.reason for r in rejected}
    for event_id in missing:
        by_reason.setdefault(reasons.get(event_id, "not acknowledged by the server"), []).append(event_id)
    for reason, ids in by_reason.items():
        store.note_attempt(ids, reason)


def drain(store: Store, client: CentralClient, *, batch_size: int, kiosk_id: str, office: str,
          should_stop=lambda: False, deadline: float | None = None, between_batches=lambda: None,
          first: list[tuple[str, str]] | None = None) -> DrainResult:
    """Push batches until the outbox is empty, an attempt fails, or `deadline` (monotonic) passes.
    `first`: the first batch, already read by the caller (the outbox is not read twice for it)."""
    result = DrainResult()
    while not should_stop() and (deadline is None or time.monotonic() < deadline):
        if result.batches:
            between_batches()
        batch = push_batch(store, client, batch_size=batch_size, kiosk_id=kiosk_id, office=office,
                           events=first if not result.batches else None)
        if batch.sent == 0:
            result.pending = 0
            break
        result.batches += 1
        result.sent += batch.sent
        result.delivered += batch.delivered
        if batch.error is not None:
            result.error = batch.error
            break
    return result
