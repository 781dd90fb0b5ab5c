"""Waitress with the limits a slow or hostile client cannot get around, for both of our servers
(the central server and the kiosk's log API; `WaitressThread` builds this server when given any
of GUARDS).

Waitress reads request headers in its event loop and drops a connection only after
`channel_timeout` seconds *without a byte*, so a client sending one header byte every few
seconds keeps its connection forever, and `connection_limit` such connections stop the server
accepting anyone (slowloris). Three guards close that:

- **Header deadline.** A request's headers must arrive whole within `header_timeout` seconds of
  its first byte (of the connection opening, for the first request); otherwise the connection
  is closed, however steadily bytes trickle in.
- **Connections per client.** At most `per_client` connections from one address; the next is
  answered `503` with `Retry-After` and closed at once, so one address cannot fill the server's
  `connection_limit` (a slow client from many addresses is a job for a reverse proxy: see
  docs/operations.md).
- **No body before the token.** Once the headers are in, `body_gate(headers, content_length)`
  decides whether the body may be read at all. If not (no valid token, or more than the app takes),
  the request is passed to the app *without* its body and the connection closes after the
  answer, so the app answers 401 or 413 at once instead of after reading the upload.

    server = create_guarded_server(app, "127.0.0.1", 0, per_client=8, header_timeout=10,
                                   body_gate=lambda headers, length: ..., threads=4)
    server.run()
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from typing import Callable

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher
from waitress.utilities import RequestEntityTooLarge

log = logging.getLogger("serverguard")

BodyGate = Callable[[dict, int], bool]
GUARDS = frozenset({"per_client", "header_timeout", "body_gate"})
_BUSY = b'{"error": "busy", "message": "too many connections from this address; retry later"}'
TOO_MANY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
            b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(_BUSY), _BUSY))


class _GatedParser(HTTPRequestParser):
    """Asks the server's body gate once the headers are in; a refused request keeps no body."""

    def __init__(self, adj, gate: BodyGate | None):
        super().__init__(adj)
        self._gate = gate

    def received(self, data: bytes) -> int:
        consumed = super().received(data)
        if self._gate is not None and self.headers_finished:
            gate, self._gate = self._gate, None
            # Over waitress's own cap by Content-Length: still the app's answer (401 before 413).
            oversize = isinstance(self.error, RequestEntityTooLarge) and self.body_rcv is not None
            if (oversize or not self.completed) and not gate(self.headers, self.content_length):
                self.error = None
                if self.body_rcv is not None:
                    self.body_rcv.getbuf().close()
                self.body_rcv = None
                self.completed = True
                self.headers["CONNECTION"] = "close"  # what the client sends next is the unread body
                return len(data)
        return consumed


class GuardedChannel(HTTPChannel):
    def __init__(self, server, sock, addr, adj, map=None):
        # Waiting for headers since (monotonic); None while a request is in or the channel idles
        # between requests (then channel_timeout, an inactivity limit, is enough).
        self.awaiting_headers_since: float | None = time.monotonic()
        super().__init__(server, sock, addr, adj, map=map)

    def parser_class(self, adj):  # called by HTTPChannel as self.parser_class(self.adj)
        return _GatedParser(adj, self.server.body_gate)

    def received(self, data: bytes) -> bool:
        if data and self.request is None and self.awaiting_headers_since is None:
            self.awaiting_headers_since = time.monotonic()
        result = super().received(data)
        if self.request is None or self.request.headers_finished:
            self.awaiting_headers_since = None
        return result


class GuardedServer(TcpWSGIServer):
    channel_class = GuardedChannel
    per_client = 0
    header_timeout = 0.0
    body_gate: BodyGate | None = None
    refused = 0  # connections answered 503 for going over per_client
    timed_out = 0  # connections closed for not sending their headers in time

    def handle_accept(self):
        try:
            accepted = self.accept()
            if accepted is None:
                return
            conn, addr = accepted
            self.set_socket_options(conn)
        except OSError:
            return
        addr = self.fix_addr(addr)
        host = client_host(addr)
        if self.per_client and self._open_from(host) >= self.per_client:
            self.refused += 1
            if self.refused in (1, 10, 100, 1000) or self.refused % 10000 == 0:
                log.warning("%s has %d connections open: refused another (%d refused so far)",
                            host, self.per_client, self.refused)
            try:
                conn.setblocking(False)
                conn.send(TOO_MANY)
            except OSError:
                pass
            conn.close()
            return
        self.channel_class(self, conn, addr, self.adj, map=self._map)

    def _open_from(self, host: str) -> int:
        """Connections from `host` still in use (one that is closing no longer counts)."""
        def in_use(channel) -> bool:
            return client_host(channel.addr) == host and channel.connected and not (
                channel.will_close or channel.close_when_flushed)

        if sum(map(in_use, self.active_channels.values())) < self.per_client:
            return 0
        # At the cap: a client that connects again at once (a new session per request) may have closed
        # connections whose end the loop has not read yet. Look before refusing it.
        for channel in [c for c in self.active_channels.values() if in_use(c) and not c.requests and c.request is None]:
            try:
                if channel.socket.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                    channel.handle_close()
            except BlockingIOError:
                pass
            except OSError:
                channel.handle_close()
        return sum(map(in_use, self.active_channels.values()))

    def maintenance(self, now):
        super().maintenance(now)
        if not self.header_timeout:
            return
        cutoff = time.monotonic() - self.header_timeout
        for channel in list(self.active_channels.values()):
            since = getattr(channel, "awaiting_headers_since", None)
            if since is not None and since < cutoff and not channel.will_close:
                channel.will_close = True
                self.timed_out += 1


def client_host(addr) -> str:
    host = addr[0] if isinstance(addr, tuple) else str(addr)
    try:
        mapped = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(mapped, ipaddress.IPv6Address) and mapped.ipv4_mapped:
        return str(mapped.ipv4_mapped)
    return host


def create_guarded_server(app, host: str, port: int, *, per_client: int = 0, header_timeout: float = 0.0,
                          body_gate: BodyGate | None = None, **adjustments) -> GuardedServer:
    """A waitress server on one address with the guards above (`adjustments` are waitress's)."""
    if header_timeout:
        adjustments.setdefault("cleanup_interval", max(1, min(10, int(header_timeout / 2))))
    server = _create(app, host, port, adjustments)
    server.per_client = per_client
    server.header_timeout = float(header_timeout)
    server.body_gate = body_gate
    return server


def _create(app, host: str, port: int, adjustments: dict) -> GuardedServer:
    # waitress.create_server takes no server class; this is what it builds for one host:port.
    adj = Adjustments(host=host, port=port, **adjustments)
    if len(adj.listen) != 1:
        raise ValueError(f"{host}:{port} resolves to {len(adj.listen)} addresses; give one IP address")
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    return GuardedServer(app, {}, True, None, dispatcher=dispatcher, adj=adj, sockinfo=adj.listen[0])


__all__ = ["GUARDS", "GuardedServer", "create_guarded_server", "client_host"]
