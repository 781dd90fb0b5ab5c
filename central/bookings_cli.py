"""`kiosk-central bookings import|list|duplicates|unverified|demo|purge` (central/cli.py registers them)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import bookings
from .protocol import office_problem


def register(sub, common, cli_error, open_db) -> None:
    group = sub.add_parser("bookings", help="M-Paspor bookings: import the list, show it, report duplicate check-ins"
                           ).add_subparsers(dest="bookings_command", required=True, metavar="ACTION")

    def office_arg(value: str | None) -> str | None:
        if value is not None and office_problem(value):
            raise cli_error(f"office {value!r}: {office_problem(value)}")
        return value

    def day_arg(value: str | None, what: str = "--day") -> str | None:
        if value is None:
            return None
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise cli_error(f"{what} {value!r} must be a date YYYY-MM-DD") from None

    def import_(args) -> int:
        fmt = args.format or ("json" if args.file.lower().endswith(".json") else "csv")
        try:
            tz = ZoneInfo(args.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise cli_error(f"--timezone {args.timezone!r} is not a known timezone (e.g. Asia/Jakarta)") from None
        try:
            raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
            text = raw.decode("utf-8")
        except OSError as err:
            raise cli_error(f"cannot read {args.file}: {err.strerror or err}") from None
        except UnicodeDecodeError as err:
            line = raw.count(b"\n", 0, err.start) + 1
            raise cli_error(f"{args.file}:{line}: not UTF-8 text (save the export as UTF-8)") from None
        db = open_db(args.db)
        try:
            rows = bookings.parse_file(text, args.file, fmt=fmt, tz=tz, services=bookings.catalogue_services(db))
        except bookings.BookingFileError as err:
            raise cli_error(f"{args.file}: nothing imported, {len(err.problems)} problem(s):\n{err}") from None
        if args.dry_run:
            print(f"{args.file}: {len(rows)} bookings are valid (dry run: nothing imported)")
            return 0
        report = bookings.import_rows(db, rows, purge_before=day_arg(args.purge_before, "--purge-before"))
        print(f"{args.file}: {len(rows)} bookings: {report.added} new, {report.changed} changed, "
              f"{report.unchanged} unchanged" + (f"; {report.purged} of past days purged" if report.purged else ""))
        return 0

    def list_(args) -> int:
        day = day_arg(args.day) or date.today().isoformat()
        rows = bookings.bookings_of(open_db(args.db), office_arg(args.office), [day])
        for r in rows:
            if args.json:
                print(json.dumps(r, ensure_ascii=False))
            else:
                print(f"{r['office']}  {r['slot']}  {r['service']:<16} {r['code']}  {r['masked_name'] or ''}")
        if not rows and not args.json:
            print(f"no bookings on {day}" + (f" at {args.office}" if args.office else ""), file=sys.stderr)
        return 0

    def duplicates(args) -> int:
        found = bookings.duplicates(open_db(args.db), office_arg(args.office), day_arg(args.day))
        if args.json:
            print(json.dumps({"office": args.office, "day": args.day, "duplicates": found}, ensure_ascii=False))
            return 0
        if not found:
            print("no booking was checked in twice")
            return 0
        for d in found:
            print(f"{d['office'] or '-'}  {d['day']}  {d['code']}: {d['count']} numbers")
            for c in d["checkins"]:
                print(f"  {c['number']}  kiosk {c['kiosk_id']}  at {c['checked_in_at']}"
                      + ("  UNVERIFIED" if c["unverified"] else ""))
        print("call the applicant with the first number; the others are the same person (mark them done)")
        return 0

    def unverified(args) -> int:
        found = bookings.unverified_checkins(open_db(args.db), office_arg(args.office), day_arg(args.day))
        for c in found:
            if args.json:
                print(json.dumps(c, ensure_ascii=False))
            else:
                flag = "" if c["list_says"] == "on list" else "  CHECK"
                print(f"{c['office'] or '-'}  {c['day']}  {c['number']}  kiosk {c['kiosk_id']}  {c['code']}: "
                      f"{c['list_says']}{flag}")
        if not found and not args.json:
            print("no check-in was made unverified")
        return 0

    def demo(args) -> int:
        office = office_arg(args.office)
        db = open_db(args.db)
        keys = args.service or sorted(bookings.catalogue_services(db).get(office, ()))
        if not keys:
            raise cli_error(f"office {office} has no catalogue installed: name the services with --service KEY")
        try:
            tz = ZoneInfo(args.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise cli_error(f"--timezone {args.timezone!r} is not a known timezone") from None
        rows = bookings.demo_rows(office, keys, datetime.now(tz), args.count)
        report = bookings.import_rows(db, rows)
        for row in rows:
            print(f"{row.code}  {row.slot}  {row.service}")
        print(f"{report.added} new demo bookings for {office}", file=sys.stderr)
        return 0

    def purge(args) -> int:
        n = bookings.purge(open_db(args.db), day_arg(args.before, "--before"))
        print(f"purged {n} bookings of days before {args.before}")
        return 0

    p = group.add_parser("import", parents=[common], help="import a booking list (CSV or JSON); idempotent",
                         description="Validate every row first and import nothing if any is bad (each bad row is "
                                     "reported as FILE:LINE: column: problem). Importing the same file again "
                                     "changes nothing. Full names are masked (B*** S******) and never stored. "
                                     "Format: docs/operations.md, 'Bookings'.")
    p.add_argument("file", metavar="FILE", help="CSV with a header line, or JSON ('-' = stdin)")
    p.add_argument("--format", choices=("csv", "json"), help="default: from the file name (.json, else CSV)")
    p.add_argument("--timezone", default="Asia/Jakarta", help="zone of slot times written without an offset "
                                                              "(default Asia/Jakarta)")
    p.add_argument("--purge-before", metavar="YYYY-MM-DD", help="also forget bookings of days before this one")
    p.add_argument("--dry-run", action="store_true", help="only validate")
    p.set_defaults(func=import_)
    p = group.add_parser("list", parents=[common], help="bookings of one day (default today)")
    p.add_argument("--office")
    p.add_argument("--day", metavar="YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=list_)
    p = group.add_parser("duplicates", parents=[common],
                         help="bookings checked in more than once (kiosks offline at the same time)")
    p.add_argument("--office")
    p.add_argument("--day", metavar="YYYY-MM-DD")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=duplicates)
    p = group.add_parser("unverified", parents=[common],
                         help="check-ins made offline without a list, and what the list says of each code now")
    p.add_argument("--office")
    p.add_argument("--day", metavar="YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=unverified)
    p = group.add_parser("demo", parents=[common],
                         help="add demo bookings DEMO0001... around now (make run, testing a scanner); prints them")
    p.add_argument("office", metavar="OFFICE")
    p.add_argument("--service", action="append", metavar="KEY", help="service key (repeatable; default: every "
                                                                     "service of the office's installed catalogue)")
    p.add_argument("--count", type=int, choices=range(1, 1000), default=24, metavar="N", help="how many (default 24)")
    p.add_argument("--timezone", default="Asia/Jakarta")
    p.set_defaults(func=demo)
    p = group.add_parser("purge", parents=[common], help="forget bookings of days before a date")
    p.add_argument("--before", required=True, metavar="YYYY-MM-DD")
    p.set_defaults(func=purge)
