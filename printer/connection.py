"""`Printer`: one printer behind any transport, with status checks, one-write jobs and reconnects.

A print is: (re)open the port if needed; one real-time status query (3 bytes, short timeout);
refuse on paper out / cover open / offline; write the job plus GS r 1 in a single write with a
deadline; wait for the GS r answer, which the printer sends only once everything before it has
printed and been cut. A failed transport is closed, and the next call opens it again, so an
unplugged printer comes back without restarting the app. The data write itself is never retried
(that could print a ticket twice); a status query is, once, after reopening.
"""
from __future__ import annotations

import threading
import time

from . import commands
from .model import PrinterModel
from .status import (
    FAILED,
    OFFLINE,
    OUTCOME_UNKNOWN,
    PRINTED,
    READY,
    REFUSE,
    UNKNOWN,
    PrinterStatus,
    PrintResult,
    parse_paper_reply,
    parse_realtime,
)
from .transports.base import OpenError, Transport, TransportError, WriteTimeout


class Printer:
    def __init__(self, transport: Transport, model: PrinterModel, *, device: str = "",
                 status_timeout: float = 0.3, write_timeout: float = 5.0, confirm_timeout: float = 4.0,
                 open_timeout: float | None = None):
        for name, value in (("status_timeout", status_timeout), ("write_timeout", write_timeout),
                            ("confirm_timeout", confirm_timeout)):
            if not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        self.transport = transport
        self.model = model
        self.device = device or transport.describe()
        self.status_timeout = status_timeout
        self.write_timeout = write_timeout
        self.confirm_timeout = confirm_timeout
        self.open_timeout = open_timeout if open_timeout is not None else min(write_timeout, 3.0)
        self.fake = None  # the in-process FakePrinter behind the "virtual" device
        self._lock = threading.Lock()
        self._closed = False

    # -- public
    def status(self) -> PrinterStatus:
        with self._lock:
            return self._status()

    @property
    def can_confirm(self) -> bool:
        """Whether this printer can report a job done (status support over a readable transport).
        If not, a job whose every byte was sent is the best outcome there is (PrintResult.delivered)."""
        return self.model.status and self.transport.can_read

    def print(self, data: bytes, *, confirm_timeout: float | None = None) -> PrintResult:
        """Print one job (one write). `confirm_timeout` overrides how long to wait for the printer
        to report the job done (an NV logo upload needs longer than a ticket)."""
        if not isinstance(data, (bytes, bytearray)) or not data:
            raise ValueError("print() needs the non-empty bytes of one job (see encode_ticket)")
        with self._lock:
            return self._print(bytes(data), confirm_timeout or self.confirm_timeout)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self.transport.close()
            if self.fake is not None:
                self.fake.stop()

    def __enter__(self) -> "Printer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals (lock held)
    def _ensure_open(self) -> None:
        if self._closed:
            raise TransportError(f"{self.device}: printer was closed")
        if not self.transport.is_open:
            self.transport.open(self.open_timeout)

    def _drop(self) -> None:
        if self.transport.is_open:
            self.transport.discard_output()
        self.transport.close()

    def _query(self) -> PrinterStatus:
        self.transport.discard_input()
        self.transport.write(commands.STATUS_QUERY, self.status_timeout)
        return parse_realtime(self.transport.read(3, self.status_timeout))

    def _status(self) -> PrinterStatus:
        """Open if needed and ask; on a dead connection reopen once and ask again."""
        for attempt in (1, 2):
            try:
                self._ensure_open()
                if not self.can_confirm:
                    if not self.model.status:
                        return PrinterStatus(READY, "assumed ready: this printer model has no status support")
                    return PrinterStatus(UNKNOWN, f"{self.transport.describe()} cannot report status "
                                                  "(write-only device)")
                return self._query()
            except OpenError as e:
                self._drop()
                return PrinterStatus(OFFLINE, e.detail)
            except TransportError as e:
                self._drop()
                if attempt == 2:
                    return PrinterStatus(OFFLINE, e.detail)
        raise AssertionError("unreachable")

    def _print(self, data: bytes, confirm_timeout: float) -> PrintResult:
        before = self._status()
        if before.state in REFUSE:
            return PrintResult(FAILED, before.state, f"not printed: {before.detail}")
        # Only a printer that just answered a status query will answer GS r; waiting seconds for a
        # silent one would only keep the applicant standing there.
        confirm = self.can_confirm and before.state != UNKNOWN
        payload = data + commands.PAPER_STATUS_AFTER_JOB if confirm else data
        # write_timeout bounds a stall (nothing accepted); the whole write may also take the wire time.
        total = self.write_timeout + self.transport.wire_seconds(len(payload))
        try:
            if confirm:
                self.transport.discard_input()
            self.transport.write(payload, self.write_timeout, total)
        except WriteTimeout as e:
            self._drop()
            return PrintResult(FAILED, UNKNOWN, f"ticket incomplete: {e.detail}", e.sent)
        except TransportError as e:
            self._drop()
            return PrintResult(FAILED, OFFLINE, f"ticket incomplete: {e.detail}", e.sent)
        if not confirm:
            why = ("this printer model cannot confirm printing" if not self.model.status
                   else before.detail)
            return PrintResult(OUTCOME_UNKNOWN, before.state, f"sent {len(data)} bytes; not confirmed: {why}",
                               len(data), confirmable=self.can_confirm)
        return self._confirm(len(data), len(payload), confirm_timeout)

    def _confirm(self, job_len: int, payload_len: int, confirm_timeout: float) -> PrintResult:
        wait = confirm_timeout + self.transport.wire_seconds(payload_len)
        deadline = time.monotonic() + wait
        try:
            while True:
                remaining = deadline - time.monotonic()
                reply = self.transport.read(1, max(0.0, remaining)) if remaining > 0 else b""
                if not reply:
                    break
                after = parse_paper_reply(reply[0])
                if after is not None:
                    if after.state in REFUSE:
                        return PrintResult(FAILED, after.state, f"printing stopped: {after.detail}", job_len)
                    return PrintResult(PRINTED, after.state, after.detail, job_len)
                # Anything else is not our answer (noise): keep listening until the deadline.
            # No confirmation: ask the printer why, in real time.
            now = self._query()
        except TransportError as e:
            self._drop()
            return PrintResult(FAILED, OFFLINE, f"connection lost after sending the ticket: {e.detail}", job_len)
        if now.state in REFUSE:
            return PrintResult(FAILED, now.state, f"printing stopped: {now.detail}", job_len)
        return PrintResult(OUTCOME_UNKNOWN, now.state,
                           f"sent {job_len} bytes but the printer did not confirm within {wait:.1f} s "
                           f"(status now: {now.detail})", job_len)
