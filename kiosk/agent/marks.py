"""Delivery marks held in memory while the lobby is busy, written when it is quiet.

Every write the agent makes to the kiosk's database can meet an applicant's issue: the loser of
the write lock sleeps (SQLite's busy handler, 1 ms at least), and both commits share one WAL file
and one disk flush. A delivery mark is the only write a drain needs, and it is safe to delay or
lose: an event whose mark is lost is sent again and the server keeps it once. So a batch the
server accepted whole is not marked at once; its ids are held here, and a cursor (the highest
`seq` held) lets the next batch be read after them. The marks are written when the UI has
committed nothing for `QUIET_S` (between applicants), or when they have waited `HOLD_MAX_S` or
grown past `HELD_MAX` (a lobby that never pauses still gets its outbox tidied).

The invariant the cursor rests on: every undelivered, unquarantined event at or below it is held.
A batch read after the cursor is every such event up to its last `seq` (a later insert gets a
higher `seq`), so holding a batch accepted whole keeps it true; anything else (part of a batch
refused, an event quarantined) writes the held marks first and lets the database speak again.

A failed attempt is held the same way (`note_attempt`): while the central server is down or
black-holed, each push noted its attempt count and error at once, an agent write on every backoff
step (1, 2, 4... s into an outage, the usual state of a lobby on a bad network). Its count and
error are diagnostics, written with the next marks or at the next quiet moment; state keys given to
`with_state` while anything is held go in the same transaction. docs/sync.md has the figures.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from ..store import Store

# The UI committed nothing for this long: an applicant is not at the screen's issue step now.
QUIET_S = 0.5
HOLD_MAX_S = 10.0
HELD_MAX = 5000
# Written this many per transaction, the UI watched in between: a chunk holds the write lock
# for about a millisecond.
WRITE_CHUNK = 500


def utc_stamp() -> str:
    """Now as Store stamps delivery (`strftime('%Y-%m-%dT%H:%M:%fZ')`): the time the server answered."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class HeldMarks:
    def __init__(self, store: Store, *, monotonic=time.monotonic):
        self.store = store
        self.monotonic = monotonic
        self.batches: list[tuple[str, list[str]]] = []  # (delivered_at, event ids), oldest first
        self.attempts: list[tuple[list[str], str]] = []  # failed attempts: (event ids, error)
        self.cursor = 0
        self.count = 0
        self.oldest: float | None = None
        self._state: dict[str, Any] = {}
        self._version: int | None = None
        self._ui_at = monotonic()

    def ui_committed(self) -> bool:
        """Has another connection (the UI) committed since the last look? Notes when it did."""
        version = self.store.data_version()
        changed = self._version is not None and version != self._version
        self._version = version
        if changed:
            self._ui_at = self.monotonic()
        return changed

    @property
    def held(self) -> bool:
        """Is anything waiting to be written? Marks or attempts; state keys only ride with them."""
        return bool(self.batches or self.attempts)

    def _started_holding(self) -> None:
        if self.oldest is None:
            self.oldest = self.monotonic()

    def hold(self, event_ids: list[str]) -> int:
        """A batch the server accepted whole, read after the cursor; nothing is written now."""
        self.cursor = self.store.seq_of(event_ids[-1]) or self.cursor
        self.batches.append((utc_stamp(), list(event_ids)))
        self.count += len(event_ids)
        self._started_holding()
        return len(event_ids)

    def note_attempt(self, event_ids: list[str], error: str) -> None:
        """A failed attempt to send these events (not delivered: the cursor stays); counted later."""
        self.attempts.append((list(event_ids), error))
        self._started_holding()

    def with_state(self, key: str, value: Any) -> None:
        """A state key (the last sync's summary, the last error) to commit with what is held, or now
        if nothing is."""
        if self.held:
            self._state[key] = value
        else:
            self.store.set_state(key, value)

    def overdue(self) -> bool:
        return self.held and (self.count >= HELD_MAX or self.monotonic() - self.oldest >= HOLD_MAX_S)

    def due(self) -> bool:
        if not self.held:
            return False
        self.ui_committed()
        return self.monotonic() - self._ui_at >= QUIET_S or self.overdue()

    def next_look(self) -> float | None:
        """Monotonic time at which what is held may become due, or None when nothing is."""
        if not self.held:
            return None
        return min(self._ui_at + QUIET_S, self.oldest + HOLD_MAX_S)

    def write(self, *, force: bool = False) -> int:
        """Write the held marks, WRITE_CHUNK per transaction, oldest first, the attempts and state
        keys with the last; returns the marks written. Unless forced or overdue, stop between
        chunks when the UI commits (the rest waits for the next quiet)."""
        written = 0
        while self.held:
            chunk: list[tuple[str, list[str]]] = []
            size = 0
            while self.batches and size < WRITE_CHUNK:
                stamp, ids = self.batches[0]
                take = ids[:WRITE_CHUNK - size]
                chunk.append((stamp, take))
                size += len(take)
                if len(take) == len(ids):
                    self.batches.pop(0)
                else:
                    self.batches[0] = (stamp, ids[len(take):])
            self.count -= size
            last = not self.batches
            with self.store.transaction():
                for stamp, ids in chunk:
                    self.store.stamp_delivered(ids, stamp)
                if last:
                    for ids, error in self.attempts:
                        self.store.count_attempt(ids, error)
                    for key, value in self._state.items():
                        self.store.set_state(key, value)
            if last:
                self.attempts, self._state = [], {}
            written += size
            if not last and not force and not self.overdue() and self.ui_committed():
                break
        if not self.batches:
            self.cursor, self.count, self.oldest = 0, 0, None
        self.store.flush_own_writes()
        if written and not self.batches and not self.ui_committed():
            # The marks' pages are in the WAL now; folded back into the database here, while the
            # lobby is quiet, they do not take the WAL past its checkpoint threshold on a later
            # applicant's commit (which would then do the checkpoint, fsync included).
            self.store.checkpoint()
        return written
