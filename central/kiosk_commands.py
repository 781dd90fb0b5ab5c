"""Commands for a kiosk (lock, unlock): queued here, picked up by the kiosk's agent on its next
pull (`GET /api/v1/kiosks/{kiosk_id}/commands`), applied through the kiosk's own lock (the state
`kiosk lock` writes), confirmed by the agent's next heartbeat (`commands.applied`).

A command stays pending until confirmed: a kiosk that was offline picks it up when it is back,
and the agent remembers what it applied, so a command served twice is applied once. Commands are
applied in order, so "lock" then "unlock" queued while the kiosk was away leaves it open.
"""

from __future__ import annotations

from datetime import datetime

from .db import CentralDB
from .protocol import utc_now_iso
from .staff import audit

ACTIONS = ("lock", "unlock")
MAX_REASON = 200
MAX_PENDING = 20


class CommandError(Exception):
    pass


def request(db: CentralDB, kiosk_id: str, action: str, actor: str, reason: str = "", office: str | None = None) -> dict:
    """Queue a command; `office`: the requester's office, which must be the kiosk's."""
    if action not in ACTIONS:
        raise CommandError(f"action must be one of {', '.join(ACTIONS)}")
    reason = (reason or "").strip()[:MAX_REASON]
    kiosk = db.kiosk(kiosk_id)
    if kiosk is None or (office is not None and kiosk["office"] != office):
        raise CommandError(f"no kiosk {kiosk_id!r} in office {office}" if office else f"no kiosk {kiosk_id!r}")
    now = utc_now_iso()
    with db.write() as conn:
        row = conn.execute(
            "INSERT INTO kiosk_commands(kiosk_id, office, action, reason, requested_by, requested_at) "
            "VALUES (?,?,?,?,?,?) RETURNING id",
            (kiosk_id, kiosk["office"], action, reason, actor, now),
        ).fetchone()
        audit(conn, actor, kiosk["office"], f"kiosk.{action}", kiosk_id, reason or None, now)
    return command(db, row[0])


def command(db: CentralDB, command_id: int) -> dict | None:
    row = db.conn().execute("SELECT * FROM kiosk_commands WHERE id = ?", (command_id,)).fetchone()
    return dict(row) if row else None


def pending_for(db: CentralDB, kiosk_id: str) -> list[dict]:
    """The unconfirmed commands, oldest first, marked fetched (for the kiosk's agent)."""
    now = utc_now_iso()
    with db.write() as conn:
        rows = conn.execute(
            "SELECT id, action, reason, requested_by, requested_at FROM kiosk_commands "
            "WHERE kiosk_id = ? AND confirmed_at IS NULL ORDER BY id LIMIT ?",
            (kiosk_id, MAX_PENDING),
        ).fetchall()
        if rows:
            conn.execute(
                "UPDATE kiosk_commands SET fetched_at = ? WHERE kiosk_id = ? AND confirmed_at IS NULL "
                "AND fetched_at IS NULL AND id <= ?",
                (now, kiosk_id, rows[-1]["id"]),
            )
    return [dict(r) for r in rows]


def confirm_from_heartbeat(db: CentralDB, kiosk_id: str, heartbeat: dict) -> int:
    """Mark the commands the heartbeat says were applied as confirmed; return how many were new.

    A heartbeat is the kiosk's word: only ids of its own commands count, and the time it says it
    applied them is kept only if it parses.
    """
    block = heartbeat.get("commands") if isinstance(heartbeat, dict) else None
    applied = block.get("applied") if isinstance(block, dict) else None
    if not isinstance(applied, list) or not applied:
        return 0
    now = utc_now_iso()
    changed = 0
    with db.write() as conn:
        for entry in applied[:MAX_PENDING]:
            if not isinstance(entry, dict):
                continue
            cid = entry.get("id")
            if not isinstance(cid, int) or isinstance(cid, bool):
                continue
            changed += conn.execute(
                "UPDATE kiosk_commands SET confirmed_at = ?, applied_at = ? "
                "WHERE id = ? AND kiosk_id = ? AND confirmed_at IS NULL",
                (now, _timestamp(entry.get("applied_at")), cid, kiosk_id),
            ).rowcount
    return changed


def _timestamp(value) -> str | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return None
    return value


def latest_per_kiosk(db: CentralDB, office: str) -> dict[str, dict]:
    """Each kiosk's newest command in the office (what the report page shows next to it)."""
    rows = db.conn().execute(
        "SELECT c.* FROM kiosk_commands c WHERE c.office = ? AND c.id = "
        "(SELECT max(id) FROM kiosk_commands d WHERE d.kiosk_id = c.kiosk_id)",
        (office,),
    )
    return {r["kiosk_id"]: dict(r) for r in rows}
