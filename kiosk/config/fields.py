"""Typed, bounded option checks and the walker that applies them to a TOML table.

A section is a frozen dataclass whose fields carry a check in their metadata (see `option`).
`read_section` turns a TOML table into that dataclass, reporting unknown keys, wrong types and
out-of-range values through a Collector instead of stopping at the first one.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from datetime import time
from typing import Any, Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import Collector

Check = Callable[[Any], Any]
REQUIRED = object()


class Invalid(ValueError):
    """A value that fails its check; the message completes `<file>: <key>: `."""


def option(default: Any, check: Check) -> Any:
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda d=default: type(d)(d), metadata={"check": check})
    return dataclasses.field(default=default, metadata={"check": check})


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def text(*, max_len: int = 200, pattern: str | None = None, hint: str = "", allow_empty: bool = True) -> Check:
    regex = re.compile(pattern) if pattern else None

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid(f"{_show(value)} must be a string")
        if not value and not allow_empty:
            raise Invalid("must not be empty")
        if len(value) > max_len:
            raise Invalid(f"is {len(value)} characters long; at most {max_len} allowed")
        control = next((ch for ch in value if unicodedata.category(ch) == "Cc" and ch not in "\n\t"), None)
        if control is not None:
            # ESC, NUL...: the screen shows them as boxes and cuts the text at a NUL; never intended.
            raise Invalid(f"contains the control character U+{ord(control):04X}; remove it")
        if regex and value and not regex.fullmatch(value):
            raise Invalid(f"{_show(value)} {hint or 'does not match ' + pattern}")
        return value

    return check


def http_url(*, max_len: int = 512) -> Check:
    """Empty, or an http:// / https:// URL with a host, a valid port and no query or fragment."""
    base = text(max_len=max_len)

    def check(value: Any) -> str:
        value = base(value)
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
                or any(c.isspace() for c in value):
            raise Invalid(f"{_show(value)} must be an http:// or https:// URL (e.g. https://antrian.kanim.example)")
        try:
            _ = parts.port  # urlsplit checks the port only when asked
        except ValueError:
            raise Invalid(f"{_show(value)}: the port is not a number from 1 to 65535") from None
        return value

    return check


def integer(lo: int, hi: int, *, why: str = "") -> Check:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"{_show(value)} must be a whole number")
        if not lo <= value <= hi:
            raise Invalid(f"{value} is out of range {lo}-{hi}" + (f" ({why})" if why else ""))
        return value

    return check


def number(lo: float, hi: float) -> Check:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Invalid(f"{_show(value)} must be a number")
        if not lo <= value <= hi:
            raise Invalid(f"{value} is out of range {lo}-{hi}")
        return float(value)

    return check


def boolean() -> Check:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise Invalid(f"{_show(value)} must be true or false")
        return value

    return check


def choice(*allowed: Any) -> Check:
    def check(value: Any) -> Any:
        if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
            raise Invalid(f"{_show(value)} must be one of {', '.join(_show(a) for a in allowed)}")
        return value

    return check


def clock_time() -> Check:
    def check(value: Any) -> time:
        if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}", value):
            raise Invalid(f"{_show(value)} must be a time as HH:MM")
        hours, minutes = int(value[:2]), int(value[3:])
        if hours > 23 or minutes > 59:
            raise Invalid(f"{_show(value)} is not a time of day")
        return time(hours, minutes)

    return check


def timezone() -> Check:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid(f"{_show(value)} must be a string")
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid(f"{_show(value)} is not a known timezone (e.g. \"Asia/Jakarta\")") from None
        return value

    return check


def int_range(lo: int, hi: int) -> Check:
    def check(value: Any) -> tuple[int, int]:
        if (
            not isinstance(value, list)
            or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, int) for v in value)
        ):
            raise Invalid(f"{_show(value)} must be two whole numbers [from, to]")
        first, last = value
        if not (lo <= first <= hi and lo <= last <= hi):
            raise Invalid(f"[{first}, {last}] must lie within {lo}-{hi}")
        if first > last:
            raise Invalid(f"[{first}, {last}] is reversed: the first number must not exceed the last")
        return (first, last)

    return check


def list_of(item: Check, *, min_len: int = 0, max_len: int = 50, unique: bool = False) -> Check:
    def check(value: Any) -> tuple:
        if not isinstance(value, list):
            raise Invalid(f"{_show(value)} must be a list")
        if not min_len <= len(value) <= max_len:
            raise Invalid(f"has {len(value)} entries; {min_len}-{max_len} allowed")
        out = []
        for i, v in enumerate(value):
            try:
                out.append(item(v))
            except Invalid as e:
                raise Invalid(f"entry {i + 1}: {e}") from None
        if unique and len(set(out)) != len(out):
            raise Invalid("has duplicate entries")
        return tuple(out)

    return check


def auto_or(inner: Check) -> Check:
    def check(value: Any) -> Any:
        if value == "auto":
            return value
        try:
            return inner(value)
        except Invalid as e:
            raise Invalid(f'{e} (or "auto")') from None

    return check


def read_section(col: Collector, table: Any, cls: type, keypath: str, nested: tuple = ()) -> Any:
    """Build `cls` from a TOML table; report problems to `col` and fall back to defaults."""
    prefix = f"{keypath}." if keypath else ""
    if table is None:
        table = {}
    if not isinstance(table, dict):
        col.add(keypath, "must be a table")
        table = {}
    fields = {f.name: f for f in dataclasses.fields(cls) if "check" in f.metadata}
    for key in table:
        if key not in fields:
            known = ", ".join(sorted([*fields, *nested]))
            col.add(f"{prefix}{key}", f"unknown option (known: {known})")
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name in table:
            try:
                values[name] = f.metadata["check"](table[name])
            except Invalid as e:
                col.add(f"{prefix}{name}", str(e))
        elif f.default is REQUIRED:
            col.add(f"{prefix}{name}", "is required")
    for name, f in fields.items():
        if name not in values and f.default is REQUIRED:
            values[name] = None
    return cls(**values)
