"""Staff accounts: the password hash, login, throttling, sessions, audit, and the CLI that manages them."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from central import staff
from central.db import CentralDB

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


@pytest.fixture
def ana(db):
    return staff.add_user(db, "ana", "supervisor", "BLITAR", PASSWORD, "test")


def test_password_is_stored_as_a_salted_scrypt_hash_never_in_clear(db, ana):
    stored = db.conn().execute("SELECT password_hash FROM staff_users WHERE username = 'ana'").fetchone()[0]
    assert stored.startswith("scrypt$16384$8$1$") and PASSWORD not in stored
    assert staff.verify_password(PASSWORD, stored)
    assert not staff.verify_password(PASSWORD + "x", stored)
    assert staff.hash_password(PASSWORD) != staff.hash_password(PASSWORD)  # salted


def test_bad_user_names_roles_and_short_passwords_are_refused(db):
    with pytest.raises(staff.StaffError, match="at least 10"):
        staff.add_user(db, "bob", "counter", "BLITAR", "short", "test")
    with pytest.raises(staff.StaffError, match="user names"):
        staff.add_user(db, "Bob Smith", "counter", "BLITAR", PASSWORD, "test")
    with pytest.raises(staff.StaffError, match="role"):
        staff.add_user(db, "bob", "admin", "BLITAR", PASSWORD, "test")
    staff.add_user(db, "bob", "counter", "BLITAR", PASSWORD, "test")
    with pytest.raises(staff.StaffError, match="already exists"):
        staff.add_user(db, "bob", "counter", "BLITAR", PASSWORD, "test")


def test_login_opens_a_session_found_by_its_secret_only(db, ana):
    secret, session = staff.login(db, "ana", PASSWORD, "10.0.0.5")
    found = staff.session(db, secret)
    assert found.user.username == "ana" and found.user.supervisor and found.csrf == session.csrf
    assert staff.session(db, secret + "x") is None and staff.session(db, None) is None
    stored = db.conn().execute("SELECT session_hash FROM staff_sessions").fetchone()[0]
    assert secret not in stored
    assert staff.csrf_ok(found, session.csrf) and not staff.csrf_ok(found, "forged") and not staff.csrf_ok(found, "")


def test_sessions_end_when_idle_expired_password_changed_or_user_disabled(db, ana):
    now = staff.now_utc()
    secret, _ = staff.login(db, "ana", PASSWORD, "a", now=now)
    assert staff.session(db, secret, now + timedelta(minutes=staff.SESSION_IDLE_MIN - 1))
    assert staff.session(db, secret, now + timedelta(minutes=2 * staff.SESSION_IDLE_MIN - 2))  # touched: still alive
    assert staff.session(db, secret, now + timedelta(hours=staff.SESSION_HOURS, minutes=1)) is None
    secret, _ = staff.login(db, "ana", PASSWORD, "a")
    staff.set_password(db, "ana", "another good password", "test")
    assert staff.session(db, secret) is None
    secret, _ = staff.login(db, "ana", "another good password", "a")
    staff.disable_user(db, "ana", "test")
    assert staff.session(db, secret) is None
    with pytest.raises(staff.LoginRefused):
        staff.login(db, "ana", "another good password", "a")


def test_login_is_throttled_per_user_and_per_address(db, ana):
    now = staff.now_utc()
    for _ in range(staff.USER_FAILURES):
        with pytest.raises(staff.LoginRefused, match="wrong user name or password"):
            staff.login(db, "ana", "guess", "10.0.0.9", now=now)
    with pytest.raises(staff.LoginRefused, match="too many failed logins") as refused:
        staff.login(db, "ana", PASSWORD, "10.0.0.7", now=now)  # the right password, from elsewhere: still refused
    assert 0 < refused.value.retry_after_s <= staff.LOCK_MIN * 60 + 1
    later = now + timedelta(minutes=staff.LOCK_MIN, seconds=1)
    assert staff.login(db, "ana", PASSWORD, "10.0.0.7", now=later)[1].user.username == "ana"
    # One address trying many names is held back too, and an unknown name costs a hash like a known one.
    for i in range(staff.ADDRESS_FAILURES):
        with pytest.raises(staff.LoginRefused):
            staff.login(db, f"nobody{i}", "guess", "10.6.6.6", now=later)
    with pytest.raises(staff.LoginRefused, match="too many"):
        staff.login(db, "ana", PASSWORD, "10.6.6.6", now=later)


def test_every_change_is_audited_with_who_did_it(db, ana):
    secret, session = staff.login(db, "ana", PASSWORD, "10.0.0.5")
    with pytest.raises(staff.LoginRefused):
        staff.login(db, "ana", "nope", "10.0.0.5")
    staff.set_counters(db, "BLITAR", ["1", "2"], "cli:root")
    staff.sit_at(db, secret, session, "2")
    with pytest.raises(staff.StaffError, match="not one of"):
        staff.sit_at(db, secret, session, "9")
    staff.logout(db, secret, session)
    rows = [(r["actor"], r["action"], r["target"]) for r in reversed(staff.audit_rows(db, "BLITAR"))]
    assert rows == [("test", "user.add", "ana"), ("user:ana", "login", "ana"), ("user:ana", "login.failed", "ana"),
                    ("cli:root", "counters.set", None), ("user:ana", "counter.sit", "2"), ("user:ana", "logout", "ana")]
    assert staff.session(db, secret) is None


def run_cli(db_path, *argv, stdin=""):
    return subprocess.run([sys.executable, "-m", "central", *argv, "--db", str(db_path)], input=stdin,
                          capture_output=True, text=True, timeout=30, cwd=REPO, env={**os.environ})


def test_cli_users_counters_and_audit(tmp_path):
    path = tmp_path / "central.db"
    add = run_cli(path, "users", "add", "rina", "--role", "counter", "--office", "BLITAR",
                  stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert add.returncode == 0, add.stderr
    assert PASSWORD not in add.stdout + add.stderr
    differ = run_cli(path, "users", "add", "budi", "--role", "counter", "--office", "BLITAR", stdin=f"{PASSWORD}\nother\n")
    assert differ.returncode == 2 and "differ" in differ.stderr and "Traceback" not in differ.stderr
    assert run_cli(path, "users", "passwd", "rina", "--password-stdin", stdin="a new long password\n").returncode == 0
    assert run_cli(path, "users", "passwd", "nobody", "--password-stdin", stdin="a new long password\n").returncode == 3
    listed = run_cli(path, "users", "list", "--json")
    assert '"username": "rina"' in listed.stdout and "scrypt" not in listed.stdout
    assert run_cli(path, "counters", "BLITAR", "1", "2", "3").stdout.strip() == "1 2 3"
    assert run_cli(path, "users", "disable", "rina").returncode == 0
    audit = run_cli(path, "audit", "--office", "BLITAR").stdout.splitlines()
    assert [line.split()[3] for line in audit] == ["user.add", "user.passwd", "counters.set", "user.disable"]
    db = CentralDB(path)
    try:
        assert staff.user(db, "rina").disabled_at is not None
        with pytest.raises(staff.LoginRefused):
            staff.login(db, "rina", "a new long password", "x")
    finally:
        db.close()
