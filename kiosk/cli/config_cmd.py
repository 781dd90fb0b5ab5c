"""`kiosk config validate`: check kiosk.toml and its catalogue, listing every problem."""

from __future__ import annotations

from ..config import ConfigError
from .common import EXIT_USAGE, Context, emit_json


def register(sub) -> None:
    p = sub.add_parser("config", help="check the configuration")
    csub = p.add_subparsers(dest="config_command", required=True, metavar="COMMAND")
    v = csub.add_parser("validate", help="validate kiosk.toml and the catalogue (exit 0 valid, 2 invalid)")
    v.add_argument("--json", action="store_true", help="print the result as JSON")
    v.set_defaults(func=validate)


def validate(ctx: Context, args) -> int:
    try:
        cfg = ctx.config
    except ConfigError as e:
        if not args.json:
            raise
        emit_json({"valid": False, "problems": [{"file": p.file, "key": p.key, "message": p.message} for p in e.problems]})
        return EXIT_USAGE
    if args.json:
        emit_json(
            {
                "valid": True,
                "path": str(cfg.path),
                "catalogue": cfg.catalogue.source,
                "services": [s.prefix for s in cfg.catalogue.services],
                "warnings": list(cfg.warnings),
            }
        )
    else:
        print(f"{cfg.path}: valid ({len(cfg.catalogue.services)} services from {cfg.catalogue.source})")
    return 0
