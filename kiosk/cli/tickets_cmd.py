"""`kiosk tickets` (one day, for people) and `kiosk export` (the whole log, for machines)."""

from __future__ import annotations

import csv
import sys

from .common import EXIT_USAGE, CommandError, Context, emit_json


def register(sub) -> None:
    t = sub.add_parser("tickets", help="list the tickets of one service day")
    t.add_argument("--day", metavar="YYYY-MM-DD", help="service day (default: today's)")
    t.add_argument("--json", action="store_true", help="one JSON array")
    t.set_defaults(func=tickets)

    e = sub.add_parser(
        "export",
        help="stream the ticket log in issue order, each record with its cursor",
        description="Stream every ticket after CURSOR in issue order, in constant memory. "
        "Feed the last record's cursor back as --after to continue.",
    )
    e.add_argument("--after", metavar="CURSOR", type=_count("--after"), default=0,
                   help="only records after this cursor (default 0)")
    e.add_argument("--limit", type=_count("--limit"), default=None, help="at most this many records")
    e.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    e.set_defaults(func=export)


def _count(option: str):
    """A whole number 0..2^63-1 in ASCII digits; anything else is a usage error (exit 2), not a traceback."""
    def parse(text: str) -> int:
        import argparse

        if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > 2**63 - 1:
            raise argparse.ArgumentTypeError(f"{option} must be a whole number from 0 to {2**63 - 1}, got {text[:40]!r}")
        return int(text)
    return parse


def tickets(ctx: Context, args) -> int:
    from ..issuer import Issuer

    with ctx.open_store() as store:
        day = args.day or Issuer(ctx.config, store).service_day().isoformat()
        rows = store.tickets_on(day)
        booked = {c.ticket_id: c for c in store.checkins_on(day) if c.local}
    if args.json:
        emit_json([t.to_dict() for t in rows])
        return 0
    print(f"Service day {day}: {len(rows)} tickets")
    public = ctx.config.central.public_url.rstrip("/")
    for t in rows:
        time = t.issued_at[11:16]
        c = booked.get(t.id)
        marks = (f"  M-Paspor {c.slot[11:16] if c.slot else ''}".rstrip() + ("  UNVERIFIED" if c.unverified else "")
                 if c else "") + (f"  reprinted {t.reprints}x" if t.reprints else "")
        page = f"  {public}/t/{t.token}" if public and t.token else ""
        print(f"  {t.number:<7} {time}  {t.service:<24} {t.priority or '-':<12} {t.print_state}{marks}{page}")
    return 0


def export(ctx: Context, args) -> int:
    if args.after < 0 or (args.limit is not None and args.limit < 0):
        raise CommandError("--after and --limit must not be negative", EXIT_USAGE)
    with ctx.open_store() as store:
        if args.format == "csv":
            from ..store import Ticket

            writer = csv.DictWriter(sys.stdout, fieldnames=list(Ticket.__dataclass_fields__))
            writer.writeheader()
            for t in store.iter_tickets(after=args.after, limit=args.limit):
                writer.writerow(t.to_dict())
        else:
            # Whole chunks of bytes straight to the file: no per-line write through the text layer.
            sys.stdout.flush()
            out = sys.stdout.buffer
            from ..logapi.records import log_bytes

            for chunk in log_bytes(store, args.after, args.limit):
                out.write(chunk)
            out.flush()
    return 0
