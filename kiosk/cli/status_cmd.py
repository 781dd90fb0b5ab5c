"""`kiosk status`: what a technician asks first, read from the store without touching devices."""

from __future__ import annotations

from .. import __version__, state_keys
from .common import Context, emit_json


def register(sub) -> None:
    p = sub.add_parser("status", help="kiosk id, service day, clock trust, tickets today, outbox, database")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=status)


def collect(ctx: Context) -> dict:
    from ..agent.backlog import backlog_level, backlog_reasons
    from ..agent.quarantine import quarantine_summary
    from ..checkin.listing import held_summary
    from ..issuer import Issuer

    cfg = ctx.config
    with ctx.open_store() as store:
        issuer = Issuer(cfg, store)
        now = issuer.clock.now()
        day = issuer.service_day(now).isoformat()
        stats = store.outbox_stats()
        age = stats.oldest_age_seconds(now)
        return {
            "kiosk_id": cfg.kiosk.id,
            "office_code": cfg.kiosk.office_code,
            "version": __version__,
            "config": str(cfg.path),
            "service_day": day,
            "clock": {
                "now": now.astimezone(issuer.tz).isoformat(timespec="seconds"),
                "trusted": issuer.trusted(),
                "ntp_synchronized": issuer.clock.synchronized(),
                "server_check": store.get_state(state_keys.SERVER_CLOCK),
            },
            "locked": issuer.locked() is not None,
            "lock": store.get_state(state_keys.LOCK),
            "tickets_today": store.counts_by_service(day),
            "outbox": {
                "depth": stats.depth,
                "oldest_age_seconds": None if age is None else round(age, 1),
                "delivered": stats.delivered,
                "backlog": backlog_level(stats, cfg, now),
                "backlog_reasons": backlog_reasons(stats, cfg, now),
                "quarantined": stats.quarantined,
            },
            "quarantine": quarantine_summary(store),
            "printer": store.get_state(state_keys.PRINTER),
            "database": {"path": str(store.path), "size_bytes": store.size_bytes(), "schema_version": store.schema_version()},
            "central": cfg.central.url or None,
            "agent": store.states("agent."),  # every key the sync agent writes (kiosk/agent/state.py)
            "bookings": held_summary(store, day),
        }



def status(ctx: Context, args) -> int:
    info = collect(ctx)
    if args.json:
        emit_json(info)
        return 0
    clock = info["clock"]
    out = info["outbox"]
    print(f"Kiosk        {info['kiosk_id']} ({info['office_code']}), version {info['version']}")
    print(f"Config       {info['config']}")
    lock = info["lock"] if isinstance(info["lock"], dict) else {}
    # "central:user:NAME" when a supervisor locked it from the report page (docs/central.md).
    locked = f"  LOCKED by {lock.get('by') or 'staff'}" + (f" ({lock['reason']})" if lock.get("reason") else "")
    print(f"Service day  {info['service_day']}{locked if info['locked'] else ''}")
    print(f"Clock        {clock['now']}  {'trusted' if clock['trusted'] else 'NOT trusted (no NTP sync, no recent server check)'}")
    printer = info["printer"] or {}
    print(f"Printer      {printer.get('state', 'unknown')}  {printer.get('detail', '')}".rstrip())
    if info["tickets_today"]:
        for service, counts in info["tickets_today"].items():
            print(f"  {service:<28} {counts['total']:>4} issued, {counts['priority']} priority, {counts['print_failed']} print failed")
    else:
        print("  no tickets yet today")
    age = "-" if out["oldest_age_seconds"] is None else f"{out['oldest_age_seconds']:.0f} s"
    print(f"Outbox       {out['depth']} pending (oldest {age}), {out['delivered']} delivered; central: {info['central'] or 'standalone'}")
    for reason in out["backlog_reasons"]:
        print(f"  WARNING backlog: {reason}; nothing is dropped, check the network and `kiosk sync now`")
    print_quarantine(info["quarantine"])
    b = info["bookings"]
    print(f"Bookings     {b['held']} held (list of {b['fetched_at'] or 'never'}); today {b['checked_in_here']} checked in "
          f"here ({b['unverified_here']} unverified), {b['checked_in_elsewhere']} at other kiosks"
          + (f"; list refused: {b['error']}" if b["error"] else ""))
    agent = info["agent"]
    sync, error, run = agent.get("last_sync") or {}, agent.get("last_error") or {}, agent.get("status") or {}
    print(f"Agent        {run.get('state', 'never ran')}; last sync {sync.get('at', 'never')}"
          + (f"; last error {error.get('at')}: {error.get('error')}" if error else ""))
    db = info["database"]
    print(f"Database     {db['path']}  {db['size_bytes'] / 1e6:.1f} MB  schema v{db['schema_version']}")
    return 0


def print_quarantine(quarantine: dict) -> None:
    if not quarantine["count"]:
        print("Quarantine   none")
        return
    oldest = quarantine["events"][0]
    print(f"Quarantine   {quarantine['count']} event(s) refused for good by the central server, kept but not sent "
          f"(oldest: {oldest['kind']} {oldest['number'] or oldest['ticket_id']}: {oldest['reason']})")
    print("  FAIL fix the cause, then `kiosk sync quarantine list` and `kiosk sync quarantine retry --all`")
