"""The log API under hostile input and slow clients: ASCII-only numbers, no redirects, failed
authentication in its own rate-limit bucket, and a legitimate pull answered while 200 connections trickle."""

from __future__ import annotations

import socket
import time

import pytest
import requests
from opskit import add_tickets
from support.kiosk_env import make_config
from support.slowloris import SlowClients, timed_request

from kiosk import logapi
from kiosk.store import Store


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def served(log_config):
    with Store(log_config.store.path) as store:
        add_tickets(store, 20)
    with logapi.start_server(log_config) as server:
        yield server


@pytest.mark.parametrize("query", ["after=²", "limit=¹", "limit=①", "after=٣", "limit=١٠", "after=۱", "after=+1",
                                   "after= 1", "after=1_0", "after=18446744073709551616", "after=", "limit=0x10"])
def test_numbers_are_ascii_digits_only(served, log_token, query):
    r = requests.get(f"{served.url}/api/v1/tickets?{query}", headers=auth(log_token), timeout=5)
    assert r.status_code == 400, (query, r.status_code, r.text[:100])
    assert r.json()["error"] == "bad_parameter"


def test_a_path_that_would_redirect_is_a_json_404(served, log_token):
    for path in ("/api/v1//tickets", "/api/v1/..%2Ftickets", "/api/v1/tickets/"):
        r = requests.get(served.url + path, headers=auth(log_token), timeout=5, allow_redirects=False)
        assert r.status_code == 404, (path, r.status_code)
        assert r.headers["Content-Type"] == "application/json"


def test_wrong_tokens_do_not_use_up_the_pullers_allowance(tmp_path, log_token):
    config = make_config(tmp_path / "etc", extra='[agent]\nlisten = "127.0.0.1:0"\nlog_token_file = "log.token"\n'
                                                 "log_rate_per_second = 0.5\nlog_rate_burst = 3\n")
    with logapi.start_server(config) as server:
        wrong = [requests.get(f"{server.url}/api/v1/health", headers=auth("x" * 20), timeout=5).status_code
                 for _ in range(6)]
        assert wrong[:3] == [401, 401, 401] and wrong[3:] == [429, 429, 429], wrong
        right = [requests.get(f"{server.url}/api/v1/health", headers=auth(log_token), timeout=5).status_code
                 for _ in range(3)]
        assert right == [200, 200, 200], "failed guesses from the same address starved the right token"


def test_a_body_is_never_read_without_the_token(served, log_token):
    for headers, status in (({}, b"401"), (auth(log_token), b"413")):
        sock = socket.create_connection((served.host, served.port), timeout=5)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        started = time.monotonic()
        sock.sendall(f"GET /api/v1/tickets HTTP/1.1\r\nHost: x\r\n{head}Content-Length: 300000000\r\n\r\n".encode())
        reply = sock.recv(4096)
        sock.close()
        assert reply[9:12] == status, reply[:100]
        assert time.monotonic() - started < 2


def test_200_trickling_connections_do_not_stop_a_pull(served, log_token):
    with SlowClients(served.host, served.port, count=200) as attack:
        answers = [timed_request(served.host, served.port, path="/api/v1/tickets?after=0&limit=5",
                                 headers=auth(log_token)) for _ in range(3)]
    assert [status for _, status, _ in answers] == [200, 200, 200]
    assert max(seconds for seconds, _, _ in answers) < 2.0
    assert answers[0][2].count(b"\n") == 5
    assert attack.opened >= 200


@pytest.mark.parametrize("option", [["--after", "9" * 40], ["--after", "-1"], ["--after", "²"], ["--limit", "1e3"],
                                    ["--after", str(2**63)]])
def test_kiosk_export_with_a_bad_number_is_a_usage_error_not_a_traceback(log_config, option):
    import subprocess

    from opskit import clean_env, kiosk_cmd

    r = subprocess.run(kiosk_cmd("--config", str(log_config.path), "export", *option), capture_output=True,
                       text=True, timeout=60, env=clean_env())
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and f"{option[0]} must be a whole number" in r.stderr
