"""`kiosk-central users|counters|audit|kiosk-lock|kiosk-unlock`: staff accounts and what they did, from the server's shell.

Passwords are read without echo from a terminal, or as lines on stdin (`--password-stdin`, for
scripts); they are never taken from the command line (visible in `ps`) and never printed.
"""

from __future__ import annotations

import getpass
import json
import os
import sys

from . import kiosk_commands, staff
from .protocol import office_problem


def cli_actor() -> str:
    try:
        name = os.environ.get("SUDO_USER") or getpass.getuser()
    except (KeyError, OSError):
        name = f"uid {os.getuid()}"
    return f"cli:{name}"


def read_password(args, cli_error) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        first = sys.stdin.readline().rstrip("\n")
        if not args.password_stdin:
            second = sys.stdin.readline().rstrip("\n")
            if first != second:
                raise cli_error("the two password lines on stdin differ")
        password = first
    else:
        password = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != password:
            raise cli_error("the passwords differ; nothing changed")
    problem = staff.password_problem(password)
    if problem:
        raise cli_error(problem)
    return password


def register(sub, common, cli_error, open_db) -> None:
    """Add the staff commands to kiosk-central's (central/cli.py calls this)."""
    users = sub.add_parser("users", help="staff accounts for the counter and report pages").add_subparsers(
        dest="users_command", required=True, metavar="ACTION")

    def guarded(func):
        def run(args) -> int:
            try:
                return func(args)
            except (staff.StaffError, kiosk_commands.CommandError) as err:
                raise cli_error(str(err)) from None
        return run

    def add(args) -> int:
        problem = staff.username_problem(args.username) or office_problem(args.office)
        if problem:
            raise cli_error(problem)
        db = open_db(args.db)
        staff.add_user(db, args.username, args.role, args.office, read_password(args, cli_error), cli_actor())
        print(f"user {args.username} added: {args.role} at office {args.office}")
        return 0

    def passwd(args) -> int:
        db = open_db(args.db)
        if staff.user(db, args.username) is None:
            raise cli_error(f"no user {args.username!r} (see `kiosk-central users list`)", 3)
        staff.set_password(db, args.username, read_password(args, cli_error), cli_actor())
        print(f"password of {args.username} changed; their open sessions are closed")
        return 0

    def list_(args) -> int:
        for u in staff.users(open_db(args.db)):
            row = {"username": u.username, "role": u.role, "office": u.office, "created_at": u.created_at,
                   "password_changed_at": u.password_changed_at, "disabled_at": u.disabled_at}
            if args.json:
                print(json.dumps(row))
            else:
                state = f"DISABLED {u.disabled_at}" if u.disabled_at else "active"
                print(f"{u.username:<16} {u.role:<10} office {u.office:<10} {state}  password set {u.password_changed_at}")
        return 0

    def disable(args) -> int:
        db = open_db(args.db)
        if staff.user(db, args.username) is None:
            raise cli_error(f"no user {args.username!r} (see `kiosk-central users list`)", 3)
        changed = staff.disable_user(db, args.username, cli_actor())
        print(f"user {args.username} disabled; their open sessions are closed" if changed
              else f"user {args.username} was already disabled")
        return 0

    def password_options(p):
        p.add_argument("--password-stdin", action="store_true",
                       help="read the password as one line on stdin (otherwise: asked twice on a terminal, "
                            "or two equal lines on stdin)")

    p = users.add_parser("add", parents=[common], help="add a user (asks for the password)")
    p.add_argument("username", metavar="USER")
    p.add_argument("--role", choices=staff.ROLES, required=True,
                   help="counter: the counter page; supervisor: also the report page and kiosk lock")
    p.add_argument("--office", required=True, help="the office the user works in (sees and acts on only that)")
    password_options(p)
    p.set_defaults(func=guarded(add))
    p = users.add_parser("passwd", parents=[common], help="set a user's password (ends their sessions)")
    p.add_argument("username", metavar="USER")
    password_options(p)
    p.set_defaults(func=guarded(passwd))
    p = users.add_parser("list", parents=[common], help="list users (never the password hashes)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=guarded(list_))
    p = users.add_parser("disable", parents=[common], help="disable a user (ends their sessions)")
    p.add_argument("username", metavar="USER")
    p.set_defaults(func=guarded(disable))

    def counters(args) -> int:
        problem = office_problem(args.office)
        if problem:
            raise cli_error(problem)
        db = open_db(args.db)
        if args.names:
            staff.set_counters(db, args.office, args.names, cli_actor())
        names = staff.counters(db, args.office)
        print(" ".join(names) if names else f"office {args.office} has no counters: "
              f"kiosk-central counters {args.office} 1 2 3")
        return 0

    p = sub.add_parser("counters", parents=[common], help="set or show an office's counters (the loket staff sit at)",
                       description="With names: the office's counters become exactly these. Without: print them.")
    p.add_argument("office", metavar="OFFICE")
    p.add_argument("names", metavar="NAME", nargs="*", help="counter names as the display calls them, e.g. 1 2 3")
    p.set_defaults(func=guarded(counters))

    def audit(args) -> int:
        rows = staff.audit_rows(open_db(args.db), args.office, args.since, args.limit)
        for row in reversed(rows):
            if args.json:
                print(json.dumps(row, ensure_ascii=False))
            else:
                print(f"{row['at']}  {row['office'] or '-':<10} {row['actor']:<24} {row['action']:<18} "
                      f"{row['target'] or ''}  {row['detail'] or ''}".rstrip())
        return 0

    p = sub.add_parser("audit", parents=[common], help="who changed what: logins, counter actions, kiosk locks, users",
                       description="The newest LIMIT audit rows, oldest first.")
    p.add_argument("--office", help="only this office")
    p.add_argument("--since", metavar="ISO", help="only rows at or after this UTC time, e.g. 2026-11-27T00:00")
    p.add_argument("--limit", type=int, default=100, help="at most this many rows (default 100)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=guarded(audit))

    def kiosk_command(args) -> int:
        db = open_db(args.db)
        cmd = kiosk_commands.request(db, args.kiosk_id, args.action, cli_actor(), args.reason)
        print(f"command {cmd['id']} ({args.action}) queued for kiosk {args.kiosk_id}: its agent applies it on its "
              "next pull; the report page shows when it confirmed")
        return 0

    for action in kiosk_commands.ACTIONS:
        p = sub.add_parser(f"kiosk-{action}", parents=[common], help=f"{action} a kiosk remotely (on its next pull)")
        p.add_argument("kiosk_id", metavar="KIOSK_ID")
        p.add_argument("--reason", default="", help="shown in `kiosk status` on the kiosk")
        p.set_defaults(func=guarded(kiosk_command), action=action)
