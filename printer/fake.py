"""A fake ESC/POS printer on the far side of a real pty (or a TCP port) that behaves like one.

It records every byte, answers DLE EOT for its current state and GS r 1 once the job before it has
"printed", holds data while paper is out / the cover is open / it is offline (and prints it when the
fault clears, as a real printer does), stores NV logos, and can misbehave on demand:

    set_state(READY | PAPER_NEAR_END | PAPER_OUT | COVER_OPEN | OFFLINE)
    silent = True        never answers any status request
    stall = True         stops reading: the host's writes block once the kernel buffer is full
    garbage = True       answers status requests with bytes whose fixed bits are wrong
    unplug(replug_after) closes the pty master (host I/O fails), later re-creates a pty at the
                         same link path so a reconnect can be tested
    unplug_after(n, replug_after)  the same, after n more bytes: an unplug in the middle of a ticket
    fail_after(n, state) switch to `state` after n more bytes (paper runs out mid-ticket)

Use it in a thread (`with FakePrinter(link=...) as fake:`) or as a process:

    python -m printer.fake --link var/printer.tty --previews var/previews

which prints the pty path, saves a PNG preview of every completed job, and runs until SIGTERM.
SIGUSR1 simulates an unplug (the pty comes back after a second); `--control FILE` lets you change
the state at run time by writing a state or fault name into FILE (e.g. `echo paper_out > FILE`).
"""
from __future__ import annotations

import argparse
import os
import queue
import select
import signal
import socket
import sys
import threading
import time
import tty
from dataclasses import dataclass
from pathlib import Path

from .decode import (
    Cut,
    DecodedJob,
    Feed,
    NvLogo,
    NvLogoDefinition,
    NvLogoDelete,
    Parser,
    QrCode,
    Raster,
    StatusQuery,
    TextLine,
)
from .status import (
    COVER_OPEN,
    OFFLINE,
    PAPER_NEAR_END,
    PAPER_OUT,
    READY,
    REFUSE,
    encode_paper_reply,
    encode_realtime,
)

FAKE_STATES = (READY, PAPER_NEAR_END, PAPER_OUT, COVER_OPEN, OFFLINE)
FAULTS = ("silent", "stall", "garbage")
GARBAGE = 0xFF  # bit 0 and bit 7 on: fails the fixed-bit check of every status answer
_PRINTABLE_ITEMS = (TextLine, QrCode, NvLogo, Raster, Feed)


@dataclass
class FakeJob:
    data: bytes  # the bytes of this job as received, status queries included
    items: list
    completed_at: float
    preview: Path | None = None

    @property
    def decoded(self) -> DecodedJob:
        return DecodedJob([i for i in self.items if not isinstance(i, StatusQuery)])


@dataclass
class _Pending:
    n: int
    action: str  # "unplug" | "state"
    state: str = READY
    replug_after: float | None = None


class FakePrinter:
    def __init__(self, *, link: str | os.PathLike | None = None, preview_dir: str | os.PathLike | None = None,
                 paper_mm: int = 80, tcp: tuple[str, int] | None = None, state: str = READY,
                 cleanup_dir: bool = False):
        self.link = Path(link) if link else None
        self._cleanup_dir = cleanup_dir  # remove the link's directory on stop (it was made for us)
        self.preview_dir = Path(preview_dir) if preview_dir else None
        self.paper_mm = paper_mm
        self._tcp_addr = tcp
        self._state = state
        self.silent = False
        self._stall = False
        self.garbage = False
        self.received = bytearray()
        self.jobs: list[FakeJob] = []
        self.nv_logos: dict[str, NvLogoDefinition] = {}
        self.status_queries = 0
        self.unplugs = 0
        self.last_read_at = 0.0  # time.monotonic() of the latest byte received
        self.path = ""  # the pty slave (or the link to it) a host opens
        self.address: tuple[str, int] | None = None  # (host, port) in TCP mode
        self._lock = threading.RLock()
        self._jobs_changed = threading.Condition(self._lock)
        self._master: int | None = None
        self._slave: int | None = None
        self._listener: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._parser = Parser()
        self._parser_base = 0
        self._job_start = 0
        self._job_items: list = []
        self._held: list = []
        self._pending: _Pending | None = None
        self._replug_at: float | None = None
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._thread: threading.Thread | None = None
        self._previews: queue.Queue = queue.Queue()
        self._preview_thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> "FakePrinter":
        if self.preview_dir:
            self.preview_dir.mkdir(parents=True, exist_ok=True)
            self._preview_thread = threading.Thread(target=self._preview_worker, name="fake-printer-preview",
                                                    daemon=True)
            self._preview_thread.start()
        if self._tcp_addr is not None:
            self._listener = socket.create_server(self._tcp_addr)
            self._listener.setblocking(False)
            self.address = self._listener.getsockname()[:2]
            self.path = f"{self.address[0]}:{self.address[1]}"
        else:
            self._plug()
        self._thread = threading.Thread(target=self._run, name="fake-printer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        with self._lock:
            self._close_channel()
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            if self.link is not None and self.link.is_symlink():
                try:
                    self.link.unlink()
                    if self._cleanup_dir:
                        self.link.parent.rmdir()
                except OSError:
                    pass
        if self._preview_thread is not None:
            self._previews.put(None)
            self._preview_thread.join(timeout=10)
            self._preview_thread = None
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._wake_r = self._wake_w = -1

    def __enter__(self) -> "FakePrinter":
        return self.start() if self._thread is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- controls (any thread)
    @property
    def state(self) -> str:
        return self._state

    @property
    def stall(self) -> bool:
        return self._stall

    @stall.setter
    def stall(self, on: bool) -> None:
        self._stall = bool(on)
        self._wake()  # the loop may be sleeping in select() without our fd: resume reading now

    def set_state(self, state: str) -> None:
        if state not in FAKE_STATES:
            raise ValueError(f"fake printer state must be one of {', '.join(FAKE_STATES)}, got {state!r}")
        with self._lock:
            self._state = state
        self._wake()

    def set_fault(self, name: str) -> None:
        """A state or fault by name (as in the --control file); 'ready' also clears every fault."""
        if name in FAULTS:
            setattr(self, name, True)
        elif name in FAKE_STATES:
            self.silent = self.stall = self.garbage = False
            self.set_state(name)
        elif name == "unplug":
            self.unplug(replug_after=1.0)
        else:
            raise ValueError(f"unknown fake printer fault {name!r}; use one of "
                             f"{', '.join(FAKE_STATES + FAULTS + ('unplug',))}")
        self._wake()

    def unplug(self, replug_after: float | None = None) -> None:
        with self._lock:
            self._unplug_locked(replug_after)
        self._wake()

    def replug(self) -> None:
        with self._lock:
            self._replug_at = None
            if self._listener is None and self._master is None:
                self._plug()
        self._wake()

    def unplug_after(self, n: int, replug_after: float | None = 0.2) -> None:
        with self._lock:
            self._pending = _Pending(len(self.received) + n, "unplug", replug_after=replug_after)

    def fail_after(self, n: int, state: str) -> None:
        if state not in FAKE_STATES:
            raise ValueError(f"unknown state {state!r}")
        with self._lock:
            self._pending = _Pending(len(self.received) + n, "state", state=state)

    def wait_for_jobs(self, count: int, timeout: float = 2.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._jobs_changed:
            while len(self.jobs) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._jobs_changed.wait(remaining)
        return True

    def wait_previews(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self._previews.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    @property
    def plugged(self) -> bool:
        return self._master is not None or self._conn is not None or self._listener is not None

    # -- pty / socket plumbing (lock held)
    def _plug(self) -> None:
        master, slave = os.openpty()
        # Raw on both ends: no echo, no CR/LF translation, no ^C/^S interpretation of ESC/POS bytes.
        tty.setraw(master)
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        slave_path = os.ttyname(slave)
        if self.link is not None:
            self.link.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.link.with_name(self.link.name + ".tmp")
            if tmp.is_symlink() or tmp.exists():
                tmp.unlink()
            os.symlink(slave_path, tmp)
            os.replace(tmp, self.link)  # atomic: a host never sees the link missing or half made
            self.path = str(self.link)
        else:
            self.path = slave_path
        self._new_stream()

    def _new_stream(self) -> None:
        """A new connection starts a fresh byte stream: a half command from before is lost."""
        self._parser = Parser()
        self._parser_base = len(self.received)
        self._job_start = len(self.received)
        self._job_items = []

    def _close_channel(self) -> None:
        for attr in ("_master", "_slave"):
            fd = getattr(self, attr)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, attr, None)
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
            self._conn = None

    def _unplug_locked(self, replug_after: float | None) -> None:
        self.unplugs += 1
        self._close_channel()
        self._held.clear()
        if self._listener is None and replug_after is not None:
            self._replug_at = time.monotonic() + replug_after

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (OSError, ValueError):
            pass

    def _reply(self, data: bytes) -> None:
        target = self._conn.fileno() if self._conn is not None else self._master
        if target is None:
            return
        try:
            os.write(target, data)
        except OSError:
            pass  # host not listening / gone: a real printer's answer is lost the same way

    # -- the loop
    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                readers = [self._wake_r]
                fd = self._conn.fileno() if self._conn is not None else self._master
                if fd is not None and not self._stall:
                    readers.append(fd)
                if self._listener is not None and self._conn is None:
                    readers.append(self._listener.fileno())
                timeout = 0.02 if self._replug_at is not None else 0.5
            try:
                ready, _, _ = select.select(readers, [], [], timeout)
            except (OSError, ValueError):
                continue  # a descriptor was closed by unplug() meanwhile
            with self._lock:
                if self._wake_r in ready:
                    try:
                        os.read(self._wake_r, 4096)
                    except OSError:
                        pass
                if self._listener is not None and self._listener.fileno() in ready and self._conn is None:
                    try:
                        conn, _ = self._listener.accept()
                        conn.setblocking(False)
                        self._conn = conn
                        self._new_stream()
                    except OSError:
                        pass
                if fd is not None and fd in ready and not self._stall:
                    self._read_from(fd)
                if self._replug_at is not None and time.monotonic() >= self._replug_at:
                    self._replug_at = None
                    self._plug()
                if self._held and self._state not in REFUSE:
                    held, self._held = self._held, []
                    for item, end in held:
                        self._process(item, end)

    def _read_from(self, fd: int) -> None:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            if self._conn is not None:  # TCP client went away; wait for the next one
                self._conn.close()
                self._conn = None
            return
        self.last_read_at = time.monotonic()
        pending = self._pending
        if pending is not None and len(self.received) + len(chunk) >= pending.n:
            cut = pending.n - len(self.received)
            self._pending = None
            self._consume(chunk[:cut])
            if pending.action == "unplug":
                self._unplug_locked(pending.replug_after)
                return
            self._state = pending.state
            self._consume(chunk[cut:])
            return
        self._consume(chunk)

    def _consume(self, data: bytes) -> None:
        if not data:
            return
        self.received += data
        for item, end in self._parser.feed_with_offsets(data):
            end += self._parser_base
            if isinstance(item, StatusQuery) and item.command == "DLE EOT":
                self._answer_realtime(item.n)  # real-time: answered even while offline
            elif self._state in REFUSE:
                self._held.append((item, end))  # a real printer buffers until the fault clears
            else:
                self._process(item, end)

    def _answer_realtime(self, n: int) -> None:
        self.status_queries += 1
        if self.silent:
            return
        if self.garbage:
            self._reply(bytes([GARBAGE]))
            return
        answers = encode_realtime(self._state)
        index = {1: 0, 2: 1, 4: 2}.get(n)
        if index is not None:
            self._reply(answers[index:index + 1])
        elif n == 3:
            self._reply(b"\x12")  # error cause: none

    def _process(self, item, end: int) -> None:
        if isinstance(item, NvLogoDefinition):
            self.nv_logos[item.key] = item
            return
        if isinstance(item, NvLogoDelete):
            self.nv_logos.pop(item.key, None)
            return
        if isinstance(item, StatusQuery):  # GS r: answered in order, i.e. after what came before
            if any(isinstance(i, _PRINTABLE_ITEMS) for i in self._job_items):
                self._finish_job(end)
            if not self.silent:
                self._reply(bytes([GARBAGE]) if self.garbage else encode_paper_reply(self._state))
            return
        self._job_items.append(item)
        if isinstance(item, Cut):
            self._finish_job(end)

    def _finish_job(self, end: int) -> None:
        job = FakeJob(bytes(self.received[self._job_start:end]), self._job_items, time.monotonic())
        self._job_start = end
        self._job_items = []
        if self.preview_dir is not None:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            job.preview = self.preview_dir / f"{stamp}-{len(self.jobs) + 1:04d}.png"
            self._previews.put((job, dict(self.nv_logos)))
        self.jobs.append(job)
        self._jobs_changed.notify_all()

    def _preview_worker(self) -> None:
        # Off the I/O thread: drawing a PNG takes tens of ms, answering GS r must not wait for it.
        from .preview import render_items

        while True:
            task = self._previews.get()
            try:
                if task is None:
                    return
                job, logos = task
                try:
                    render_items(job.decoded.items, job.preview, self.paper_mm, nv_logos=logos)
                except Exception as e:  # noqa: BLE001 - a broken preview must never stop the fake printer
                    print(f"fake printer: preview failed: {e}", file=sys.stderr)
            finally:
                self._previews.task_done()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m printer.fake", description=__doc__.split("\n\n")[0])
    ap.add_argument("--link", help="symlink to the pty slave, e.g. var/printer.tty")
    ap.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of a pty (e.g. 127.0.0.1:9100)")
    ap.add_argument("--previews", help="directory for a PNG preview of every completed job")
    ap.add_argument("--paper", type=int, choices=(80, 58), default=80, help="paper width in mm (previews)")
    ap.add_argument("--state", choices=FAKE_STATES + FAULTS, default=READY, help="initial state or fault")
    ap.add_argument("--control", help="file polled twice a second: write a state/fault name into it")
    args = ap.parse_args(argv)
    if not args.link and not args.tcp:
        ap.error("give --link PATH (pty) or --tcp HOST:PORT")
    tcp = None
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        tcp = (host or "127.0.0.1", int(port))
    fake = FakePrinter(link=args.link, preview_dir=args.previews, paper_mm=args.paper, tcp=tcp)
    fake.set_fault(args.state)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGUSR1, lambda *_: fake.unplug(replug_after=1.0))
    fake.start()
    print(fake.path if tcp else os.path.realpath(fake.path), flush=True)
    control = Path(args.control) if args.control else None
    seen = None
    while not stop.wait(0.5):
        if control is not None and control.exists():
            mtime = control.stat().st_mtime_ns
            if mtime != seen:
                seen = mtime
                name = control.read_text().strip()
                try:
                    fake.set_fault(name)
                    print(f"fake printer: {name}", file=sys.stderr, flush=True)
                except ValueError as e:
                    print(f"fake printer: {e}", file=sys.stderr, flush=True)
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
