"""The service catalogue (services.toml): what each service needs, costs, and when it is open."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from .errors import Collector
from .fields import REQUIRED, Invalid, boolean, integer, list_of, option, read_section, text

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
CLOSED_ALWAYS = {"id": "tutup", "en": "closed"}
_SPAN = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")


def _spans() -> Any:
    def check(value: Any) -> tuple:
        if not isinstance(value, list):
            raise Invalid(f"{value!r} must be a list of \"HH:MM-HH:MM\" spans ([] = closed)")
        spans = []
        for i, item in enumerate(value):
            m = _SPAN.fullmatch(item) if isinstance(item, str) else None
            if not m:
                raise Invalid(f"entry {i + 1}: {item!r} must look like \"08:00-16:00\"")
            h1, m1, h2, m2 = map(int, m.groups())
            if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
                raise Invalid(f"entry {i + 1}: {item!r} is not a time span within a day")
            start, end = time(h1, m1), (time(23, 59, 59) if h2 == 24 else time(h2, m2))
            if start >= end:
                raise Invalid(f"entry {i + 1}: {item!r} ends before it starts")
            spans.append((start, end))
        return tuple(sorted(spans))

    return check


def _date() -> Any:
    def check(value: Any) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        raise Invalid(f"{value!r} must be a date written as 2026-12-25 (no quotes)")

    return check


@dataclass(frozen=True)
class Hours:
    mon: tuple = option([], _spans())
    tue: tuple = option([], _spans())
    wed: tuple = option([], _spans())
    thu: tuple = option([], _spans())
    fri: tuple = option([], _spans())
    sat: tuple = option([], _spans())
    sun: tuple = option([], _spans())

    def spans_on(self, day: date) -> tuple:
        return getattr(self, WEEKDAYS[day.weekday()])

    def is_open(self, moment: datetime) -> bool:
        now = moment.time()
        return any(start <= now < end for start, end in self.spans_on(moment.date()))

    def summary(self, lang: str) -> str:
        """Opening hours for people: runs of days with the same hours, e.g. "Senin-Jumat 08:00-16:00"."""
        names = DAY_NAMES[lang]
        runs: list[list] = []
        for i, key in enumerate(WEEKDAYS):
            spans = getattr(self, key)
            if runs and runs[-1][2] == spans and runs[-1][1] == i - 1:
                runs[-1][1] = i
            else:
                runs.append([i, i, spans])
        parts = []
        for first, last, spans in runs:
            if not spans:
                continue
            days = names[first] if first == last else f"{names[first]}-{names[last]}"
            parts.append(days + " " + ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in spans))
        return "; ".join(parts) or CLOSED_ALWAYS[lang]


@dataclass(frozen=True)
class Document:
    id: str = option(REQUIRED, text(max_len=200, allow_empty=False))
    en: str = option(REQUIRED, text(max_len=200, allow_empty=False))
    mandatory: bool = option(True, boolean())
    note_id: str = option("", text(max_len=120))
    note_en: str = option("", text(max_len=120))


@dataclass(frozen=True)
class Fee:
    id: str = option(REQUIRED, text(max_len=120, allow_empty=False))
    en: str = option(REQUIRED, text(max_len=120, allow_empty=False))
    amount: int = option(REQUIRED, integer(0, 100_000_000))


@dataclass(frozen=True)
class PriorityGroup:
    key: str = option(REQUIRED, text(max_len=32, pattern=r"[a-z][a-z0-9_-]*", hint="must be lower-case letters, digits, '_' or '-'", allow_empty=False))
    id: str = option(REQUIRED, text(max_len=80, allow_empty=False))
    en: str = option(REQUIRED, text(max_len=80, allow_empty=False))


@dataclass(frozen=True)
class Service:
    key: str = option(REQUIRED, text(max_len=40, pattern=r"[a-z][a-z0-9-]*", hint="must be lower-case letters, digits or '-'", allow_empty=False))
    prefix: str = option(REQUIRED, text(max_len=8, pattern=r"[A-Z]", hint="must be one letter A-Z", allow_empty=False))
    name_id: str = option(REQUIRED, text(max_len=80, allow_empty=False))
    name_en: str = option(REQUIRED, text(max_len=80, allow_empty=False))
    description_id: str = option("", text(max_len=160))
    description_en: str = option("", text(max_len=160))
    processing_id: str = option("", text(max_len=120))
    processing_en: str = option("", text(max_len=120))
    notes_id: tuple = option([], list_of(text(max_len=200), max_len=10))
    notes_en: tuple = option([], list_of(text(max_len=200), max_len=10))
    daily_quota: int = option(200, integer(0, 9999))
    priority_quota: int = option(0, integer(0, 9999))
    mpaspor_required: bool = option(False, boolean())
    priority_allowed: bool = option(False, boolean())
    # M-Paspor check-in window around the slot; unset = kiosk.toml's [bookings] window.
    checkin_before_minutes: int | None = option(None, integer(0, 720))
    checkin_after_minutes: int | None = option(None, integer(0, 720))
    documents: tuple = field(default=())
    fees: tuple = field(default=())
    hours: Hours | None = field(default=None)

    @property
    def mandatory_documents(self) -> tuple:
        return tuple(d for d in self.documents if d.mandatory)


@dataclass(frozen=True)
class CatalogueTop:
    priority_prefix: str = option("P", text(max_len=8, pattern=r"[A-Z]", hint="must be one letter A-Z", allow_empty=False))
    closed_dates: tuple = option([], list_of(_date(), max_len=100))


@dataclass(frozen=True)
class Catalogue:
    services: tuple
    hours: Hours
    priority_groups: tuple
    priority_prefix: str = "P"
    closed_dates: tuple = ()
    source: str = ""

    def find(self, name: str) -> Service | None:
        """A service by prefix letter (any case) or key."""
        for s in self.services:
            if s.key == name or s.prefix == name.upper():
                return s
        return None

    def hours_for(self, service: Service) -> Hours:
        return service.hours or self.hours

    def is_open(self, service: Service, moment: datetime) -> bool:
        if moment.date() in self.closed_dates:
            return False
        return self.hours_for(service).is_open(moment)

    def priority_group(self, key: str) -> PriorityGroup | None:
        return next((g for g in self.priority_groups if g.key == key), None)


def _entries(col: Collector, doc: dict, name: str, keypath: str) -> list:
    raw = doc.get(name, [])
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        col.add(keypath, f"must be a list of tables ([[{keypath}]])")
        return []
    return raw


def _read_service(col: Collector, raw: dict, keypath: str) -> Service:
    nested = {k: raw[k] for k in ("documents", "fees", "hours") if k in raw}
    flat = {k: v for k, v in raw.items() if k not in nested}
    service = read_section(col, flat, Service, keypath, nested=("documents", "fees", "hours"))
    documents = tuple(
        read_section(col, d, Document, f"{keypath}.documents[{i}]")
        for i, d in enumerate(_entries(col, nested, "documents", f"{keypath}.documents"))
    )
    fees = tuple(
        read_section(col, f, Fee, f"{keypath}.fees[{i}]")
        for i, f in enumerate(_entries(col, nested, "fees", f"{keypath}.fees"))
    )
    hours = read_section(col, nested["hours"], Hours, f"{keypath}.hours") if "hours" in nested else None
    return Service(**{**service.__dict__, "documents": documents, "fees": fees, "hours": hours})


def parse_catalogue(source_text: str, source: str = "services.toml") -> Catalogue:
    """Validate catalogue text; raise ConfigError listing every problem."""
    col = Collector(source)
    try:
        doc = tomllib.loads(source_text)
    except tomllib.TOMLDecodeError as e:
        col.add("", f"not valid TOML: {e}")
        col.raise_if_any()
    except RecursionError:  # tomllib recurses per nesting level (a pulled catalogue is untrusted)
        col.add("", "not valid TOML: arrays or tables nested too deeply")
        col.raise_if_any()
    known = {"services", "hours", "priority_groups", "priority_prefix", "closed_dates"}
    for key in doc:
        if key not in known:
            col.add(key, f"unknown option (known: {', '.join(sorted(known))})")
    top = read_section(col, {k: doc[k] for k in ("priority_prefix", "closed_dates") if k in doc}, CatalogueTop, "")
    hours = read_section(col, doc.get("hours"), Hours, "hours")
    groups = tuple(
        read_section(col, g, PriorityGroup, f"priority_groups[{i}]")
        for i, g in enumerate(_entries(col, doc, "priority_groups", "priority_groups"))
    )
    raw_services = _entries(col, doc, "services", "services")
    if not raw_services and doc.get("services", []) == []:  # absent, or `services = []`
        col.add("services", "is required: at least one [[services]] entry")
    services = tuple(_read_service(col, raw, f"services[{i}]") for i, raw in enumerate(raw_services))

    seen_prefix: dict[str, int] = {}
    seen_key: dict[str, int] = {}
    for i, s in enumerate(services):
        if s.prefix in seen_prefix:
            col.add(f"services[{i}].prefix", f'"{s.prefix}" is already used by services[{seen_prefix[s.prefix]}]')
        elif s.prefix:
            seen_prefix[s.prefix] = i
        if s.key in seen_key:
            col.add(f"services[{i}].key", f'"{s.key}" is already used by services[{seen_key[s.key]}]')
        elif s.key:
            seen_key[s.key] = i
        if s.priority_allowed and s.priority_quota == 0:
            col.add(f"services[{i}].priority_quota", "must be above 0 when priority_allowed = true")
        if s.priority_allowed and not groups:
            col.add(f"services[{i}].priority_allowed", "needs at least one [[priority_groups]] entry")
    if top.priority_prefix in seen_prefix and any(s.priority_allowed for s in services):
        i = seen_prefix[top.priority_prefix]
        col.add("priority_prefix", f'"{top.priority_prefix}" is also services[{i}].prefix; priority numbers would clash')
    group_keys = [g.key for g in groups]
    if len(set(group_keys)) != len(group_keys):
        col.add("priority_groups", "has duplicate keys")
    col.raise_if_any()
    return Catalogue(
        services=services,
        hours=hours,
        priority_groups=groups,
        priority_prefix=top.priority_prefix,
        closed_dates=top.closed_dates,
        source=source,
    )
