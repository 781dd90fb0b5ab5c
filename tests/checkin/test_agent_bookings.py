"""The agent pulls the booking list and the other kiosks' check-ins from the real central server
on loopback (ETag, purge, a bad list kept out), and pushes its own check-ins exactly once."""

import json

import pytest
from support.checkin import BOOKINGS
from support.kiosk_env import make_config

from central import bookings as central_bookings
from central.app import create_app
from central.auth import issue_token
from central.db import CentralDB
from central.server import ServerThread
from kiosk import checkin
from kiosk.agent.client import CentralClient
from kiosk.agent.loop import Agent
from kiosk.checkin.listing import ListError, parse_list
from kiosk.lobby import Lobby
from kiosk.printing import TicketPrinting
from kiosk.state_keys import BOOKINGS_LIST
from kiosk.store import Store
from kiosk.ui.app import with_printer_device

OFFICE = "TEST"


class Recorder:
    def __init__(self, app):
        self.app, self.calls = app, []

    def __call__(self, environ, start_response):
        def recording(status, headers, exc_info=None):
            self.calls.append((environ["PATH_INFO"], environ.get("HTTP_IF_NONE_MATCH"), int(status.split()[0])))
            return start_response(status, headers, exc_info)
        return self.app(environ, recording)


@pytest.fixture
def central(tmp_path):
    db = CentralDB(tmp_path / "central.db")
    rows = [central_bookings.Row(b["code"], OFFICE, b["service"], b["slot"], b["day"], b["masked_name"]) for b in BOOKINGS]
    rows.append(central_bookings.Row("ELSEWHERE", "OTHER", "paspor-baru", "2026-11-27T10:00+07:00", "2026-11-27", None))
    central_bookings.import_rows(db, rows)
    app = create_app(db)
    app.wsgi_app = recorder = Recorder(app.wsgi_app)
    with ServerThread(app) as srv:
        srv.db, srv.recorder = db, recorder
        yield srv
    db.close()


@pytest.fixture
def kiosk(tmp_path, central, fake, clock):
    made = []

    def make(name: str):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "central.token").write_text(issue_token(central.db, "kiosk", name, office=OFFICE) + "\n")
        (folder / "central.token").chmod(0o600)
        config = make_config(folder, kiosk=f'id = "{name}"', central=f'url = "{central.url}"\ntoken_file = "central.token"\n'
                             "connect_timeout = 2.0\nread_timeout = 5.0")
        config = with_printer_device(config, f"serial:{fake.path}@115200")
        store, printing = Store(config.store.path), TicketPrinting(config, clock)
        agent_store = Store(config.store.path)
        made.append((store, agent_store, printing))
        return Lobby(config, store, clock, printing), Agent(config, agent_store, CentralClient(config.central, clock=clock), clock=clock)

    yield make
    for store, agent_store, printing in made:
        printing.close()
        store.close()
        agent_store.close()


def test_pull_hold_checkin_push_and_the_other_kiosk_sees_it(kiosk, central, fake):
    lobby1, agent1 = kiosk("k1")
    lobby2, agent2 = kiosk("k2")
    assert lobby1.find_booking("ONTIME01").outcome == checkin.UNVERIFIED  # nothing pulled yet
    assert agent1.pull_bookings() == "changed"
    assert lobby1.find_booking("ONTIME01").outcome == checkin.FOUND
    assert lobby1.find_booking("ELSEWHERE").outcome == checkin.OTHER_OFFICE
    assert lobby1.find_booking("NOTBOOKED").outcome == checkin.UNKNOWN
    assert lobby1.store.get_state(BOOKINGS_LIST)["days"] == ["2026-11-27", "2026-11-28"]
    assert agent1.pull_bookings() == "unchanged"
    path, etag, status = central.recorder.calls[-1]
    assert path == f"/api/v1/offices/{OFFICE}/bookings" and etag and status == 304

    result = lobby1.check_in_and_print("ONTIME01")
    assert result.issued and result.number == "A001"
    report = agent1.sync_once()
    assert report.error is None and report.pulls["bookings"] == "changed"  # its own check-in came back
    held = central_bookings.checkins(central.db, OFFICE)
    assert [(c["code"], c["number"], c["kiosk_id"]) for c in held] == [("ONTIME01", "A001", "k1")]

    assert agent2.pull_bookings() == "changed"
    seen = lobby2.find_booking("ONTIME01")
    assert seen.outcome == checkin.ALREADY_CHECKED_IN and seen.ticket_number == "A001" and seen.checked_in_elsewhere == "k1"
    assert not lobby2.check_in_and_print("ONTIME01").issued
    assert lobby1.find_booking("ONTIME01").reprints_left == 2  # its own, still reprintable here

    agent1.sync_once()
    assert len(central_bookings.checkins(central.db, OFFICE)) == 1
    beat = central.db.kiosk("k1")["last_heartbeat"]["bookings"]
    assert beat["held"] == 7 and beat["checked_in_here"] == 1 and beat["unverified_here"] == 0
    assert central_bookings.duplicates(central.db, OFFICE) == []


def test_the_day_after_everything_of_yesterday_is_purged(kiosk, central, clock):
    lobby, agent = kiosk("k1")
    agent.pull_bookings()
    lobby.check_in_and_print("ONTIME02")
    assert lobby.store.booking("ONTIME02") is not None
    clock.advance(days=1)
    central.stop()  # the server is down: the purge happens anyway
    assert agent.pull_bookings().startswith("failed")
    assert lobby.store.booking("ONTIME02") is None and lobby.store.booking("YESTERDY") is None
    assert lobby.store.checkin_of("ONTIME02", "2026-11-27") is None
    assert lobby.store.booking("TOMORROW") is not None  # today's now
    assert lobby.store.ticket_by_number("A001", "2026-11-27") is not None  # tickets are kept


@pytest.mark.parametrize("body, message", [
    ({"office": "OTHER", "days": [], "bookings": []}, "the list is for office 'OTHER'"),
    ({"office": OFFICE, "days": ["2026-11-27"], "bookings": [{"code": "AB CD", "day": "2026-11-27", "service": "x",
                                                               "slot": "2026-11-27T10:00+07:00"}]},
     "bookings[0].code must be printable ASCII"),
    ({"office": OFFICE, "days": ["2026-11-27"], "bookings": [{"code": "ABCD", "day": "2026-11-27", "service": "x",
                                                               "slot": "10:00"}]},
     "bookings[0].slot must be an ISO-8601 time with its UTC offset"),
    ({"office": OFFICE, "days": ["2026-11-27"], "checkins": [{"code": "ABCD"}]}, "checkins[0].day must be"),
    ({"office": OFFICE, "days": "today"}, "days must be a list"),
    ([], "must be a JSON object"),
])
def test_a_bad_list_is_refused_naming_the_field(body, message):
    with pytest.raises(ListError) as err:
        parse_list(json.loads(json.dumps(body)), OFFICE)
    assert message in str(err.value)
