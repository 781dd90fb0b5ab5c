"""The UI process's worker thread: all I/O (SQLite, printer, PIN hashing) runs here, never on the
Kivy thread. It owns one `Lobby` with its own Store (one Store per thread); jobs run one at a time
in submission order and their results come back through `post` (Kivy: Clock.schedule_once).

No Kivy import: `post` is injected, so this is unit-testable on its own.

`after` (an Event) holds the opening of the Lobby back until it is set, or `after_within` seconds:
the touchscreen sets it on its first frame, so opening the database and asking the printer do not
compete with the first layout for the interpreter. Jobs submitted meanwhile wait in order.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable

log = logging.getLogger("kiosk.ui.worker")


class Worker:
    def __init__(self, factory: Callable[[], Any], post: Callable[[Callable[[], None]], None], name: str = "kiosk-io",
                 *, after: threading.Event | None = None, after_within: float = 2.0):
        self._factory = factory
        self._after = after
        self._after_within = after_within
        self._post = post
        self._jobs: queue.Queue = queue.Queue()
        self._busy = threading.Event()
        self._ready = threading.Event()
        self.lobby = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self._after is not None:
            self._after.wait(self._after_within)
        try:
            self.lobby = self._factory()
        except BaseException as e:  # reported on every job: the UI shows "ask staff"
            log.exception("worker: cannot open the kiosk store")
            self.error = e
        finally:
            self._ready.set()
        while True:
            job = self._jobs.get()
            if job is None:
                break
            fn, args, on_done, on_error = job
            self._busy.set()
            try:
                if self.error is not None:
                    raise self.error
                result = fn(self.lobby, *args)
            except Exception as e:
                log.exception("worker job %s failed", getattr(fn, "__name__", fn))
                if on_error is not None:
                    self._post(lambda e=e, cb=on_error: cb(e))
            else:
                if on_done is not None:
                    self._post(lambda r=result, cb=on_done: cb(r))
            finally:
                self._busy.clear()
                self._jobs.task_done()
        lobby = self.lobby
        if lobby is not None:
            try:
                lobby.store.close()
            except Exception:  # noqa: BLE001 - closing on the way out: nothing left to tell
                pass

    def submit(self, fn: Callable, *args, on_done: Callable | None = None, on_error: Callable | None = None) -> None:
        """Run fn(lobby, *args) on the worker; on_done(result) / on_error(exc) run via `post`."""
        self._jobs.put((fn, args, on_done, on_error))

    def pending(self) -> int:
        return self._jobs.unfinished_tasks

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """For tests and shutdown: until every submitted job has finished (not their callbacks)."""
        import time

        deadline = time.monotonic() + timeout
        while self._jobs.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def stop(self, timeout: float = 15.0) -> None:
        if self._after is not None:
            self._after.set()  # stopping before the first frame: no need to wait it out
        self._jobs.put(None)
        self._thread.join(timeout)
