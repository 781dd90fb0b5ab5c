"""A waitress server on a background thread: its URL, and stopping it from another thread.

Waitress has no public way to do it (Pylons/waitress#58, #372): closing its sockets from outside
races the asyncore loop. Instead the loop thread itself is asked, through waitress's trigger, to
close every dispatcher, which empties the socket map and so ends the loop; then the worker
threads are stopped.
"""
from __future__ import annotations

import threading

from waitress import wasyncore


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
