"""The national view: one PostgreSQL pulls the ticket logs of several office servers (issue 15).

Two office servers (kiosk-central on their own SQLite files, real HTTP on loopback) serve their
ticket log by cursor (GET /api/v1/tickets, a `log` token); the national server registers them
with `kiosk-central pull add` and pulls: a pull cut short resumes where it stopped, an office
that is down keeps its cursor, two pullers at once store nothing twice.
"""

from __future__ import annotations

import json
import threading

import pytest
import requests

from central import logpull
from central.app import create_app
from central.auth import issue_token
from central.cli import main
from central.db import CentralDB
from central.server import ServerThread


class Office:
    def __init__(self, folder, code: str, make_event):
        folder.mkdir()
        self.code, self.make_event = code, make_event
        self.db = CentralDB(folder / "central.db")
        self.kiosk = f"{code}-K1"
        issue_token(self.db, "kiosk", self.kiosk, office=code)
        self.reader = issue_token(self.db, "log", "national", office=code)
        self.issued = 0
        self.server = ServerThread(create_app(self.db)).__enter__()
        self.token_file = folder / "log.token"
        self.token_file.write_text(self.reader + "\n")

    def issue(self, n: int) -> None:
        events = [self.make_event(self.issued + i, kiosk_id=self.kiosk) for i in range(1, n + 1)]
        accepted, rejected = self.db.ingest(self.kiosk, self.code, events)
        assert len(accepted) == n and not rejected
        self.issued += n

    def ticket_ids(self) -> list[str]:
        return [t["id"] for t in self.db.iter_tickets()]

    def close(self) -> None:
        self.server.__exit__(None, None, None)
        self.db.close()


@pytest.fixture
def offices(tmp_path, make_event):
    made = [Office(tmp_path / "a", "BLITAR", make_event), Office(tmp_path / "b", "KEDIRI", make_event)]
    yield made
    for office in made:
        office.close()


@pytest.fixture
def national(postgres_cluster):
    schema = postgres_cluster.new_schema("natl")
    db = CentralDB(postgres_cluster.url(schema))
    yield db
    db.close()


def test_the_tickets_endpoint_pages_by_cursor_for_a_log_token_only(offices):
    office = offices[0]
    office.issue(5)
    url = f"{office.server.url}/api/v1/tickets"
    kiosk_token = issue_token(office.db, "kiosk", "other-kiosk")
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, headers={"Authorization": f"Bearer {kiosk_token}"}, timeout=5).status_code == 403
    auth = {"Authorization": f"Bearer {office.reader}"}
    page = requests.get(url, params={"after": 0, "limit": 3}, headers=auth, timeout=5)
    assert page.headers["Content-Type"].startswith("application/x-ndjson")
    first = [json.loads(line) for line in page.text.splitlines()]
    assert [r["number"] for r in first] == ["A001", "A002", "A003"]
    rest = requests.get(url, params={"after": first[-1]["cursor"]}, headers=auth, timeout=5).text.splitlines()
    assert len(rest) == 2
    for bad in ({"limit": "1001"}, {"after": "-1"}, {"after": "²"}, {"cursor": "1"}):
        r = requests.get(url, params=bad, headers=auth, timeout=5)
        assert r.status_code == 400 and r.json()["error"] in ("bad_parameter", "limit_too_large"), bad
    # An office-bound log token reads its own office only.
    issue_token(office.db, "kiosk", "elsewhere", office="KEDIRI")
    office.db.ingest("elsewhere", "KEDIRI", [office.make_event(1, kiosk_id="elsewhere")])
    everything = issue_token(office.db, "log", "auditor")
    assert len(requests.get(url, headers=auth, timeout=5).text.splitlines()) == 5
    assert len(requests.get(url, headers={"Authorization": f"Bearer {everything}"}, timeout=5).text.splitlines()) == 6


def test_national_postgresql_pulls_two_office_servers_resumably_exactly_once(offices, national, capsys):
    for office in offices:
        office.issue(23)
        assert main(["pull", "add", f"office-{office.code}", office.server.url, "--token-file",
                     str(office.token_file), "--db", national.url]) == 0

    # A pull cut short (two pages of 5) stores what it got with its cursor...
    first = logpull.pull_all(national, page=5, max_pages=2)
    assert [r.records for r in first] == [10, 10] and not any(r.error for r in first)
    # ...the next resumes there, also after more tickets arrived at one office.
    offices[0].issue(7)
    assert main(["pull", "run", "--db", national.url]) == 0
    capsys.readouterr()

    # An office that is down keeps its cursor; it catches up once it is back.
    offices[1].issue(4)
    down = offices[1].server
    down.__exit__(None, None, None)
    (failed,) = logpull.pull_all(national, kiosk_id=f"office-{offices[1].code}")
    assert failed.error and failed.after == failed.before
    offices[1].server = ServerThread(create_app(offices[1].db), port=int(down.url.rsplit(":", 1)[1])).__enter__()

    # Two pullers at once (two national processes would be two connections like these).
    other = CentralDB(national.url)
    threads = [threading.Thread(target=logpull.pull_all, args=(db,), kwargs={"page": 3}) for db in (national, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    other.close()

    for office in offices:
        source = f"office-{office.code}"
        pulled = list(logpull.pulled(national, source))
        assert [r["id"] for r in pulled] == office.ticket_ids(), f"{source}: lost, doubled or out of order"
        assert {r["central"]["office"] for r in pulled} == {office.code}
        (row,) = [s for s in logpull.sources(national) if s.kiosk_id == source]
        assert row.records == len(pulled) == office.issued and row.cursor == pulled[-1]["cursor"]
        assert row.last_error is None
