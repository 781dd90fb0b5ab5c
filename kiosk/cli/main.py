"""The `kiosk` command: argument parsing and dispatch; each command group has its own module."""

from __future__ import annotations

import argparse
import sys

from shared.logsetup import setup_logging

from .. import __version__
from . import (
    agent_cmd,
    checkin_cmd,
    config_cmd,
    day_cmd,
    issue_cmd,
    ops_cmd,
    print_cmd,
    printer_cmd,
    run_cmd,
    scanner_cmd,
    status_cmd,
    tickets_cmd,
    ui_cmd,
)
from .common import EXIT_USAGE, Context, run_guarded

COMMANDS = [config_cmd, issue_cmd, print_cmd, tickets_cmd, day_cmd, status_cmd, printer_cmd, run_cmd, agent_cmd, ops_cmd,
            scanner_cmd, ui_cmd, checkin_cmd]

EPILOG = """exit codes: 0 ok, 1 failure, 2 usage or configuration error,
3 ticket issued but not printed, 4 ticket refused (reason given), 5 nothing scanned in time"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Queue kiosk of a Kantor Imigrasi lobby: issue, print, sync and diagnose.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", metavar="PATH", help="kiosk.toml (default: $KIOSK_CONFIG, /etc/kiosk/kiosk.toml, the repo's config/)")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    # Before any command imports Kivy; the long-running ones log their progress, the others only
    # what goes wrong (the agent sets its own --log-level).
    setup_logging("info" if args.command in ("ui", "run") else "warning")
    return run_guarded(args.func, Context(args.config), args)
