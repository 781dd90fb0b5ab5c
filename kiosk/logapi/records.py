"""The ticket log's wire format: one JSON object per line, keys sorted, UTF-8 as is.

Exactly the bytes `kiosk export` prints for a record, built without dataclasses.asdict (whose
deep copy was most of the cost of serving 100,000 tickets). Imports no web framework, so the CLI
can use it too.
"""

from __future__ import annotations

import json
from operator import attrgetter

from ..store import Ticket

FIELDS = tuple(sorted(Ticket.__dataclass_fields__))
_values = attrgetter(*FIELDS)
_encode = json.JSONEncoder(ensure_ascii=False).encode


def ticket_line(ticket: Ticket) -> str:
    return _encode(dict(zip(FIELDS, _values(ticket)))) + "\n"
