"""What every kiosk command shares: loading the config once, exit codes, JSON output.

The command modules import what only their commands use (store, issuer, lobby, agent) inside
those commands: `kiosk ui` loads all of them, and its first frame must not wait for the others'."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import ConfigError, KioskConfig, load_config

if TYPE_CHECKING:
    from ..store import Store

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2  # also: the configuration is invalid
EXIT_NOT_PRINTED = 3
EXIT_REFUSED = 4


class CommandError(Exception):
    """A failure the user can act on: printed as one message, no traceback."""

    def __init__(self, message: str, code: int = EXIT_FAIL):
        self.code = code
        super().__init__(message)


@dataclass
class Context:
    config_path: str | None
    _config: KioskConfig | None = field(default=None, repr=False)

    @property
    def config(self) -> KioskConfig:
        if self._config is None:
            self._config = load_config(self.config_path)
            for warning in self._config.warnings:
                print(f"warning: {warning}", file=sys.stderr)
        return self._config

    def open_store(self) -> Store:
        from ..store import Store

        return Store(self.config.store.path)


def emit_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")


def report_config_error(err: ConfigError) -> int:
    print("Configuration errors:", file=sys.stderr)
    for problem in err.problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_USAGE


def run_guarded(func, ctx: Context, args) -> int:
    """Turn the errors a person can fix into messages and exit codes."""
    try:
        return func(ctx, args) or EXIT_OK
    except ConfigError as e:
        return report_config_error(e)
    except CommandError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.code
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:
        from ..store import StoreError

        if not isinstance(e, StoreError):
            raise
        print(f"error: {e}", file=sys.stderr)
        return EXIT_FAIL
