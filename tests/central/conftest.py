import uuid

import pytest

from central.app import create_app
from central.auth import issue_token
from central.db import CentralDB
from central.server import ServerThread

KIOSK = "K1"
OFFICE = "BLITAR"


@pytest.fixture
def db(central_db_url):
    """The central database, once on SQLite and once on PostgreSQL (tests/support/postgres.py)."""
    database = CentralDB(central_db_url)
    yield database
    database.close()


@pytest.fixture
def central_db(db):
    return db


@pytest.fixture
def server(db):
    with ServerThread(create_app(db, max_batch=50)) as srv:
        yield srv


@pytest.fixture
def kiosk_token(db):
    return issue_token(db, "kiosk", KIOSK)


@pytest.fixture
def counter_token(db):
    return issue_token(db, "counter", "desk-1")


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(name="make_event")
def make_event_fixture():
    return make_event


def make_event(n, kiosk_id=KIOSK, prefix="A", kind="ticket.issued", service_day="2026-11-27", ticket_id=None, **extra):
    ticket = {
        "id": ticket_id or f"t-{kiosk_id}-{prefix}{n}",
        "kiosk_id": kiosk_id,
        "number": f"{prefix}{n:03d}",
        "service": "paspor-baru",
        "prefix": prefix,
        "seq": n,
        "priority": None,
        "service_day": service_day,
        "issued_at": f"{service_day}T08:{n // 60 % 60:02d}:{n % 60:02d}+07:00",
        "print_state": "pending",
    }
    return {
        "event_id": str(uuid.uuid4()),
        "kind": kind,
        "kiosk_id": kiosk_id,
        "seq": n,
        "created_at": f"{service_day}T01:00:00.000+00:00",
        "ticket": ticket,
        **extra,
    }
