"""A waitress server on a background thread (`WaitressThread`), and stopping it from another thread.

Waitress has no public way to do it (Pylons/waitress#58, #372): closing its sockets from outside
races the asyncore loop. Instead the loop thread itself is asked, through waitress's trigger, to
close every dispatcher, which empties the socket map and so ends the loop; then the worker
threads are stopped.
"""
from __future__ import annotations

import threading

from waitress import wasyncore
from waitress.server import create_server


def stop_server(server, thread: threading.Thread, timeout: float = 5.0) -> None:
    """`server` from waitress.server.create_server, `thread` the one running server.run()."""
    if thread.is_alive():
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map, ignore_all=True))
        except OSError:
            pass  # the trigger is already closed: the loop is ending on its own, nothing to wake
        thread.join(timeout)
    if not thread.is_alive():
        # Whatever the loop did not close (or all of it, if it never ran); safe once it is gone.
        wasyncore.close_all(server._map, ignore_all=True)
    server.task_dispatcher.shutdown(timeout=timeout)


def http_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class WaitressThread:
    """A WSGI app bound now (so `port` is known, even for port 0) and served on a daemon thread
    once started; stop() returns. `with` starts it if it was not started yet, and stops it."""

    thread_name = "waitress"

    def __init__(self, app, host: str, port: int, **adjustments):
        self._server = create_server(app, host=host, port=port, **adjustments)
        self.host = host
        self.port = int(self._server.getsockname()[1])
        self._thread = threading.Thread(target=self._run, name=f"{self.thread_name}:{self.port}", daemon=True)
        self._stopped = False

    @property
    def url(self) -> str:
        return http_url(self.host, self.port)

    def _run(self) -> None:
        self._server.run()

    def start(self):
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        stop_server(self._server, self._thread, timeout)

    def __enter__(self):
        return self if self._thread.ident is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
