"""The agent's read-only ticket-log API, pulled by the central server (docs/openapi-kiosk.yaml).

    server = start_server(config)          # in the agent process, next to its sync loop
    ...
    server.stop()

`GET /api/v1/tickets?after=CURSOR&limit=N` streams the ticket log as JSON lines, the same records
`kiosk export` prints; `GET /api/v1/health` says who answers and the newest cursor. Both need the
bearer token in `[agent] log_token_file`.

The server (Flask, waitress) is imported on first use, so `kiosk.logapi.records` stays light.
"""

from __future__ import annotations

__all__ = ["LogApiError", "LogServer", "parse_listen", "start_server"]


def __getattr__(name: str):
    if name in __all__:
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
