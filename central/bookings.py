"""M-Paspor bookings on the central server: the import (CSV or JSON), the list each office's
kiosks pull (today's and tomorrow's, with ETag), the check-ins the kiosks report, and the
duplicate check-ins of one booking (two kiosks offline at once).

Only what check-in needs is stored: code, office, service, slot, day and a masked name (the
import masks a full name and never stores it). Bookings of days before the list's first day are
purged on import and on `kiosk-central bookings purge`. The log API and the ticket export never
carry them. SQL is portable (docs/architecture.md, central on SQLite and PostgreSQL).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shared.booking_codes import mask_name, normalise_code

from .db import CentralDB
from .protocol import OFFICE_RE, utc_now_iso

log = logging.getLogger("central.bookings")

COLUMNS = ("code", "office", "service", "slot", "name")
REQUIRED = ("code", "office", "service", "slot")
CODE_RE = re.compile(r"^[!-~]{4,64}$")
SERVICE_RE = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
MAX_ROWS = 200_000
MAX_ERRORS_SHOWN = 50
# Other offices' codes served with a list (about 50 bytes each): the kiosk reads at most 2 MB.
MAX_ELSEWHERE = 20_000
_WS = re.compile(r"\s*")
_WS_COMMA = re.compile(r"[\s,]*")
CHECKIN_KIND = "ticket.checked_in"

class BookingFileError(ValueError):
    """A file that cannot be imported; `problems` holds one "FILE:LINE: column: message" per bad row."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        super().__init__("\n".join(shown) + (f"\n... and {more} more" if more else ""))



@dataclass(frozen=True)
class Row:
    code: str
    office: str
    service: str
    slot: str       # ISO-8601 with offset
    day: str        # the slot's date in its own zone
    masked_name: str | None


def _parse_slot(value: str, tz: ZoneInfo) -> datetime:
    text = value.strip().replace(" ", "T", 1)
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def check_row(raw: dict, tz: ZoneInfo, services: dict[str, set] | None) -> tuple[Row | None, list[str]]:
    """A validated row, or the problems as "column: message". `services`: office -> its
    catalogue's service keys, for the offices that have a catalogue installed."""
    problems = []
    values = {k: raw.get(k) for k in COLUMNS}
    for key in REQUIRED:
        if values[key] is None or (isinstance(values[key], str) and not values[key].strip()):
            problems.append(f"{key}: is required")
    for key, value in values.items():
        if value is not None and not isinstance(value, str):
            problems.append(f"{key}: must be text, got {json.dumps(value)}")
    unknown = sorted(set(raw) - set(COLUMNS))
    if unknown:
        problems.append(f"{unknown[0]}: unknown column (known: {', '.join(COLUMNS)})")
    if problems:
        return None, problems
    code = normalise_code(values["code"])
    office = values["office"].strip()
    service = values["service"].strip()
    if not CODE_RE.match(code):
        problems.append(f"code: {values['code']!r} must be 4-64 printable ASCII characters without spaces")
    if not OFFICE_RE.match(office):
        problems.append(f"office: {office!r} must be 1-32 characters A-Z, a-z, 0-9, '_' or '-'")
    if not SERVICE_RE.match(service):
        problems.append(f"service: {service!r} must be a service key (lower-case letters, digits, '-')")
    elif services is not None and office in services and service not in services[office]:
        problems.append(f"service: {service!r} is not in office {office}'s catalogue "
                        f"(known: {', '.join(sorted(services[office]))})")
    try:
        slot = _parse_slot(values["slot"], tz)
    except ValueError:
        problems.append(f"slot: {values['slot']!r} must be a date and time like 2026-11-27 09:30 "
                        "(office time) or 2026-11-27T09:30:00+07:00")
        slot = None
    name = (values["name"] or "").strip()
    if len(name) > 120:
        problems.append("name: longer than 120 characters")
    if problems:
        return None, problems
    return Row(code, office, service, slot.isoformat(timespec="minutes"), slot.date().isoformat(), mask_name(name)), []


def _json_entries(text: str, source: str) -> list[tuple[int, object]]:
    """(line, entry) of a JSON array of objects (or {"bookings": [...]}), each with the line it starts on."""
    body = text.lstrip("\ufeff")
    shape = f"{source}:1: a JSON file must be an array of bookings or {{\"bookings\": [...]}}"
    try:
        whole = json.loads(body)
    except ValueError as e:
        raise BookingFileError([f"{source}:{getattr(e, 'lineno', 1)}: not valid JSON: {getattr(e, 'msg', e)}"]) from None
    except RecursionError:
        raise BookingFileError([f"{source}:1: not valid JSON: nested too deeply"]) from None
    if isinstance(whole, dict) and isinstance(whole.get("bookings"), list):
        items = whole["bookings"]
        pos = body.index("[", body.index('"bookings"'))
    elif isinstance(whole, list):
        items = whole
        pos = _WS.match(body).end()
    else:
        raise BookingFileError([shape])
    # The file parsed; walk the array once more only to learn the line each entry starts on.
    decoder = json.JSONDecoder()
    entries, line, last = [], 1, 0
    pos += 1
    try:
        for item in items:
            pos = _WS_COMMA.match(body, pos).end()
            line += body.count("\n", last, pos)
            last = pos
            _, pos = decoder.raw_decode(body, pos)
            entries.append((line, item))
    except ValueError:  # a "bookings" key mentioned in an earlier string: lines unknown, count entries
        return [(i + 1, item) for i, item in enumerate(items)]
    return entries


def _csv_entries(text: str, source: str) -> list[tuple[int, object]]:
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    # A spreadsheet set to Indonesian (or other comma-decimal) locales saves CSV with semicolons.
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    if reader.fieldnames is None:
        raise BookingFileError([f"{source}:1: empty file (expected a header line: {','.join(COLUMNS)})"])
    header = [h.strip() for h in reader.fieldnames]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown:
        what = (f"missing column(s) {', '.join(missing)}" if missing else "") + \
               ("; " if missing and unknown else "") + (f"unknown column(s) {', '.join(unknown)}" if unknown else "")
        raise BookingFileError([f"{source}:1: header: {what} (columns: {','.join(COLUMNS)}; name is optional)"])
    reader.fieldnames = header
    entries = []
    for raw in reader:
        if None in raw:
            entries.append((reader.line_num, {"_extra": "x"}))
            continue
        if not any((v or "").strip() for v in raw.values()):
            continue  # a blank line
        entries.append((reader.line_num, {k: v for k, v in raw.items() if v is not None and (k != "name" or v)}))
    return entries


def parse_file(text: str, source: str, *, fmt: str, tz: ZoneInfo, services: dict[str, set] | None = None) -> list[Row]:
    """Every row of an import file, validated; BookingFileError lists each bad row as FILE:LINE."""
    entries = _json_entries(text, source) if fmt == "json" else _csv_entries(text, source)
    if len(entries) > MAX_ROWS:
        raise BookingFileError([f"{source}: {len(entries)} bookings; at most {MAX_ROWS} per file"])
    problems, rows, seen = [], [], {}
    for line, entry in entries:
        if not isinstance(entry, dict):
            problems.append(f"{source}:{line}: a booking must be an object with {', '.join(COLUMNS)}")
            continue
        if "_extra" in entry:
            problems.append(f"{source}:{line}: more fields than the header's {len(COLUMNS)} columns")
            continue
        row, bad = check_row(entry, tz, services)
        problems += [f"{source}:{line}: {p}" for p in bad]
        if row is None:
            continue
        if row.code in seen:
            problems.append(f"{source}:{line}: code: {row.code} is also on line {seen[row.code]}")
            continue
        seen[row.code] = line
        rows.append(row)
    if problems:
        raise BookingFileError(problems)
    return rows


def catalogue_services(db: CentralDB) -> dict[str, set]:
    """office -> the service keys of its installed catalogue (offices without one are not checked)."""
    out = {}
    for row in db.conn().execute("SELECT office, body FROM catalogues"):
        try:
            doc = tomllib.loads(bytes(row["body"]).decode("utf-8"))
            out[row["office"]] = {s["key"] for s in doc.get("services", []) if isinstance(s, dict) and "key" in s}
        except (ValueError, UnicodeDecodeError, TypeError):
            continue
    return out


@dataclass(frozen=True)
class ImportReport:
    added: int
    changed: int
    unchanged: int
    purged: int


def import_rows(db: CentralDB, rows: list[Row], *, purge_before: str | None = None) -> ImportReport:
    """Store the rows in one transaction; importing the same file again changes nothing."""
    now = utc_now_iso()
    added = changed = 0
    with db.write() as conn:
        for row in rows:
            old = conn.execute("SELECT office, day, service, slot, masked_name FROM bookings WHERE code = ?",
                               (row.code,)).fetchone()
            new = (row.office, row.day, row.service, row.slot, row.masked_name)
            if old is not None and tuple(old) == new:
                continue
            conn.execute(
                "INSERT INTO bookings(code, office, day, service, slot, masked_name, imported_at) "
                "VALUES (?,?,?,?,?,?,?) ON CONFLICT (code) DO UPDATE SET office = excluded.office, "
                "day = excluded.day, service = excluded.service, slot = excluded.slot, "
                "masked_name = excluded.masked_name, imported_at = excluded.imported_at",
                (row.code, *new, now),
            )
            if old is None:
                added += 1
            else:
                changed += 1
        purged = 0
        if purge_before:
            purged = conn.execute("DELETE FROM bookings WHERE day < ?", (purge_before,)).rowcount
    return ImportReport(added, changed, len(rows) - added - changed, purged)


def purge(db: CentralDB, before_day: str) -> int:
    with db.write() as conn:
        return conn.execute("DELETE FROM bookings WHERE day < ?", (before_day,)).rowcount


def bookings_of(db: CentralDB, office: str | None, days: list[str]) -> list[dict]:
    marks = ",".join("?" * len(days))
    sql = f"SELECT code, office, day, service, slot, masked_name FROM bookings WHERE day IN ({marks})"
    args: list = list(days)
    if office:
        sql += " AND office = ?"
        args.append(office)
    return [dict(r) for r in db.conn().execute(sql + " ORDER BY day, slot, code", args)]


def served_days(day: str) -> list[str]:
    first = date.fromisoformat(day)
    return [first.isoformat(), (first + timedelta(days=1)).isoformat()]


def office_list(db: CentralDB, office: str, day: str) -> tuple[bytes, str]:
    """The list an office's kiosks pull for service day `day` (and the next), as JSON bytes, and its
    ETag. Other offices' codes of those days come with their office only ("elsewhere")."""
    days = served_days(day)
    conn = db.conn()
    marks = ",".join("?" * len(days))
    bookings = [
        {"code": r["code"], "day": r["day"], "service": r["service"], "slot": r["slot"], "masked_name": r["masked_name"]}
        for r in conn.execute(
            f"SELECT code, day, service, slot, masked_name FROM bookings WHERE office = ? AND day IN ({marks}) "
            "ORDER BY day, slot, code", (office, *days))
    ]
    elsewhere = [
        {"code": r["code"], "office": r["office"], "day": r["day"]}
        for r in conn.execute(
            f"SELECT code, office, day FROM bookings WHERE office <> ? AND day IN ({marks}) ORDER BY day, code LIMIT ?",
            (office, *days, MAX_ELSEWHERE + 1))
    ]
    if len(elsewhere) > MAX_ELSEWHERE:
        # A server holding many offices' lists: the kiosk then says "unknown code" for another
        # office's booking instead of naming the office, and the list stays within its reply limit.
        log.warning("more than %d bookings at other offices on %s: not served to %s", MAX_ELSEWHERE, days, office)
        elsewhere = []
    checkins = [
        {"code": r["code"], "day": r["day"], "kiosk_id": r["kiosk_id"], "ticket_id": r["ticket_id"],
         "number": r["number"], "slot": r["slot"], "checked_in_at": r["checked_in_at"],
         "unverified": bool(r["unverified"])}
        for r in conn.execute(
            f"SELECT * FROM booking_checkins WHERE office = ? AND day IN ({marks}) ORDER BY checked_in_at, event_id",
            (office, *days))
    ]
    body = {"office": office, "days": days, "bookings": bookings, "elsewhere": elsewhere, "checkins": checkins}
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _checkin_fields(event: dict) -> dict | None:
    """The check-in of a ticket.checked_in event, if every field has its type; else None."""
    c = event.get("checkin")
    ticket = event.get("ticket")
    if not isinstance(c, dict) or not isinstance(ticket, dict):
        return None
    texts = ("code", "day", "number", "checked_in_at")
    if not all(isinstance(c.get(k), str) and 0 < len(c[k]) <= 256 for k in texts):
        return None
    if c.get("slot") is not None and not (isinstance(c["slot"], str) and len(c["slot"]) <= 64):
        return None
    return {
        "code": normalise_code(c["code"]), "day": c["day"], "number": c["number"], "slot": c.get("slot"),
        "checked_in_at": c["checked_in_at"], "unverified": int(c.get("unverified") is True),
        "ahead": int(c.get("ahead") is True), "ticket_id": ticket.get("id"),
    }


def record_checkins(db: CentralDB, kiosk_id: str, office: str | None, events: list, accepted: list[str]) -> int:
    """Keep the check-ins among a batch's accepted events, each once (by event id): a batch sent
    again, or a retry after a crash between storing the events and this, adds nothing twice.
    Returns how many were new."""
    wanted = set(accepted)
    rows = []
    now = utc_now_iso()
    for event in events:
        if not isinstance(event, dict) or event.get("kind") != CHECKIN_KIND or event.get("event_id") not in wanted:
            continue
        fields = _checkin_fields(event)
        if fields is None or not isinstance(fields["ticket_id"], str):
            log.warning("kiosk %s sent check-in event %s without a usable 'checkin'", kiosk_id, event.get("event_id"))
            continue
        rows.append((event["event_id"], office, fields["code"], fields["day"], kiosk_id, fields["ticket_id"],
                     fields["number"], fields["slot"], fields["checked_in_at"], fields["unverified"],
                     fields["ahead"], now))
    if not rows:
        return 0
    new = 0
    with db.write() as conn:
        for row in rows:
            new += conn.execute(
                "INSERT INTO booking_checkins(event_id, office, code, day, kiosk_id, ticket_id, number, slot, "
                "checked_in_at, unverified, ahead, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (event_id) DO NOTHING", row).rowcount
    return new


def checkins(db: CentralDB, office: str | None = None, day: str | None = None) -> list[dict]:
    where, args = [], []
    if office:
        where.append("office = ?")
        args.append(office)
    if day:
        where.append("day = ?")
        args.append(day)
    sql = "SELECT * FROM booking_checkins" + (" WHERE " + " AND ".join(where) if where else "")
    return [_checkin_dict(r) for r in db.conn().execute(sql + " ORDER BY checked_in_at, event_id", args)]


def _checkin_dict(r) -> dict:
    return {"code": r["code"], "office": r["office"], "day": r["day"], "kiosk_id": r["kiosk_id"],
            "ticket_id": r["ticket_id"], "number": r["number"], "slot": r["slot"],
            "checked_in_at": r["checked_in_at"], "unverified": bool(r["unverified"]), "event_id": r["event_id"]}


def unverified_checkins(db: CentralDB, office: str | None = None, day: str | None = None) -> list[dict]:
    """Check-ins made without a list (offline), each with what the list says of its code now:
    `on_list` (booked at this office on that day), else where it was booked, or not at all."""
    out = []
    for c in checkins(db, office, day):
        if not c["unverified"]:
            continue
        row = db.conn().execute("SELECT office, day FROM bookings WHERE code = ?", (c["code"],)).fetchone()
        if row is None:
            c["list_says"] = "not booked"
        elif row["office"] == c["office"] and row["day"] == c["day"]:
            c["list_says"] = "on list"
        else:
            c["list_says"] = f"booked at {row['office']} on {row['day']}"
        out.append(c)
    return out


def duplicates(db: CentralDB, office: str | None = None, day: str | None = None) -> list[dict]:
    """Bookings checked in more than once (two numbers for one booking: kiosks that could not see
    each other's check-ins), each with every check-in, first first."""
    groups: dict[tuple, list] = {}
    for c in checkins(db, office, day):
        groups.setdefault((c["office"], c["day"], c["code"]), []).append(c)
    return [
        {"office": o, "day": d, "code": code, "count": len(cs), "numbers": [c["number"] for c in cs], "checkins": cs}
        for (o, d, code), cs in sorted(groups.items(), key=lambda kv: (kv[0][0] or "", kv[0][1], kv[0][2]))
        if len(cs) > 1
    ]


def booked_marks(db: CentralDB, ticket_ids: list[str]) -> dict[str, dict]:
    """ticket id -> {"slot", "unverified"} for the booked ones among them (the queue's mark)."""
    out = {}
    for i in range(0, len(ticket_ids), 500):
        chunk = ticket_ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for r in db.conn().execute(
                f"SELECT ticket_id, slot, unverified FROM booking_checkins WHERE ticket_id IN ({marks})", chunk):
            out[r["ticket_id"]] = {"slot": r["slot"], "unverified": bool(r["unverified"])}
    return out


def booked_counts(db: CentralDB, office: str, day: str | None) -> dict[str, dict]:
    """Per number series: booked arrivals checked in that day and how many of them still wait."""
    if day is None:
        return {}
    rows = db.conn().execute(
        "SELECT t.prefix AS prefix, count(*) AS checked_in, count(t.called_at) AS called FROM booking_checkins b "
        "JOIN tickets t ON t.id = b.ticket_id WHERE t.office = ? AND t.service_day = ? GROUP BY t.prefix "
        "ORDER BY t.prefix", (office, day))
    return {r["prefix"]: {"checked_in": r["checked_in"], "waiting": r["checked_in"] - r["called"]} for r in rows}


def demo_rows(office: str, services: list[str], now: datetime, count: int) -> list[Row]:
    """Bookings DEMO0001.. every 15 minutes from an hour before `now` (some lapsed, some due now,
    some too early), cycling through `services`: for `make run` and for trying a scanner."""
    first = now.replace(second=0, microsecond=0) - timedelta(minutes=60)
    rows = []
    for i in range(count):
        slot = first + timedelta(minutes=15 * i)
        rows.append(Row(f"DEMO{i + 1:04d}", office, services[i % len(services)], slot.isoformat(timespec="minutes"),
                        slot.date().isoformat(), mask_name(f"Demo Pemohon{i + 1}")))
    return rows
