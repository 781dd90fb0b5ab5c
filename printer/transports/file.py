"""A file or write-only device node (e.g. /dev/usb/lp0): every job is appended; no status channel."""
from __future__ import annotations

import os

from .base import FdTransport, OpenError


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
