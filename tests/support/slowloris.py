"""Slow clients for the availability tests (loopback only): many connections that trickle header
bytes and reconnect whenever the server closes one, from one source address, while a legitimate
client on another loopback address (127.0.0.2) measures how long its request takes.

    with SlowClients("127.0.0.1", port, count=200) as attack:
        seconds, status = timed_get(f"http://127.0.0.1:{port}/api/v1/health")
    attack.opened, attack.closed_by_server
"""

from __future__ import annotations

import http.client
import selectors
import socket
import threading
import time

LEGIT_SOURCE = "127.0.0.2"


class SlowClients:
    def __init__(self, host: str, port: int, *, count: int = 200, every: float = 0.5, source: str = "127.0.0.1",
                 request: bytes = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"):
        self.address, self.count, self.every, self.source = (host, port), count, every, source
        self.request = request
        self.opened = self.closed_by_server = self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slowloris", daemon=True)
        self._sel = selectors.DefaultSelector()

    def _open(self) -> None:
        sock = socket.socket()
        sock.settimeout(2)
        try:
            sock.bind((self.source, 0))
            sock.connect(self.address)
            sock.send(self.request[:5])
        except OSError:
            sock.close()
            self.refused += 1
            return
        sock.setblocking(False)
        self.opened += 1
        self._sel.register(sock, selectors.EVENT_READ, [5])

    def _run(self) -> None:
        for _ in range(self.count):
            if self._stop.is_set():
                break
            self._open()
        header = b"X-Slow: 1\r\n"
        while not self._stop.is_set():
            deadline = time.monotonic() + self.every
            while time.monotonic() < deadline and not self._stop.is_set():
                for key, _ in self._sel.select(timeout=0.05):
                    self._drop(key.fileobj)
                    self.closed_by_server += 1
                    self._open()
            for key in list(self._sel.get_map().values()):
                try:
                    key.fileobj.send(header[:1])  # one byte per round: never idle, never done
                except OSError:
                    self._drop(key.fileobj)
                    self.closed_by_server += 1
                    self._open()
        for key in list(self._sel.get_map().values()):
            self._drop(key.fileobj)

    def _drop(self, sock) -> None:
        try:
            self._sel.unregister(sock)
        except (KeyError, ValueError):
            pass
        sock.close()

    def __enter__(self) -> "SlowClients":
        self._thread.start()
        while self.opened + self.refused < self.count and self._thread.is_alive():
            time.sleep(0.05)
        time.sleep(self.every * 2)  # a couple of trickle rounds: the server is now holding what it will hold
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)


def timed_request(host: str, port: int, method: str = "GET", path: str = "/api/v1/health", body: bytes | None = None,
                  headers: dict | None = None, timeout: float = 10.0) -> tuple[float, int, bytes]:
    """(seconds, status, body) of one request from LEGIT_SOURCE; status 0 if it failed or timed out."""
    started = time.monotonic()
    conn = http.client.HTTPConnection(host, port, timeout=timeout, source_address=(LEGIT_SOURCE, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return time.monotonic() - started, response.status, response.read()
    except OSError:
        return time.monotonic() - started, 0, b""
    finally:
        conn.close()
