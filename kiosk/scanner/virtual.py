"""A virtual serial scanner on the far side of a real pty, for tests and `make run`.

    with VirtualScanner(link="var/scanner.tty") as vs:   # [scanner] device = "serial:var/scanner.tty@9600"
        vs.scan("PSP-2026-0001")                          # the code, then the suffix, byte by byte

`unplug(replug_after)` closes the pty (the reader sees the device vanish) and later makes a new one
at the same link path. As a process, for a technician or `make run`:

    python -m kiosk.scanner.virtual --link var/scanner.tty [--code C ...] [--every 5]

prints the link, writes the codes (or reads codes from stdin, one a line), and runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import tty
from pathlib import Path

SUFFIX_BYTES = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "tab": b"\t", "none": b""}


class VirtualScanner:
    def __init__(self, *, link: str | os.PathLike | None = None, suffix: str = "cr", byte_delay: float = 0.0):
        if suffix not in SUFFIX_BYTES:
            raise ValueError(f"suffix must be one of {', '.join(SUFFIX_BYTES)}")
        self.link = Path(link) if link else None
        self.suffix = SUFFIX_BYTES[suffix]
        self.byte_delay = byte_delay  # a real scanner at 9600 baud: ~1 ms per byte
        self.path = ""
        self.unplugs = 0
        self.last_write_at = 0.0  # time.perf_counter() just after the last byte went into the pty
        self._master: int | None = None
        self._slave: int | None = None
        self._lock = threading.Lock()
        self._replug: threading.Timer | None = None

    def start(self) -> "VirtualScanner":
        with self._lock:
            self._plug()
        return self

    def stop(self) -> None:
        if self._replug is not None:
            self._replug.cancel()
        with self._lock:
            self._close()
            if self.link is not None and self.link.is_symlink():
                self.link.unlink()

    def __enter__(self) -> "VirtualScanner":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        # The slave stays open here too: a pty whose slave was never opened loses what the master writes.
        self._master, self._slave = master, slave
        slave_path = os.ttyname(slave)
        if self.link is not None:
            self.link.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.link.with_name(self.link.name + ".tmp")
            if tmp.is_symlink() or tmp.exists():
                tmp.unlink()
            os.symlink(slave_path, tmp)
            os.replace(tmp, self.link)
            self.path = str(self.link)
        else:
            self.path = slave_path

    def _close(self) -> None:
        for attr in ("_master", "_slave"):
            fd = getattr(self, attr)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, attr, None)

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def write(self, data: bytes) -> None:
        """Raw bytes, `byte_delay` apart (OSError if unplugged)."""
        for i in range(len(data)) if self.byte_delay else [None]:
            chunk = data if i is None else data[i:i + 1]
            with self._lock:
                if self._master is None:
                    raise OSError("the virtual scanner is unplugged")
                os.write(self._master, chunk)
                self.last_write_at = time.perf_counter()
            if i is not None and i + 1 < len(data):
                time.sleep(self.byte_delay)

    def scan(self, code: str) -> None:
        self.write(code.encode("latin-1") + self.suffix)

    def unplug(self, replug_after: float | None = None) -> None:
        with self._lock:
            self.unplugs += 1
            self._close()
        if replug_after is not None:
            self._replug = threading.Timer(replug_after, self.replug)
            self._replug.daemon = True
            self._replug.start()

    def replug(self) -> None:
        with self._lock:
            if self._master is None:
                self._plug()


def _terminate(*_) -> None:
    # Out of any sleep, write or pause to the clean exit: a threading.Event set from a signal
    # handler can deadlock on the lock its own wait() holds in the interrupted main thread.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m kiosk.scanner.virtual", description="A virtual serial scanner on a pty.")
    ap.add_argument("--link", required=True, help="symlink to the pty, e.g. var/scanner.tty")
    ap.add_argument("--suffix", choices=sorted(SUFFIX_BYTES), default="cr")
    ap.add_argument("--byte-delay", type=float, default=0.001, help="seconds between bytes (default 0.001)")
    ap.add_argument("--code", action="append", default=[], help="a code to scan (repeatable); default: read stdin")
    ap.add_argument("--every", type=float, default=1.0, help="seconds between --code scans (default 1)")
    ap.add_argument("--start-delay", type=float, default=0.5, help="seconds before the first scan (default 0.5)")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    with VirtualScanner(link=args.link, suffix=args.suffix, byte_delay=args.byte_delay) as vs:
        print(vs.path, flush=True)
        try:
            if args.code:
                time.sleep(args.start_delay)
                for code in args.code:
                    vs.scan(code)
                    time.sleep(args.every)
            else:
                for line in sys.stdin:
                    vs.scan(line.rstrip("\r\n"))
            signal.pause()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
