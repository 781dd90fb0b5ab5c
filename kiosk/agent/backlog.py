"""Backlog levels, like a store-and-forward payment terminal: warn early, never drop anything.

`backlog_level` is what `kiosk status`, the staff screen and the heartbeat show.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ..store import OutboxStats

OK = "ok"
WARN = "warn"


def _central(config):
    """Accept the whole KioskConfig or just its [central] section."""
    return getattr(config, "central", config)


def backlog_reasons(stats: OutboxStats, config, now: datetime | None = None) -> list[str]:
    central = _central(config)
    reasons = []
    if stats.depth >= central.backlog_warn_events:
        reasons.append(f"{stats.depth} events not delivered (warning at {central.backlog_warn_events})")
    age = stats.oldest_age_seconds(now or datetime.now(timezone.utc))
    if age is not None and age >= central.backlog_warn_age_minutes * 60:
        reasons.append(
            f"oldest undelivered event is {age / 60:.0f} min old (warning at {central.backlog_warn_age_minutes:g} min)"
        )
    return reasons


def backlog_level(stats: OutboxStats, config, now: datetime | None = None) -> str:
    """"warn" when the outbox is deeper or older than the configured limits, else "ok"."""
    return WARN if backlog_reasons(stats, config, now) else OK


def backlog_summary(stats: OutboxStats, config, now: datetime | None = None) -> dict:
    now = now or datetime.now(timezone.utc)
    age = stats.oldest_age_seconds(now)
    reasons = backlog_reasons(stats, config, now)
    return {
        "depth": stats.depth,
        "oldest_age_s": None if age is None else round(age, 1),
        "delivered": stats.delivered,
        "quarantined": stats.quarantined,
        "level": WARN if reasons else OK,
        "reasons": reasons,
    }
