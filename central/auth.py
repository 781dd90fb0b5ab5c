"""Bearer tokens: `<token_id>.<secret>`, stored as the SHA-256 of the secret.

The id lets us find the row without comparing secrets in SQL; the secret is then compared with
`hmac.compare_digest`. Secrets carry 256 bits of randomness, so a plain hash (no slow KDF) is
enough: nobody can guess their way to a preimage.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from .db import CentralDB

# `log`: reads this server's ticket log (GET /api/v1/tickets), e.g. a national server pulling it.
ROLES = ("kiosk", "counter", "log")
_UNKNOWN_HASH = hashlib.sha256(b"no such token").hexdigest()


@dataclass(frozen=True)
class Principal:
    role: str
    subject: str
    token_id: str
    office: str | None = None  # a counter token bound to one office (kiosks: see CentralDB.kiosk)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(db: CentralDB, role: str, subject: str, office: str | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    db.add_token(token_id, role, subject, hash_secret(secret), office)
    return f"{token_id}.{secret}"


def authenticate(db: CentralDB, authorization: str | None) -> Principal | None:
    """The principal behind an `Authorization: Bearer ...` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    token_id, dot, secret = token.strip().partition(".")
    if not dot or not token_id or not secret or "\x00" in token_id:  # PostgreSQL's text holds no NUL
        return None
    row = db.token(token_id)
    expected = row.secret_hash if row is not None else _UNKNOWN_HASH
    matches = hmac.compare_digest(hash_secret(secret), expected)
    if row is None or not matches or row.revoked_at is not None:
        return None
    return Principal(role=row.role, subject=row.subject, token_id=row.token_id, office=row.office)
