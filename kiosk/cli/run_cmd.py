"""`kiosk run`: the whole kiosk on its embedded defaults (what `make run` starts)."""

from __future__ import annotations

from pathlib import Path

from ..config.loader import REPO_CONFIG, default_config_path


def register(sub) -> None:
    p = sub.add_parser(
        "run",
        help="start central server, virtual printer, sync agent and touchscreen on this machine",
        description="Development and demo mode: everything on one machine, files under the repo's var/.",
    )
    p.add_argument("--var", metavar="DIR", default=str(REPO_CONFIG.parents[1] / "var") if REPO_CONFIG.exists() else "var", help="where to keep databases, tokens and previews")
    p.add_argument("--real-hours", action="store_true", help="keep the catalogue's opening hours (default: open around the clock)")
    p.add_argument("--headless", action="store_true", help="no touchscreen: issue with `kiosk issue`")
    p.add_argument("--central-port", type=int, default=8471, metavar="PORT", help="reference central server port (default 8471)")
    p.add_argument("--log-api-port", type=int, default=8470, metavar="PORT", help="the agent's log API port (default 8470)")
    p.set_defaults(func=run)


def run(ctx, args) -> int:
    from ..run import Launcher

    base = Path(ctx.config_path) if ctx.config_path else default_config_path()
    return Launcher(
        base, Path(args.var).resolve(), demo_hours=not args.real_hours, headless=args.headless,
        central_port=args.central_port, log_api_port=args.log_api_port,
    ).run()
