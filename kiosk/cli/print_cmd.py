"""`kiosk print slip SERVICE` / `kiosk print ticket NUMBER`: what the touchscreen prints, from a shell.

Staff and technicians print a requirements slip or reprint today's ticket without the touchscreen,
through the same Lobby calls the screens use. Exit codes as `kiosk issue`: 0 printed, 3 not printed
(the reason on stderr), 4 refused (no such service, no such ticket today).
"""

from __future__ import annotations

import sys

from .common import EXIT_NOT_PRINTED, EXIT_OK, EXIT_REFUSED, Context, emit_json


def register(sub) -> None:
    p = sub.add_parser("print", help="print a requirements slip or reprint a ticket (exit 0 printed, 3 not printed, 4 refused)")
    psub = p.add_subparsers(dest="print_command", required=True, metavar="JOB")
    s = psub.add_parser("slip", help="print the requirements slip of SERVICE")
    s.add_argument("service", metavar="SERVICE", help="the service's prefix letter (A) or its key")
    s.add_argument("--json", action="store_true", help="print the outcome as JSON")
    s.set_defaults(func=slip)
    t = psub.add_parser("ticket", help="reprint today's ticket NUMBER (e.g. A001)")
    t.add_argument("number", metavar="NUMBER")
    t.add_argument("--json", action="store_true", help="print the outcome as JSON")
    t.set_defaults(func=ticket)


def _lobby(ctx: Context, store):
    from ..lobby import Lobby

    return Lobby(ctx.config, store)


def _report(args, job: str, report, **extra) -> int:
    if args.json:
        emit_json({"job": job, "printed": report.ok, "printer_state": report.state, "reason": report.reason or None, **extra})
    else:
        print(f"{job}: {'printed' if report.ok else 'not printed'}  ({report.message_en})")
    if not report.ok:
        print(f"not printed: {report.reason or report.state}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_NOT_PRINTED


def _refused(args, code: str, message: str) -> int:
    if args.json:
        emit_json({"refused": True, "code": code, "message_en": message})
    print(f"refused: {message} ({code})", file=sys.stderr)
    return EXIT_REFUSED


def slip(ctx: Context, args) -> int:
    service = ctx.config.catalogue.find(args.service)
    if service is None:
        known = ", ".join(s.prefix for s in ctx.config.catalogue.services)
        return _refused(args, "unknown_service", f"Unknown service: {args.service} (known: {known})")
    with ctx.open_store() as store:
        lobby = _lobby(ctx, store)
        try:
            report = lobby.print_requirements(service.key)
        finally:
            lobby.printing.close()
    return _report(args, f"slip {service.prefix}", report, service=service.key)


def ticket(ctx: Context, args) -> int:
    with ctx.open_store() as store:
        lobby = _lobby(ctx, store)
        try:
            day = lobby.issuer.service_day().isoformat()
            if store.ticket_by_number(args.number.strip().upper(), day) is None:
                return _refused(args, "no_ticket", f"No ticket {args.number} today ({day})")
            report = lobby.reprint(args.number)
            after = store.ticket_by_number(args.number.strip().upper(), day)
        finally:
            lobby.printing.close()
    return _report(args, f"ticket {report.number}", report, print_state=after.print_state, reprints=after.reprints)
