"""Staff who log in to the counter and report pages: users, passwords, sessions, throttling, audit.

Passwords are hashed with scrypt (hashlib; N=2^14, r=8, p=1: 16 MiB and some tens of ms per
try), salted per user, never stored or printed in clear. A session is a random secret in an
HttpOnly cookie; the server keeps only its SHA-256 (like the bearer tokens in auth.py), with the
CSRF token every form must echo and the counter the user sits at. Logins are throttled per user
name and per client address, counted in the database so a restart does not reset them.

Every state change a person makes goes into `staff_audit` in the same transaction as the change
(`audit(conn, ...)`), read back by `kiosk-central audit` and the report page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .db import CentralDB
from .protocol import office_problem

ROLES = ("counter", "supervisor")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
COUNTER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,15}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024

SESSION_HOURS = 10      # one working day, then log in again
SESSION_IDLE_MIN = 60   # a counter left alone for an hour logs out
TOUCH_EVERY_S = 60      # last_seen_at is written at most this often (one write per page otherwise)

# Throttling: after this many failures within the window the subject is refused for LOCK_MIN.
USER_FAILURES, ADDRESS_FAILURES = 5, 20
WINDOW_MIN, LOCK_MIN = 15, 15


class StaffError(Exception):
    """A refused staff operation; the message says what and why."""


class LoginRefused(Exception):
    def __init__(self, message: str, retry_after_s: int | None = None):
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class User:
    username: str
    role: str
    office: str
    created_at: str
    password_changed_at: str
    disabled_at: str | None

    @property
    def supervisor(self) -> bool:
        return self.role == "supervisor"


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    counter: str | None
    created_at: str
    expires_at: str


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


# passwords

def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            maxmem=_SCRYPT_MAXMEM, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=_SCRYPT_MAXMEM, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# Compared against when the user does not exist, so an unknown name costs the same time as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def password_problem(password: str) -> str | None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return f"the password must be at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"the password must be at most {MAX_PASSWORD} characters"
    return None


def username_problem(username: str) -> str | None:
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        return "user names are 1-32 characters a-z, 0-9, '.', '_' or '-', starting with a letter or digit"
    return None


# audit

def audit(conn, actor: str, office: str | None, action: str, target: str | None = None,
          detail: str | None = None, at: str | None = None) -> None:
    """Record one state change; call it inside the transaction that makes the change."""
    conn.execute(
        "INSERT INTO staff_audit(at, actor, office, action, target, detail) VALUES (?,?,?,?,?,?)",
        (at or iso(now_utc()), actor, office, action, target, detail),
    )


def audit_rows(db: CentralDB, office: str | None = None, since: str | None = None, limit: int = 200) -> list[dict]:
    """The newest audit rows first."""
    where, args = [], []
    if office:
        where.append("office = ?")
        args.append(office)
    if since:
        where.append("at >= ?")
        args.append(since)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    rows = db.conn().execute(f"SELECT * FROM staff_audit{clause} ORDER BY id DESC LIMIT ?", (*args, limit))
    return [dict(r) for r in rows]


# users

def _user(row) -> User:
    return User(row["username"], row["role"], row["office"], row["created_at"], row["password_changed_at"],
                row["disabled_at"])


def user(db: CentralDB, username: str) -> User | None:
    row = db.conn().execute("SELECT * FROM staff_users WHERE username = ?", (username,)).fetchone()
    return _user(row) if row else None


def users(db: CentralDB) -> list[User]:
    return [_user(r) for r in db.conn().execute("SELECT * FROM staff_users ORDER BY office, username")]


def add_user(db: CentralDB, username: str, role: str, office: str, password: str, actor: str) -> User:
    for problem in (username_problem(username), password_problem(password), office_problem(office)):
        if problem:
            raise StaffError(problem)
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    now = iso(now_utc())
    with db.write() as conn:
        cur = conn.execute(
            "INSERT INTO staff_users(username, role, office, password_hash, created_at, password_changed_at) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (username) DO NOTHING",
            (username, role, office, hash_password(password), now, now),
        )
        if cur.rowcount != 1:
            raise StaffError(f"user {username!r} already exists (change the password with `users passwd`)")
        audit(conn, actor, office, "user.add", username, f"role {role}", now)
    return user(db, username)


def set_password(db: CentralDB, username: str, password: str, actor: str) -> None:
    problem = password_problem(password)
    if problem:
        raise StaffError(problem)
    now = iso(now_utc())
    with db.write() as conn:
        row = conn.execute("SELECT office FROM staff_users WHERE username = ?", (username,)).fetchone()
        if row is None:
            raise StaffError(f"no user {username!r} (see `kiosk-central users list`)")
        conn.execute("UPDATE staff_users SET password_hash = ?, password_changed_at = ? WHERE username = ?",
                     (hash_password(password), now, username))
        # A new password ends the sessions opened with the old one.
        conn.execute("DELETE FROM staff_sessions WHERE username = ?", (username,))
        conn.execute("DELETE FROM staff_login_failures WHERE subject = ?", (f"user:{username}",))
        audit(conn, actor, row["office"], "user.passwd", username, None, now)


def disable_user(db: CentralDB, username: str, actor: str) -> bool:
    """Disable the user and end their sessions; False if they were already disabled."""
    now = iso(now_utc())
    with db.write() as conn:
        row = conn.execute("SELECT office, disabled_at FROM staff_users WHERE username = ?", (username,)).fetchone()
        if row is None:
            raise StaffError(f"no user {username!r} (see `kiosk-central users list`)")
        if row["disabled_at"]:
            return False
        conn.execute("UPDATE staff_users SET disabled_at = ? WHERE username = ?", (now, username))
        conn.execute("DELETE FROM staff_sessions WHERE username = ?", (username,))
        audit(conn, actor, row["office"], "user.disable", username, None, now)
    return True


# counters of an office

def counters(db: CentralDB, office: str) -> list[str]:
    rows = db.conn().execute("SELECT name FROM office_counters WHERE office = ?", (office,)).fetchall()
    return sorted((r["name"] for r in rows), key=lambda n: (len(n), n))


def set_counters(db: CentralDB, office: str, names: list[str], actor: str) -> None:
    bad = [n for n in names if not COUNTER_RE.match(n)]
    if bad:
        raise StaffError(f"counter name {bad[0]!r} must be 1-16 characters A-Z, a-z, 0-9, space, '.', '_' or '-'")
    with db.write() as conn:
        conn.execute("DELETE FROM office_counters WHERE office = ?", (office,))
        for name in dict.fromkeys(names):
            conn.execute("INSERT INTO office_counters(office, name) VALUES (?,?)", (office, name))
        audit(conn, actor, office, "counters.set", None, " ".join(names))


# login and sessions

def _session_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _throttled(conn, subject: str, now: datetime) -> int | None:
    """Seconds the subject must still wait, or None."""
    row = conn.execute("SELECT locked_until FROM staff_login_failures WHERE subject = ?", (subject,)).fetchone()
    if row and row["locked_until"]:
        left = (datetime.fromisoformat(row["locked_until"]) - now).total_seconds()
        if left > 0:
            return int(left) + 1
    return None


def _note_failure(db: CentralDB, conn, subject: str, limit: int, now: datetime) -> None:
    db.lock(conn, "login:" + subject)  # parallel guesses each count
    row = conn.execute("SELECT failures, first_at FROM staff_login_failures WHERE subject = ?", (subject,)).fetchone()
    if row is None or datetime.fromisoformat(row["first_at"]) < now - timedelta(minutes=WINDOW_MIN):
        failures, first = 1, iso(now)
    else:
        failures, first = row["failures"] + 1, row["first_at"]
    locked = iso(now + timedelta(minutes=LOCK_MIN)) if failures >= limit else None
    conn.execute(
        "INSERT INTO staff_login_failures(subject, failures, first_at, locked_until) VALUES (?,?,?,?) "
        "ON CONFLICT (subject) DO UPDATE SET failures = excluded.failures, first_at = excluded.first_at, "
        "locked_until = excluded.locked_until",
        (subject, 0 if locked else failures, first, locked),
    )


def login(db: CentralDB, username: str, password: str, address: str, now: datetime | None = None) -> tuple[str, Session]:
    """Check the password; return (the cookie's secret, the session). Raise LoginRefused."""
    now = now or now_utc()
    username = (username or "").strip().lower()
    subjects = ((f"user:{username}", USER_FAILURES), (f"addr:{address}", ADDRESS_FAILURES))
    conn = db.conn()
    for subject, _ in subjects:
        wait = _throttled(conn, subject, now)
        if wait:
            raise LoginRefused(f"too many failed logins: try again in {(wait + 59) // 60} minute(s)", wait)
    row = conn.execute("SELECT * FROM staff_users WHERE username = ?", (username,)).fetchone()
    ok = verify_password(password or "", row["password_hash"] if row else _DUMMY_HASH)
    if not ok or row is None or row["disabled_at"]:
        with db.write() as wconn:
            for subject, limit in subjects:
                _note_failure(db, wconn, subject, limit, now)
            audit(wconn, f"user:{username}" if row else "anonymous", row["office"] if row else None,
                  "login.failed", username[:64], f"from {address}", iso(now))
        raise LoginRefused("wrong user name or password, or the account is disabled")
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    created, expires = iso(now), iso(now + timedelta(hours=SESSION_HOURS))
    with db.write() as wconn:
        wconn.execute("DELETE FROM staff_sessions WHERE expires_at < ?", (created,))
        wconn.execute(
            "INSERT INTO staff_sessions(session_hash, username, csrf, counter, created_at, last_seen_at, expires_at) "
            "VALUES (?,?,?,?,?,?,?)",
            (_session_hash(secret), username, csrf, None, created, created, expires),
        )
        wconn.execute("DELETE FROM staff_login_failures WHERE subject = ?", (f"user:{username}",))
        audit(wconn, f"user:{username}", row["office"], "login", username, f"from {address}", created)
    return secret, Session(_user(row), csrf, None, created, expires)


def session(db: CentralDB, secret: str | None, now: datetime | None = None) -> Session | None:
    """The live session behind a cookie secret, or None (unknown, expired, idle, user disabled)."""
    if not secret or len(secret) > 128:
        return None
    now = now or now_utc()
    key = _session_hash(secret)
    conn = db.conn()
    row = conn.execute(
        "SELECT s.*, u.role, u.office, u.created_at AS user_created_at, u.password_changed_at, u.disabled_at "
        "FROM staff_sessions s JOIN staff_users u ON u.username = s.username WHERE s.session_hash = ?",
        (key,),
    ).fetchone()
    if row is None:
        return None
    seen = datetime.fromisoformat(row["last_seen_at"])
    if (row["disabled_at"] or datetime.fromisoformat(row["expires_at"]) <= now
            or seen + timedelta(minutes=SESSION_IDLE_MIN) <= now):
        with db.write() as wconn:
            wconn.execute("DELETE FROM staff_sessions WHERE session_hash = ?", (key,))
        return None
    if (now - seen).total_seconds() >= TOUCH_EVERY_S:
        with db.write() as wconn:
            wconn.execute("UPDATE staff_sessions SET last_seen_at = ? WHERE session_hash = ?", (iso(now), key))
    found = User(row["username"], row["role"], row["office"], row["user_created_at"], row["password_changed_at"], None)
    return Session(found, row["csrf"], row["counter"], row["created_at"], row["expires_at"])


def logout(db: CentralDB, secret: str, who: Session) -> None:
    with db.write() as conn:
        conn.execute("DELETE FROM staff_sessions WHERE session_hash = ?", (_session_hash(secret),))
        audit(conn, f"user:{who.user.username}", who.user.office, "logout", who.user.username)


def sit_at(db: CentralDB, secret: str, who: Session, counter: str) -> None:
    """The counter the session's user serves at from now on (one of the office's counters)."""
    if counter not in counters(db, who.user.office):
        raise StaffError(f"counter {counter!r} is not one of office {who.user.office}'s counters")
    with db.write() as conn:
        conn.execute("UPDATE staff_sessions SET counter = ? WHERE session_hash = ?", (counter, _session_hash(secret)))
        audit(conn, f"user:{who.user.username}", who.user.office, "counter.sit", counter)


def csrf_ok(who: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(who.csrf.encode(), str(sent).encode())
