"""One migration runner for every SQLite database of the project, versioned by PRAGMA user_version.

`migrations[i]` is the script that takes the schema from version i to i + 1. Scripts are split
into statements with sqlite3.complete_statement, so a ';' inside a string literal or a trigger
body stays where it is. All pending steps run in one BEGIN IMMEDIATE transaction: two processes
opening a fresh database at once cannot both migrate it, and a failed step leaves the old schema.
"""
from __future__ import annotations

import sqlite3


class SchemaTooNew(Exception):
    """The database was written by newer software: its schema version is past every known step."""

    def __init__(self, found: int, known: int):
        super().__init__(f"schema version {found} is newer than this software's {known}")
        self.found, self.known = found, known


def split_statements(script: str) -> list[str]:
    """The complete SQL statements of a script, in order (text after the last ';' must be blank)."""
    statements, current = [], ""
    *pieces, tail = script.split(";")
    for piece in pieces:
        current += piece + ";"
        if sqlite3.complete_statement(current):  # not a ';' inside a literal or a trigger body
            statements.append(current.strip())
            current = ""
    if (current + tail).strip():
        raise ValueError(f"incomplete SQL statement at the end of a migration: {(current + tail).strip()[:80]!r}")
    return statements


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, migrations: list[str]) -> int:
    """Apply the pending steps on a connection in autocommit mode (isolation_level=None); return
    the version it is at. Raise SchemaTooNew for a database past the last step."""
    if schema_version(conn) == len(migrations):
        return len(migrations)
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(conn)  # again, under the write lock: another process may have migrated
        if version > len(migrations):
            raise SchemaTooNew(version, len(migrations))
        for step, script in enumerate(migrations[version:], start=version + 1):
            for statement in split_statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {step}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return len(migrations)
