"""Run a WSGI app under waitress in a background thread, with a shutdown that returns
(shared/waitress_thread.py says how), with shared/serverguard.py's limits against slow and
hostile clients (a header deadline, connections per client, no body read before the app's body
gate allows it): see LIMITS and docs/operations.md."""

from __future__ import annotations

from shared.waitress_thread import WaitressThread

# A kiosk sends its headers at once and holds one or two connections; an office behind one NAT
# address has a handful of kiosks and counters. What the app takes is capped by the app itself
# (its body gate answers 413); waitress's own cap only stops a chunked upload that never ends.
LIMITS = dict(
    per_client=16,
    header_timeout=10.0,
    connection_limit=256,
    channel_timeout=30,
    max_request_header_size=16 * 1024,
    max_request_body_size=8 * 1024 * 1024,
    expose_tracebacks=False,
    asyncore_use_poll=True,
)


class ServerThread(WaitressThread):
    """`with ServerThread(app, "127.0.0.1", 0) as srv: requests.get(srv.url + "/x")`."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, threads: int = 4, **adjustments):
        adjustments.setdefault("ident", "kiosk-central")
        adjustments.setdefault("recv_bytes", 65536)
        adjustments.setdefault("body_gate", getattr(app, "body_gate", None))
        super().__init__(app, host, port, threads=threads, **{**LIMITS, **adjustments})
