"""`kiosk issue SERVICE`: issue (and print) one ticket without the touchscreen."""

from __future__ import annotations

import sys

from .. import locale
from .common import EXIT_NOT_PRINTED, EXIT_OK, EXIT_REFUSED, Context, emit_json


def register(sub) -> None:
    p = sub.add_parser(
        "issue",
        help="issue one ticket (exit 0 issued and printed, 3 issued but not printed, 4 refused)",
        description="Issue one queue ticket headless, for technicians, tests and benchmarks.",
    )
    p.add_argument("service", metavar="SERVICE", help="the service's prefix letter (A) or its key")
    p.add_argument("--priority", metavar="GROUP", help="priority group key (e.g. lansia)")
    p.add_argument("--no-print", action="store_true", help="issue only; leave the ticket pending")
    p.add_argument("--json", action="store_true", help="print the ticket as JSON")
    p.add_argument("--lang", choices=locale.LANGS, default="en",
                   help="language of a refusal message (the touchscreen's catalogue, kiosk/locale; default en)")
    p.set_defaults(func=issue)


def ticket_json(ticket, public_url: str = "") -> dict:
    """`public_url`: central.public_url; with it (and a ticket token) the ticket's page address."""
    public_url = public_url.rstrip("/")
    return {
        "id": ticket.id,
        "number": ticket.number,
        "service": ticket.service,
        "priority": ticket.priority,
        "service_day": ticket.service_day,
        "issued_at": ticket.issued_at,
        "print_state": ticket.print_state,
        "clock_trusted": ticket.clock_trusted,
        "page_url": f"{public_url}/t/{ticket.token}" if public_url and ticket.token else None,
    }


def issue(ctx: Context, args) -> int:
    from ..issuer import Issuer, Refused

    cfg = ctx.config
    with ctx.open_store() as store:
        try:
            ticket = Issuer(cfg, store).issue(args.service, args.priority)
        except Refused as e:
            r = e.refusal
            if args.json:
                emit_json({"refused": True, "code": r.code, "key": r.key,
                           "messages": {lang: r.text(lang) for lang in locale.LANGS}})
            print(f"refused: {r.text(args.lang)} ({r.code})", file=sys.stderr)
            return EXIT_REFUSED
        code, reason = EXIT_OK, ""
        if not args.no_print:
            from ..printing import TicketPrinting

            printing = TicketPrinting(cfg)
            try:
                outcome = printing.print_ticket(store, ticket)
            finally:
                printing.close()
            ticket = store.ticket(ticket.id)
            if not outcome.delivered:
                code, reason = EXIT_NOT_PRINTED, outcome.reason or outcome.state
        if args.json:
            emit_json({**ticket_json(ticket, cfg.central.public_url), "print_error": reason or None})
        else:
            print(f"{ticket.number}  {ticket.service}  {ticket.service_day}  {ticket.print_state}")
        if reason:
            print(f"not printed: {reason}", file=sys.stderr)
        return code
