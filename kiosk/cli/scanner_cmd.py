"""`kiosk scanner test`: what the booking scanner reads, as a technician sees it."""

from __future__ import annotations

import queue
import sys
import time

from .common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, CommandError, Context

EXIT_NO_SCAN = 5  # the device opened but nothing was scanned before --timeout


def register(sub) -> None:
    p = sub.add_parser("scanner", help="the booking scanner: print what it reads")
    psub = p.add_subparsers(dest="scanner_command", required=True, metavar="ACTION")
    t = psub.add_parser("test", help="print each code read (exit 0 all N read, 1 device unavailable, "
                                     "2 no scanner configured, 5 nothing scanned in time)")
    t.add_argument("--count", type=int, default=1, metavar="N", help="stop after N codes (default 1)")
    t.add_argument("--timeout", type=float, default=30.0, metavar="S", help="give up after S seconds (default 30)")
    t.set_defaults(func=test)


def test(ctx: Context, args) -> int:
    from ..scanner import SerialScanner, parse_scanner_device

    if args.count < 1 or not 0 < args.timeout <= 3600:
        raise CommandError("--count must be at least 1 and --timeout 0-3600 seconds", EXIT_USAGE)
    cfg = ctx.config.scanner
    dev = parse_scanner_device(cfg.device)
    if dev.kind == "none":
        raise CommandError('no scanner configured ([scanner] device = "none")', EXIT_USAGE)
    if dev.kind == "hid":
        raise CommandError("a HID scanner types into the focused window: test it on the touchscreen's "
                           "booking screen, or scan into a text editor (each code must end with "
                           f"{cfg.suffix})", EXIT_USAGE)
    events: queue.Queue = queue.Queue()
    scanner = SerialScanner.from_config(
        cfg, lambda code: events.put(("code", code)),
        on_refused=lambda r: events.put(("refused", r.reason)),
        on_state=lambda state, detail: events.put((state, detail)),
    )
    print(f"reading {dev.path} at {dev.baud} baud; scan {args.count} code(s) within {args.timeout:g} s", flush=True)
    read = 0
    ever_connected = False
    last_problem = ""
    deadline = time.monotonic() + args.timeout
    with scanner:
        while read < args.count:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                kind, value = events.get(timeout=left)
            except queue.Empty:
                break
            if kind == "code":
                read += 1
                print(f"code {read}: {value}", flush=True)
            elif kind == "refused":
                print(f"refused: {value}", flush=True)
            elif kind == "connected":
                ever_connected = True
                print("ready: scan now", flush=True)
            else:
                last_problem = value
                print(f"{kind}: {value}", file=sys.stderr, flush=True)
    if read >= args.count:
        return EXIT_OK
    if not ever_connected:
        raise CommandError(f"cannot open {dev.path}: {last_problem or 'no answer'}", EXIT_FAIL)
    print(f"{read} of {args.count} code(s) read in {args.timeout:g} s", file=sys.stderr)
    return EXIT_NO_SCAN
