"""The agent's loop: one thread, four schedules (push, pull, bookings, heartbeat), never a crash.

It sleeps on an Event, so SIGTERM (which sets it) ends the loop within one poll or one request
timeout. Every store access is a short transaction: the UI issuing a ticket waits at most for one
of them, never for the network, and delivery marks wait in memory for a moment when it does not
commit at all (marks.py).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import random
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from .. import sdnotify
from ..clock import Clock
from ..config import KioskConfig
from ..store import Store
from . import state
from .backlog import backlog_level
from .backoff import Backoff
from .client import UNREACHABLE, CentralClient, CentralError, DateSample
from .commands import pull_commands
from .heartbeat import heartbeat_body
from .marks import HeldMarks
from .pull import pull_bookings, pull_catalogue, pull_queue, record_clock
from .push import DrainResult, drain

log = logging.getLogger("kiosk.agent")

POLL_S = 0.2
DRAIN_SLICE_S = 5.0
# While the UI is committing tickets, a draining agent pauses this long between batches, so its
# short write transactions rarely meet an issue's (SQLite makes the loser sleep at least 1 ms).
YIELD_S = 0.1


@dataclass
class SyncReport:
    delivered: int
    pending: int
    error: str | None
    pulls: dict
    quarantined: int = 0


class Agent:
    def __init__(self, config: KioskConfig, store: Store, client: CentralClient, *, clock: Clock | None = None,
                 stop: threading.Event | None = None, rng=random.random):
        self.config, self.store, self.client = config, store, client
        self.clock = clock or client.clock
        self.stop = stop or threading.Event()
        central = config.central
        self.push_backoff = Backoff(central.backoff_initial_seconds, central.backoff_max_seconds, rng,
                                    retry_after_cap=central.retry_after_max_seconds)
        self.crash_backoff = Backoff(central.backoff_initial_seconds, central.backoff_max_seconds, rng)
        self.started = time.monotonic()
        self.started_at = self.clock.now().isoformat(timespec="seconds")
        self.next_push = self.next_pull = self.next_heartbeat = self.next_bookings = 0.0
        self._recorded_sample: DateSample | None = None
        self.marks = HeldMarks(store)
        self._watchdog = sdnotify.WatchdogPinger()

    @property
    def _who(self) -> dict:
        return {"kiosk_id": self.config.kiosk.id, "office": self.config.kiosk.office_code}

    # long-running

    def run(self) -> None:
        c = self.config.central
        log.info("agent started: kiosk %s, office %s, central %s, batch %d, linger %.2f s",
                 self.config.kiosk.id, self.config.kiosk.office_code, c.url, c.batch_size, c.batch_linger_seconds)
        self._status("running")
        # systemd (Type=notify, WatchdogSec): ready now, then a ping from every turn of this loop.
        watchdog = self._watchdog
        watchdog.notifier.ready(f"syncing with {c.url}")
        try:
            while not self.stop.is_set():
                watchdog.tick()
                try:
                    self.tick()
                    self.crash_backoff.success()
                except (sqlite3.Error, OSError) as err:
                    self._pause_after(err, "the local database or disk failed")
                except Exception as err:  # the agent must outlive any one bug
                    log.exception("unexpected error in the agent loop")
                    self._pause_after(err, "unexpected error")
                due = [self.next_push, self.next_pull, self.next_heartbeat, self.next_bookings]
                if self.marks.held:
                    due.append(self.marks.next_look())
                wait = max(0.0, min(due) - time.monotonic())
                self.stop.wait(min(wait, watchdog.interval or wait))
        finally:
            try:
                self.marks.write(force=True)
            except sqlite3.Error as err:
                log.error("could not record %d deliveries before stopping (%s): they are sent again, the server "
                          "keeps them once", self.marks.count, err)
            watchdog.notifier.stopping()
            self._status("stopped")
            log.info("agent stopped")

    def _pause_after(self, err: Exception, what: str) -> None:
        delay = self.crash_backoff.failure()
        log.error("%s: %s; retrying in %.1f s", what, err, delay)
        self.next_push = self.next_pull = self.next_heartbeat = self.next_bookings = time.monotonic() + delay

    def tick(self) -> None:
        now = time.monotonic()
        if now >= self.next_push:
            self.next_push = time.monotonic() + self.push_step()
        if self.marks.due():
            self.marks.write()
        # Each step may wait out a request timeout against a black-holed server: ping between
        # them so three timeouts in a row do not add up past WatchdogSec.
        self._watchdog.tick()
        if now >= self.next_pull:
            self.pull()
            self.next_pull = time.monotonic() + self.config.central.pull_seconds
        self._watchdog.tick()
        if now >= self.next_bookings:
            self.pull_bookings()
            self.next_bookings = time.monotonic() + self.config.bookings.pull_seconds
        self._watchdog.tick()
        if now >= self.next_heartbeat:
            self.heartbeat()
            self._status("running")
            self.next_heartbeat = time.monotonic() + self.config.central.heartbeat_seconds

    def push_step(self) -> float:
        """Push if a batch is due; return seconds until the next look at the outbox."""
        c = self.config.central
        # Read once: this batch is the one the first request sends.
        pending = self.store.pending_wire(c.batch_size, self.marks.cursor)
        if not pending:
            return POLL_S
        if len(pending) < c.batch_size:
            # Linger: let a few more tickets join the batch; one request instead of several.
            oldest = json.loads(pending[0][1])["created_at"]
            age = (self.clock.now() - datetime.fromisoformat(oldest)).total_seconds()
            if 0 <= age < c.batch_linger_seconds:
                return min(POLL_S, c.batch_linger_seconds - age)
        result = self._drain(deadline=time.monotonic() + DRAIN_SLICE_S, first=pending)
        if result.error is not None:
            delay = self.push_backoff.failure(result.error.retry_after)
            self._error("push", result.error)
            log.warning("push failed (%s): %s; %d+ events pending, next attempt in %.1f s",
                        result.error.kind, result.error, len(pending), delay)
            return delay
        if self.push_backoff.failures:
            log.info("central server reachable again")
        self.push_backoff.success()
        return POLL_S if result.pending == 0 else 0.0

    def _yield_to_ui(self) -> None:
        """Between two batches of a drain: pause while the UI commits; write marks held too long
        (a long drain slice does not hold more than HELD_MAX in memory)."""
        if self.marks.ui_committed():
            self.stop.wait(YIELD_S)
        if self.marks.overdue():
            self.marks.write()

    def _drain(self, deadline: float | None = None, polite: bool = True, first=None) -> DrainResult:
        started = time.monotonic()
        result = drain(self.store, self.client, batch_size=self.config.central.batch_size,
                       quarantine_after=self.config.central.quarantine_after_rejections,
                       should_stop=self.stop.is_set, deadline=deadline, first=first,
                       between_batches=self._yield_to_ui if polite else lambda: None, marks=self.marks,
                       **self._who)
        if result.delivered or result.pending == 0:
            pending = 0 if result.pending == 0 else self.store.outbox_stats().depth - self.marks.count
            self.marks.with_state(state.LAST_SYNC, {
                "at": self.clock.now().isoformat(timespec="seconds"),
                "delivered": result.delivered,
                "pending": pending,
            })
        if result.delivered:
            log.info("delivered %d events in %d batches (%.0f ms)", result.delivered, result.batches,
                     (time.monotonic() - started) * 1000)
        return result

    def pull(self) -> dict:
        """Catalogue, queue statistics, then commands (lock, unlock); the server's Date is recorded
        whatever happens. Commands are asked for after a failed pull too, unless the server is
        unreachable (one timeout per turn is enough)."""
        outcome = {}
        unreachable = False
        try:
            outcome["catalogue"], catalogue = pull_catalogue(self.store, self.client, self.config, self.clock)
            if catalogue is not None:
                self.config = dataclasses.replace(self.config, catalogue=catalogue)
            pull_queue(self.store, self.client, self.config, self.clock)
            outcome["queue"] = "updated"
        except CentralError as err:
            self._error("pull", err)
            log.warning("pull failed (%s): %s", err.kind, err)
            outcome["pull_error"] = str(err)
            unreachable = err.kind in UNREACHABLE
        finally:
            self._record_clock()
        if unreachable:
            return outcome
        try:
            applied = pull_commands(self.store, self.client, self.config.kiosk.id, self.clock)
            if applied:
                outcome["commands"] = applied
                self.next_heartbeat = 0.0  # confirm now, not at the next scheduled heartbeat
        except CentralError as err:
            self._error("pull", err)
            log.warning("command pull failed (%s): %s", err.kind, err)
        return outcome

    def pull_bookings(self) -> str:
        """The M-Paspor list and the other kiosks' check-ins, on their own, shorter schedule: a
        booking checked in next door must be seen here before the applicant can walk over."""
        try:
            return pull_bookings(self.store, self.client, self.config, self.clock)
        except CentralError as err:
            self._error("pull", err)
            log.warning("booking list pull failed (%s): %s", err.kind, err)
            return f"failed: {err}"

    def heartbeat(self) -> bool:
        self.marks.write(force=True)  # the outbox figures staff see are the database's
        body = heartbeat_body(self.store, self.config, self.clock, time.monotonic() - self.started)
        if body["outbox"]["level"] != "ok":
            log.warning("backlog: %s", "; ".join(body["outbox"]["reasons"]))
        try:
            self.client.post_heartbeat(body)
            return True
        except CentralError as err:
            self._error("heartbeat", err)
            log.warning("heartbeat failed (%s): %s", err.kind, err)
            return False
        finally:
            self._record_clock()

    def _record_clock(self) -> None:
        sample = self.client.last_date
        if sample is not None and sample is not self._recorded_sample:
            record_clock(self.store, sample, self.clock)
            self._recorded_sample = sample

    def _error(self, during: str, err: CentralError) -> None:
        self.marks.with_state(state.LAST_ERROR, {
            "at": self.clock.now().isoformat(timespec="seconds"),
            "during": during,
            "kind": err.kind,
            "error": str(err)[:500],
        })

    def _status(self, what: str) -> None:
        self.store.set_state(state.STATUS, {
            "state": what,
            "pid": os.getpid(),
            "started_at": self.started_at,
            "alive_at": self.clock.now().isoformat(timespec="seconds"),
        })

    # one pass (`kiosk sync now`)

    def sync_once(self, *, pull: bool = True) -> SyncReport:
        # A person asked for this: as fast as possible.
        result = self._drain(polite=False)
        if result.error is not None:
            self._error("push", result.error)
        self.marks.write(force=True)
        pulls = {}
        unreachable = result.error is not None and result.error.kind in UNREACHABLE
        if pull and not unreachable:
            pulls = self.pull()
            pulls["bookings"] = self.pull_bookings()
            pulls["heartbeat"] = "sent" if self.heartbeat() else "failed"
        stats = self.store.outbox_stats()
        error = str(result.error) if result.error else None
        if stats.depth and error is None:
            error = "new events arrived while syncing" if not self.stop.is_set() else "interrupted"
        if stats.quarantined and error is None:
            error = f"{stats.quarantined} events quarantined: see `kiosk sync quarantine list`"
        return SyncReport(result.delivered, stats.depth, error, {**pulls, "backlog": backlog_level(stats, self.config)},
                          quarantined=stats.quarantined)
