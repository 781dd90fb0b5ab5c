"""The ticket log's wire format: one JSON object per line, keys sorted, UTF-8 as is, no spaces.

Exactly the bytes `kiosk export` prints, as the log API serves them. SQLite writes the records
(Store.iter_log_text): encoding them in Python, field by field, was 90% of the cost of exporting
100,000 tickets (docs/operations.md, "Exporting the log"). Imports no web framework, so the CLI
can use it too.
"""

from __future__ import annotations

from typing import Iterator

from ..store import Store


def log_bytes(store: Store, after: int = 0, limit: int | None = None) -> Iterator[bytes]:
    """The log after a cursor as UTF-8 chunks of whole lines."""
    for text in store.iter_log_text(after=after, limit=limit):
        yield text.encode("utf-8")
