"""OpenAPI campaign: schemathesis generates requests from docs/openapi.yaml and
docs/openapi-kiosk.yaml and sends them to the real servers on loopback (the reference central
server; the kiosk's log API). Every answer must be documented (status, content type, body schema),
and no input may produce a server error.
"""

from __future__ import annotations

import json

import schemathesis
from figures import REPO, record, sized
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection
from support.kiosk_env import make_clock, make_config

from central.app import create_app
from central.auth import issue_token
from central.db import CentralDB
from central.server import ServerThread
from kiosk import logapi
from kiosk.issuer import Issuer
from kiosk.store import Store

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
        token = counter if case.path.endswith(("/next", "/quarantine", "/ikm")) or "/counter" in case.path else kiosk
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


# -- hostile input: the classes schemathesis does not generate -----------------------------------
# Integers past 64 bits, JSON nested past the depth limit, strings that are not valid Unicode (lone
# surrogates), and numbers in Unicode digits. Each generator feeds both servers; every answer must be
# a documented 4xx (or 200 with the event rejected) with a JSON reason, never a 5xx.

from hypothesis import strategies as st  # noqa: E402

HOSTILE_INTS = st.one_of(st.integers(min_value=2**63, max_value=10**40), st.integers(max_value=-1),
                         st.integers(min_value=10**40, max_value=10**300))
SURROGATES = st.builds(lambda a, s, b: a + s + b, st.text(max_size=5), st.sampled_from(["\ud800", "\udfff", "\udbff"]),
                       st.text(max_size=5))
UNICODE_DIGITS = st.text(alphabet=st.sampled_from("²¹①٣١٠۱०௫໓༢၄႑០᠐᥆᧑᪀᭐᮰᱀᱐꘠꣐꤀꧐꩐꯰０"), min_size=1, max_size=4)
EVENT_FIELDS = ("event_id", "kind", "kiosk_id", "created_at")
TICKET_FIELDS = ("id", "number", "prefix", "service_day", "service", "office")


def base_event(n: int) -> dict:
    import uuid

    return {"event_id": str(uuid.uuid4()), "kind": "ticket.issued", "kiosk_id": "test-kiosk", "seq": n,
            "created_at": "2026-11-27T01:00:00.000+00:00",
            "ticket": {"id": str(uuid.uuid4()), "number": f"A{n:03d}", "prefix": "A", "seq": n,
                       "service_day": "2026-11-27", "print_state": "pending"}}


@st.composite
def big_int_batches(draw):
    event = base_event(1)
    where = draw(st.sampled_from(["seq", "ticket.seq"]))
    (event if where == "seq" else event["ticket"])["seq"] = draw(HOSTILE_INTS)
    return json.dumps({"kiosk_id": "test-kiosk", "events": [event]}).encode()


@st.composite
def deep_bodies(draw):
    depth = draw(st.integers(min_value=33, max_value=100_000))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    inner = opener * depth + "1" + closer * depth
    wrapped = draw(st.booleans())
    text = '{"kiosk_id": "test-kiosk", "events": [], "x": ' + inner + "}" if wrapped else inner
    return text.encode()


@st.composite
def surrogate_batches(draw):
    event = base_event(1)
    field = draw(st.sampled_from(EVENT_FIELDS + tuple("ticket." + f for f in TICKET_FIELDS) + ("new-field",)))
    value = draw(SURROGATES)
    if field.startswith("ticket."):
        event["ticket"][field[7:]] = value
    else:
        event[field] = value
    return json.dumps({"kiosk_id": "test-kiosk", "events": [event]}).encode()  # ensure_ascii: "\\ud800"


def hostile_requests(base_url: str, token: str, strategy, paths, scale: str, default: int, full: int) -> dict:
    import requests

    figures = {"requests": 0, "failures": []}

    @settings(max_examples=sized(default, full, scale), deadline=None, database=None,
              derandomize=scale == "default", suppress_health_check=list(HealthCheck))
    @given(body=strategy, path=st.sampled_from(paths))
    def run(body, path):
        figures["requests"] += 1
        r = requests.post(base_url + path, data=body, timeout=10,
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        if r.status_code >= 500 or not r.headers.get("Content-Type", "").startswith("application/json"):
            figures["failures"].append(f"{path} {body[:120]!r}: {r.status_code} {r.text[:200]}")
            return
        reply = r.json()
        if r.status_code == 200 and path.endswith("/events"):
            if reply["accepted"] or [x["retry"] for x in reply["rejected"]] != [False]:
                figures["failures"].append(f"{path} {body[:120]!r}: accepted or retryable: {reply}")
        elif r.status_code != 200 and not reply.get("message"):
            figures["failures"].append(f"{path} {body[:120]!r}: {r.status_code} without a reason")

    run()
    return figures


def test_hostile_input_gets_a_reason_never_a_500(tmp_path, scale):
    """Every generator against both servers; the counts go to docs/reliability.md (security)."""
    import requests

    db = CentralDB(tmp_path / "central.db")
    kiosk = issue_token(db, "kiosk", "test-kiosk", office="TEST")
    generators = {"integers beyond 64 bits": (big_int_batches(), ["/api/v1/events"]),
                  "JSON nested 33 to 100,000 deep": (deep_bodies(), ["/api/v1/events", "/api/v1/heartbeat"]),
                  "lone surrogates in any field": (surrogate_batches(), ["/api/v1/events"])}
    counts, failures = {}, []
    with ServerThread(create_app(db)) as srv:
        for name, (strategy, paths) in generators.items():
            figures = hostile_requests(srv.url, kiosk, strategy, paths, scale, 25, 400)
            counts[name] = figures["requests"]
            failures += figures["failures"]
    assert db.events() == [], "a hostile event was stored"
    db.close()

    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "log.token").write_text("log-token-0123456789abcdef\n")
    (etc / "log.token").chmod(0o600)
    cfg = make_config(etc, extra='[agent]\nlisten = "127.0.0.1:0"\nlog_token_file = "log.token"\n'
                                 "log_rate_per_second = 10000.0\nlog_rate_burst = 100000\n")
    server = logapi.start_server(cfg)
    log_counts = 0
    try:
        @settings(max_examples=sized(40, 600, scale), deadline=None, database=None, derandomize=scale == "default",
                  suppress_health_check=list(HealthCheck))
        @given(name=st.sampled_from(["after", "limit"]), value=st.one_of(UNICODE_DIGITS, HOSTILE_INTS.map(str)))
        def log_query(name, value):
            nonlocal log_counts
            log_counts += 1
            r = requests.get(f"{server.url}/api/v1/tickets", params={name: value}, timeout=10,
                             headers={"Authorization": "Bearer log-token-0123456789abcdef"})
            if r.status_code != 400 or r.json().get("error") != "bad_parameter":
                failures.append(f"log API {name}={value!r}: {r.status_code} {r.text[:200]}")

        log_query()
    finally:
        server.stop()
    counts["log API numbers in Unicode digits or past 64 bits"] = log_counts
    total = sum(counts.values())
    record("hostile-input", title="Bad input: hostile requests to both servers", scale=scale, runs=total,
           faults=total, tickets=0, lost=0, duplicated=0, longest_stall_s=None,
           stall_means="(each request bounded by a 10 s timeout)", passed=not failures,
           details={"generators": counts, "failures": [f[:300] for f in failures[:20]]})
    assert not failures, "\n".join(failures[:20])
