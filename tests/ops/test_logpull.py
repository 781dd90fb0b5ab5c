"""central/logpull.py against kiosks that answer wrongly: the cursor only moves over good pages."""

from __future__ import annotations

import json

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
