"""Run a WSGI app under waitress in a background thread, with a shutdown that returns
(shared/waitress_thread.py says how)."""

from __future__ import annotations

import threading

from waitress.server import create_server

from shared.waitress_thread import http_url, stop_server


class ServerThread:
    """`with ServerThread(app, "127.0.0.1", 0) as srv: requests.get(srv.url + "/x")`."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, threads: int = 4, **adjustments):
        adjustments.setdefault("ident", "kiosk-central")
        adjustments.setdefault("recv_bytes", 65536)
        self._server = create_server(app, host=host, port=port, threads=threads, **adjustments)
        self.host = host
        self.port = int(self._server.getsockname()[1])
        self._thread = threading.Thread(target=self._server.run, name=f"waitress:{self.port}", daemon=True)
        self._stopped = False

    @property
    def url(self) -> str:
        return http_url(self.host, self.port)

    def start(self) -> "ServerThread":
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        stop_server(self._server, self._thread, timeout)

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
