"""Commands from the central server (lock, unlock), pulled with the catalogue and queue.

A command is applied through the kiosk's own lock: the state `kiosk lock` writes
(state_keys.LOCK), in one transaction with the note that it was applied, so the touchscreen's
`PRAGMA data_version` watch shows the closed screen within a second, and a command the server
serves again before the heartbeat confirmed it is not applied twice (a later local `kiosk
unlock` is not undone by it). The heartbeat carries `commands.applied`: that confirms them.
"""

from __future__ import annotations

import logging

from ..clock import Clock
from ..state_keys import AGENT_COMMANDS, LOCK
from ..store import Store
from .client import CentralClient

log = logging.getLogger("kiosk.agent.commands")

KEEP_APPLIED = 20  # the newest applied commands the heartbeat repeats (the server lists at most 20 pending)
LOCK_ACTIONS = {"lock": True, "unlock": False}


def applied_commands(store: Store) -> dict:
    value = store.get_state(AGENT_COMMANDS) or {}
    return {"applied": list(value.get("applied") or [])}


def apply_commands(store: Store, commands: list[dict], clock: Clock) -> list[dict]:
    """Apply the commands not applied before, in order; return the ones applied now."""
    done = []
    for command in commands:
        with store.transaction():
            applied = applied_commands(store)["applied"]
            if any(a.get("id") == command["id"] for a in applied):
                continue
            now = clock.now().isoformat(timespec="seconds")
            locked = LOCK_ACTIONS.get(command["action"])
            entry = {"id": command["id"], "action": command["action"], "applied_at": now}
            if locked is None:
                # Newer server, older kiosk: confirmed as seen so it does not come back for ever.
                entry["result"] = "unknown action"
                log.warning("central command %s: unknown action %r, ignored", command["id"], command["action"])
            else:
                store.set_state(LOCK, {"locked": locked, "by": f"central:{command['requested_by']}", "at": now,
                                       "reason": command["reason"], "command": command["id"]})
                log.info("central command %s: kiosk %s by %s%s", command["id"], "locked" if locked else "unlocked",
                         command["requested_by"], f" ({command['reason']})" if command["reason"] else "")
            store.set_state(AGENT_COMMANDS, {"applied": (applied + [entry])[-KEEP_APPLIED:]})
            done.append(entry)
    return done


def pull_commands(store: Store, client: CentralClient, kiosk_id: str, clock: Clock) -> list[dict]:
    """Fetch and apply; network errors raise CentralError (nothing applied)."""
    return apply_commands(store, client.get_commands(kiosk_id), clock)
