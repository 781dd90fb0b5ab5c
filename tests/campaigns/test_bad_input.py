"""Bad-input campaign: fuzzed configuration and catalogues, arbitrary replies from the central
server, and catalogue text in any script on paper.

- load_config / parse_catalogue: only ConfigError with file, key and message, never a traceback;
  and whatever they accept can be printed (a config that loads must not fail at the first ticket).
- The agent against a server answering anything (status, headers, bytes, JSON of any shape): no
  exception escapes a sync, nothing is marked delivered unless the server listed it, the error is
  recorded, and the kiosk still issues and prints afterwards.
- Text with emoji, right-to-left scripts, control characters and long words prints as plain ASCII.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid

import pytest
from figures import record, sized
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.kiosk_env import make_clock, write_config
from tomlgen import any_text, base_catalogue, catalogue_documents, config_documents, document_toml, long_text

from central.server import ServerThread
from kiosk.agent.client import CentralClient
from kiosk.agent.loop import Agent
from kiosk.config import ConfigError, KioskConfig, load_config, parse_catalogue
from kiosk.issuer import Issuer
from kiosk.printing import TicketPrinting
from kiosk.state_keys import QUEUE_STATS
from kiosk.store import Store, Ticket
from printer import encode_requirements, encode_ticket
from printer.decode import decode
from printer.text import to_ascii


def fuzz_settings(scale: str, default: int, full: int):
    return settings(max_examples=sized(default, full, scale), deadline=None, database=None,
                    derandomize=scale == "default", suppress_health_check=list(HealthCheck))


def sample_ticket(cfg: KioskConfig) -> Ticket:
    service = cfg.catalogue.services[0]
    return Ticket(id=str(uuid.uuid4()), kiosk_id=cfg.kiosk.id, number=f"{service.prefix}001", service=service.key,
                  prefix=service.prefix, seq=1, priority=None, service_day="2026-11-27",
                  issued_at="2026-11-27T12:00:00+07:00", mono_ns=1, boot_id="b", clock_trusted=True)


def check_problems(err: ConfigError, expected_file: str | None = None) -> None:
    assert err.problems, "a ConfigError without problems"
    for p in err.problems:
        assert isinstance(p.file, str) and p.file, p
        assert isinstance(p.key, str), p
        assert isinstance(p.message, str) and p.message.strip(), p
        if expected_file:
            assert expected_file in p.file or p.file.endswith("services.toml"), p
    assert "Traceback" not in str(err)


def printable_everywhere(cfg: KioskConfig) -> None:
    """What every accepted configuration must be able to do: put a ticket and a slip on paper."""
    printing = TicketPrinting(cfg, make_clock(), printer=object())
    ticket = sample_ticket(cfg)
    data = encode_ticket(printing.ticket_content(ticket, None), printing.model)
    job = decode(data)
    assert job.find(ticket.number) and len(job.cuts) == 1 and not job.unknown
    for service in cfg.catalogue.services:
        slip = decode(encode_requirements(printing.requirements_content(service), printing.model))
        assert not slip.unknown


class Count:
    def __init__(self):
        self.n, self.accepted = 0, 0


def test_config_loader_fuzz(tmp_path_factory, scale):
    folder = tmp_path_factory.mktemp("fuzzcfg")
    write_config(folder)  # services.toml beside it
    path = folder / "kiosk.toml"
    seen = Count()

    @fuzz_settings(scale, 400, 6000)
    @given(config_documents())
    def run(text):
        seen.n += 1
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        try:
            cfg = load_config(path)
        except ConfigError as err:
            check_problems(err, str(path))
            return
        seen.accepted += 1
        printable_everywhere(cfg)

    try:
        run()
    finally:
        record("fuzz-config", title="Bad input: kiosk.toml fuzzing", scale=scale, runs=seen.n, faults=seen.n - seen.accepted,
               tickets=0, lost=0, duplicated=0, longest_stall_s=None, stall_means="(no waiting involved)",
               passed=True, details={"examples": seen.n, "accepted": seen.accepted})


def test_catalogue_loader_fuzz(tmp_path, scale):
    cfg = load_config(write_config(tmp_path / "etc"))
    seen = Count()

    @fuzz_settings(scale, 400, 6000)
    @given(catalogue_documents())
    def run(text):
        seen.n += 1
        try:
            catalogue = parse_catalogue(text, "services.toml")
        except ConfigError as err:
            check_problems(err)
            return
        seen.accepted += 1
        for service in catalogue.services:
            catalogue.hours_for(service).summary("id")
            catalogue.find(service.prefix)
        printable_everywhere(dataclasses.replace(cfg, catalogue=catalogue))

    try:
        run()
    finally:
        record("fuzz-catalogue", title="Bad input: services.toml fuzzing", scale=scale, runs=seen.n,
               faults=seen.n - seen.accepted, tickets=0, lost=0, duplicated=0, longest_stall_s=None,
               stall_means="(no waiting involved)", passed=True, details={"examples": seen.n, "accepted": seen.accepted})


# -- the central server answers anything ------------------------------------------------------

header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f",
                                    blacklist_categories=("Cc",)), max_size=40)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([1e308, -1e308, 5e-324]) | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)


PLACEHOLDERS = [f"@id{i}@" for i in range(8)]  # replaced by the outbox's real event ids after drawing


def with_ids(body: bytes, pending: list[str]) -> bytes:
    for i, mark in enumerate(PLACEHOLDERS):
        if pending:
            body = body.replace(mark.encode(), pending[i % len(pending)].encode())
    return body


@st.composite
def replies(draw, ids: list[str] = PLACEHOLDERS):
    """(status, headers, body) — near-valid replies of the protocol more often than random ones."""
    status = draw(st.sampled_from([200, 200, 200, 201, 204, 304, 400, 401, 403, 404, 409, 413, 429, 500, 503]))
    headers = {}
    if draw(st.booleans()):
        headers["Retry-After"] = draw(header_text | st.sampled_from(["0", "5", "99999999999999999999", "\xb2", "1.5",
                                                                    "Fri, 31 Dec 9999 23:59:59 GMT"]))
    if draw(st.booleans()):
        headers["Date"] = draw(header_text | st.sampled_from([
            "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", "Fri, 27 Nov 2026 05:00:00 GMT",
            "Fri, 27 Nov 2026 05:00:00 +2400", "yesterday"]))
    if draw(st.booleans()):
        headers["ETag"] = draw(header_text)
    kind = draw(st.sampled_from(["accepted", "queue", "json", "bytes", "nested", "catalogue"]))
    if kind == "accepted":
        body = json.dumps({
            "accepted": draw(st.lists(st.sampled_from(ids) | any_text, max_size=6) | json_value),
            "rejected": draw(st.lists(st.fixed_dictionaries({"event_id": st.sampled_from(ids) | json_value,
                                                            "reason": json_value, "retry": json_value}), max_size=3)
                             | json_value),
        }).encode()
    elif kind == "queue":
        body = json.dumps({"service_day": draw(json_value), "services": draw(
            st.dictionaries(st.sampled_from(["A", "G", "P", "fetched_at", "service_day"]) | any_text,
                            st.fixed_dictionaries({"waiting": json_value, "avg_service_s": json_value})
                            | st.fixed_dictionaries({"waiting": st.integers(0, 10**6),
                                                     "avg_service_s": st.floats(min_value=0) | st.integers(0, 10**400)}),
                            max_size=3) | json_value)}).encode()
    elif kind == "json":
        body = json.dumps(draw(json_value)).encode()
    elif kind == "nested":
        depth = draw(st.integers(min_value=100, max_value=100000))
        body = draw(st.sampled_from([b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth]))
    elif kind == "catalogue":
        body = draw(catalogue_documents()).encode("utf-8")
    else:
        body = draw(st.binary(max_size=200))
    return status, headers, body


class ScriptedServer:
    """A WSGI app answering every request with the reply it was last given."""

    def __init__(self):
        self.reply = (200, {}, b"{}")
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            status, headers, body = self.reply
        if environ.get("CONTENT_LENGTH"):
            environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        start_response(f"{status} X", [(k, v) for k, v in headers.items()] + [("Content-Length", str(len(body)))])
        return [body] if status not in (204, 304) else []


def test_agent_survives_any_server_reply(tmp_path, scale):
    app = ScriptedServer()
    with ServerThread(app) as srv:
        etc = tmp_path / "etc"
        etc.mkdir()
        (etc / "central.token").write_text("fuzz-token-0123456789\n")
        (etc / "central.token").chmod(0o600)
        cfg = load_config(write_config(etc, quota=9999, kiosk="number_block = [1, 9999]", central=(
            f'url = "{srv.url}"\ntoken_file = "central.token"\nconnect_timeout = 0.5\nread_timeout = 1.0\n'
            "batch_size = 5\nbatch_linger_seconds = 0.0")))
        store = Store(cfg.store.path)
        clock = make_clock()
        issuer = Issuer(cfg, store, clock)
        printing = TicketPrinting(cfg, clock, printer=object())
        agent = Agent(cfg, store, CentralClient(cfg.central, clock=clock), clock=clock)
        seen = Count()
        wrongly_delivered = []

        for _ in range(5):
            issuer.issue("A")
        ids_now = [e.event_id for e in store.pending_events(100)]

        @fuzz_settings(scale, 150, 2000)
        @given(st.data())
        def run(data):
            seen.n += 1
            if store.outbox_stats().depth < 3:
                for _ in range(5):
                    issuer.issue("G")
            pending = [e.event_id for e in store.pending_events(100)]
            status, headers, body = data.draw(replies())
            body = with_ids(body, pending + ids_now)
            app.reply = (status, headers, body)
            before = set(pending)
            agent.sync_once()  # push, pull catalogue and queue, heartbeat: nothing may escape
            # Marked delivered, not merely gone from the queue (a refused event may be quarantined).
            delivered = before & {r[0] for r in store.conn.execute(
                "SELECT event_id FROM outbox WHERE delivered_at IS NOT NULL")}
            if delivered:
                try:
                    listed = json.loads(body).get("accepted")
                except (ValueError, AttributeError, RecursionError):
                    listed = None
                if not (status == 200 and isinstance(listed, list) and delivered <= set(listed)):
                    wrongly_delivered.append((status, body[:200]))
            # Whatever was stored from that reply, the next applicant still gets a printed number.
            ticket = issuer.issue("A")
            encode_ticket(printing.ticket_content(ticket, store.get_state(QUEUE_STATS)), printing.model)
            seen.accepted += bool(delivered)

        try:
            run()
        finally:
            record("fuzz-server-replies", title="Bad input: arbitrary central-server replies", scale=scale,
                   runs=seen.n, faults=seen.n, tickets=len(list(store.iter_tickets())), lost=len(wrongly_delivered),
                   duplicated=0, longest_stall_s=None, stall_means="(replies come at once)",
                   passed=not wrongly_delivered, details={"replies": seen.n, "syncs_that_delivered": seen.accepted})
            store.close()
    assert not wrongly_delivered, wrongly_delivered[:3]


# -- the log puller against any kiosk reply --------------------------------------------------------

LOG_TOKEN = "log-token-0123456789abcdef"
pulled_values = st.one_of(st.integers(min_value=-2, max_value=2**70), st.booleans(), st.none(), st.text(max_size=8),
                          st.sampled_from(["\ud800", "x\udfff", 1.5, [], {}]))


@st.composite
def kiosk_pages(draw):
    """A page of the kiosk log API as a hostile or broken kiosk might send it (JSON lines or bytes)."""
    lines = []
    cursor = 0
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["good", "good", "field", "depth", "garbage"]))
        if kind == "good":
            cursor += draw(st.integers(1, 3))
            lines.append(json.dumps({"cursor": cursor, "id": f"t{cursor}", "number": f"A{cursor:03d}"}).encode())
        elif kind == "field":
            record = {"cursor": cursor + 1, "id": f"t{cursor + 1}"}
            record[draw(st.sampled_from(["cursor", "id", "number"]))] = draw(pulled_values)
            lines.append(json.dumps(record).encode())
        elif kind == "depth":
            lines.append(b"[" * draw(st.integers(33, 30000)) + b"]" * 3)
        else:
            lines.append(draw(st.binary(max_size=40)).replace(b"\n", b""))
    return b"\n".join(lines) + b"\n"


def test_log_puller_survives_any_kiosk_reply(tmp_path, scale):
    from flask import Flask, Response

    from central import logpull
    from central.db import CentralDB

    kiosk = Flask("fuzzed-kiosk")
    kiosk.page = b""

    @kiosk.get("/api/v1/tickets")
    def tickets():
        from flask import request

        return Response(kiosk.page if request.args.get("after") == "0" else b"", content_type="application/x-ndjson")

    db = CentralDB(tmp_path / "central.db")
    seen = Count()
    problems = []
    with ServerThread(kiosk) as srv:
        @fuzz_settings(scale, 100, 1500)
        @given(page=kiosk_pages())
        def run(page):
            seen.n += 1
            kiosk.page = page
            kiosk_id = f"k{seen.n}"
            logpull.add_source(db, kiosk_id, srv.url, LOG_TOKEN)
            (result,) = logpull.pull_all(db, kiosk_id, timeout=(2, 5))  # nothing may escape
            stored = [r["cursor"] for r in logpull.pulled(db, kiosk_id)]
            if len(stored) != result.records or stored != sorted(set(stored)) or any(c > 2**63 - 1 for c in stored):
                problems.append((page[:200], result))
            seen.accepted += result.error is None

        try:
            run()
        finally:
            db.close()
            record("fuzz-kiosk-log-replies", title="Bad input: arbitrary kiosk log pages to the puller", scale=scale,
                   runs=seen.n, faults=seen.n, tickets=0, lost=len(problems), duplicated=0, longest_stall_s=None,
                   stall_means="(replies come at once)", passed=not problems,
                   details={"pages": seen.n, "pulls_without_error": seen.accepted})
    assert not problems, problems[:3]


# -- any script on paper ------------------------------------------------------------------------

paper_text = any_text | long_text | st.sampled_from([
    "Paspor 🇮🇩 Baru 👨‍👩‍👧", "جواز سفر جديد", "דרכון חדש", "\u202eESREVER\u202c", "A\x1b@B\x1dV\x00C",
    "Ze\u0301\u0301\u0301bra", "ｆｕｌｌ ｗｉｄｔｈ", "x" * 80, "Pemohon wajib datang sendiri " * 5,
])


@pytest.mark.parametrize("paper", [58, 80])
def test_any_script_prints_as_plain_ascii(tmp_path, scale, paper):
    cfg = load_config(write_config(tmp_path / "etc", printer=f"paper_mm = {paper}"))
    seen = Count()

    def clip(text: str, n: int) -> str:
        return text[:n] or "x"

    @fuzz_settings(scale, 100, 1500)
    @given(st.lists(paper_text, min_size=8, max_size=8))
    def run(texts):
        seen.n += 1
        doc = base_catalogue()
        service = doc["services"][0]
        service.update(name_id=clip(texts[0], 80), name_en=clip(texts[1], 80), notes_id=[texts[2][:200]],
                       processing_en=texts[3][:120])
        service["documents"] = [{"id": clip(texts[4], 200), "en": clip(texts[5], 200), "note_en": texts[6][:120]}]
        try:
            catalogue = parse_catalogue(document_toml(doc), "services.toml")
        except ConfigError:
            return  # e.g. a name that is only whitespace after all: refused with a reason, fine
        kiosk = dataclasses.replace(cfg.kiosk, office_name=clip(texts[7], 80), office_lines=(texts[2][:80],))
        shown = dataclasses.replace(cfg, catalogue=catalogue, kiosk=kiosk)
        printing = TicketPrinting(shown, make_clock(), printer=object())
        ticket = sample_ticket(shown)
        for data in (encode_ticket(printing.ticket_content(ticket, None), printing.model),
                     encode_requirements(printing.requirements_content(catalogue.services[0]), printing.model)):
            job = decode(data)
            assert not job.unknown, f"text became a printer command: {job.unknown[:3]}"
            for line in job.texts:
                assert all(" " <= ch <= "~" for ch in line), repr(line)
            m = printing.model
            assert all(len(line.text) * line.style.width <= (m.font_b_columns if line.style.font else m.columns)
                       for line in job.lines), "wider than paper"
        # Deliberate replacement: what is on paper is the documented ASCII spelling of the name.
        ticket_job = decode(encode_ticket(printing.ticket_content(ticket, None), printing.model))
        spelled = " ".join(ticket_job.texts)
        for word in to_ascii(catalogue.services[0].name_en).split()[:3]:
            assert word[:10] in spelled.replace(" ", "") or not word.strip("?")
        assert ticket_job.qr_payloads == [ticket.id]

    try:
        run()
    finally:
        record(f"print-any-script-{paper}mm", title=f"Bad input: any script on {paper} mm paper", scale=scale,
               runs=seen.n, faults=seen.n, tickets=seen.n, lost=0, duplicated=0, longest_stall_s=None,
               stall_means="(encoding only)", passed=True, details={"examples": seen.n})
