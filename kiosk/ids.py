"""Ids of tickets and outbox events: UUIDv7 (RFC 9562), time-ordered.

A random UUID (v4) lands anywhere in every index keyed by it; a batch of 500 events then dirties
hundreds of index pages on the central server (event id, ticket id), each written to its WAL at
commit, and the cost grows with the database. Ids that start with their creation time land
together at the right-hand end. bench/sync.py measured the drain with each (docs/sync.md).
These ids are names, not secrets: a ticket's page token stays random (issuer.new_ticket_token).
"""

from __future__ import annotations

import os
import time
import uuid


def time_ordered_id() -> str:
    """48 bits of Unix milliseconds, version 7, 74 random bits (variant 10), as a UUID string."""
    ms = time.time_ns() // 1_000_000 & (1 << 48) - 1
    rand = int.from_bytes(os.urandom(10), "big")
    value = ms << 80 | 0x7 << 76 | (rand >> 62 & 0xFFF) << 64 | 0b10 << 62 | rand & (1 << 62) - 1
    return str(uuid.UUID(int=value))
