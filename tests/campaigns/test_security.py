"""Security campaign: nobody gets in. Tokens are never logged and are stored 0600; TLS is verified
by default (a self-signed server is refused until its CA is configured, whatever the environment
says); the staff PIN is a slow salted hash with a lockout that survives restarts and clock jumps;
the log API answers nothing without its token; both systemd units are sandboxed (exposure < 4.0).

And, as an attacker holding a valid kiosk token would try (loopback only): no kiosk touches another
kiosk's tickets or office (every route x role x office), 200 trickling connections do not starve
either server, no body is read before the token, a hostile kiosk cannot stop the log puller,
parallel PIN guesses get no extra tries, and plain http to a public server is refused.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import ssl
import stat
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from figures import REPO, record
from support.kiosk_env import make_clock, make_config
from support.tls import make_ca_and_server_cert
from werkzeug.serving import make_server

from central.app import create_app
from central.auth import issue_token
from central.db import CentralDB
from central.server import ServerThread
from kiosk import logapi
from kiosk.admin_pin import MAX_N, PinGate, hash_pin, parse_hash
from kiosk.agent.client import CentralClient, CentralError
from kiosk.agent.loop import Agent
from kiosk.config import ConfigError, load_config
from kiosk.issuer import Issuer
from kiosk.provision import Request, apply, plan
from kiosk.store import Store

FINDINGS: dict = {}
MAX_EXPOSURE = 4.0
# Cheap checks: the same in both sizes, so `make reliability` (-m slow) runs and publishes them too.
pytestmark = pytest.mark.usefixtures("scale")


def secret(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    path.chmod(0o600)
    return text


# -- TLS ----------------------------------------------------------------------------------------

def test_tls_is_verified_by_default_and_a_self_signed_server_is_refused_until_its_ca_is_set(tmp_path, monkeypatch):
    ca, cert, key = make_ca_and_server_cert(tmp_path)
    db = CentralDB(tmp_path / "central.db")
    token = issue_token(db, "kiosk", "test-kiosk")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = make_server("127.0.0.1", 0, create_app(db), ssl_context=ctx, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"https://127.0.0.1:{server.server_port}"
    attempts = []
    try:
        etc = tmp_path / "etc"
        secret(etc / "central.token", token)
        central = f'url = "{url}"\ntoken_file = "central.token"\nconnect_timeout = 2\nread_timeout = 5'
        cfg = make_config(etc, kiosk='id = "test-kiosk"\noffice_code = "TEST"', central=central)
        # No CA configured: refused, and the environment cannot switch verification off or re-key it.
        for env in ({}, {"REQUESTS_CA_BUNDLE": str(ca), "SSL_CERT_FILE": str(ca), "CURL_CA_BUNDLE": ""}):
            for k, v in env.items():
                monkeypatch.setenv(k, v)
            client = CentralClient(cfg.central)
            with pytest.raises(CentralError) as err:
                client.post_heartbeat({"kiosk_id": "test-kiosk"})
            attempts.append(str(err.value))
            assert err.value.kind == "tls" and "CERTIFICATE_VERIFY_FAILED" in str(err.value), err.value
            client.close()
        assert db.kiosk("test-kiosk").get("last_heartbeat_at") is None, "a refused server received the heartbeat"
        # The office's CA configured: accepted.
        cfg = make_config(etc, kiosk='id = "test-kiosk"\noffice_code = "TEST"', central=central + f'\nca_bundle = "{ca}"')
        client = CentralClient(cfg.central)
        client.post_heartbeat({"kiosk_id": "test-kiosk"})
        client.close()
        assert db.kiosk("test-kiosk")["last_heartbeat_at"]
    finally:
        server.shutdown()
        db.close()
    FINDINGS["tls"] = {"refused_without_ca": len(attempts), "accepted_with_ca": True}


# -- tokens ---------------------------------------------------------------------------------------

def test_tokens_are_stored_0600_and_never_logged(tmp_path, caplog):
    token = secret(tmp_path / "given.token", "k1.central-secret-central-secret-0123456789")
    etc = tmp_path / "etc" / "kiosk"
    apply(plan(Request(config_path=etc / "kiosk.toml", kiosk_id="k1", office="BLITAR", server="http://127.0.0.1:9",
                       token_file=str(tmp_path / "given.token"), printer="virtual", number_block="1-99",
                       office_name="Kantor Imigrasi Blitar", data_dir=str(tmp_path / "var"), pin="2468"),
               hash_pin=lambda pin: hash_pin(pin, n=2**10)))
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in etc.iterdir() if p.name.endswith((".token", ".toml"))}
    for name in ("central.token", "log.token", "kiosk.toml"):
        assert modes[name] == 0o600, f"{name} is {modes[name]:04o}"
    assert token not in (etc / "kiosk.toml").read_text()
    # A loosened token file is refused with the fix, not used.
    (etc / "central.token").chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_config(etc / "kiosk.toml")
    (etc / "central.token").chmod(0o600)

    # The agent against a server that refuses its token, and one that is down: logs at DEBUG.
    db = CentralDB(tmp_path / "central.db")
    log_token = (etc / "log.token").read_text().strip()
    caplog.set_level(logging.DEBUG)
    from central.server import ServerThread

    with ServerThread(create_app(db)) as srv:
        for url in (srv.url, "http://127.0.0.1:9"):
            folder = tmp_path / f"k{len(url)}"
            secret(folder / "central.token", token)
            cfg = make_config(folder, central=f'url = "{url}"\ntoken_file = "central.token"\nconnect_timeout = 0.5\n'
                                              "read_timeout = 1")
            with Store(cfg.store.path) as store:
                Issuer(cfg, store, make_clock()).issue("A")
                report = Agent(cfg, store, CentralClient(cfg.central)).sync_once()
                assert report.pending == 1 and report.error
                stored = " ".join(str(r[0]) for r in store.conn.execute("SELECT value FROM state"))
                assert token not in stored and token not in report.error
    db.close()
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert "refused the kiosk token" in caplog.text or "auth" in caplog.text
    assert token not in logged and log_token not in logged, "a token reached the log"
    FINDINGS["tokens"] = {"secret_modes": {n: f"{m:04o}" for n, m in sorted(modes.items()) if n != "services.toml"},
                          "log_records_checked": len(caplog.records)}


# -- the staff PIN --------------------------------------------------------------------------------

def test_admin_pin_is_a_slow_salted_hash_locked_after_failures(tmp_path):
    default = hash_pin("2468")
    n, r, p, salt, key = parse_hash(default)
    assert (n, r) >= (2**14, 8) and n <= MAX_N, "scrypt cost below N=2^14, r=8"
    assert 128 * r * n >= 16 * 2**20, "scrypt should need at least 16 MiB"
    assert len(salt) >= 16 and hash_pin("2468") != default, "unsalted"
    assert "2468" not in default
    cfg = make_config(tmp_path / "etc", extra=f'[admin]\npin_hash = "{hash_pin("2468", n=2**10)}"\n'
                                              "max_pin_attempts = 3\nlockout_seconds = 300\n")
    clock = make_clock()
    guesses = 0
    with Store(cfg.store.path) as store:
        gate = PinGate(cfg.admin, store, clock)
        for i in range(2):
            guesses += 1
            assert gate.check(f"000{i}").reason == "wrong"
        guesses += 1
        assert gate.check("1111").reason == "locked"
        assert gate.check("2468").reason == "locked", "the right PIN must be refused while locked"
    with Store(cfg.store.path) as store:  # a restart does not reset it
        gate = PinGate(cfg.admin, store, clock)
        assert gate.check("2468").reason == "locked"
        clock.set(clock.now() - timedelta(days=365))  # a clock thrown back cannot stretch the lockout
        assert gate.locked_seconds() <= 300
        clock.set(clock.now() + timedelta(days=365, seconds=301))
        assert gate.check("2468").ok
    FINDINGS["pin"] = {"kdf": f"scrypt N={n} r={r} p={p}", "lockout_after": 3, "guesses_tried": guesses}


# -- the log API ----------------------------------------------------------------------------------

def test_log_api_refuses_every_request_without_a_valid_token(tmp_path):
    token = secret(tmp_path / "etc" / "log.token", "log-token-0123456789abcdef")
    cfg = make_config(tmp_path / "etc", extra='[agent]\nlisten = "127.0.0.1:0"\nlog_token_file = "log.token"\n'
                                              "log_rate_per_second = 10000.0\nlog_rate_burst = 100000\n")
    with Store(cfg.store.path) as store:
        Issuer(cfg, store, make_clock()).issue("A")
    server = logapi.start_server(cfg)
    bad = [None, "", "Bearer", "Bearer ", f"Basic {token}", f"Bearer {token[:-1]}", f"Bearer {token}x",
           f"Bearer {token.upper()}", f"Token {token}", f"Bearer  {token} extra", "Bearer \u00e9\u00e9",
           f"{token}", "Bearer " + "a" * 8000]
    refused = 0
    try:
        for path in ("/api/v1/tickets", "/api/v1/health", "/api/v1/tickets?after=0&limit=1"):
            for header in bad:
                headers = {} if header is None else {"Authorization": header.encode("utf-8")}
                r = requests.get(server.url + path, headers=headers, timeout=5)
                assert r.status_code in (401, 431), (path, header, r.status_code)
                assert token not in r.text and "cursor" not in r.text
                refused += 1
            r = requests.get(server.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=5)
            assert r.status_code == 200
    finally:
        server.stop()
    FINDINGS["log_api"] = {"refused": refused}


# -- systemd sandboxing ---------------------------------------------------------------------------

UNITS = ("kiosk-agent.service", "kiosk-ui.service")


def exposure(unit: str) -> tuple[float | None, str]:
    """systemd-analyze security --offline=yes on the unit file (no running systemd needed)."""
    if shutil.which("systemd-analyze") is None:
        return None, "systemd-analyze is not installed (apt-get install systemd)"
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager", str(REPO / "systemd" / unit)],
                       capture_output=True, text=True, timeout=120)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
    if not m:
        return None, f"systemd-analyze security --offline=yes gave no exposure level: {(r.stderr or r.stdout)[-300:]}"
    return float(m.group(1)), ""


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_unit_exposure_is_below_4(unit):
    level, why = exposure(unit)
    FINDINGS.setdefault("exposure", {})[unit] = level if level is not None else why
    if level is None:
        pytest.skip(why)
    assert level < MAX_EXPOSURE, f"{unit}: exposure {level} (systemd-analyze security --offline=yes)"


# -- tenancy ---------------------------------------------------------------------------------------

def test_no_kiosk_touches_another_kiosks_tickets_or_office(tmp_path):
    from support.tenancy import AWAY, HOME, MATRIX, ROLES, make_principals, run_matrix, ticket_event

    db = CentralDB(tmp_path / "central.db")
    with ServerThread(create_app(db)) as srv:
        def push(token, kiosk_id, events=None, office=None):
            body = {"kiosk_id": kiosk_id, "events": events or [ticket_event(n, kiosk_id) for n in range(1, 6)]}
            if office:
                body["office"] = office
            return requests.post(f"{srv.url}/api/v1/events", json=body, timeout=5,
                                 headers={"Authorization": f"Bearer {token}"})

        cells = run_matrix(srv.url, make_principals(db, push))
        wrong = {f"{m} {r} as {role}": v for (m, r, role), v in cells.items() if v[0] != v[1]}
        # The attacks of issue 17, each refused and leaving the victim's ticket as it was.
        a, b = issue_token(db, "kiosk", "KA", office=HOME), issue_token(db, "kiosk", "KB", office=HOME)
        c = issue_token(db, "kiosk", "KC")
        issued = ticket_event(1, "KA")
        assert push(a, "KA", [issued]).json()["accepted"] == [issued["event_id"]]
        refused = 0
        stolen = ticket_event(9, "KB", ticket_id=issued["ticket"]["id"], kind="ticket.printed")
        for token, kiosk_id, event in ((b, "KB", stolen), (c, "KC", dict(stolen, kiosk_id="KC"))):
            event["ticket"]["kiosk_id"] = kiosk_id
            rejected = push(token, kiosk_id, [event]).json()["rejected"]
            assert [(r["reason"], r["retry"]) for r in rejected] == [("not_owner", False)]
            refused += 1
        elsewhere = ticket_event(2, "KB")
        elsewhere["ticket"]["office"] = AWAY
        assert push(b, "KB", [elsewhere]).json()["rejected"][0]["reason"] == "office_mismatch"
        assert push(b, "KB", [ticket_event(3, "KB")], office=AWAY).status_code == 409
        counter = issue_token(db, "counter", "desk-home", office=HOME)
        r = requests.post(f"{srv.url}/api/v1/offices/{AWAY}/services/A/next", timeout=5,
                          headers={"Authorization": f"Bearer {counter}"})
        assert r.status_code == 403
        refused += 3
    victim = [t for t in db.iter_tickets(kiosk_id="KA")]
    assert [(t["number"], t["central"]["office"]) for t in victim] == [("A001", HOME)]
    refusals = {t.subject: t.refused for t in db.tokens() if t.refused}
    db.close()
    assert not wrong, wrong
    matrix = {f"{method} {rule}": {role: cells[(method, rule, role)][0] for role in ROLES} for method, rule in MATRIX}
    FINDINGS["tenancy"] = {"routes": len(MATRIX), "roles": len(ROLES), "cells_checked": len(cells),
                           "cells_wrong": len(wrong), "attacks_refused": refused, "refusals_counted": refusals,
                           "matrix": matrix}


# -- availability --------------------------------------------------------------------------------

SLOW = 200


def slow_client_figure(host: str, port: int, path: str, headers: dict) -> dict:
    from support.slowloris import SlowClients, timed_request

    with SlowClients(host, port, count=SLOW) as attack:
        answers = [timed_request(host, port, path=path, headers=headers) for _ in range(5)]
    worst = max(seconds for seconds, _, _ in answers)
    assert [status for _, status, _ in answers] == [200] * 5, answers
    assert worst < 2.0, f"a legitimate request took {worst:.2f} s with {SLOW} slow clients"
    return {"slow_connections": SLOW, "legit_requests": len(answers), "slowest_legit_s": round(worst, 3),
            "reconnects_refused_or_cut": attack.closed_by_server + attack.refused}


def test_slow_clients_do_not_starve_either_server(tmp_path):
    db = CentralDB(tmp_path / "central.db")
    with ServerThread(create_app(db)) as srv:
        central = slow_client_figure(srv.host, srv.port, "/api/v1/health", {})
    db.close()
    token = secret(tmp_path / "etc" / "log.token", "log-token-0123456789abcdef")
    cfg = make_config(tmp_path / "etc", extra='[agent]\nlisten = "127.0.0.1:0"\nlog_token_file = "log.token"\n'
                                              "log_rate_per_second = 10000.0\nlog_rate_burst = 100000\n")
    with Store(cfg.store.path) as store:
        Issuer(cfg, store, make_clock()).issue("A")
    server = logapi.start_server(cfg)
    try:
        log_api = slow_client_figure(server.host, server.port, "/api/v1/tickets?after=0&limit=10",
                                     {"Authorization": f"Bearer {token}"})
    finally:
        server.stop()
    FINDINGS["slow_clients"] = {"central": central, "log_api": log_api}


def test_no_body_is_read_before_the_token_and_a_hostile_kiosk_cannot_stop_the_puller(tmp_path):
    import socket
    import time

    from central import logpull

    db = CentralDB(tmp_path / "central.db")
    token = issue_token(db, "kiosk", "K1")
    unread = 0
    with ServerThread(create_app(db)) as srv:
        for auth in ("", "Authorization: Bearer forged.token\r\n"):
            sock = socket.create_connection((srv.host, srv.port), timeout=5)
            started = time.monotonic()
            sock.sendall(f"POST /api/v1/events HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {300 * 2**20}\r\n\r\n"
                         .encode())
            reply = sock.recv(4096)
            sock.close()
            assert reply.startswith(b"HTTP/1.1 401") and time.monotonic() - started < 2, reply[:80]
            unread += 1

        # Two "kiosks" on the same test server: one answers a cursor of 2^64, the other a good page.
        from flask import Flask, Response

        kiosk = Flask("hostile-kiosk")

        @kiosk.get("/<who>/api/v1/tickets")
        def page(who):
            cursor = 2**64 if who == "hostile" else 1
            return Response(json.dumps({"cursor": cursor, "id": "t1"}) + "\n", content_type="application/x-ndjson")

        with ServerThread(kiosk) as fake:
            logpull.add_source(db, "a-hostile", f"{fake.url}/hostile", "log-token-0123456789abcdef")
            logpull.add_source(db, "b-good", f"{fake.url}/good", "log-token-0123456789abcdef")
            scheduler = logpull.Scheduler(db, 0.2).start()
            try:
                from support.waiting import wait_for

                wait_for("two pull rounds", lambda: scheduler.rounds >= 2)
                assert scheduler.alive()
            finally:
                scheduler.stop()
    states = {s.kiosk_id: s for s in logpull.sources(db)}
    assert states["b-good"].cursor == 1 and "at most" in states["a-hostile"].last_error
    assert token and oct(stat.S_IMODE((tmp_path / "central.db").stat().st_mode)) == "0o600"
    db.close()
    FINDINGS["bodies_and_puller"] = {"unauthenticated_300MB_bodies_refused_unread": unread,
                                     "hostile_cursor": "2^64: source marked, other kiosk pulled, thread alive",
                                     "central_db_mode": "0600"}


def test_parallel_pin_guesses_get_no_extra_tries(tmp_path):
    import kiosk.admin_pin as admin_pin
    from kiosk.clock import Clock
    from kiosk.config.schema import AdminSection

    path = tmp_path / "kiosk.db"
    Store(path).close()
    admin = AdminSection(pin_hash=hash_pin("2468", n=2**12), max_pin_attempts=3, lockout_seconds=300)
    checked = []
    real = admin_pin.verify_pin
    admin_pin.verify_pin = lambda pin, stored: checked.append(pin) or real(pin, stored)
    start = threading.Barrier(16)

    def guess(i):
        with Store(path) as store:
            start.wait()
            PinGate(admin, store, Clock()).check(f"{5000 + i}")

    try:
        threads = [threading.Thread(target=guess, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        admin_pin.verify_pin = real
    assert len(checked) <= 3
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    FINDINGS["pin_parallel"] = {"parallel_guesses": 16, "checked": len(checked), "allowed": 3}


def test_plain_http_to_a_public_server_is_refused(tmp_path):
    from kiosk.provision import ProvisionError

    secret(tmp_path / "given.token", "k1.central-secret-central-secret-0123456789")
    refused = 0
    for server in ("http://1.1.1.1:8471", "http://antrian.example", "http://[2606:4700::1111]"):
        with pytest.raises(ProvisionError, match="--insecure"):
            plan(Request(config_path=tmp_path / "etc" / "kiosk.toml", kiosk_id="k1", office="BLITAR", server=server,
                         token_file=str(tmp_path / "given.token"), printer="virtual", number_block="1-99",
                         office_name="Kantor", data_dir=str(tmp_path / "var")))
        refused += 1
    FINDINGS["provision_http"] = {"public_http_refused": refused}


def test_zz_record_security_figures(scale):
    """Runs after the checks above (same module, in order) and publishes what they found."""
    checks = ("tls", "tokens", "pin", "log_api", "tenancy", "slow_clients", "bodies_and_puller", "pin_parallel",
              "provision_http")
    exposures = FINDINGS.get("exposure", {})
    ok = all(c in FINDINGS for c in checks) and all(isinstance(v, float) and v < MAX_EXPOSURE for v in exposures.values())
    attacks = (FINDINGS.get("log_api", {}).get("refused", 0) + FINDINGS.get("pin", {}).get("guesses_tried", 0)
               + FINDINGS.get("tls", {}).get("refused_without_ca", 0)
               + FINDINGS.get("tenancy", {}).get("cells_checked", 0) + FINDINGS.get("tenancy", {}).get("attacks_refused", 0)
               + sum(v.get("slow_connections", 0) for v in FINDINGS.get("slow_clients", {}).values())
               + FINDINGS.get("bodies_and_puller", {}).get("unauthenticated_300MB_bodies_refused_unread", 0) + 1
               + FINDINGS.get("pin_parallel", {}).get("parallel_guesses", 0)
               + FINDINGS.get("provision_http", {}).get("public_http_refused", 0))
    record("security", title="Security: tokens, TLS, PIN, log API, units, tenancy, slow clients", scale=scale, runs=len(checks) + len(exposures),
           faults=attacks, tickets=0, lost=0, duplicated=0, longest_stall_s=None,
           stall_means="(not a timing campaign)", passed=ok, details=FINDINGS)
