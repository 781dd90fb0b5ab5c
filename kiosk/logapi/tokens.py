"""The log API's bearer token: read once from its 0600 file, compared in constant time."""

from __future__ import annotations

import hmac
import os
import stat

MIN_TOKEN_CHARS = 16
MAX_TOKEN_CHARS = 512


class TokenFileError(Exception):
    """The token file is missing, unsafe or unusable; the message says how to fix it."""


def read_token(path: str) -> str:
    if not path:
        raise TokenFileError("agent.log_token_file is not set, so nobody could read the log API; "
                             "run `kiosk provision` (it writes one) or set it to a 0600 file with a random token")
    try:
        st = os.stat(path)
        if st.st_mode & 0o077:
            raise TokenFileError(f'{path} is readable by others (mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}')
        with open(path, encoding="utf-8") as f:
            token = f.read(MAX_TOKEN_CHARS + 2).strip()
    except FileNotFoundError:
        raise TokenFileError(f"{path} does not exist; run `kiosk provision` to create the log token") from None
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
