"""central/logpull.py against kiosks that answer wrongly: the cursor only moves over good pages."""

from __future__ import annotations

import json
import threading

import pytest
from flask import Flask, Response

from central import logpull
from central.db import CentralDB
from central.server import ServerThread

TOKEN = "kiosk-log-token-kiosk-log-token"


def record(cursor: int) -> dict:
    return {"cursor": cursor, "id": f"t{cursor}", "number": f"A{cursor:03d}"}


def kiosk_app(pages: dict[int, str]) -> Flask:
    app = Flask("fake-kiosk")

    @app.get("/api/v1/tickets")
    def tickets():
        from flask import request

        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response("{}", status=401)
        return Response(pages.get(int(request.args["after"]), ""), content_type="application/x-ndjson")

    return app


def lines(*records) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


@pytest.fixture
def db(tmp_path):
    database = CentralDB(tmp_path / "central.db")
    yield database
    database.close()


def pull(db, pages, page=3):
    with ServerThread(kiosk_app(pages)) as kiosk:
        logpull.add_source(db, "k1", kiosk.url, TOKEN)
        return logpull.pull_one(db, logpull.sources(db)[0], page=page)


def test_pages_until_a_short_one(db):
    result = pull(db, {0: lines(*map(record, (1, 2, 3))), 3: lines(*map(record, (4, 5, 6))), 6: lines(record(7))})
    assert (result.before, result.after, result.records, result.error) == (0, 7, 7, None)
    assert [r["cursor"] for r in logpull.pulled(db, "k1")] == list(range(1, 8))


@pytest.mark.parametrize("bad, reason", [
    (lines(record(5), record(4)), "out of order"),
    ("{not json\n", "unreadable record"),
    (lines({"cursor": "5", "id": "x"}), "out of order or malformed"),
    (lines(*map(record, (4, 5, 6, 7))), "more than the 3 records"),
    (json.dumps({**record(4), "pad": "x" * 70000}) + "\n", "larger than"),
])
def test_a_bad_page_stops_the_pull_and_keeps_the_good_ones(db, bad, reason):
    result = pull(db, {0: lines(*map(record, (1, 2, 3))), 3: bad})
    assert result.after == 3 and result.records == 3
    assert reason in result.error
    source = logpull.sources(db)[0]
    assert source.cursor == 3 and reason in source.last_error


def test_an_unreachable_kiosk_is_an_error_not_an_exception(db):
    logpull.add_source(db, "k1", "http://127.0.0.1:9", TOKEN)
    result = logpull.pull_one(db, logpull.sources(db)[0], timeout=(0.5, 0.5))
    assert result.error.startswith("cannot reach the kiosk at http://127.0.0.1:9")
    assert logpull.sources(db)[0].public().get("token") is None


@pytest.mark.parametrize("bad, reason", [
    (lines(record(2**64)), "at most 9223372036854775807"),
    (lines(record(2**63)), "at most 9223372036854775807"),
    (lines({"cursor": 4, "id": 5}), "no ticket id"),
    ('{"cursor": 4, "id": "t4", "number": "\\ud800"}\n', "not valid Unicode"),
    ("[" * 20000 + "]" * 20000 + "\n", "nested too deep"),
    ("[1]\n", "not a JSON object"),
    (lines({"cursor": True, "id": "t"}), "out of order or malformed"),
])
def test_a_hostile_record_is_a_pull_error_naming_it(db, bad, reason):
    result = pull(db, {0: lines(*map(record, (1, 2, 3))), 3: bad})
    assert result.after == 3 and reason in result.error
    assert reason in logpull.sources(db)[0].last_error


def test_one_hostile_kiosk_does_not_stop_the_others_nor_the_scheduler(db):
    hostile = {0: lines(record(2**64))}
    good = {0: lines(*map(record, (1, 2)))}
    with ServerThread(kiosk_app(hostile)) as bad_kiosk, ServerThread(kiosk_app(good)) as good_kiosk:
        logpull.add_source(db, "a-hostile", bad_kiosk.url, TOKEN)
        logpull.add_source(db, "b-good", good_kiosk.url, TOKEN)
        scheduler = logpull.Scheduler(db, 0.2).start()
        try:
            from support.waiting import wait_for

            wait_for("three pull rounds", lambda: scheduler.rounds >= 3)
            assert scheduler.alive()
            health = scheduler.health()
            assert health["sources_failing"] == 1 and "a-hostile" in health["last_error"]
        finally:
            scheduler.stop()
    states = {s.kiosk_id: s for s in logpull.sources(db)}
    assert states["b-good"].cursor == 2 and states["b-good"].last_error is None
    assert states["a-hostile"].cursor == 0 and "at most" in states["a-hostile"].last_error


def test_an_unexpected_failure_marks_the_source_and_a_dead_thread_is_restarted(db, monkeypatch):
    logpull.add_source(db, "k1", "http://127.0.0.1:9", TOKEN)
    logpull.add_source(db, "k2", "http://127.0.0.1:9", TOKEN)
    calls = []

    def explode(db_, source, **kwargs):
        calls.append(source.kiosk_id)
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(logpull, "pull_one", explode)
    results = logpull.pull_all(db)
    assert calls == ["k1", "k2"], "the kiosks after the failing one were skipped"
    assert all("internal error" in r.error and "OverflowError" in r.error for r in results)
    assert all("OverflowError" in s.last_error for s in logpull.sources(db))

    monkeypatch.undo()
    scheduler = logpull.Scheduler(db, 60)
    scheduler._thread = threading.Thread(target=lambda: None)  # a pull thread that ended, however it did
    scheduler._thread.start()
    scheduler._thread.join(5)
    assert not scheduler.alive() and not scheduler.health()["running"]
    scheduler.supervise()
    try:
        assert scheduler.alive() and scheduler.restarts == 1
    finally:
        scheduler.stop()


def test_the_pull_schedule_shows_in_the_servers_health(db):
    import requests

    from central.app import create_app

    scheduler = logpull.Scheduler(db, 60)
    with ServerThread(create_app(db, pull_health=scheduler.health)) as srv:
        assert requests.get(f"{srv.url}/api/v1/health", timeout=5).json()["log_pull"]["running"] is False
        scheduler.start()
        try:
            body = requests.get(f"{srv.url}/api/v1/health", timeout=5).json()
        finally:
            scheduler.stop()
    assert body["log_pull"]["running"] is True and body["log_pull"]["sources_failing"] == 0
