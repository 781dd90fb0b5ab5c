"""`kiosk day reset --to YYYY-MM-DD`: bring the service day back after a clock that ran ahead.

The stored service day never moves backwards on its own (kiosk/numbering.py): a new database first
started with the clock far in the future keeps that day until the real date catches up. A
technician who has fixed the clock sets it back here. Refused while tickets exist on days after
the target: they were issued under the wrong clock, the central server files them under that day,
and when that day really comes its numbers continue after them and its quotas count them; the
technician must know how many before going on (--force shows the count). The reset is an outbox
event (kind kiosk.day_reset) that the agent delivers like a ticket's, so the central server keeps
who moved the day, from what, to what.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from .. import state_keys
from .common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, CommandError, Context, emit_json
from .ops_cmd import who

EVENT_KIND = "kiosk.day_reset"


def register(sub) -> None:
    p = sub.add_parser("day", help="the service day tickets are numbered in: reset it after a wrong clock")
    dsub = p.add_subparsers(dest="day_command", required=True, metavar="ACTION")
    r = dsub.add_parser(
        "reset", help="set the service day back to YYYY-MM-DD (refused while later tickets exist, unless --force)",
        description="Set the stored service day to DAY, e.g. after the kiosk first ran with its clock far ahead. "
        "Refused while tickets exist on service days after DAY unless --force. Logged as a kiosk.day_reset "
        "event for the central server.",
        epilog="exit codes: 0 reset (or already DAY), 1 refused (later tickets exist), 2 bad DAY")
    r.add_argument("--to", required=True, metavar="YYYY-MM-DD", help="the service day to number in from now on")
    r.add_argument("--force", action="store_true", help="reset even though tickets exist on later days")
    r.add_argument("--by", metavar="NAME", help="who (default: the user running the command)")
    r.add_argument("--json", action="store_true", help="print the outcome as JSON")
    r.set_defaults(func=reset)


def reset(ctx: Context, args) -> int:
    from ..issuer import Issuer

    try:
        target = date.fromisoformat(args.to)
    except ValueError:
        raise CommandError(f"--to {args.to!r}: expected a date YYYY-MM-DD, e.g. 2026-11-29", EXIT_USAGE) from None
    day = target.isoformat()
    at = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    by = who(args.by)
    with ctx.open_store() as store:
        with store.transaction():
            before = store.get_state(state_keys.SERVICE_DAY)
            later, first, last = store.tickets_after(day)
            outcome = {"from": before, "to": day, "by": by, "at": at, "tickets_after": later, "forced": False}
            if later and not args.force:
                span = first if first == last else f"{first} to {last}"
                raise CommandError(
                    f"refused: {later} ticket(s) exist on service days after {day} ({span}); "
                    f"`kiosk tickets --day {first}` lists them. Resetting to {day} anyway: add --force "
                    f"(the {later} ticket(s) stay as they are)", EXIT_FAIL)
            if before == day:
                outcome["event_id"] = None
            else:
                outcome["forced"] = bool(later)
                store.set_state(state_keys.SERVICE_DAY, day)
                outcome["event_id"] = store.add_kiosk_event(
                    EVENT_KIND, ctx.config.kiosk.id, {k: outcome[k] for k in ("from", "to", "by", "tickets_after", "forced")}, at)
        now_day = Issuer(ctx.config, store).service_day().isoformat()
    outcome["service_day_now"] = now_day
    if args.json:
        emit_json(outcome)
        return EXIT_OK
    if outcome["event_id"] is None:
        print(f"The service day is already {day}: nothing changed.")
        return EXIT_OK
    forced = f" ({later} ticket(s) on later days kept, --force)" if later else ""
    print(f"Service day reset from {before or 'none'} to {day} by {by}{forced}; "
          f"tickets are now numbered on {now_day}. The central server gets a kiosk.day_reset event with the next sync.")
    return EXIT_OK
