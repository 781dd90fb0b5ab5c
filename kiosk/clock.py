"""Time for the kiosk: wall clock, monotonic clock, boot id and whether the wall clock is trusted.

A Raspberry Pi has no real-time clock (the Pi 5's needs a battery): after a power cut it may boot
with yesterday's time until NTP answers. So every ticket records whether the clock was trusted,
and the numbering rules never let an untrusted clock move the service day backwards or far ahead.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
SERVER_CHECK_VALID = timedelta(hours=6)
SERVER_DRIFT_TOLERANCE_S = 5.0


class Clock:
    """The system's clocks. Tests and benchmarks pass a ManualClock instead."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic_ns(self) -> int:
        return time.monotonic_ns()

    def synchronized(self) -> bool:
        """systemd-timesyncd creates this flag file once NTP has set the clock since boot."""
        return TIMESYNC_FLAG.exists()

    def boot_id(self) -> str:
        try:
            return BOOT_ID.read_text().strip()
        except OSError:
            return _PROCESS_BOOT_ID


_PROCESS_BOOT_ID = str(uuid.uuid4())


class ManualClock(Clock):
    """A clock that only moves when told: for tests, benchmarks and clock campaigns."""

    def __init__(self, start: datetime, *, synchronized: bool = True, boot_id: str = "test-boot"):
        self._now = start.astimezone(timezone.utc)
        self._mono = 1_000_000_000
        self._sync = synchronized
        self._boot = boot_id

    def now(self) -> datetime:
        return self._now

    def monotonic_ns(self) -> int:
        self._mono += 1
        return self._mono

    def synchronized(self) -> bool:
        return self._sync

    def boot_id(self) -> str:
        return self._boot

    def set(self, moment: datetime, *, synchronized: bool | None = None) -> None:
        """Jump the wall clock (forwards or backwards), as NTP or a technician might."""
        self._now = moment.astimezone(timezone.utc)
        if synchronized is not None:
            self._sync = synchronized

    def advance(self, **delta: float) -> None:
        step = timedelta(**delta)
        self._now += step
        self._mono += int(step.total_seconds() * 1e9)


def clock_trusted(clock: Clock, server_check: dict | None) -> bool:
    """Trusted when NTP synced since boot, or the central server's Date agreed recently."""
    if clock.synchronized():
        return True
    if not server_check or not server_check.get("ok"):
        return False
    try:
        checked = datetime.fromisoformat(server_check["checked_at"])
        drift = abs(float(server_check.get("drift_s", 0.0)))
    except (KeyError, TypeError, ValueError):
        return False
    age = clock.now() - checked
    return timedelta(0) <= age <= SERVER_CHECK_VALID and drift <= SERVER_DRIFT_TOLERANCE_S
