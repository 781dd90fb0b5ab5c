"""Serving the log API from a background thread of the agent, on waitress, with a stop that returns
(shared/waitress_thread.py). The adjustments below are the API's request limits: small headers, no
body, few connections, and idle connections dropped, so a misbehaving client cannot hold the
kiosk's memory or threads.
"""

from __future__ import annotations

import logging
import re
from typing import Callable

from shared.waitress_thread import WaitressThread

from ..config import KioskConfig
from ..store import Store
from .app import create_app
from .ratelimit import RateLimiter
from .tokens import TokenFileError, read_token

log = logging.getLogger("kiosk.logapi")

LIMITS = dict(
    threads=2,
    connection_limit=16,
    channel_timeout=30,
    max_request_header_size=8 * 1024,
    max_request_body_size=1024,
    cleanup_interval=10,
    # Back-pressure instead of spooling: a page waits for a slow reader once 1 MiB is queued,
    # rather than going to a temp file, so memory per connection stays small and bounded.
    outbuf_high_watermark=1024 * 1024,
    outbuf_overflow=2 * 1024 * 1024,
    asyncore_use_poll=True,
    expose_tracebacks=False,
    ident="kiosk-logapi",
)


class LogApiError(Exception):
    """The log API cannot start; the message says why and what to do."""


def parse_listen(text: str) -> tuple[str, int]:
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d{1,5})|([^:\s\[\]]+):(\d{1,5})", text.strip())
    if not m or int(m.group(2) or m.group(4)) > 65535:
        raise LogApiError(f"agent.listen {text!r} is not HOST:PORT (e.g. 127.0.0.1:8470)")
    return m.group(1) or m.group(3), int(m.group(2) or m.group(4))


class LogServer(WaitressThread):
    thread_name = "logapi"

    def __init__(self, app, host: str, port: int, **adjustments):
        try:
            super().__init__(app, host, port, **{**LIMITS, **adjustments})
        except OSError as e:
            raise LogApiError(f"cannot listen on {host}:{port} for the log API: {e.strerror or e} "
                              "(another agent running? change agent.listen)") from None

    def _run(self) -> None:
        try:
            super()._run()
        except Exception:  # the loop must not die silently: the agent's log shows why
            log.exception("log API server stopped unexpectedly")

    def start(self) -> "LogServer":
        super().start()
        log.info("log API listening on %s", self.url)
        return self


def start_server(config: KioskConfig, store_factory: Callable[[], Store] | None = None, **adjustments) -> LogServer:
    """Start the log API for this kiosk in a background thread; raise LogApiError if it cannot."""
    agent = config.agent
    try:
        token = read_token(agent.log_token_file)
    except TokenFileError as e:
        raise LogApiError(str(e)) from None
    host, port = parse_listen(agent.listen)
    app = create_app(
        kiosk_id=config.kiosk.id,
        office=config.kiosk.office_code,
        token=token,
        store_factory=store_factory or (lambda: Store(config.store.path)),
        page_max=agent.log_page_max,
        limiter=RateLimiter(agent.log_rate_per_second, agent.log_rate_burst),
    )
    return LogServer(app, host, port, **adjustments).start()
