"""`file:PATH`: a file or write-only device node (e.g. /dev/usb/lp0); every job is appended; no status channel."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from .base import FdTransport, OpenError
from .kind import Access, BadDevice, DeviceSpec, OpenOptions, TransportKind


class FileTransport(FdTransport):
    can_read = False

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def describe(self) -> str:
        return f"file {self.path}"

    def open(self, timeout: float) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK | os.O_NOCTTY
        try:
            self._fd = os.open(self.path, flags, 0o644)
        except OSError as e:
            raise OpenError(f"cannot open {self.path}: {e.strerror}") from e

    def read(self, n: int, timeout: float) -> bytes:
        return b""

    def discard_input(self) -> None:
        pass


def parse(rest: str | None) -> DeviceSpec:
    if not rest:
        raise BadDevice("file needs a path")
    return DeviceSpec("file", path=rest)


def open_file(spec: DeviceSpec, options: OpenOptions) -> FileTransport:
    return FileTransport(spec.path)


def access(spec: DeviceSpec, at: Callable[[str], Path]) -> Access:
    if not spec.path.startswith("/dev/"):
        return Access(note=f"writes to the file {spec.path}")
    node = at(spec.path)
    if not node.exists():
        return Access(node, missing=(f"{spec.path} does not exist", "plug the printer in and switch it on"))
    return Access(node)


KIND = TransportKind("file", "file:/path/to/jobs.bin", parse, open_file, access, path_argument=True)
