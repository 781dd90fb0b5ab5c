"""Campaign figures: each campaign test records one row; `make reliability` renders them.

Rows go to a JSON file (default var/reliability/results.json, or $KIOSK_RELIABILITY_RESULTS),
keyed by campaign name, merged under a file lock so parallel or repeated runs never lose a row.
tools/reliability_report.py turns the file into docs/reliability.md.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_RESULTS = REPO / "var" / "reliability" / "results.json"

# Sizes: the default suite runs "default", `make reliability` the "full" (slow) versions.
# KIOSK_CAMPAIGN_SCALE multiplies either (e.g. 0.5 to halve a full run on a slow machine).
SCALES = ("default", "full")


def results_path() -> Path:
    return Path(os.environ.get("KIOSK_RELIABILITY_RESULTS") or DEFAULT_RESULTS)


def multiplier() -> float:
    try:
        value = float(os.environ.get("KIOSK_CAMPAIGN_SCALE", "1"))
    except ValueError:
        raise ValueError("KIOSK_CAMPAIGN_SCALE must be a number, e.g. 0.5 or 2") from None
    if not 0 < value <= 100:
        raise ValueError("KIOSK_CAMPAIGN_SCALE must be above 0 and at most 100")
    return value


def sized(default: int, full: int, scale: str, minimum: int = 1) -> int:
    """A campaign size for this scale, times KIOSK_CAMPAIGN_SCALE."""
    base = full if scale == "full" else default
    return max(minimum, int(round(base * multiplier())))


# Set by the campaigns' `central_db` fixture while a campaign runs on PostgreSQL: its row is kept
# beside the SQLite one ("network-postgresql"), not in its place.
BACKEND = ""


def record(campaign: str, *, scale: str, runs: int, faults: int, tickets: int, lost: int, duplicated: int,
           longest_stall_s: float | None, stall_means: str, passed: bool, details: dict | None = None,
           title: str | None = None) -> dict:
    """Store one campaign row (replacing an earlier row of the same campaign and scale)."""
    if BACKEND:
        campaign, title = f"{campaign}-{BACKEND}", f"{title or campaign} (central on {BACKEND})"
    row = {
        "campaign": campaign,
        "title": title or campaign,
        "scale": scale,
        "multiplier": multiplier(),
        "runs": int(runs),
        "faults": int(faults),
        "tickets": int(tickets),
        "lost": int(lost),
        "duplicated": int(duplicated),
        "longest_stall_s": None if longest_stall_s is None else round(float(longest_stall_s), 3),
        "stall_means": stall_means,
        "passed": bool(passed),
        "details": details or {},
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    path = results_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data = json.loads(path.read_text()) if path.exists() else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        data.setdefault("rows", {})[f"{campaign}/{scale}"] = row
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)
    return row
