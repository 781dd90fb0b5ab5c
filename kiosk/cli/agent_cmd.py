"""`kiosk agent` (the long-running sync process) and `kiosk sync now` (one pass, for people)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING

from shared.logsetup import setup_logging

from .common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, CommandError, Context, emit_json

if TYPE_CHECKING:
    from ..agent.client import CentralClient

LOG_LEVELS = ("debug", "info", "warning", "error")
log = logging.getLogger("kiosk.agent")


def register(sub) -> None:
    p = sub.add_parser(
        "agent",
        help="run the sync agent until SIGTERM: push the outbox, pull catalogue/queue/time, heartbeat",
        description="Runs beside the UI and shares its database; either works while the other is down. "
                    "Logs one event per line to stderr. Exit codes: 0 stopped by SIGTERM/Ctrl-C, "
                    "1 database failure, 2 configuration error (e.g. central.url not set).",
    )
    p.add_argument("--log-level", choices=LOG_LEVELS, default="info")
    p.set_defaults(func=run_agent)

    sync = sub.add_parser("sync", help="sync with the central server now (see `kiosk sync now --help`)")
    actions = sync.add_subparsers(dest="sync_command", required=True, metavar="ACTION")
    now = actions.add_parser(
        "now",
        help="push every pending event once, then pull and send a heartbeat",
        description="Exit codes: 0 the outbox is empty, 1 events are still pending (the reason is "
                    "printed), 2 configuration error. Safe to run while `kiosk agent` runs: the "
                    "server stores each event once.",
    )
    now.add_argument("--push-only", action="store_true", help="skip the catalogue/queue pull and the heartbeat")
    now.add_argument("--json", action="store_true", help="print the outcome as JSON")
    now.add_argument("--log-level", choices=LOG_LEVELS, default="warning")
    now.set_defaults(func=sync_now)
    _register_quarantine(actions)


def _register_quarantine(actions) -> None:
    quarantine = actions.add_parser(
        "quarantine",
        help="events the central server refused for good, set aside so later ones flow",
        description="An event the server refuses `central.quarantine_after_rejections` times is quarantined: "
                    "kept in the outbox, no longer sent (docs/sync.md). Read why, fix the cause on the server "
                    "or in the configuration, then queue it again with `retry`.",
    )
    what = quarantine.add_subparsers(dest="quarantine_command", required=True, metavar="ACTION")
    p = what.add_parser("list", help="the quarantined events, oldest first, with the server's reason",
                        description="Exit codes: 0 (also when none are quarantined), 2 configuration error.")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=quarantine_list)
    p = what.add_parser(
        "retry", help="queue quarantined events again (the agent sends them at once, oldest first)",
        description="Each ID is an outbox seq or an event id, as `kiosk sync quarantine list` shows. A released "
                    "event gets a fresh count of rejections; if the server still refuses it, it is quarantined "
                    "again. Exit codes: 0 released, 1 an ID is not quarantined (nothing released), "
                    "2 usage or configuration error.",
    )
    p.add_argument("ids", nargs="*", metavar="ID", help="outbox seq or event id")
    p.add_argument("--all", action="store_true", help="every quarantined event")
    p.add_argument("--json", action="store_true", help="print the released events as JSON")
    p.set_defaults(func=quarantine_retry)


def _client(ctx: Context) -> CentralClient:
    # Imported here, not at the top: every `kiosk` command registers this module, and requests
    # with the agent's loop would add 0.2 s to each (a third of `kiosk export`'s time, bench/export.py).
    from ..agent.client import CentralClient, CentralError

    try:
        return CentralClient(ctx.config.central)
    except CentralError as e:
        raise CommandError(str(e), EXIT_USAGE) from None


def _start_log_api(config):
    """The ticket-log API runs in this process too; sync goes on even if it cannot start."""
    if not config.agent.log_token_file:
        log.info("log API off: agent.log_token_file is not set")
        return None
    from ..logapi import LogApiError, start_server

    try:
        server = start_server(config)
    except LogApiError as e:
        log.error("log API not started: %s", e)
        return None
    return server


class _Shutdown(BaseException):
    """Raised by the signal handler to abandon a request in flight (a black-holed server would
    otherwise hold the stop for a whole read timeout). Nothing is lost: no transaction is open
    during a request, and an event is marked delivered only after its reply was read."""


def _lower_cpu_priority(agent) -> None:
    """Before any thread starts (threads inherit it). SCHED_IDLE rather than a nice value: the
    scheduler lets a waking task of the normal policy take the core from an idle-policy one at
    once, where a niced task may finish its slice first (bench/sync.py measured the difference;
    docs/sync.md)."""
    if agent.cpu_policy == "idle":
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return
        except (OSError, AttributeError) as err:
            log.warning("cannot take the idle CPU policy (%s); lowering the priority by agent.nice = %d instead",
                        err, agent.nice)
    if agent.nice:
        os.nice(agent.nice)


def run_agent(ctx: Context, args) -> int:
    setup_logging(args.log_level)
    client = _client(ctx)
    stop = threading.Event()

    def on_signal(*_):
        stop.set()
        if client.busy:
            raise _Shutdown()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    log_api = None
    _lower_cpu_priority(ctx.config.agent)
    try:
        with ctx.open_store() as store:
            store.relax_durability()
            from ..agent.loop import Agent

            log_api = _start_log_api(ctx.config)
            Agent(ctx.config, store, client, stop=stop).run()
    except _Shutdown:
        log.info("agent stopped during a request to the central server; what it carried stays pending")
    finally:
        if log_api is not None:
            log_api.stop()
        client.close()
    return EXIT_OK


def sync_now(ctx: Context, args) -> int:
    setup_logging(args.log_level)
    client = _client(ctx)
    try:
        from ..agent.loop import Agent

        with ctx.open_store() as store:
            report = Agent(ctx.config, store, client).sync_once(pull=not args.push_only)
    except KeyboardInterrupt:
        raise CommandError("interrupted; pending events stay in the outbox", EXIT_FAIL) from None
    finally:
        client.close()
    if args.json:
        emit_json({"delivered": report.delivered, "pending": report.pending, "quarantined": report.quarantined,
                   "error": report.error, **report.pulls})
    else:
        print(f"delivered {report.delivered} events; {report.pending} pending", end="")
        if report.quarantined:
            print(f"; {report.quarantined} quarantined", end="")
        print(f" (backlog {report.pulls['backlog']})" if report.pending else
              "" if report.quarantined else "; outbox empty")
        for key in ("catalogue", "queue", "heartbeat"):
            if key in report.pulls:
                print(f"{key}: {report.pulls[key]}")
    if report.pending or report.quarantined:
        print(f"not synced: {report.error}", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


def quarantine_list(ctx: Context, args) -> int:
    with ctx.open_store() as store:
        from ..agent.quarantine import describe

        events = [describe(e) for e in store.quarantined_events()]
    if args.json:
        emit_json({"count": len(events), "events": events})
        return EXIT_OK
    if not events:
        print("no quarantined events")
        return EXIT_OK
    print(f"{len(events)} quarantined event(s): kept, not sent; fix the cause, then "
          "`kiosk sync quarantine retry ID` (or --all)")
    for e in events:
        print(f"  {e['seq']:>7}  {e['event_id']}  {e['kind']:<20} {e['number'] or '-':<6} {e['service_day'] or ''}  "
              f"quarantined {e['quarantined_at']} after {e['rejections']} refusals")
        print(f"           reason: {e['reason']}")
    return EXIT_OK


def quarantine_retry(ctx: Context, args) -> int:
    from ..agent.quarantine import describe

    if bool(args.ids) == bool(args.all):
        raise CommandError("name the events to retry (ID ...) or give --all, not both", EXIT_USAGE)
    with ctx.open_store() as store:
        if args.all:
            released = store.release_quarantined()
        else:
            held = {ref for e in store.quarantined_events() for ref in (str(e.seq), e.event_id)}
            unknown = [ref for ref in args.ids if ref not in held]
            if unknown:
                raise CommandError(f"not quarantined: {', '.join(unknown)} (see `kiosk sync quarantine list`); "
                                   "nothing released", EXIT_FAIL)
            released = store.release_quarantined(args.ids)
    if args.json:
        emit_json({"released": [describe(e) for e in released]})
    else:
        print(f"released {len(released)} event(s); the agent sends them within a second "
              "(or run `kiosk sync now`)")
        for e in released:
            print(f"  {e.seq:>7}  {e.event_id}  {e.kind}")
    return EXIT_OK
