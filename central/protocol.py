"""Shapes of the request bodies the kiosk sends, checked before anything touches the database.

Unknown fields are tolerated everywhere (older servers must accept newer kiosks); a field we rely
on with the wrong type is a rejection naming the field.
"""

from __future__ import annotations

import json
import json.scanner
import re
from datetime import datetime, timezone

from shared import survey_wire

MAX_ID_LEN = 128
# SQLite stores 64-bit integers; anything beyond is refused here rather than overflowing there.
MAX_INT = 2**63 - 1
# Deeper JSON than this is refused before it is parsed (the parser recurses once per level).
MAX_JSON_DEPTH = 32
OFFICE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
PREFIX_RE = re.compile(r"^[A-Z]{1,8}$")
# A ticket page's token (kiosk/issuer.py: secrets.token_urlsafe(16) is 22 of these characters).
TICKET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
TICKET_KIND_PREFIX = "ticket."
_OPENERS = frozenset(b"[{")
_NOT_MARKS = bytes(b for b in range(256) if b not in b'"[]{}')
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _is_short_str(value, max_len: int = MAX_ID_LEN) -> bool:
    return isinstance(value, str) and 0 < len(value) <= max_len


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_INT


def json_depth_problem(data: bytes, limit: int = MAX_JSON_DEPTH) -> str | None:
    """Why this JSON text nests too deep to parse, or None; strings are skipped, not parsed.

    Escapes go first (a backslash only starts one inside a string), then everything but quotes and
    brackets, so the string-skipping regex runs over a few bytes per value, not the whole body.
    """
    if b"\\" in data:
        data = _ESCAPE.sub(b"", data)
    marks = data.translate(None, delete=_NOT_MARKS)
    brackets = _STRING.sub(b"", marks).translate(None, delete=b'"')
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return None
    depth = 0
    for byte in brackets:
        depth += 1 if byte in _OPENERS else -1
        if depth > limit:
            return f"JSON nested deeper than {limit} levels"
    return None


def may_hold_lone_surrogate(data: bytes) -> bool:
    """Whether json.loads(data) could yield a string that is not valid Unicode (a lone surrogate).

    json.loads decodes bytes with 'surrogatepass', so in UTF-8 one comes only from an encoded
    surrogate (not valid UTF-8) or a \\uD800-\\uDFFF escape; text with neither needs no walk of the
    parsed value. UTF-16 and UTF-32 bodies always get the walk.
    """
    if json.detect_encoding(data) != "utf-8" or _SURROGATE_ESCAPE.search(data):
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


class _NotPlain(Exception):
    """The text is not the plain shape the fast parse below handles: json.loads takes it."""


def _unique_keys(pairs: list) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _NotPlain  # json.loads keeps the last, SQLite's json_extract the first: they could disagree
    return obj


_scan = json.scanner.make_scanner(json.JSONDecoder(object_pairs_hook=_unique_keys))
_WS = re.compile(r"[ \t\n\r]*")


def loads_keeping_texts(data: bytes, key: str) -> tuple[object, list[str] | None]:
    """json.loads(data), and the JSON text of each item of its top-level list `key`, as received.

    The texts let the server store an event without encoding it again. They are None when the
    body has no such list or an object in it repeats a key (the parsed value is then json.loads's
    own), so a stored text never says something other than what was validated.
    """
    try:
        text = data.decode(json.detect_encoding(data), "surrogatepass")
        return _object_keeping(text, key)
    except (_NotPlain, StopIteration, ValueError):
        return json.loads(data), None


def _object_keeping(text: str, key: str) -> tuple[dict, list[str] | None]:
    i = _WS.match(text, 0).end()
    if not text.startswith("{", i):
        raise _NotPlain
    obj: dict = {}
    texts = None
    i = _WS.match(text, i + 1).end()
    if text.startswith("}", i):
        i += 1
    else:
        while True:
            if not text.startswith('"', i):
                raise _NotPlain
            name, i = _scan(text, i)
            i = _WS.match(text, i).end()
            if not text.startswith(":", i):
                raise _NotPlain
            i = _WS.match(text, i + 1).end()
            if name in obj:
                raise _NotPlain
            if name == key and text.startswith("[", i):
                obj[name], texts, i = _list_keeping(text, i)
            else:
                obj[name], i = _scan(text, i)
            i = _WS.match(text, i).end()
            if text.startswith(",", i):
                i = _WS.match(text, i + 1).end()
            elif text.startswith("}", i):
                i += 1
                break
            else:
                raise _NotPlain
    if _WS.match(text, i).end() != len(text):
        raise _NotPlain
    return obj, texts


def _list_keeping(text: str, i: int) -> tuple[list, list[str], int]:
    values: list = []
    texts: list[str] = []
    i = _WS.match(text, i + 1).end()
    if text.startswith("]", i):
        return values, texts, i + 1
    while True:
        value, end = _scan(text, i)
        values.append(value)
        texts.append(text[i:end])
        i = _WS.match(text, end).end()
        if text.startswith(",", i):
            i = _WS.match(text, i + 1).end()
        elif text.startswith("]", i):
            return values, texts, i + 1
        else:
            raise _NotPlain


def unencodable_path(value, path: str = "body") -> str | None:
    """Where a string that cannot be UTF-8 (a lone surrogate such as \\ud800) sits in parsed JSON."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
    elif isinstance(value, dict):
        for key, item in value.items():
            found = unencodable_path(key, f"{path} (a key)") or unencodable_path(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = unencodable_path(item, f"{path}[{i}]")
            if found:
                return found
    return None


def event_problem(event, kiosk_id: str) -> str | None:
    """Why this event cannot be stored, or None. `kiosk_id` is the authenticated kiosk."""
    if not isinstance(event, dict):
        return "event must be a JSON object"
    if not _is_short_str(event.get("event_id")):
        return f"event_id must be a string of 1-{MAX_ID_LEN} characters"
    if not _is_short_str(event.get("kind"), 64):
        return "kind must be a string of 1-64 characters"
    if event.get("kiosk_id") != kiosk_id:
        return f"kiosk_id must be the authenticated kiosk ({kiosk_id})"
    if "seq" in event and not _is_int(event["seq"]):
        return f"seq must be an integer from 0 to {MAX_INT}"
    if not _is_short_str(event.get("created_at"), 64):
        return "created_at must be a timestamp string"
    if event["kind"].startswith(TICKET_KIND_PREFIX):
        return ticket_problem(event.get("ticket"))
    if event["kind"] == survey_wire.KIND:
        problem = survey_wire.response_problem(event.get(survey_wire.BODY_KEY))
        return f"{survey_wire.BODY_KEY}: {problem}" if problem else None
    return None


def ticket_problem(ticket) -> str | None:
    if not isinstance(ticket, dict):
        return "ticket must be a JSON object"
    for key in ("id", "number", "service_day"):
        if not _is_short_str(ticket.get(key)):
            return f"ticket.{key} must be a non-empty string"
    if not (isinstance(ticket.get("prefix"), str) and PREFIX_RE.match(ticket["prefix"])):
        return "ticket.prefix must be 1-8 letters A-Z"
    if "seq" in ticket and not _is_int(ticket["seq"]):
        return f"ticket.seq must be an integer from 0 to {MAX_INT}"
    if ticket.get("priority") is not None and not isinstance(ticket["priority"], (str, bool)):
        return "ticket.priority must be a priority group name, true/false or null"
    for key in ("issued_at", "service", "print_state", "office"):
        if ticket.get(key) is not None and not _is_short_str(ticket[key], 256):
            return f"ticket.{key} must be a string"
    return None


def office_problem(office) -> str | None:
    if office is None:
        return None
    if not (isinstance(office, str) and OFFICE_RE.match(office)):
        return "office must be 1-32 characters A-Z, a-z, 0-9, '_' or '-'"
    return None


def ticket_token(ticket: dict) -> str | None:
    """The ticket's page token if it is one (an older kiosk sends none; anything else is not stored)."""
    token = ticket.get("token")
    return token if isinstance(token, str) and TICKET_TOKEN_RE.match(token) else None
