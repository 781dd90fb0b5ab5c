import sys
from pathlib import Path

import pytest

# tests/conftest.py puts tests/ first on sys.path, where tests/central would pass for the
# `central` package: put the repo root ahead of it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from central.app import create_app  # noqa: E402
from central.auth import issue_token  # noqa: E402
from central.db import CentralDB  # noqa: E402
from central.server import ServerThread  # noqa: E402
from support.fault_proxy import FaultProxy  # noqa: E402

KIOSK_ID = "test-kiosk"
OFFICE = "TEST"


@pytest.fixture
def central_db(tmp_path):
    (tmp_path / "central").mkdir()
    db = CentralDB(tmp_path / "central" / "central.db")
    yield db
    db.close()


@pytest.fixture
def central(central_db):
    with ServerThread(create_app(central_db)) as srv:
        yield srv


@pytest.fixture
def proxy(central):
    with FaultProxy(("127.0.0.1", central.port)) as p:
        yield p


@pytest.fixture
def kiosk_token(central_db):
    return issue_token(central_db, "kiosk", KIOSK_ID)
