"""`kiosk checkin CODE`: what the touchscreen does with a scanned M-Paspor code, headless (for
technicians and tests): the lookup, and with --print the check-in and its ticket."""

from __future__ import annotations

import sys

from .. import locale
from .common import EXIT_NOT_PRINTED, EXIT_OK, EXIT_REFUSED, Context, emit_json


def register(sub) -> None:
    p = sub.add_parser(
        "checkin",
        help="look an M-Paspor booking code up; with --print check it in (exit 0 ok, 3 not printed, 4 refused)",
        description="The booking lookup the touchscreen makes for a scanned code (no network); with --print "
                    "also the check-in and its ticket, exactly as the touchscreen would.",
    )
    p.add_argument("code", metavar="CODE")
    p.add_argument("--print", dest="do_print", action="store_true", help="check in and print the ticket")
    p.add_argument("--reprint", action="store_true", help="reprint the number this booking got here today")
    p.add_argument("--json", action="store_true")
    p.add_argument("--lang", choices=locale.LANGS, default="en", help="language of the messages (default en)")
    p.set_defaults(func=checkin)


def checkin(ctx: Context, args) -> int:
    from ..lobby import open_lobby

    lobby = open_lobby(ctx.config)
    try:
        if args.reprint:
            report = lobby.reprint_booking(args.code)
            if args.json:
                emit_json({"ok": report.ok, "number": report.number, "state": report.state, "key": report.key,
                           "message": report.text(args.lang)})
            else:
                print(report.text(args.lang), file=sys.stdout if report.ok else sys.stderr)
            return EXIT_OK if report.ok else EXIT_REFUSED
        found = lobby.find_booking(args.code)
        if not args.do_print or not found.may_check_in:
            if args.json:
                emit_json({"outcome": found.outcome, "code": found.code, "service": found.service,
                           "slot": found.slot.isoformat() if found.slot else None, "masked_name": found.masked_name,
                           "ticket_number": found.ticket_number, "reprints_left": found.reprints_left,
                           "come_back_at": found.come_back_at.isoformat() if found.come_back_at else None,
                           "walk_in_services": list(found.walk_in_services),
                           "message": found.refusal.text(args.lang) if found.refusal else None})
            else:
                slot = f" {found.slot:%Y-%m-%d %H:%M}" if found.slot else ""
                print(f"{found.outcome}  {found.code}  {found.service or '-'}{slot}  {found.masked_name or ''}".rstrip())
                if found.refusal:
                    print(found.refusal.text(args.lang))
            return EXIT_OK if found.may_check_in or not args.do_print else EXIT_REFUSED
        result = lobby.check_in_and_print(args.code)
        message = result.message_en if args.lang == "en" else result.message_id
        if args.json:
            emit_json({"issued": result.issued, "code": result.code, "number": result.number,
                       "print_state": result.print_state, "message": message})
        elif result.issued:
            print(f"{result.number}  {result.service}  {result.print_state}"
                  + ("  UNVERIFIED" if result.booking and result.booking.outcome == "unverified" else ""))
        else:
            print(f"refused: {message} ({result.code})", file=sys.stderr)
        if not result.issued:
            return EXIT_REFUSED
        return EXIT_OK if result.printed else EXIT_NOT_PRINTED
    finally:
        lobby.printing.close()
        lobby.store.close()
