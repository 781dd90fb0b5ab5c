"""The one place that knows which database engine kiosk-central runs on: SQLite or PostgreSQL.

Every central module writes one SQL style (docs/architecture.md, "Central SQL on two engines"):
`?` placeholders, standard DDL, `INSERT ... ON CONFLICT`, `RETURNING`, ISO-8601 TEXT timestamps,
no JSON SQL functions. This module runs that style on both engines:

- `open_engine(url)`: a path, `sqlite:///relative.db`, `sqlite:////absolute.db` or a
  `postgresql://` URL (libpq's, so `?host=/socket/dir` and `?options=-csearch_path%3Dx` work).
- `Connection.execute` / `executemany`: on PostgreSQL `?` becomes `%s` outside string literals,
  quoted identifiers and comments (and a literal `%` becomes `%%`); in DDL `INTEGER PRIMARY KEY`
  becomes a BIGINT identity key (SQLite's rowid alias: a surrogate key filled in on insert),
  INTEGER becomes BIGINT (SQLite integers are 64-bit), BLOB becomes BYTEA and REAL DOUBLE PRECISION.
- Rows answer by name (case-insensitive) and by position on both, as sqlite3.Row does.
- One error vocabulary: `Busy` (locked, serialisation failure, deadlock, lost connection: retry
  later), `IntegrityError` (a constraint refused the row), `DatabaseError` (everything else).
- Transactions (`begin`) take the write lock at once on SQLite (BEGIN IMMEDIATE: one writer at a
  time, so a read-then-write cannot be overtaken); on PostgreSQL they run at READ COMMITTED and a
  module that needs a read-then-write to be serial takes `lock(conn, key)`, an advisory lock held
  until the transaction ends (SQLite: nothing to do, the write lock already serialises).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from shared.migrations import SchemaTooNew, split_statements
from shared.migrations import migrate as sqlite_migrate


class DatabaseError(Exception):
    """A database call failed; the message says why (never a driver-specific type)."""


class Busy(DatabaseError):
    """Load, not a fault: the database is locked, a transaction lost a race, or the connection was
    lost. The same request later will do."""


class IntegrityError(DatabaseError):
    """A constraint (UNIQUE, NOT NULL, CHECK, foreign key) refused the change."""


def is_postgres_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


def sqlite_path(text: str) -> str:
    """The file a SQLite `--db` names: a plain path, or sqlite:///relative, sqlite:////absolute."""
    if text.startswith("sqlite://"):
        rest = text[len("sqlite://"):]
        if not rest.startswith("/"):
            raise ValueError(f"{text!r}: a SQLite URL is sqlite:///relative/path.db or sqlite:////absolute/path.db")
        return rest[1:] or ":memory:"
    return text


def redacted(url: str) -> str:
    """The URL without its password, for logs and messages."""
    if not is_postgres_url(url):
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class Connection:
    """One engine connection with the engine's SQL and errors translated (see the module text).

    Used by one thread at a time (CentralDB keeps one per thread)."""

    def __init__(self, raw, engine: "Engine"):
        self.raw, self.engine = raw, engine

    def execute(self, sql: str, params=()):
        sql, params = self.engine.translate(sql, params)
        try:
            return self.raw.execute(sql, params)
        except self.engine.driver_errors as err:
            raise self.engine.error(err) from err

    def executemany(self, sql: str, seq_of_params):
        rows = list(seq_of_params)
        if not rows:
            return None
        sql, _ = self.engine.translate(sql, rows[0])
        try:
            cur = self.raw.cursor()
            cur.executemany(sql, rows)
            return cur
        except self.engine.driver_errors as err:
            raise self.engine.error(err) from err

    def close(self) -> None:
        self.raw.close()


class Engine:
    name = ""
    driver_errors: tuple = ()

    def __init__(self, url: str):
        self.url = url

    def connect(self) -> Connection:
        raise NotImplementedError

    def translate(self, sql: str, params):
        return sql, params

    def error(self, err: Exception) -> DatabaseError:
        raise NotImplementedError

    def begin(self, conn: Connection) -> None:
        raise NotImplementedError

    def commit(self, conn: Connection) -> None:
        conn.execute("COMMIT")

    def rollback(self, conn: Connection) -> None:
        conn.execute("ROLLBACK")

    def lock(self, conn: Connection, key: str) -> None:
        """Serialise the transactions that take the same `key` until the current one ends."""

    def migrate(self, conn: Connection, migrations: list[str]) -> int:
        raise NotImplementedError

    def schema_version(self, conn: Connection) -> int:
        raise NotImplementedError

    def broken(self, conn: Connection) -> bool:
        return False

    def describe(self) -> str:
        return redacted(self.url)


class SQLiteEngine(Engine):
    """SQLite in WAL mode, synchronous=FULL, busy_timeout 5 s (the embedded default)."""

    name = "sqlite"
    driver_errors = (sqlite3.Error,)

    def __init__(self, url: str):
        super().__init__(url)
        self.path = sqlite_path(url)

    def connect(self) -> Connection:
        try:
            raw = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=5.0)
            raw.row_factory = sqlite3.Row
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA synchronous=FULL")
            raw.execute("PRAGMA busy_timeout=5000")
        except sqlite3.Error as err:
            raise self.error(err) from err
        return Connection(raw, self)

    def error(self, err: Exception) -> DatabaseError:
        text = str(err)
        if isinstance(err, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
            return Busy(text)
        if isinstance(err, sqlite3.IntegrityError):
            return IntegrityError(text)
        return DatabaseError(text)

    def begin(self, conn: Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def migrate(self, conn: Connection, migrations: list[str]) -> int:
        try:
            return sqlite_migrate(conn.raw, migrations)
        except sqlite3.Error as err:
            raise self.error(err) from err

    def schema_version(self, conn: Connection) -> int:
        return conn.execute("PRAGMA user_version").fetchone()[0]

    def describe(self) -> str:
        return self.path


# PostgreSQL ---------------------------------------------------------------------------------

# Outside these, `?` is a placeholder; inside, it is text.
_LITERAL = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/""", re.S)
_DDL = re.compile(r"^\s*(CREATE|ALTER)\b", re.I)
_DDL_TYPES = [
    (re.compile(r"\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b", re.I), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b", re.I), "BIGINT"),
    (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
    (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"),
]
_MIGRATION_LOCK = "kiosk-central:migrations"


@lru_cache(maxsize=2048)
def to_postgres(sql: str, with_params: bool) -> str:
    """`sql` in the project's style, as psycopg runs it on PostgreSQL (see the module text)."""
    ddl = bool(_DDL.match(sql))
    out, pos = [], 0
    for match in _LITERAL.finditer(sql):
        out.append(_code(sql[pos:match.start()], ddl, with_params))
        out.append(match.group().replace("%", "%%") if with_params else match.group())
        pos = match.end()
    out.append(_code(sql[pos:], ddl, with_params))
    return "".join(out)


def _code(text: str, ddl: bool, with_params: bool) -> str:
    if ddl:
        for pattern, replacement in _DDL_TYPES:
            text = pattern.sub(replacement, text)
    if with_params:
        text = text.replace("%", "%%").replace("?", "%s")
    return text


def advisory_key(key: str) -> int:
    """A stable signed 64-bit number for an advisory lock name."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


class Row:
    """A result row addressable by position and by (case-insensitive) name, like sqlite3.Row."""

    __slots__ = ("_index", "_names", "_values")

    def __init__(self, index: dict, names: tuple, values):
        self._index, self._names, self._values = index, names, values

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                return self._values[self._index[key.lower()]]
            except KeyError:
                raise IndexError(f"no such column: {key}") from None
        return self._values[key]

    def keys(self) -> list[str]:
        return list(self._names)

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other) -> bool:
        return tuple(self) == tuple(other) if isinstance(other, (Row, tuple)) else NotImplemented

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._names, self._values))!r})"


def _row_factory(cursor):
    names = tuple(c.name for c in cursor.description or ())
    index = {name.lower(): i for i, name in reversed(list(enumerate(names)))}
    return lambda values: Row(index, names, values)


class PostgresEngine(Engine):
    """PostgreSQL through psycopg 3: autocommit outside `begin`, READ COMMITTED inside.

    Waits are bounded like SQLite's busy_timeout: a lock not granted in 5 s is `Busy`; a
    transaction left idle for a minute (a stuck process) is ended by the server, freeing its locks.
    """

    name = "postgresql"
    SESSION = ("SET lock_timeout = '5s'", "SET statement_timeout = '60s'",
               "SET idle_in_transaction_session_timeout = '60s'")

    def __init__(self, url: str):
        super().__init__(url)
        try:
            import psycopg
        except ImportError:
            raise DatabaseError("PostgreSQL needs psycopg: pip install 'kantor-kiosk[postgres]'") from None
        self.psycopg = psycopg
        self.driver_errors = (psycopg.Error,)

    def connect(self) -> Connection:
        psycopg = self.psycopg
        try:
            # pg_stat_activity names the process each connection belongs to
            raw = psycopg.connect(self.url, autocommit=True, row_factory=_row_factory, connect_timeout=5,
                                  application_name=f"kiosk-central/{os.getpid()}")
            raw.adapters.register_loader("numeric", _numeric_loader(psycopg))
            for statement in self.SESSION:
                raw.execute(statement)
        except psycopg.Error as err:
            raise self.error(err) from err
        return Connection(raw, self)

    def translate(self, sql: str, params):
        if params is None or len(params) == 0:
            return to_postgres(sql, False), None
        return to_postgres(sql, True), params

    def error(self, err: Exception) -> DatabaseError:
        errors = self.psycopg.errors
        text = str(err).strip() or err.__class__.__name__
        if isinstance(err, (errors.SerializationFailure, errors.DeadlockDetected, errors.LockNotAvailable,
                            errors.QueryCanceled, self.psycopg.OperationalError)):
            return Busy(text)
        if isinstance(err, self.psycopg.IntegrityError):
            return IntegrityError(text)
        return DatabaseError(text)

    def begin(self, conn: Connection) -> None:
        conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")

    def lock(self, conn: Connection, key: str) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (advisory_key(key),))

    def broken(self, conn: Connection) -> bool:
        return conn.raw.closed or conn.raw.broken

    def schema_version(self, conn: Connection) -> int:
        if conn.execute("SELECT to_regclass('schema_version')").fetchone()[0] is None:
            return 0
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        return row[0] if row else 0

    def migrate(self, conn: Connection, migrations: list[str]) -> int:
        """The same steps as on SQLite, each statement translated, all pending steps in one
        transaction under an advisory lock (two processes starting on a fresh database at once
        cannot both migrate it; a failed step leaves the old schema: PostgreSQL's DDL is
        transactional)."""
        if self.schema_version(conn) == len(migrations):
            return len(migrations)
        self.begin(conn)
        try:
            self.lock(conn, _MIGRATION_LOCK)
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)")
            version = self.schema_version(conn)
            if version > len(migrations):
                raise SchemaTooNew(version, len(migrations))
            for script in migrations[version:]:
                for statement in split_statements(script):
                    conn.execute(statement)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version(version) VALUES (?)", (len(migrations),))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return len(migrations)


def _numeric_loader(psycopg):
    """NUMERIC (what sum() and avg() of integers give) as int or float, as SQLite answers them,
    instead of Decimal (which JSON cannot carry)."""
    from psycopg.adapt import Loader

    class NumericLoader(Loader):
        def load(self, data):
            text = bytes(data).decode("ascii")
            return int(text) if text.lstrip("-").isdigit() else float(text)

    return NumericLoader


def open_engine(url: str | Path) -> Engine:
    url = str(url)
    return PostgresEngine(url) if is_postgres_url(url) else SQLiteEngine(url)
