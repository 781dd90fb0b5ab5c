"""Technician commands: `kiosk provision`, `kiosk doctor`, `kiosk lock`, `kiosk unlock`."""

from __future__ import annotations

import getpass
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from .. import state_keys
from ..config.loader import SYSTEM_CONFIG
from .common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, CommandError, Context, emit_json

PROVISION_HELP = """Check every option first; only then write kiosk.toml, central.token, log.token (all 0600)
and, if missing, services.toml into the config folder, each by temp file + rename. Running it
again with the same options changes nothing. Writes /etc/kiosk/kiosk.toml unless the global
--config PATH (before the command) or $KIOSK_CONFIG names another file.

exit codes: 0 provisioned (or nothing to change), 1 written but --register or --test-print
failed, 2 invalid input (nothing written)"""


def register(sub) -> None:
    p = sub.add_parser("provision", help="write this kiosk's configuration and secrets (validated, atomic, idempotent)",
                       description=PROVISION_HELP, formatter_class=_raw())
    p.add_argument("--kiosk-id", required=True, metavar="ID", help="this kiosk's id, e.g. blitar-lobby-1")
    p.add_argument("--office", required=True, metavar="CODE", help="the office code, e.g. BLITAR")
    p.add_argument("--office-name", metavar="NAME", help="printed on tickets (required the first time)")
    p.add_argument("--server", required=True, metavar="URL", help="the central server's URL ('' for a standalone kiosk)")
    p.add_argument("--insecure", action="store_true",
                   help="allow a plain http:// --server on a public address (the token travels in clear)")
    p.add_argument("--token-file", default="", metavar="FILE", help="file holding the kiosk's token from `kiosk-central tokens add`")
    p.add_argument("--printer", required=True, metavar="DEVICE", help="e.g. usb:04b8:0e15, serial:/dev/ttyUSB0@19200, tcp:192.168.1.50")
    p.add_argument("--number-block", required=True, metavar="FROM-TO", help="this kiosk's ticket numbers, e.g. 1-499")
    p.add_argument("--data-dir", metavar="DIR", help="where the database lives (default /var/lib/kiosk, or as configured)")
    p.add_argument("--listen", metavar="HOST:PORT", help="log API address (default 127.0.0.1:8470; 0.0.0.0:8470 for pulls over the LAN)")
    p.add_argument("--rotation", type=int, metavar="DEG",
                   help="[ui] rotation for the way the display is mounted: 0, 90, 180 or 270 (default: as configured)")
    p.add_argument("--set-pin", action="store_true", help="ask for the staff PIN twice (stdin lines when not a terminal)")
    p.add_argument("--register", action="store_true", help="then introduce the kiosk to the central server (checks TLS and token)")
    p.add_argument("--test-print", action="store_true", help="then print a test page")
    p.set_defaults(func=provision)

    lock = sub.add_parser("lock", help="close the kiosk: the touchscreen shows the closed screen, no tickets are issued")
    lock.add_argument("--reason", default="", metavar="TEXT", help="why (shown in `kiosk status`)")
    lock.add_argument("--by", metavar="NAME", help="who (default: the user running the command)")
    lock.add_argument("--json", action="store_true", help="print the lock state as JSON")
    lock.set_defaults(func=lock_kiosk, locked=True)
    unlock = sub.add_parser("unlock", help="reopen the kiosk after `kiosk lock`")
    unlock.add_argument("--by", metavar="NAME", help="who (default: the user running the command)")
    unlock.add_argument("--json", action="store_true", help="print the lock state as JSON")
    unlock.set_defaults(func=lock_kiosk, locked=False, reason="")

    doctor = sub.add_parser("doctor", help="check config, database, disk, clock, printer, server, units, display (exit 1 on any FAIL)",
                            description="Run every health check, each with its own timeout, and say how to fix what fails.",
                            epilog="exit codes: 0 no FAIL (WARNs allowed), 1 at least one FAIL")
    doctor.add_argument("--json", action="store_true", help="one JSON object: {ok, checks: [{name, status, detail, fix}]}")
    doctor.add_argument("--user", metavar="NAME", help="the account the kiosk units run as (default: kiosk if it exists)")
    doctor.add_argument("--timeout", type=float, default=5.0, metavar="S", help="seconds allowed per check (default 5)")
    doctor.set_defaults(func=doctor_cmd)


def _raw():
    import argparse

    return argparse.RawDescriptionHelpFormatter


# provision --------------------------------------------------------------------------------


def target_config(ctx: Context) -> Path:
    return Path(ctx.config_path or os.environ.get("KIOSK_CONFIG") or SYSTEM_CONFIG).expanduser().absolute()


def provision(ctx: Context, args) -> int:
    from .. import provision as prov

    path = target_config(ctx)
    try:
        pin = prov.read_pin() if args.set_pin else None
        request = prov.Request(
            config_path=path, kiosk_id=args.kiosk_id, office=args.office, server=args.server,
            token_file=args.token_file, printer=args.printer, number_block=args.number_block,
            office_name=args.office_name, data_dir=args.data_dir, listen=args.listen, rotation=args.rotation, pin=pin,
            insecure=args.insecure,
        )
        plan = prov.plan(request)
        prov.apply(plan)
    except prov.ProvisionError as e:
        print("Not provisioned; nothing was written:", file=sys.stderr)
        for problem in e.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE

    if plan.changed:
        print(f"Provisioned kiosk {args.kiosk_id} (office {args.office}) in {plan.folder}:")
    else:
        print(f"Nothing to change: {path} already provisions kiosk {args.kiosk_id} (office {args.office}).")
    for change in plan.changes:
        print(f"  {change.name:<14} {change.action}")
        for detail in change.details:
            print(f"    {detail}")

    code = EXIT_OK
    cfg = plan.config
    if args.register:
        if not args.server:
            print("register: skipped, the kiosk is standalone (--server '')")
        else:
            try:
                print(prov.register(_reload(path, cfg)))
            except prov.ProvisionError as e:
                print(f"register: FAILED: {e}", file=sys.stderr)
                code = EXIT_FAIL
    if args.test_print:
        printed, said = prov.print_test_page(_reload(path, cfg))
        if printed:
            print("test page: printed")
        else:
            print(f"test page: NOT printed: {said}; check the printer (`kiosk doctor`)", file=sys.stderr)
            code = EXIT_FAIL
    if plan.changed:
        print("Next: sudo systemctl restart kiosk-agent kiosk-ui; then sudo kiosk doctor")
        if args.server and not args.register:
            print("      (add --register to check now that the central server accepts the token)")
    return code


def _reload(path: Path, fallback):
    from ..config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError:
        return fallback


# lock / unlock ----------------------------------------------------------------------------


def who(explicit: str | None) -> str:
    if explicit:
        return explicit
    try:
        return os.environ.get("SUDO_USER") or getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def lock_kiosk(ctx: Context, args) -> int:
    now = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    value = {"locked": args.locked, "by": who(args.by), "at": now, "reason": args.reason}
    with ctx.open_store() as store:
        with store.transaction():
            before = store.get_state(state_keys.LOCK) or {}
            store.set_state(state_keys.LOCK, value)
    if args.json:
        emit_json(value)
        return EXIT_OK
    kiosk = ctx.config.kiosk.id
    if args.locked:
        again = " (it was already locked)" if before.get("locked") else ""
        print(f"Kiosk {kiosk} locked by {value['by']} at {now}{again}: the touchscreen shows the closed screen "
              "and no tickets are issued.")
        print("Reopen with: kiosk unlock")
    else:
        again = "" if before.get("locked") else " (it was not locked)"
        print(f"Kiosk {kiosk} unlocked by {value['by']} at {now}{again}: tickets are issued again.")
    return EXIT_OK


# doctor -----------------------------------------------------------------------------------


def doctor_cmd(ctx: Context, args) -> int:
    from ..doctor import Doctor, render_text

    if args.timeout <= 0:
        raise CommandError("--timeout must be a positive number of seconds", EXIT_USAGE)
    report = Doctor(ctx.config_path, user=args.user, timeout=args.timeout).run()
    if args.json:
        emit_json(report.to_json())
    else:
        print(render_text(report))
    return EXIT_FAIL if report.failed else EXIT_OK
