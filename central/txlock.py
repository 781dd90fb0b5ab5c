"""Make a read-then-write transaction serial with others on the same key.

On SQLite `CentralDB.write()` already holds the one write lock from BEGIN (BEGIN IMMEDIATE). On
PostgreSQL (the dialect layer of branch `pg`) transactions run at READ COMMITTED, and
`CentralDB.lock(conn, key)` takes an advisory lock until the transaction ends: two counters must
never call the same ticket. This uses it where it exists, under the same key as
`CentralDB.call_next` ("queue:OFFICE").
"""

from __future__ import annotations


def hold(db, conn, key: str) -> None:
    """Inside `db.write()`: transactions holding the same key run one after the other."""
    lock = getattr(db, "lock", None)
    if lock is not None:
        lock(conn, key)
