"""Pushing the outbox: oldest first, in batches, each event delivered exactly once.

An event is marked delivered only when a 2xx reply lists its id as accepted. Anything else
(an error, a reply we cannot read, an event the server did not mention) leaves it pending to be
sent again; the event id makes the resend harmless on the server.

An event the server refuses for good (`retry: false`, or a 400/409/413/422 answer to the event
sent alone) would hold back every later one: after `quarantine_after` such refusals it is
quarantined, kept in the outbox but no longer sent, and the events after it flow (docs/sync.md).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from ..store import Store
from .client import CentralClient, CentralError, Rejection
from .marks import HeldMarks

log = logging.getLogger("kiosk.agent.push")

# A whole request refused with one of these says its content is wrong (malformed, conflicting,
# too large), so with one event in it, that event. Other 4xx (404, 405...) say the URL or the
# server is wrong: they never count against an event, or a misconfigured kiosk would quarantine
# its whole outbox. 401/403 are `auth` and 429 is load: retried, never counted.
EVENT_REFUSED_STATUSES = (400, 409, 413, 422)
# More events than this quarantined in a row, with nothing delivered in between, means the
# server refuses this kiosk, not an event: the next one is held (and retried) instead.
QUARANTINE_STREAK_MAX = 10


@dataclass
class BatchResult:
    sent: int = 0
    delivered: int = 0
    error: CentralError | None = None
    rejected: list[Rejection] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    # A request of several events was refused for its content: find the event it refuses (drain).
    isolate: bool = False

    @property
    def progressed(self) -> bool:
        return self.delivered > 0 or bool(self.quarantined)


@dataclass
class DrainResult:
    batches: int = 0
    sent: int = 0
    delivered: int = 0
    error: CentralError | None = None
    pending: int | None = None
    quarantined: int = 0


def refuses_content(err: CentralError) -> bool:
    return err.kind == "http" and err.status in EVENT_REFUSED_STATUSES


def push_batch(store: Store, client: CentralClient, *, batch_size: int, kiosk_id: str, office: str,
               quarantine_after: int, events: list[tuple[str, str]] | None = None,
               marks: HeldMarks | None = None) -> BatchResult:
    """`events`: the batch as Store.pending_wire returned it, when the caller already read it.
    `marks`: hold the delivery of a batch accepted whole there instead of writing it now."""
    if events is None:
        events = store.pending_wire(batch_size, marks.cursor if marks else 0)
    if not events:
        return BatchResult()
    ids = [event_id for event_id, _ in events]
    started = time.monotonic()
    try:
        reply = client.post_events([text for _, text in events], kiosk_id=kiosk_id, office=office)
    except CentralError as err:
        if marks is not None:
            marks.note_attempt(ids, str(err))
        else:
            store.note_attempt(ids, str(err))
        result = BatchResult(sent=len(ids), error=err)
        if refuses_content(err):
            if marks:
                marks.write(force=True)  # the hunt and the quarantine read delivery from the database
            if len(ids) == 1:
                result.quarantined = _refused(store, ids[0], str(err), quarantine_after)
                if result.quarantined:
                    result.error = None
            else:
                result.isolate = True
        return result
    accepted = set(reply.accepted).intersection(ids)
    if marks is not None and len(accepted) == len(ids):
        delivered = marks.hold(ids)
    else:
        if marks:
            marks.write(force=True)
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
            result.quarantined += _refused(store, r.event_id, f"{r.reason}: {r.detail}" if r.detail else r.reason,
                                           quarantine_after)
        if not result.progressed:
            first = permanent[0] if permanent else (result.rejected[0] if result.rejected else None)
            reason = f"{first.reason}: {first.detail}" if first else "no event acknowledged"
            result.error = CentralError("rejected", f"server accepted none of {len(ids)} events ({reason})")
    log.debug("batch of %d: %d delivered, %d not accepted, %.0f ms", len(ids), delivered, len(missing),
              (time.monotonic() - started) * 1000)
    return result


def _refused(store: Store, event_id: str, reason: str, quarantine_after: int) -> list[str]:
    """Count a permanent refusal of one event; quarantine it when it has had enough of them."""
    count = store.note_rejection(event_id, reason)
    if count == 0:
        return []
    if count < quarantine_after:
        log.error("server refused event %s (%d of %d before quarantine): %s", event_id, count, quarantine_after,
                  reason)
        return []
    streak = store.quarantine_streak()
    if streak >= QUARANTINE_STREAK_MAX:
        log.error("server refused event %s %d times: %s; not quarantined because the %d events before it were "
                  "refused too: the server refuses this kiosk, check its configuration and token; the event is "
                  "held and retried", event_id, count, reason, streak)
        return []
    if not store.quarantine(event_id):
        return []
    log.error("quarantined event %s after %d refusals (%s): it is kept, later events go on; fix the cause, then "
              "`kiosk sync quarantine retry %s`", event_id, count, reason, event_id)
    return [event_id]


def _note_not_accepted(store: Store, missing: list[str], rejected: list[Rejection]) -> None:
    by_reason: dict[str, list[str]] = {}
    reasons = {r.event_id: f"{r.reason}: {r.detail}" if r.detail else r.reason for r in rejected}
    for event_id in missing:
        by_reason.setdefault(reasons.get(event_id, "not acknowledged by the server"), []).append(event_id)
    for reason, ids in by_reason.items():
        store.note_attempt(ids, reason)


def drain(store: Store, client: CentralClient, *, batch_size: int, kiosk_id: str, office: str,
          quarantine_after: int, should_stop=lambda: False, deadline: float | None = None,
          between_batches=lambda: None, first: list[tuple[str, str]] | None = None,
          marks: HeldMarks | None = None) -> DrainResult:
    """Push batches until the outbox is empty, an attempt fails, or `deadline` (monotonic) passes.
    `first`: the first batch, already read by the caller (the outbox is not read twice for it).

    When a request of several events is refused for its content, the culprit is hunted by halving:
    `window` is how many of the oldest events it is among; the older half is sent, and either it
    is refused (the culprit is in it) or accepted (the culprit is in the rest). Alone, a refused
    event is counted against; a few requests instead of one per event before it. When the oldest
    event has been refused before, it is tried alone at once."""
    result = DrainResult()
    window: int | None = None
    while not should_stop() and (deadline is None or time.monotonic() < deadline):
        if result.batches:
            between_batches()
        size = batch_size if window is None else (window + 1) // 2
        batch = push_batch(store, client, batch_size=size, kiosk_id=kiosk_id, office=office,
                           quarantine_after=quarantine_after,
                           events=first[:size] if first is not None and not result.batches else None,
                           marks=marks)
        if batch.sent == 0:
            result.pending = 0
            break
        result.batches += 1
        result.sent += batch.sent
        result.delivered += batch.delivered
        result.quarantined += len(batch.quarantined)
        if batch.isolate:
            # Read only on this rare path: a push turn itself reads the outbox once.
            if window is None and store.head_rejections():
                window = 1
            else:
                if window is None:
                    log.warning("server refused a batch of %d (%s); looking for the event it refuses",
                                batch.sent, batch.error)
                window = batch.sent
            continue
        if window is not None:
            accepted_all = batch.error is None and batch.delivered == batch.sent
            window = window - batch.sent if accepted_all and window > batch.sent else None
        if batch.error is not None:
            result.error = batch.error
            break
    return result
