"""Network printer on a raw TCP port (9100): connect with a timeout, then the shared fd I/O."""
from __future__ import annotations

import socket

from .base import FdTransport, OpenError


class TcpTransport(FdTransport):
    def __init__(self, host: str, port: int = 9100):
        super().__init__()
        self.host = host
        self.port = port
        self._sock: socket.socket | None = None

    def describe(self) -> str:
        return f"network printer {self.host}:{self.port}"

    def open(self, timeout: float) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except OSError as e:
            reason = "timed out" if isinstance(e, TimeoutError) else (e.strerror or str(e))
            raise OpenError(f"cannot connect to {self.host}:{self.port}: {reason} "
                            "(printer off, wrong address, or another host holds its port?)") from e
        sock.setblocking(False)
        # Tickets are small and the status answer is awaited: don't let Nagle hold them back.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._fd = sock.fileno()

    def close(self) -> None:
        sock, self._sock = self._sock, None
        self._fd = None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
