"""`kiosk-central`: run the reference server and administer its database.

Exit codes: 0 success; 1 the operation failed (database cannot be opened, address in use);
2 bad usage or bad input (argparse errors, unreadable or invalid files, bad ids);
3 nothing there (no one waiting, no such token, no catalogue).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import sys
import threading
import tomllib
from pathlib import Path

from shared.logsetup import setup_logging

from . import __version__, bookings_cli, counter_queue, logpull, staff_cli, survey
from .auth import ROLES, issue_token
from .db import CentralDB
from .dialect import DatabaseError, is_postgres_url, redacted, sqlite_path
from .protocol import PREFIX_RE, office_problem
from .quarantine import declared, quarantined_kiosks
from .server import LIMITS
from .web import PUBLIC_BURST, PUBLIC_RATE

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOTHING = 0, 1, 2, 3
DEFAULT_LISTEN = "127.0.0.1:8471"
ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


def default_db() -> str:
    return os.environ.get("KIOSK_CENTRAL_DB", "central.db")


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT` or `[IPV6]:PORT`; port 0 picks a free port."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d{1,5})|([^:\s]+):(\d{1,5})", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT (for example 127.0.0.1:8471)")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4))
    if port > 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range 0-65535")
    return host, port


def public_number(low, high, kind=float):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range {low:g}-{high:g}")
        return value
    return parse


def open_db(url: str) -> CentralDB:
    """`url`: a SQLite file (a path or sqlite:///path) or a postgresql:// URL."""
    postgres = is_postgres_url(url)
    try:
        if not postgres:
            Path(sqlite_path(url)).parent.mkdir(parents=True, exist_ok=True)
        db = CentralDB(url)
    except (OSError, ValueError, DatabaseError, RuntimeError) as err:
        hint = ("check the server is running, the URL (host, port or ?host=/socket/dir, database, user) and that "
                "the user may connect" if postgres else "check the path exists and is writable")
        raise CliError(f"cannot open database {redacted(url)}: {str(err).strip()} ({hint})", EXIT_FAILED) from None
    loose = db.readable_by_others()
    if loose:
        print(f"kiosk-central: warning: {loose}: others can read the token hashes and the kiosks' log tokens; "
              f"fix: chmod 600 {db.sqlite_file}*", file=sys.stderr)
    return db


def check_id(value: str, what: str) -> str:
    if not ID_RE.match(value):
        raise CliError(f"{what} {value!r} must be 1-128 characters A-Z, a-z, 0-9, '.', '_', ':' or '-'")
    return value


def check_office(value: str) -> str:
    problem = office_problem(value)
    if problem:
        raise CliError(f"office {value!r}: {problem}")
    return value


def print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, sort_keys=False))


# commands

def cmd_serve(args) -> int:
    from .app import create_app
    from .server import ServerThread
    from .web import staff_pages

    setup_logging(args.log_level)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    # --log-level filters the per-request lines; where it listens and when it stops always show,
    # since a script that asked for port 0 reads the address from this line.
    lifecycle = logging.getLogger("central.server")
    lifecycle.setLevel(logging.INFO)
    db = open_db(args.db)
    host, port = args.listen
    try:
        puller = logpull.Scheduler(db, args.pull_every) if args.pull_every else None
        app = create_app(db, pull_health=puller.health if puller else None,
                         public_limit=(args.public_rate, args.public_burst))
        app.config[staff_pages.SECURE_COOKIES] = args.secure_cookies
        server = ServerThread(app, host, port, threads=args.threads, per_client=args.per_client)
    except OSError as err:
        raise CliError(f"cannot listen on {host}:{port}: {err.strerror or err}", EXIT_FAILED) from None
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    if puller:
        puller.start()
    lifecycle.info("kiosk-central %s listening on %s (db %s)", __version__, server.url, redacted(args.db))
    while not stop.wait(1.0):
        if puller:
            puller.supervise()
    lifecycle.info("stopping")
    if puller:
        puller.stop()
    server.stop()
    db.close()
    return EXIT_OK


def cmd_tokens_add(args) -> int:
    subject = check_id(args.subject, "id")
    office = check_office(args.office) if args.office else None
    db = open_db(args.db)
    print(issue_token(db, args.role, subject, office))
    return EXIT_OK


def cmd_tokens_list(args) -> int:
    rows = [
        {"token_id": t.token_id, "role": t.role, "subject": t.subject, "office": t.office, "created_at": t.created_at,
         "revoked_at": t.revoked_at, "refused": t.refused}
        for t in open_db(args.db).tokens()
    ]
    if args.json:
        for row in rows:
            print_json(row)
    else:
        for row in rows:
            state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
            office = f"office {row['office']}" if row["office"] else "any office"
            refused = f"  refused {row['refused']} events for other kiosks/offices" if row["refused"] else ""
            print(f"{row['token_id']}  {row['role']:<7}  {row['subject']}  {office}  created {row['created_at']}  "
                  f"{state}{refused}")
    return EXIT_OK


def cmd_tokens_revoke(args) -> int:
    if not open_db(args.db).revoke_token(args.token_id):
        raise CliError(f"no active token with id {args.token_id!r} (see `kiosk-central tokens list`)", EXIT_NOTHING)
    return EXIT_OK


def cmd_catalogue_set(args) -> int:
    office = check_office(args.office)
    try:
        body = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as err:
        raise CliError(f"cannot read {args.file}: {err.strerror or err}") from None
    try:
        tomllib.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise CliError(f"{args.file}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise CliError(f"{args.file}: not valid TOML: {err}") from None
    etag = open_db(args.db).set_catalogue(office, body)
    print(etag)
    return EXIT_OK


def cmd_catalogue_show(args) -> int:
    catalogue = open_db(args.db).catalogue(check_office(args.office))
    if catalogue is None:
        raise CliError(f"no catalogue installed for office {args.office!r}", EXIT_NOTHING)
    sys.stdout.buffer.write(catalogue.body)
    return EXIT_OK


def cmd_export(args) -> int:
    db = open_db(args.db)
    for ticket in db.iter_tickets(office=args.office, kiosk_id=args.kiosk):
        print_json(ticket)
    return EXIT_OK


def cmd_call_next(args) -> int:
    office = check_office(args.office)
    if not PREFIX_RE.match(args.prefix):
        raise CliError(f"prefix {args.prefix!r} must be 1-8 letters A-Z")
    counter = check_id(args.counter, "counter")
    ticket = counter_queue.call_next(open_db(args.db), office, args.prefix, counter, staff_cli.cli_actor())
    if ticket is None:
        print(f"no one is waiting for {args.prefix} at {office}", file=sys.stderr)
        return EXIT_NOTHING
    if args.json:
        print_json(ticket)
    else:
        booked = ticket["central"].get("booking")
        print(ticket["number"] + (f"  M-Paspor {booked['slot'] or 'UNVERIFIED'}" if booked else ""))
    return EXIT_OK


def cmd_queue(args) -> int:
    stats = counter_queue.queue_stats(open_db(args.db), check_office(args.office), args.service_day)
    if args.json:
        print_json(stats)
        return EXIT_OK
    print(f"office {stats['office']}  service day {stats['service_day'] or '-'}")
    for prefix, s in stats["services"].items():
        avg = f"{s['avg_service_s']:.0f} s" if s["avg_service_s"] is not None else "-"
        print(f"  {prefix:<4} waiting {s['waiting']:>4}  issued {s['issued']:>4}  served {s['served']:>4}  avg {avg}")
    return EXIT_OK


def cmd_kiosks(args) -> int:
    kiosks = open_db(args.db).kiosks()
    if args.json:
        for kiosk in kiosks:
            print_json(kiosk)
        return EXIT_OK
    for k in kiosks:
        hb = k["last_heartbeat"] or {}
        outbox = hb.get("outbox") or {}
        held = declared(hb)
        print(
            f"{k['kiosk_id']}  office {k['office'] or '-'}  last seen {k['last_seen_at'] or 'never'}  "
            f"backlog {outbox.get('depth', '-')} ({outbox.get('level', '-')})"
            + (f"  QUARANTINED {held['count']}" if held else "")
        )
    return EXIT_OK


def cmd_quarantine(args) -> int:
    office = check_office(args.office) if args.office else None
    kiosks = quarantined_kiosks(open_db(args.db), office)
    if args.json:
        print_json({"office": office, "kiosks": kiosks})
        return EXIT_OK
    if not kiosks:
        print("no kiosk reports quarantined events")
        return EXIT_OK
    for k in kiosks:
        print(f"{k['kiosk_id']}  office {k['office'] or '-'}  {k['quarantined']} quarantined event(s)  "
              f"(heartbeat {k['reported_at']})")
        for e in k["events"]:
            print(f"  seq {e['seq']}  {e['event_id']}  {e['kind']}  {e['number'] or '-'}  {e['reason'] or ''}")
    print("on each kiosk: `kiosk sync quarantine list`, fix the cause, then `kiosk sync quarantine retry --all`")
    return EXIT_OK


def cmd_ikm(args) -> int:
    first, today = survey.default_range()
    date_from, date_to = args.date_from or first.isoformat(), args.date_to or today.isoformat()
    if date_from > date_to:
        raise CliError(f"--from {date_from} is after --to {date_to}")
    try:
        report = survey.ikm_report(open_db(args.db), check_office(args.office), date_from, date_to, args.by)
    except survey.SurveyInputError as err:
        raise CliError(str(err)) from None
    if args.csv:
        sys.stdout.write(survey.csv_text(report))
    elif args.json:
        print_json(report.to_dict())
    else:
        print(f"office {report.office}  {report.date_from} .. {report.date_to}  respondents {report.count}")
        for g in [*report.rows, report.total]:
            label = "TOTAL" if g is report.total else g.group
            ikm = f"IKM {g.ikm}  mutu {g.band.grade} ({g.band.quality_id})" if g.result else "no responses"
            print(f"  {label:<24} {g.count:>6}  {ikm}")
    return EXIT_OK if report.count else EXIT_NOTHING


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=default_db(), metavar="URL",
                        help="the database: a SQLite file (PATH or sqlite:///PATH) or postgresql://USER@HOST/DB "
                             "(default: $KIOSK_CENTRAL_DB or ./central.db)")

    parser = argparse.ArgumentParser(
        prog="kiosk-central",
        description="Reference central queue server for the lobby kiosks.",
        epilog="Exit codes: 0 ok, 1 failed, 2 bad usage or input, 3 nothing there.",
    )
    parser.add_argument("--version", action="version", version=f"kiosk-central {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", parents=[common], help="run the HTTP server",
                       description="Serve the sync API (docs/openapi.yaml) until SIGTERM or Ctrl-C.")
    p.add_argument("--listen", type=parse_listen, default=parse_listen(DEFAULT_LISTEN), metavar="HOST:PORT",
                   help=f"address to listen on (default {DEFAULT_LISTEN}; port 0 picks a free one)")
    p.add_argument("--threads", type=int, choices=range(1, 65), default=4, metavar="N",
                   help="request worker threads (1-64, default 4)")
    p.add_argument("--per-client", type=int, choices=range(0, 1025), default=LIMITS["per_client"], metavar="N",
                   help=f"connections one address may hold open (default {LIMITS['per_client']}; 0 = no cap, "
                        "only behind a reverse proxy that limits them itself)")
    p.add_argument("--public-rate", type=public_number(0.1, 1000.0), default=PUBLIC_RATE, metavar="R",
                   help=f"requests per second one address may make to the public pages after its burst "
                        f"(default {PUBLIC_RATE:g}; docs/central.md)")
    p.add_argument("--public-burst", type=public_number(1, 100_000, int), default=PUBLIC_BURST, metavar="N",
                   help=f"requests one address may make at once to the public pages (default {PUBLIC_BURST})")
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"], default="info")
    p.add_argument("--secure-cookies", action="store_true",
                   help="mark the staff pages' cookies Secure (behind a reverse proxy that serves https; "
                        "over https directly they are Secure anyway)")
    p.add_argument("--pull-every", type=logpull.every_seconds, metavar="S",
                   help="also pull the kiosks' ticket logs every S seconds (see `kiosk-central pull`)")
    p.set_defaults(func=cmd_serve)

    tokens = sub.add_parser("tokens", help="manage bearer tokens").add_subparsers(
        dest="tokens_command", required=True, metavar="ACTION")
    p = tokens.add_parser("add", parents=[common], help="create a token and print it (only the token, on stdout)",
                          description="Create a token for a kiosk (or a counter) and print it once.")
    p.add_argument("subject", metavar="KIOSK_ID", help="kiosk id (or counter name with --role counter, the "
                                                       "reader's name with --role log)")
    p.add_argument("--role", choices=ROLES, default="kiosk",
                   help="kiosk (default), counter, or log (reads this server's ticket log, GET /api/v1/tickets: "
                        "give it to the national server that pulls this office)")
    p.add_argument("--office", help="bind the token to this office (a kiosk files tickets there, a counter calls "
                                    "only there, a log token reads only its tickets); otherwise a kiosk keeps the first office it reports and a "
                                    "counter may call in any office")
    p.set_defaults(func=cmd_tokens_add)
    p = tokens.add_parser("list", parents=[common], help="list tokens (never the secrets)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_tokens_list)
    p = tokens.add_parser("revoke", parents=[common], help="revoke a token by its id")
    p.add_argument("token_id", metavar="TOKEN_ID", help="the part of the token before the dot")
    p.set_defaults(func=cmd_tokens_revoke)

    catalogue = sub.add_parser("catalogue", help="install or show an office's service catalogue").add_subparsers(
        dest="catalogue_command", required=True, metavar="ACTION")
    p = catalogue.add_parser("set", parents=[common], help="install FILE as OFFICE's catalogue; prints its ETag",
                             description="Store FILE (TOML, '-' for stdin) as served to kiosks. The kiosks "
                                         "validate it by their own rules and keep their running catalogue "
                                         "if it is invalid.")
    p.add_argument("office", metavar="OFFICE")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_catalogue_set)
    p = catalogue.add_parser("show", parents=[common], help="print OFFICE's catalogue as served")
    p.add_argument("office", metavar="OFFICE")
    p.set_defaults(func=cmd_catalogue_show)

    p = sub.add_parser("export", parents=[common], help="print the tickets held, one JSON object per line",
                       description="Tickets in the order received; `central` holds the server's own fields.")
    p.add_argument("--office", help="only this office")
    p.add_argument("--kiosk", help="only this kiosk")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("call-next", parents=[common], help="call the next waiting ticket at a counter",
                       description="Finish the counter's current ticket and call the next one for PREFIX. "
                                   "Prints its number; exit 3 if no one is waiting.")
    p.add_argument("office", metavar="OFFICE")
    p.add_argument("prefix", metavar="PREFIX")
    p.add_argument("--counter", default="1", help="counter name (default 1)")
    p.add_argument("--json", action="store_true", help="print the whole ticket as JSON")
    p.set_defaults(func=cmd_call_next)

    p = sub.add_parser("queue", parents=[common], help="show waiting and average service time per service")
    p.add_argument("office", metavar="OFFICE")
    p.add_argument("--service-day", help="YYYY-MM-DD (default: the latest day with tickets)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_queue)

    p = sub.add_parser("kiosks", parents=[common], help="list kiosks with their last heartbeat")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_kiosks)

    p = sub.add_parser("quarantine", parents=[common],
                       help="list kiosks holding events this server refused for good (from their heartbeats)")
    p.add_argument("--office", help="only this office's kiosks")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_quarantine)

    p = sub.add_parser("ikm", parents=[common], help="the survey index (IKM, PermenPAN-RB 14/2017) of an office",
                       description="The IKM of OFFICE's survey responses answered FROM..TO (both included), "
                                   "overall and per group; exit 3 when there are no responses in the range.")
    p.add_argument("office", metavar="OFFICE")
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day (default: 1 January this year)")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day (default: today)")
    p.add_argument("--by", choices=survey.GROUPINGS, help="one row per service, day, month, quarter or year")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="CSV for a spreadsheet: NRR per element, IKM, band")
    out.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ikm)
    logpull.register(sub, common, CliError, open_db)
    bookings_cli.register(sub, common, CliError, open_db)
    staff_cli.register(sub, common, CliError, open_db)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CliError as err:
        print(f"kiosk-central: {err}", file=sys.stderr)
        return err.code
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
