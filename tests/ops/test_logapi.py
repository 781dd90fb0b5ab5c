"""The agent's log API on real sockets: paging, tokens, limits, and a flood of malformed requests."""

from __future__ import annotations

import json
import socket
import subprocess
import threading

import pytest
import requests
from opskit import add_tickets, clean_env, kiosk_cmd, write_secret
from support.kiosk_env import make_config

from kiosk import logapi
from kiosk.store import Store


@pytest.fixture
def served(log_config):
    with Store(log_config.store.path) as store:
        add_tickets(store, 1234)
    server = logapi.start_server(log_config)
    yield server
    server.stop()


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def page(server, token, **params):
    r = requests.get(f"{server.url}/api/v1/tickets", params=params, headers=auth(token), timeout=5)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in r.text.splitlines()]


def test_pages_follow_the_cursor_and_match_kiosk_export(served, log_token, log_config):
    records, after = [], 0
    while True:
        chunk = page(served, log_token, after=after, limit=500)
        records += chunk
        if len(chunk) < 500:
            break
        after = chunk[-1]["cursor"]
    assert [r["cursor"] for r in records] == list(range(1, 1235))
    assert records[0]["number"] == "A000001" and records[-1]["number"] == "A001234"

    exported = subprocess.run(
        kiosk_cmd("--config", str(log_config.path), "export"), capture_output=True, text=True,
        timeout=60, env=clean_env(), check=True,
    ).stdout
    r = requests.get(f"{served.url}/api/v1/tickets", params={"after": 1000, "limit": 234}, headers=auth(log_token), timeout=5)
    assert r.text == "".join(exported.splitlines(keepends=True)[1000:])


def test_health_names_the_kiosk_and_its_newest_cursor(served, log_token):
    r = requests.get(f"{served.url}/api/v1/health", headers=auth(log_token), timeout=5)
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True and body["kiosk_id"] == "test-kiosk" and body["office"] == "TEST"
    assert body["last_cursor"] == 1234


def test_after_the_last_cursor_is_an_empty_page(served, log_token):
    assert page(served, log_token, after=1234) == []
    assert page(served, log_token, after=10**18) == []


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer wrong-token-wrong-token"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer"},
])
def test_missing_or_wrong_token_is_401(served, headers):
    for path in ("/api/v1/tickets", "/api/v1/health"):
        r = requests.get(served.url + path, headers=headers, timeout=5)
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert r.json()["error"] == "unauthorized"
        assert "A000001" not in r.text


def test_token_with_a_right_prefix_is_still_rejected(served, log_token):
    r = requests.get(f"{served.url}/api/v1/tickets", headers=auth(log_token + "x"), timeout=5)
    assert r.status_code == 401


@pytest.mark.parametrize("query, status, code", [
    ("limit=501", 400, "limit_too_large"),
    ("limit=0", 400, "bad_parameter"),
    ("after=-1", 400, "bad_parameter"),
    ("after=abc", 400, "bad_parameter"),
    ("after=99999999999999999999", 400, "bad_parameter"),
    ("cursor=5", 400, "bad_parameter"),
    ("after=1&after=2", 400, "bad_parameter"),
])
def test_bad_queries_are_4xx_with_a_reason(served, log_token, query, status, code):
    r = requests.get(f"{served.url}/api/v1/tickets?{query}", headers=auth(log_token), timeout=5)
    assert r.status_code == status
    assert r.json()["error"] == code


def test_the_api_is_read_only(served, log_token):
    r = requests.post(f"{served.url}/api/v1/tickets", headers=auth(log_token), timeout=5)
    assert r.status_code == 405
    r = requests.get(f"{served.url}/api/v1/nothing", headers=auth(log_token), timeout=5)
    assert r.status_code == 404


def test_oversized_headers_and_bodies_are_refused(served, log_token):
    r = requests.get(f"{served.url}/api/v1/tickets", headers={**auth(log_token), "X-Pad": "x" * 20000}, timeout=5)
    assert r.status_code == 431
    r = requests.get(f"{served.url}/api/v1/tickets", data=b"x" * 5000, headers=auth(log_token), timeout=5)
    assert r.status_code == 413


def test_rate_limit_answers_429_with_retry_after(tmp_path, log_token):
    config = make_config(tmp_path / "etc", extra='[agent]\nlisten = "127.0.0.1:0"\nlog_token_file = "log.token"\n'
                                                 "log_rate_per_second = 0.5\nlog_rate_burst = 3\n")
    with logapi.start_server(config) as server:
        codes = [requests.get(f"{server.url}/api/v1/health", headers=auth(log_token), timeout=5).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200]
        assert codes[3:] == [429, 429]
        r = requests.get(f"{server.url}/api/v1/health", headers=auth(log_token), timeout=5)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1


def test_it_will_not_start_without_a_safe_token(tmp_path):
    config = make_config(tmp_path / "a", extra='[agent]\nlisten = "127.0.0.1:0"\n')
    with pytest.raises(logapi.LogApiError, match="log_token_file is not set"):
        logapi.start_server(config)
    write_secret(tmp_path / "b" / "log.token", "short")
    config = make_config(tmp_path / "b", extra='[agent]\nlisten = "127.0.0.1:0"\nlog_token_file = "log.token"\n')
    with pytest.raises(logapi.LogApiError, match="16-512 characters"):
        logapi.start_server(config)


def test_address_in_use_is_a_clear_error(log_config, served):
    import dataclasses

    busy = dataclasses.replace(log_config, agent=dataclasses.replace(log_config.agent, listen=f"127.0.0.1:{served.port}"))
    with pytest.raises(logapi.LogApiError, match="cannot listen on 127.0.0.1"):
        logapi.start_server(busy)


MALFORMED = [
    b"\x00\xff\xfe garbage\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET /api/v1/tickets HTTP/9.9\r\n\r\n",
    b"GET /api/v1/tickets?after=%ZZ HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/v1/tickets?limit=-5 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\n\r\n",
    b"POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\nabc",
    b"GET /api/v1/tickets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
    b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n\r\n",
    b"GET /api/v1/tickets HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 10000 + b"\r\n\r\n",
    b"\r\n\r\n\r\n",
    b"GET /api/v1/tickets?after=1&limit=1&limit=2 HTTP/1.1\r\nHost: x\r\n",  # never finished
]


def _hammer(port: int, rounds: int, statuses: list, lock: threading.Lock) -> None:
    for i in range(rounds):
        payload = MALFORMED[i % len(MALFORMED)]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            try:
                s.sendall(payload)
                s.shutdown(socket.SHUT_WR)
                head = s.recv(64)
            except OSError:  # a reset is an acceptable answer to garbage
                head = b""
        status = head[9:12].decode("latin-1") if head.startswith(b"HTTP/1.") else "-"
        with lock:
            statuses.append(status)


def test_ten_thousand_malformed_requests_do_not_crash_it(served, log_token):
    statuses: list[str] = []
    lock = threading.Lock()
    threads = [threading.Thread(target=_hammer, args=(served.port, 2500, statuses, lock)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(statuses) == 10_000
    assert not [s for s in statuses if s.startswith("5")], "a malformed request caused a server error"
    assert any(s.startswith("4") for s in statuses)
    # Still serving, and serving the right thing.
    assert [r["cursor"] for r in page(served, log_token, after=1230)] == [1231, 1232, 1233, 1234]


def test_openapi_kiosk_document_matches_the_routes(log_config, log_token):
    """docs/openapi-kiosk.yaml and the log API describe the same endpoints."""
    import re

    from opskit import REPO

    from kiosk.logapi.app import create_app
    from kiosk.logapi.ratelimit import RateLimiter

    spec = (REPO / "docs/openapi-kiosk.yaml").read_text()
    documented, path = set(), None
    for line in spec.splitlines():
        if m := re.fullmatch(r"  (/api/v1/\S+):", line):
            path = m.group(1)
        elif path and (m := re.fullmatch(r"    (get|post|put|delete|patch):", line)):
            documented.add((m.group(1).upper(), path))
    app = create_app(kiosk_id="k", office="o", token=log_token, store_factory=lambda: None, page_max=1, limiter=RateLimiter(1, 1))
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented
    fields = set(re.findall(r"^        (\w+): \{", spec.split("TicketRecord:")[1], re.M))
    from kiosk.store import Ticket

    assert fields == set(Ticket.__dataclass_fields__)
