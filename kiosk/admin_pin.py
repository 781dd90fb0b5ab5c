"""The staff PIN: a slow salted hash in kiosk.toml, constant-time checks, lockout after wrong tries.

Hash format (the value of `admin.pin_hash`), one line, `$`-separated:

    scrypt$<N>$<r>$<p>$<salt, urlsafe base64>$<key, urlsafe base64>

e.g. `scrypt$16384$8$1$Jb3...$k2f...`: stdlib `hashlib.scrypt` with cost N (a power of 2), block
size r and parallelism p, a 16-byte random salt and a 32-byte key. N=2**14, r=8 takes ~50 ms on a
laptop and a few hundred ms on a Pi, uses 16 MB, and makes a stolen config's 4-8 digit PIN costly
to guess off-line. Make one with `kiosk pin-hash`.

Tries are counted in the store's `state` table (key `admin.pin_attempts`), so a restart does not
reset them: after `admin.max_pin_attempts` wrong PINs in a row the PIN is refused for
`admin.lockout_seconds`, even if right. A right PIN resets the count. Each try is counted inside
the write transaction *before* the slow hash, so parallel callers cannot all get a check in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from .clock import Clock
from .config.schema import AdminSection
from .state_keys import ADMIN_PIN_ATTEMPTS as PIN_ATTEMPTS
from .store import Store

N, R, P = 2**14, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MAX_N = 2**20


class PinFormatError(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def valid_pin(pin: str) -> bool:
    return pin.isdigit() and 4 <= len(pin) <= 12


def hash_pin(pin: str, *, n: int = N, r: int = R, p: int = P, salt: bytes | None = None) -> str:
    if not valid_pin(pin):
        raise ValueError("the PIN must be 4 to 12 digits")
    salt = salt if salt is not None else os.urandom(SALT_BYTES)
    key = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES, maxmem=256 * r * n + 2**20)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(key)}"


def parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    parts = stored.strip().split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise PinFormatError("admin.pin_hash must look like scrypt$N$r$p$SALT$KEY (make one with `kiosk pin-hash`)")
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        raise PinFormatError("admin.pin_hash has a malformed number or base64 part") from None
    if n < 2 or n & (n - 1) or n > MAX_N or not 1 <= r <= 32 or not 1 <= p <= 16 or len(key) < 16 or not salt:
        raise PinFormatError("admin.pin_hash has out-of-range scrypt parameters")
    return n, r, p, salt, key


def verify_pin(pin: str, stored: str) -> bool:
    """True if `pin` matches; the comparison of the derived keys takes constant time."""
    n, r, p, salt, key = parse_hash(stored)
    candidate = hashlib.scrypt(pin.encode()[:64], salt=salt, n=n, r=r, p=p, dklen=len(key), maxmem=256 * r * n + 2**20)
    return hmac.compare_digest(candidate, key)


@dataclass(frozen=True)
class PinCheck:
    ok: bool
    reason: str  # "ok" | "wrong" | "locked" | "not_configured"
    attempts_left: int
    locked_seconds: int  # > 0 while locked out


class PinGate:
    """Checks staff PINs against `admin.pin_hash` with the lockout counter kept in the store."""

    def __init__(self, admin: AdminSection, store: Store, clock: Clock | None = None):
        self.admin = admin
        self.store = store
        self.clock = clock or Clock()

    def _state(self) -> dict:
        value = self.store.get_state(PIN_ATTEMPTS) or {}
        return value if isinstance(value, dict) else {}

    def locked_seconds(self, now: datetime | None = None) -> int:
        return self._locked(self._state(), now or self.clock.now())

    def _locked(self, state: dict, now: datetime) -> int:
        until = state.get("locked_until")
        if not until:
            return 0
        try:
            left = (datetime.fromisoformat(until) - now).total_seconds()
        except (TypeError, ValueError):
            return 0
        # A clock that jumped backwards must not lock staff out for longer than one lockout.
        return int(min(max(0.0, left), self.admin.lockout_seconds) + 0.999)

    def check(self, pin: str) -> PinCheck:
        """The attempt is counted (in the write transaction) before the PIN is hashed, so callers
        in parallel get at most `max_pin_attempts` hashes between them before the lockout."""
        if not self.admin.pin_hash:
            return PinCheck(False, "not_configured", 0, 0)
        try:
            parse_hash(self.admin.pin_hash)
        except PinFormatError:
            return PinCheck(False, "not_configured", 0, 0)
        now = self.clock.now()
        most = self.admin.max_pin_attempts
        with self.store.transaction():
            state = self._state()
            locked = self._locked(state, now)
            failures = int(state.get("failures") or 0)
            if locked or failures >= most:
                return PinCheck(False, "locked", 0, locked or self.admin.lockout_seconds)
            attempt = failures + 1
            self.store.set_state(PIN_ATTEMPTS, {"failures": attempt, "locked_until": None})
        ok = verify_pin(pin, self.admin.pin_hash)  # slow on purpose: outside the write lock
        with self.store.transaction():
            if ok:
                self.store.set_state(PIN_ATTEMPTS, {"failures": 0, "locked_until": None})
                return PinCheck(True, "ok", most, 0)
            if attempt >= most:
                until = now + timedelta(seconds=self.admin.lockout_seconds)
                self.store.set_state(PIN_ATTEMPTS, {"failures": 0, "locked_until": until.isoformat()})
                return PinCheck(False, "locked", 0, self.admin.lockout_seconds)
            return PinCheck(False, "wrong", most - attempt, 0)
