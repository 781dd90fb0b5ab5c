"""A real TCP proxy on 127.0.0.1 that sits between the kiosk agent and the central server and
misbehaves on demand, the way a lobby network does.

It speaks just enough HTTP/1.1 to apply a fault to one request at a time (so a fault can target
`/api/v1/events` while heartbeats pass), keeps client connections alive like a real hop, and
records every request it saw.

    with FaultProxy(("127.0.0.1", server.port)) as proxy:
        proxy.set_fault("drop_reply", times=2)
        ...

Faults (`set_fault(mode, times=None, paths=..., **params)`):
    refuse      stop listening: connects are refused (open connections are closed too)
    reset       read the request head, then RST the connection before the body is read
    blackhole   read and discard, never answer (the client's read timeout fires)
    delay       forward, then hold the reply for `delay_s` (past the client's timeout)
    drop_reply  forward (the server applies the batch), then close without replying
    status      answer `status` (500, 503, 429...) with optional `retry_after`, without forwarding
                unless `forward=True` (then the server has applied it)
    truncate    forward, then send the head and half the body and close
    malformed   forward, then answer 200 with `body` (default: JSON cut short)
    partial     forward only the first `keep` events of the batch (default: half)
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

MODES = ("refuse", "reset", "blackhole", "delay", "drop_reply", "status", "truncate", "malformed", "partial")
DEFAULT_PATHS = ("/api/v1/events",)
POLL_S = 0.1
UPSTREAM_TIMEOUT_S = 30.0
MAX_HEAD = 64 * 1024

REASONS = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable"}


class Stopped(Exception):
    pass


@dataclass
class Fault:
    mode: str
    paths: tuple[str, ...] | None
    remaining: int | None
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    fault: str
    events: int | None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Message:
    head: bytes
    first_line: str
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def with_body(self, body: bytes) -> "Message":
        lines = [self.first_line]
        for key, value in self.headers:
            if key.lower() == "content-length":
                value = str(len(body))
            lines.append(f"{key}: {value}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return Message(head, self.first_line, self.headers, body)

    def raw(self) -> bytes:
        return self.head + self.body


class _Conn:
    """A socket with a read buffer whose reads give up when the proxy stops."""

    def __init__(self, sock: socket.socket, stop: threading.Event):
        self.sock, self.stop, self.buf = sock, stop, b""
        sock.settimeout(POLL_S)

    def _fill(self) -> bool:
        while True:
            if self.stop.is_set():
                raise Stopped()
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                return False
            self.buf += chunk
            return True

    def read_until(self, marker: bytes, limit: int = MAX_HEAD) -> bytes | None:
        while marker not in self.buf:
            if len(self.buf) > limit or not self._fill():
                return None
        idx = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:idx], self.buf[idx:]
        return out

    def read_exact(self, n: int) -> bytes | None:
        while len(self.buf) < n:
            if not self._fill():
                return None
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_to_eof(self) -> bytes:
        while self._fill():
            pass
        out, self.buf = self.buf, b""
        return out


def _parse_head(head: bytes) -> Message:
    lines = head.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if line:
            key, _, value = line.partition(":")
            headers.append((key.strip(), value.strip()))
    return Message(head, lines[0], headers)


def _read_request_head(conn: _Conn) -> Message | None:
    head = conn.read_until(b"\r\n\r\n")
    return _parse_head(head) if head else None


def _read_body(conn: _Conn, msg: Message, no_body: bool = False, to_eof_ok: bool = False) -> bool:
    if no_body:
        return True
    if (msg.header("transfer-encoding") or "").lower() == "chunked":
        parts = []
        while True:
            size_line = conn.read_until(b"\r\n")
            if size_line is None:
                return False
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            parts.append(size_line)
            if size == 0:
                trailer = conn.read_until(b"\r\n\r\n") if not conn.buf.startswith(b"\r\n") else conn.read_exact(2)
                if trailer is None:
                    return False
                parts.append(trailer)
                msg.body = b"".join(parts)
                return True
            chunk = conn.read_exact(size + 2)
            if chunk is None:
                return False
            parts.append(chunk)
    length = msg.header("content-length")
    if length is not None:
        body = conn.read_exact(int(length))
        if body is None:
            return False
        msg.body = body
        return True
    if to_eof_ok:
        msg.body = conn.read_to_eof()
    return True


def _rst(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def _response(status: int, body: bytes = b"", headers: dict | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}", f"Content-Length: {len(body)}",
             "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class FaultProxy:
    def __init__(self, upstream: tuple[str, int], host: str = "127.0.0.1", port: int = 0):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fault proxy listens on loopback only")
        self.upstream, self.host, self.port = upstream, host, port
        self.requests: list[Seen] = []
        self._fault: Fault | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._accept_stop = threading.Event()
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._generation = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # lifecycle

    def start(self) -> "FaultProxy":
        self._listen()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._unlisten()
        self._close_clients()
        for thread in list(self._threads):
            thread.join(2.0)

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # faults

    def set_fault(self, mode: str, times: int | None = None, paths: tuple[str, ...] | None = DEFAULT_PATHS,
                  **params) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown fault {mode!r}; one of {', '.join(MODES)}")
        with self._lock:
            self._fault = Fault(mode, paths, times, params)
            self._generation += 1
        if mode == "refuse":
            self._unlisten()
            self._close_clients()
        elif self._listener is None:
            self._listen()

    def clear(self) -> None:
        with self._lock:
            self._fault = None
            self._generation += 1
        if self._listener is None and not self._stop.is_set():
            self._listen()

    def seen(self, path_prefix: str = "", fault: str | None = None) -> list[Seen]:
        return [s for s in list(self.requests)
                if s.path.startswith(path_prefix) and (fault is None or s.fault == fault)]

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            fault = self._fault
            if fault is None or (fault.paths is not None and not path.startswith(fault.paths)):
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._fault = None
            return fault

    # sockets

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(128)
        sock.settimeout(POLL_S)
        self.port = sock.getsockname()[1]
        self._listener = sock
        self._accept_stop = threading.Event()
        self._accept_thread = threading.Thread(target=self._accept_loop, args=(sock, self._accept_stop),
                                               name=f"fault-proxy:{self.port}", daemon=True)
        self._accept_thread.start()

    def _unlisten(self) -> None:
        if self._listener is None:
            return
        self._accept_stop.set()
        if self._accept_thread is not None:
            self._accept_thread.join(2.0)
        self._listener.close()
        self._listener = None

    def _close_clients(self) -> None:
        with self._lock:
            conns = list(self._conns)
        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _accept_loop(self, listener: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.add(client)
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    # one client connection

    def _serve(self, client_sock: socket.socket) -> None:
        client = _Conn(client_sock, self._stop)
        upstream: _Conn | None = None
        try:
            while True:
                request = _read_request_head(client)
                if request is None:
                    return
                method, path = (request.first_line.split(" ") + ["", ""])[:2]
                generation = self._generation
                fault = self._take_fault(path)
                mode = fault.mode if fault else "pass"
                if mode == "reset":
                    self.requests.append(Seen(method, path, mode, None))
                    _rst(client_sock)
                    return
                if not _read_body(client, request):
                    return
                if mode == "partial":
                    request = self._keep_some_events(request, fault.params.get("keep"))
                self.requests.append(Seen(method, path, mode, _count_events(request.body)))
                if mode == "blackhole":
                    self._hold(client, generation)
                    return
                if mode == "status" and not fault.params.get("forward"):
                    client_sock.sendall(self._status_reply(fault))
                    continue
                upstream, response = self._forward(upstream, request, method)
                if response is None:
                    _rst(client_sock)
                    return
                if mode == "drop_reply":
                    return
                if mode == "delay":
                    if self._stop.wait(fault.params.get("delay_s", 5.0)):
                        return
                    client_sock.sendall(response.raw())
                elif mode == "truncate":
                    client_sock.sendall(response.head + response.body[: max(1, len(response.body) // 2)])
                    return
                elif mode == "malformed":
                    body = fault.params.get("body", b'{"accepted": ["')
                    client_sock.sendall(_response(200, body if isinstance(body, bytes) else body.encode()))
                elif mode == "status":
                    client_sock.sendall(self._status_reply(fault))
                else:
                    client_sock.sendall(response.raw())
                    if (response.header("connection") or "").lower() == "close":
                        return
        except (Stopped, OSError):
            return
        finally:
            with self._lock:
                self._conns.discard(client_sock)
            client_sock.close()
            if upstream is not None:
                upstream.sock.close()

    def _hold(self, client: _Conn, generation: int) -> None:
        """Swallow whatever the client sends until it gives up or the faults are changed."""
        while self._generation == generation and not self._stop.is_set():
            try:
                if not client.sock.recv(65536):
                    return
            except socket.timeout:
                continue

    @staticmethod
    def _status_reply(fault: Fault) -> bytes:
        status = int(fault.params.get("status", 500))
        headers = {}
        if fault.params.get("retry_after") is not None:
            headers["Retry-After"] = str(fault.params["retry_after"])
        return _response(status, b'{"error": "injected", "message": "fault proxy"}', headers)

    @staticmethod
    def _keep_some_events(request: Message, keep: int | None) -> Message:
        try:
            body = json.loads(request.body)
            events = body["events"]
        except (ValueError, KeyError, TypeError):
            return request
        body["events"] = events[: keep if keep is not None else max(1, len(events) // 2)]
        return request.with_body(json.dumps(body).encode())

    def _forward(self, upstream: _Conn | None, request: Message, method: str) -> tuple[_Conn | None, Message | None]:
        for attempt in range(2):
            if upstream is None:
                try:
                    sock = socket.create_connection(self.upstream, timeout=UPSTREAM_TIMEOUT_S)
                except OSError:
                    return None, None
                upstream = _Conn(sock, self._stop)
            try:
                upstream.sock.sendall(request.raw())
                head = upstream.read_until(b"\r\n\r\n")
                if head is None:
                    raise ConnectionError("upstream closed")
                response = _parse_head(head)
                status = int(response.first_line.split(" ")[1])
                no_body = method == "HEAD" or status in (204, 304) or status < 200
                if not _read_body(upstream, response, no_body=no_body, to_eof_ok=True):
                    raise ConnectionError("upstream closed mid-body")
                if (response.header("connection") or "").lower() == "close":
                    upstream.sock.close()
                    upstream = None
                return upstream, response
            except (ConnectionError, OSError):
                # A kept-alive upstream connection the server had already closed: reconnect once.
                upstream.sock.close()
                upstream = None
                if attempt:
                    return None, None
        return None, None


def _count_events(body: bytes) -> int | None:
    if not body:
        return None
    try:
        events = json.loads(body).get("events")
    except (ValueError, AttributeError):
        return None
    return len(events) if isinstance(events, list) else None
