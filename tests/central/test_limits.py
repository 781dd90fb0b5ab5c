"""Availability: slow clients, oversized and unauthenticated bodies, against the real server on loopback."""

import json
import socket
import time

from support.slowloris import SlowClients, timed_request

from central.app import MAX_BODY_BYTES, create_app
from central.server import LIMITS, ServerThread


def test_200_trickling_connections_do_not_stop_a_legitimate_request(db, kiosk_token):
    with ServerThread(create_app(db)) as srv:
        with SlowClients(srv.host, srv.port, count=200) as attack:
            slowest = 0.0
            for _ in range(3):
                seconds, status, _ = timed_request(srv.host, srv.port)
                assert status == 200
                body = json.dumps({"kiosk_id": "K1", "events": []}).encode()
                seconds2, status2, _ = timed_request(srv.host, srv.port, "POST", "/api/v1/events", body,
                                                     {"Authorization": f"Bearer {kiosk_token}"})
                assert status2 == 200
                slowest = max(slowest, seconds, seconds2)
        assert slowest < 2.0, f"a legitimate request took {slowest:.2f} s with 200 slow clients"
        assert attack.opened >= 200
        assert srv._server.refused >= 200 - LIMITS["per_client"], "connections over per_client were not refused"


def test_headers_trickled_past_the_deadline_are_cut_off(db):
    with ServerThread(create_app(db), header_timeout=1.0, cleanup_interval=1) as srv:
        sock = socket.create_connection((srv.host, srv.port), timeout=5)
        started = time.monotonic()
        closed = False
        for byte in b"GET /api/v1/health HTTP/1.1\r\nX-Slow: " + b"a" * 60:
            try:
                sock.send(bytes([byte]))
                time.sleep(0.1)
                sock.setblocking(False)
                if sock.recv(1) == b"":
                    closed = True
                    break
            except BlockingIOError:
                continue
            except OSError:
                closed = True
                break
            finally:
                sock.setblocking(True)
        elapsed = time.monotonic() - started
        sock.close()
    assert closed, "the server kept a connection whose headers never ended"
    assert 1.0 <= elapsed < 4.0
    assert srv._server.timed_out >= 1


def test_one_address_gets_at_most_per_client_connections(db):
    with ServerThread(create_app(db), per_client=3) as srv:
        held = [socket.create_connection((srv.host, srv.port), timeout=5) for _ in range(3)]
        time.sleep(0.2)
        extra = socket.create_connection((srv.host, srv.port), timeout=5)
        reply = extra.recv(4096)
        assert reply.startswith(b"HTTP/1.1 503") and b"Retry-After" in reply and b'"busy"' in reply
        seconds, status, _ = timed_request(srv.host, srv.port)  # another address is not affected
        assert status == 200
        for sock in held + [extra]:
            sock.close()


def raw_upload(srv, headers: dict, declared: int, send: bytes = b"x" * 1000) -> tuple[float, bytes]:
    sock = socket.create_connection((srv.host, srv.port), timeout=5)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    started = time.monotonic()
    sock.sendall(f"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{head}"
                 f"Content-Length: {declared}\r\n\r\n".encode() + send)
    reply = b""
    try:
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    finally:
        sock.close()
    return time.monotonic() - started, reply


def test_a_300_mb_body_without_a_token_is_refused_before_it_is_read(db, kiosk_token):
    with ServerThread(create_app(db)) as srv:
        for headers in ({}, {"Authorization": "Bearer abc.def"}, {"Authorization": f"Bearer {kiosk_token}x"}):
            seconds, reply = raw_upload(srv, headers, 300 * 1024 * 1024)
            assert reply.startswith(b"HTTP/1.1 401"), reply[:200]
            assert b'"unauthorized"' in reply and seconds < 2
        # A valid token with a body over the cap: 413 at once, the body still unread.
        seconds, reply = raw_upload(srv, {"Authorization": f"Bearer {kiosk_token}"}, MAX_BODY_BYTES + 1)
        assert reply.startswith(b"HTTP/1.1 413") and b'"too_large"' in reply and seconds < 2
        # The same connection limits leave a normal batch alone.
        body = json.dumps({"kiosk_id": "K1", "events": []}).encode()
        seconds, status, _ = timed_request(srv.host, srv.port, "POST", "/api/v1/events", body,
                                           {"Authorization": f"Bearer {kiosk_token}"})
        assert status == 200
