"""Run a WSGI app under waitress in a background thread, with a shutdown that returns
(shared/waitress_thread.py says how)."""

from __future__ import annotations

from shared.waitress_thread import WaitressThread


class ServerThread(WaitressThread):
    """`with ServerThread(app, "127.0.0.1", 0) as srv: requests.get(srv.url + "/x")`."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, threads: int = 4, **adjustments):
        adjustments.setdefault("ident", "kiosk-central")
        adjustments.setdefault("recv_bytes", 65536)
        super().__init__(app, host, port, threads=threads, **adjustments)
