"""The office report's figures (the supervisor's `/reports` page and its CSV exports).

Over a range of service days: tickets per service per hour of issue, waiting and service times
per service, and the office's kiosks' health from their last heartbeats. Rows are read with
plain SQL and summed here (no date functions in SQL: the same code on SQLite and PostgreSQL).

- hour: the hour of `issued_at` in the kiosk's own offset (the office's time: a ticket says
  "08:12+07:00").
- waiting time: issue to first call (`first_called_at`; a transferred ticket's wait ends at its
  first call, the one the applicant waited for at the kiosk's queue).
- service time: last call (a recall moves it) to done, for tickets finished as served; a
  skipped ticket (no-show) has none.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime, timezone

from . import kiosk_commands
from .db import CentralDB
from .quarantine import declared

# A heartbeat older than this says the kiosk (or its network) is down.
STALE_HEARTBEAT_S = 5 * 60


def parse_day(text: str | None, default: str) -> str:
    """A YYYY-MM-DD service day, or the default when absent; ValueError names a bad one."""
    if not text:
        return default
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    try:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except ValueError:
        return None


def _rows(db: CentralDB, office: str, day_from: str, day_to: str):
    return db.conn().execute(
        "SELECT number, prefix, queue_prefix, issued_at, called_at, first_called_at, done_at, outcome "
        "FROM tickets WHERE office = ? AND service_day >= ? AND service_day <= ? ORDER BY cursor",
        (office, day_from, day_to),
    ).fetchall()


def tickets_per_hour(db: CentralDB, office: str, day_from: str, day_to: str) -> dict:
    """{"services": [prefix...], "hours": [h...], "counts": {h: {prefix: n}}, "per_service": {prefix: n},
    "total": n}: every hour
    from the first to the last with a ticket, so a quiet hour shows as 0, not as a gap."""
    counts: dict[int, dict[str, int]] = {}
    services: set[str] = set()
    for row in _rows(db, office, day_from, day_to):
        try:
            hour = datetime.fromisoformat(row["issued_at"]).hour
        except (TypeError, ValueError):
            continue
        services.add(row["prefix"])
        counts.setdefault(hour, {})
        counts[hour][row["prefix"]] = counts[hour].get(row["prefix"], 0) + 1
    hours = list(range(min(counts), max(counts) + 1)) if counts else []
    per_service = {p: sum(c.get(p, 0) for c in counts.values()) for p in sorted(services)}
    return {"services": sorted(services), "hours": hours,
            "counts": {h: counts.get(h, {}) for h in hours},
            "per_service": per_service, "total": sum(per_service.values())}


def _summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "mean_min": None, "median_min": None, "p90_min": None}
    ordered = sorted(values)
    median = (ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]  # nearest rank
    return {"n": len(ordered), "mean_min": round(sum(ordered) / len(ordered) / 60, 1),
            "median_min": round(median / 60, 1), "p90_min": round(p90 / 60, 1)}


def times(db: CentralDB, office: str, day_from: str, day_to: str) -> list[dict]:
    """Per service (the ticket's own prefix): issued, waiting now, served, skipped, and the
    waiting and service times in minutes (mean, median, 90th percentile)."""
    per: dict[str, dict] = {}
    for row in _rows(db, office, day_from, day_to):
        s = per.setdefault(row["prefix"], {"issued": 0, "waiting": 0, "served": 0, "skipped": 0,
                                           "waits": [], "services": []})
        s["issued"] += 1
        if row["called_at"] is None and row["done_at"] is None:
            s["waiting"] += 1
        wait = _seconds(row["issued_at"], row["first_called_at"] or row["called_at"])
        if wait is not None and wait >= 0:
            s["waits"].append(wait)
        if row["done_at"] and (row["outcome"] or "served") == "served":
            s["served"] += 1
            service = _seconds(row["called_at"], row["done_at"])
            if service is not None and service >= 0:
                s["services"].append(service)
        elif row["outcome"] == "skipped":
            s["skipped"] += 1
    out = []
    for prefix in sorted(per):
        s = per[prefix]
        out.append({"service": prefix, "issued": s["issued"], "waiting": s["waiting"], "served": s["served"],
                    "skipped": s["skipped"], "wait": _summary(s["waits"]), "service_time": _summary(s["services"])})
    return out


def kiosk_health(db: CentralDB, office: str, now: datetime | None = None) -> list[dict]:
    """Each kiosk of the office from its last heartbeat, with its lock and its latest command."""
    now = now or datetime.now(timezone.utc)
    commands = kiosk_commands.latest_per_kiosk(db, office)
    out = []
    for kiosk in db.kiosks():
        if kiosk["office"] != office:
            continue
        hb = kiosk["last_heartbeat"] if isinstance(kiosk["last_heartbeat"], dict) else {}
        printer = hb.get("printer") if isinstance(hb.get("printer"), dict) else {}
        outbox = hb.get("outbox") if isinstance(hb.get("outbox"), dict) else {}
        lock = hb.get("lock") if isinstance(hb.get("lock"), dict) else {}
        held = declared(hb)
        age = _seconds(kiosk["last_heartbeat_at"], now.isoformat()) if kiosk["last_heartbeat_at"] else None
        out.append({
            "kiosk_id": kiosk["kiosk_id"],
            "last_heartbeat_at": kiosk["last_heartbeat_at"],
            "heartbeat_age_s": None if age is None else round(age),
            "stale": age is None or age > STALE_HEARTBEAT_S,
            "printer": str(printer.get("state") or "unknown")[:40],
            "paper_warning": hb.get("paper_warning") is True,
            "backlog": outbox.get("depth") if isinstance(outbox.get("depth"), int) else None,
            "backlog_level": str(outbox.get("level") or "-")[:10],
            "quarantined": held["count"] if held else 0,
            "locked": lock.get("locked") is True,
            "lock_by": str(lock.get("by") or "")[:100],
            "command": commands.get(kiosk["kiosk_id"]),
        })
    return out


def csv_text(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return out.getvalue()


def _cell(value):
    # A cell a spreadsheet would run as a formula gets a leading quote (kiosk ids come from tokens).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def hourly_csv(report: dict) -> str:
    rows = [[f"{h:02d}:00", *(report["counts"][h].get(p, 0) for p in report["services"]),
             sum(report["counts"][h].values())] for h in report["hours"]]
    return csv_text(["hour", *report["services"], "total"], rows)


def times_csv(rows: list[dict]) -> str:
    header = ["service", "issued", "waiting", "served", "skipped",
              "wait_mean_min", "wait_median_min", "wait_p90_min",
              "service_mean_min", "service_median_min", "service_p90_min"]
    body = [[r["service"], r["issued"], r["waiting"], r["served"], r["skipped"],
             r["wait"]["mean_min"], r["wait"]["median_min"], r["wait"]["p90_min"],
             r["service_time"]["mean_min"], r["service_time"]["median_min"], r["service_time"]["p90_min"]]
            for r in rows]
    return csv_text(header, body)


def kiosks_csv(rows: list[dict]) -> str:
    header = ["kiosk_id", "last_heartbeat_at", "printer", "paper_warning", "backlog", "backlog_level",
              "quarantined", "locked", "last_command", "command_requested_at", "command_confirmed_at"]
    body = []
    for r in rows:
        c = r["command"] or {}
        body.append([r["kiosk_id"], r["last_heartbeat_at"], r["printer"], r["paper_warning"], r["backlog"],
                     r["backlog_level"], r["quarantined"], r["locked"], c.get("action"), c.get("requested_at"),
                     c.get("confirmed_at")])
    return csv_text(header, body)
