"""Network printer on a raw TCP port (9100): connect with a timeout, then the shared fd I/O.
`tcp:HOST[:PORT]`, IPv6 in brackets (tcp:[fd00::5]:9100)."""
from __future__ import annotations

import re
import socket

from .base import FdTransport, OpenError
from .kind import BadDevice, DeviceSpec, OpenOptions, TransportKind, no_node

DEFAULT_PORT = 9100


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


def parse(rest: str | None) -> DeviceSpec:
    m = re.fullmatch(r"\[([0-9a-fA-F:.]+)\](?::(\d+))?|([^:\[\]]+)(?::(\d+))?", rest or "")
    if not m:
        raise BadDevice("tcp needs HOST or HOST:PORT (IPv6 in brackets)")
    host = m.group(1) or m.group(3)
    port = int(m.group(2) or m.group(4) or DEFAULT_PORT)
    if not 1 <= port <= 65535:
        raise BadDevice(f"port {port} is out of range")
    return DeviceSpec("tcp", host=host, port=port)


def open_tcp(spec: DeviceSpec, options: OpenOptions) -> TcpTransport:
    return TcpTransport(spec.host, spec.port)


KIND = TransportKind("tcp", "tcp:192.168.1.50[:9100]", parse, open_tcp, no_node("tcp printer: no device node to open"))
