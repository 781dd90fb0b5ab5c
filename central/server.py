"""Run a WSGI app under waitress in a background thread, with a shutdown that returns.

Waitress has no public way to stop a server from another thread (Pylons/waitress#58, #372):
closing its sockets from outside races the asyncore loop. Instead we ask the loop thread itself
to close every dispatcher through waitress's trigger, which empties the socket map and so ends
the loop; then the worker threads are stopped.

The server is waitress with serverguard's limits (a header deadline, connections per client,
no body read before the app's body gate allows it): see LIMITS and docs/operations.md.
"""

from __future__ import annotations

import threading

from waitress import wasyncore

from serverguard import create_guarded_server

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


class ServerThread:
    """`with ServerThread(app, "127.0.0.1", 0) as srv: requests.get(srv.url + "/x")`."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, threads: int = 4, **adjustments):
        adjustments.setdefault("ident", "kiosk-central")
        adjustments.setdefault("recv_bytes", 65536)
        adjustments.setdefault("body_gate", getattr(app, "body_gate", None))
        self._server = create_guarded_server(app, host, port, threads=threads, **{**LIMITS, **adjustments})
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
