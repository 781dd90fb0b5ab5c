"""`kiosk ui` (the touchscreen; what the systemd unit runs), `kiosk screenshots`, `kiosk pin-hash`.

Kivy is imported only when a command needs it, so `kiosk --help` and the other commands stay light.
"""

from __future__ import annotations

import getpass
import sys

from .common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, CommandError, Context


def register(sub) -> None:
    p = sub.add_parser("ui", help="start the touchscreen (fullscreen unless [ui] fullscreen = false)",
                       description="Start the kiosk touchscreen. Exit codes: 0 stopped (SIGTERM), 75 staff asked for a "
                                   "restart (systemd Restart=always starts it again), 1 failure.")
    p.add_argument("--printer", metavar="DEVICE", help="override [printer] device (e.g. virtual, serial:/dev/ttyUSB0@19200)")
    p.set_defaults(func=ui)

    s = sub.add_parser("screenshots", help="save every screen, both languages, at several sizes, as PNG",
                       description="Render every screen in Bahasa Indonesia and English at 800x480, 1024x600, 1920x1080 "
                                   "and portrait into DIR (on a private Xvfb if $DISPLAY is not set). Uses a throw-away "
                                   "database and a virtual printer: nothing is issued or printed.")
    s.add_argument("--out", required=True, metavar="DIR")
    s.add_argument("--size", action="append", metavar="WxH", help="only these sizes (repeatable)")
    s.add_argument("--check", action="store_true", help="also report labels whose text does not fit (exit 1 if any)")
    s.set_defaults(func=screenshots)

    h = sub.add_parser("pin-hash", help="make the admin.pin_hash value for a staff PIN (scrypt)",
                       description="Read a 4-12 digit PIN (twice, not echoed; or one line from stdin with --stdin) "
                                   "and print the line to put in kiosk.toml [admin] pin_hash.")
    h.add_argument("--stdin", action="store_true", help="read the PIN from standard input")
    h.set_defaults(func=pin_hash)


def ui(ctx: Context, args) -> int:
    from ..ui.app import run_app
    from ..ui.display import DisplayError

    try:
        return run_app(ctx.config, args.printer)
    except DisplayError as e:
        raise CommandError(f"{e} (kiosk doctor checks the display; docs/raspberry-pi.md, 'Display')") from None


def screenshots(ctx: Context, args) -> int:
    from ..ui.screenshots import main as shots_main

    sizes = []
    for text in args.size or []:
        try:
            w, h = (int(v) for v in text.lower().split("x"))
        except ValueError:
            raise CommandError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 800x480", EXIT_USAGE) from None
        sizes.append((w, h))
    problems = shots_main(ctx.config, args.out, sizes or None)
    if args.check and problems:
        for p in problems:
            print(f"overflow: {p}", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


def pin_hash(ctx: Context, args) -> int:
    from ..admin_pin import hash_pin, valid_pin

    if args.stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass("Staff PIN (4-12 digits): ")
        if getpass.getpass("Again: ") != pin:
            raise CommandError("the two PINs differ", EXIT_USAGE)
    if not valid_pin(pin):
        raise CommandError("the PIN must be 4 to 12 digits", EXIT_USAGE)
    print(f'pin_hash = "{hash_pin(pin)}"')
    return EXIT_OK
