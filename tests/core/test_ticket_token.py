"""Each ticket's page token: random, made by the issuer, stored, sent in its events, and printed in
the QR as <central.public_url>/t/<token> (docs/central.md)."""

import json
import re
import subprocess
import sys

import pytest
from support.kiosk_env import make_clock, make_config, write_config

from kiosk.issuer import Issuer
from kiosk.printing import TicketPrinting
from kiosk.store import Store
from printer.decode import decode

PUBLIC = "https://antrean.kanim.example"


@pytest.fixture
def issued(tmp_path):
    config = make_config(tmp_path / "etc", central=f'public_url = "{PUBLIC}/"')
    store = Store(config.store.path)
    tickets = [Issuer(config, store, make_clock()).issue("A") for _ in range(3)]
    yield config, store, tickets
    store.close()


def test_every_ticket_gets_its_own_unguessable_token_kept_and_sent(issued):
    _, store, tickets = issued
    tokens = [t.token for t in tickets]
    assert len(set(tokens)) == 3
    for ticket in tickets:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", ticket.token), ticket.token
        assert ticket.number not in ticket.token and ticket.id.replace("-", "") not in ticket.token
        assert store.ticket(ticket.id).token == ticket.token
        event = store.events_for(ticket.id)[0]
        assert event.payload["ticket"]["token"] == ticket.token
    assert json.loads(next(store.iter_log_text()).splitlines()[0])["token"] == tokens[0]


@pytest.mark.parametrize("qr, public, expected", [
    ("ticket-id", PUBLIC + "/", "{url}"),
    ("ticket-id", "", "{id}"),
    ("none", PUBLIC, None),
    ("https://other.example/q/{number}", PUBLIC, "https://other.example/q/A001"),
])
def test_the_qr_is_the_ticket_page_when_public_url_is_set(tmp_path, qr, public, expected):
    config = make_config(tmp_path / "etc", printer=f'qr = "{qr}"', central=f'public_url = "{public}"')
    with Store(config.store.path) as store:
        ticket = Issuer(config, store, make_clock()).issue("A")
        payload = TicketPrinting(config, store).qr_payload(ticket)
    if expected is not None:
        expected = expected.format(url=f"{PUBLIC}/t/{ticket.token}", id=ticket.id)
    assert payload == expected


def test_a_ticket_from_before_tokens_keeps_its_id_in_the_qr(issued):
    config, store, tickets = issued
    old = tickets[0].__class__(**{**tickets[0].to_dict(), "token": None})
    assert TicketPrinting(config, store).qr_payload(old) == old.id


def test_cli_issue_prints_the_page_url_in_the_qr_and_its_json(tmp_path):
    cfg = write_config(tmp_path / "etc", central=f'public_url = "{PUBLIC}"')
    r = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(cfg), "issue", "A", "--json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    ticket = json.loads(r.stdout)
    assert re.fullmatch(re.escape(PUBLIC) + r"/t/[A-Za-z0-9_-]{22}", ticket["page_url"])
    printed = decode((tmp_path / "etc" / "printed.bin").read_bytes())
    assert printed.qr_payloads == [ticket["page_url"]]
    listing = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(cfg), "tickets"],
                             capture_output=True, text=True, timeout=60).stdout
    assert ticket["page_url"] in listing


def test_a_store_from_before_tokens_gains_the_column_and_keeps_its_tickets(tmp_path):
    import sqlite3

    from kiosk.store.schema import MIGRATIONS
    from shared.migrations import migrate

    config = make_config(tmp_path / "etc")
    conn = sqlite3.connect(config.store.path, isolation_level=None)
    migrate(conn, MIGRATIONS[:3])
    conn.execute("INSERT INTO tickets (id, kiosk_id, number, service, prefix, seq, service_day, issued_at, mono_ns, "
                 "boot_id, clock_trusted) VALUES ('old', 'k', 'A001', 'paspor-baru', 'A', 1, '2026-11-27', "
                 "'2026-11-27T12:00:00+07:00', 1, 'b', 1)")
    conn.execute("INSERT INTO counters VALUES ('2026-11-27', 'A', 1)")
    conn.close()
    with Store(config.store.path) as store:
        assert store.ticket("old").token is None
        assert Issuer(config, store, make_clock()).issue("A").token
