"""The schema's versions: one migration runner (kiosk and central), and a kiosk that refuses a
database written by newer software instead of silently using it."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys

import pytest
from support.kiosk_env import kiosk_env, make_config

from kiosk.store import Store, StoreError
from kiosk.store.db import SCHEMA_VERSION
from shared.migrations import SchemaTooNew, migrate, split_statements


def test_statements_are_split_where_sqlite_says_a_statement_ends():
    script = """
    CREATE TABLE notes (body TEXT DEFAULT 'a; b');
    CREATE TRIGGER stamp AFTER INSERT ON notes BEGIN UPDATE notes SET body = body || ';'; END;
    """
    assert split_statements(script) == [
        "CREATE TABLE notes (body TEXT DEFAULT 'a; b');",
        "CREATE TRIGGER stamp AFTER INSERT ON notes BEGIN UPDATE notes SET body = body || ';'; END;",
    ]
    with pytest.raises(ValueError, match="incomplete SQL statement"):
        split_statements("CREATE TABLE t (x); CREATE TABLE u (y)")


def test_migrate_applies_pending_steps_and_a_failing_step_leaves_the_old_schema(tmp_path):
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    steps = ["CREATE TABLE a (x TEXT DEFAULT ';');", "CREATE TABLE b (y); INSERT INTO a VALUES ('1;2');"]
    assert migrate(conn, steps[:1]) == 1
    assert migrate(conn, steps) == 2
    assert conn.execute("SELECT x FROM a").fetchall() == [("1;2",)]
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, [*steps, "CREATE TABLE c (z); CREATE TABLE a (again);"])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'c'").fetchone()[0] == 0
    with pytest.raises(SchemaTooNew) as too_new:
        migrate(conn, steps[:1])
    assert (too_new.value.found, too_new.value.known) == (2, 1)


def test_the_kiosk_refuses_a_database_newer_than_its_code_and_leaves_it_alone(tmp_path):
    cfg = make_config(tmp_path / "etc")
    path = cfg.store.path
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.execute("CREATE TABLE future_feature (x)")
    conn.close()
    before = hashlib.sha256(open(path, "rb").read()).hexdigest()
    with pytest.raises(StoreError) as refused:
        Store(path)
    message = str(refused.value)
    assert f"schema version {SCHEMA_VERSION + 1}, newer than this kiosk software knows ({SCHEMA_VERSION})" in message
    assert str(path) in message and "the file was not changed" in message
    assert hashlib.sha256(open(path, "rb").read()).hexdigest() == before
    # What a technician sees: one line, no traceback.
    r = subprocess.run([sys.executable, "-m", "kiosk", "status"], capture_output=True, text=True, timeout=60,
                       env=kiosk_env(cfg.path))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"error: database {path} has schema version {SCHEMA_VERSION + 1}")
