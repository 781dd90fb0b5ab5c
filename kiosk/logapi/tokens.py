"""The log API's bearer token: read once from its 0600 file, compared in constant time."""

from __future__ import annotations

import hmac

from ..config import check_secret_file
from ..config.errors import Collector

MIN_TOKEN_CHARS = 16
MAX_TOKEN_CHARS = 512


class TokenFileError(Exception):
    """The token file is missing, unsafe or unusable; the message says how to fix it."""


def read_token(path: str) -> str:
    if not path:
        raise TokenFileError("agent.log_token_file is not set, so nobody could read the log API; "
                             "run `kiosk provision` (it writes one) or set it to a 0600 file with a random token")
    col = Collector(path)
    check_secret_file(col, "agent.log_token_file", path)  # the loader's rule: exists, 0600
    if col.problems:
        raise TokenFileError(f"{col.problems[0].message}; `kiosk provision` creates the log token")
    try:
        with open(path, encoding="utf-8") as f:
            token = f.read(MAX_TOKEN_CHARS + 2).strip()
    except (OSError, UnicodeDecodeError) as e:
        raise TokenFileError(f"{path} cannot be read: {e}") from None
    if not MIN_TOKEN_CHARS <= len(token) <= MAX_TOKEN_CHARS or any(c.isspace() for c in token):
        raise TokenFileError(f"{path} must hold one token of {MIN_TOKEN_CHARS}-{MAX_TOKEN_CHARS} characters without spaces")
    return token


class BearerCheck:
    def __init__(self, token: str):
        self._expected = token.encode("utf-8")

    def accepts(self, authorization: str | None) -> bool:
        """True for `Authorization: Bearer <token>`; the comparison does not leak where it differs."""
        scheme, _, given = (authorization or "").partition(" ")
        candidate = given.strip().encode("utf-8", "replace")
        matches = hmac.compare_digest(candidate, self._expected)
        return scheme.lower() == "bearer" and matches
