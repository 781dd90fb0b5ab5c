"""Run a WSGI app under waitress in a background thread, with a shutdown that returns.

Waitress has no public way to stop a server from another thread (Pylons/waitress#58, #372):
closing its sockets from outside races the asyncore loop. Instead we ask the loop thread itself
to close every dispatcher through waitress's trigger, which empties the socket map and so ends
the loop; then the worker threads are stopped.
"""

from __future__ import annotations

import threading

from waitress import wasyncore
from waitress.server import create_server


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
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> "ServerThread":
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        server = self._server
        if self._thread.is_alive():
            try:
                server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map, ignore_all=True))
            except OSError:
                # The trigger is already closed: the loop is ending on its own, nothing to wake.
                pass
            self._thread.join(timeout)
        if not self._thread.is_alive():
            # Whatever the loop did not close (or all of it, if it never ran); safe once it is gone.
            wasyncore.close_all(server._map, ignore_all=True)
        server.task_dispatcher.shutdown(timeout=timeout)

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
