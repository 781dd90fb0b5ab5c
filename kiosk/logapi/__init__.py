"""The agent's read-only ticket-log API, pulled by the central server (docs/openapi-kiosk.yaml).

    server = start_server(config)          # in the agent process, next to its sync loop
    ...
    server.stop()

`GET /api/v1/tickets?after=CURSOR&limit=N` streams the ticket log as JSON lines, the same records
`kiosk export` prints; `GET /api/v1/health` says who answers and the newest cursor. Both need the
bearer token in `[agent] log_token_file`.
"""

from .server import LogApiError, LogServer, parse_listen, start_server

__all__ = ["LogApiError", "LogServer", "parse_listen", "start_server"]
