"""`kiosk print slip SERVICE` / `kiosk print ticket NUMBER`: what the touchscreen prints, from a shell.

Staff and technicians print a requirements slip or reprint today's ticket without the touchscreen,
through the same Lobby calls the screens use. Exit codes as `kiosk issue`: 0 printed, 3 not printed
(the reason on stderr), 4 refused (no such service, no such ticket today). What a person reads is
the report's message key rendered through the touchscreen's gettext catalogue (kiosk/locale) in
`--lang`; `--json` carries the key and the text in every language.
"""

from __future__ import annotations

import sys

from .. import locale
from .common import EXIT_NOT_PRINTED, EXIT_OK, EXIT_REFUSED, Context, emit_json


def register(sub) -> None:
    p = sub.add_parser("print", help="print a requirements slip or reprint a ticket (exit 0 printed, 3 not printed, 4 refused)")
    psub = p.add_subparsers(dest="print_command", required=True, metavar="JOB")
    s = psub.add_parser("slip", help="print the requirements slip of SERVICE")
    s.add_argument("service", metavar="SERVICE", help="the service's prefix letter (A) or its key")
    s.add_argument("--json", action="store_true", help="print the outcome as JSON")
    _lang_option(s, slip=True)
    s.set_defaults(func=slip)
    t = psub.add_parser("ticket", help="reprint today's ticket NUMBER (e.g. A001)")
    t.add_argument("number", metavar="NUMBER")
    t.add_argument("--json", action="store_true", help="print the outcome as JSON")
    _lang_option(t)
    t.set_defaults(func=ticket)


def _lang_option(parser, slip: bool = False) -> None:
    if slip:
        parser.add_argument("--lang", choices=locale.LANGS, default=None,
                            help="the applicant's language: a printer without Font B prints the slip in it alone "
                                 "(default: the kiosk's first ui.languages); also the message's (default en)")
        return
    parser.add_argument("--lang", choices=locale.LANGS, default="en",
                        help="language of the message (the touchscreen's catalogue, kiosk/locale; default en)")


def _lobby(ctx: Context, store):
    from ..lobby import Lobby

    return Lobby(ctx.config, store)


def _report(args, job: str, report, **extra) -> int:
    if args.json:
        emit_json({"job": job, "printed": report.ok, "printer_state": report.state, "reason": report.reason or None,
                   "key": report.key, "messages": {lang: report.text(lang) for lang in locale.LANGS}, **extra})
    else:
        print(f"{job}: {'printed' if report.ok else 'not printed'}  ({report.text(args.lang or 'en')})")
    if not report.ok:
        print(f"not printed: {report.reason or report.state}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_NOT_PRINTED


def _refused(args, code: str, key: str, params: dict, detail: str = "") -> int:
    messages = {lang: locale.t(lang, key, **params) for lang in locale.LANGS}
    if args.json:
        emit_json({"refused": True, "code": code, "key": key, "messages": messages})
    print(f"refused: {messages[args.lang or 'en']} ({code}{'; ' + detail if detail else ''})", file=sys.stderr)
    return EXIT_REFUSED


def slip(ctx: Context, args) -> int:
    service = ctx.config.catalogue.find(args.service)
    if service is None:
        known = ", ".join(s.prefix for s in ctx.config.catalogue.services)
        return _refused(args, "unknown_service", "error.unknown_service", {}, f"{args.service!r}; known: {known}")
    with ctx.open_store() as store:
        lobby = _lobby(ctx, store)
        try:
            report = lobby.print_requirements(service.key, args.lang)
        finally:
            lobby.printing.close()
    return _report(args, f"slip {service.prefix}", report, service=service.key)


def ticket(ctx: Context, args) -> int:
    with ctx.open_store() as store:
        lobby = _lobby(ctx, store)
        try:
            day = lobby.issuer.service_day().isoformat()
            if store.ticket_by_number(args.number.strip().upper(), day) is None:
                return _refused(args, "no_ticket", "staff.no_ticket", {"number": args.number}, day)
            report = lobby.reprint(args.number)
            after = store.ticket_by_number(args.number.strip().upper(), day)
        finally:
            lobby.printing.close()
    return _report(args, f"ticket {report.number}", report, print_state=after.print_state, reprints=after.reprints)
