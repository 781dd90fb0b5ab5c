"""Builders for the ops tests: a kiosk with secrets on disk, tickets in bulk, HTTP helpers."""

from __future__ import annotations

import os
import secrets
import sys
import uuid
from pathlib import Path

from kiosk.store import Store, Ticket

REPO = Path(__file__).resolve().parents[2]
KIOSK_ID = "test-kiosk"
TOKEN_TEXT = "a1b2c3d4e5f6.central-secret-central-secret"
OFFICE = "TEST"


def write_secret(path: Path, value: str | None = None) -> str:
    value = value or secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def add_tickets(store: Store, n: int, *, kiosk_id: str = KIOSK_ID, day: str = "2026-11-27", start: int = 1) -> None:
    """n tickets through the Store in one transaction (fast; the Issuer's rules are not the point)."""
    with store.transaction():
        for i in range(start, start + n):
            store.insert_ticket(Ticket(
                id=str(uuid.UUID(int=i)), kiosk_id=kiosk_id, number=f"A{i:06d}", service="paspor-baru",
                prefix="A", seq=i, priority=None, service_day=day, issued_at=f"{day}T08:00:00+07:00",
                mono_ns=i, boot_id="bench", clock_trusted=True,
            ))


def kiosk_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "kiosk", *args]


def clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("KIOSK_CONFIG", "NOTIFY_SOCKET")}
    return {**env, "PYTHONPATH": str(REPO), **extra}
