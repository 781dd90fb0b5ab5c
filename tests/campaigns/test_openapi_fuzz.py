"""OpenAPI campaign: schemathesis generates requests from docs/openapi.yaml and
docs/openapi-kiosk.yaml and sends them to the real servers on loopback (the reference central
server; the kiosk's log API). Every answer must be documented (status, content type, body schema),
and no input may produce a server error.
"""

from __future__ import annotations

import pytest
from figures import REPO, record, sized
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from support.kiosk_env import make_clock, make_config

from central.app import create_app
from central.auth import issue_token
from central.db import CentralDB
from central.server import ServerThread
from kiosk import logapi
from kiosk.issuer import Issuer
from kiosk.store import Store

import schemathesis  # noqa: E402  (a test dependency in setup.cfg: never skipped)
from schemathesis.generation import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import negative_data_rejection  # noqa: E402

CATALOGUE = (REPO / "config" / "services.toml").read_bytes()


def fuzz_operations(spec: str, base_url: str, headers_for, scale: str, default: int, full: int) -> dict:
    schema = schemathesis.openapi.from_path(str(REPO / "docs" / spec))
    figures = {"requests": 0, "operations": 0, "failures": []}
    for result in schema.get_all_operations():
        operation = result.ok()
        figures["operations"] += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=sized(default, full, scale), deadline=None, database=None,
                      derandomize=scale == "default", suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                figures["requests"] += 1
                headers = headers_for(case)
                # Both servers are tolerant readers by design (docs: unknown or unused fields are
                # ignored), so "schema-violating request accepted" is not a failure; every other check is.
                case.call_and_validate(base_url=base_url, headers=headers, timeout=10,
                                       excluded_checks=[negative_data_rejection])

            try:
                run()
            except Unsatisfiable:
                continue  # nothing to make invalid (an operation without parameters or body)
            except Exception as err:  # noqa: BLE001 - collected, reported and asserted below
                figures["failures"].append(f"{operation.method.upper()} {operation.path} ({mode.value}): "
                                           f"{str(err)[:1500]}")
    return figures


def publish(name: str, title: str, scale: str, figures: dict) -> None:
    record(name, title=title, scale=scale, runs=figures["requests"], faults=figures["requests"], tickets=0, lost=0,
           duplicated=0, longest_stall_s=None, stall_means="(each request bounded by a 10 s timeout)",
           passed=not figures["failures"],
           details={"operations": figures["operations"], "requests": figures["requests"],
                    "failures": [f[:300] for f in figures["failures"]]})


def test_reference_server_matches_openapi_yaml(tmp_path, scale):
    db = CentralDB(tmp_path / "central.db")
    kiosk = issue_token(db, "kiosk", "test-kiosk", office="TEST") if "office" in issue_token.__code__.co_varnames \
        else issue_token(db, "kiosk", "test-kiosk")
    counter = issue_token(db, "counter", "loket-1")
    db.set_catalogue("TEST", CATALOGUE)

    def headers_for(case):
        token = counter if case.path.endswith(("/next", "/quarantine")) else kiosk
        return {"Authorization": f"Bearer {token}"}

    with ServerThread(create_app(db)) as srv:
        figures = fuzz_operations("openapi.yaml", srv.url, headers_for, scale, 40, 400)
    db.close()
    publish("openapi-central", "OpenAPI: reference central server", scale, figures)
    assert not figures["failures"], "\n\n".join(figures["failures"])


def test_kiosk_log_api_matches_openapi_kiosk_yaml(tmp_path, scale):
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "log.token").write_text("log-token-0123456789abcdef\n")
    (etc / "log.token").chmod(0o600)
    cfg = make_config(etc, extra='[agent]\nlisten = "127.0.0.1:0"\nlog_token_file = "log.token"\n'
                                 "log_rate_per_second = 10000.0\nlog_rate_burst = 100000\nlog_page_max = 10000\n")
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store, make_clock())
        for _ in range(60):
            issuer.issue("A")
    server = logapi.start_server(cfg)
    try:
        figures = fuzz_operations("openapi-kiosk.yaml", server.url,
                                  lambda case: {"Authorization": "Bearer log-token-0123456789abcdef"}, scale, 60, 1500)
    finally:
        server.stop()
    publish("openapi-kiosk-log", "OpenAPI: kiosk log API", scale, figures)
    assert not figures["failures"], "\n\n".join(figures["failures"])
