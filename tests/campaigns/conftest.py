"""Campaigns: crash, network, quarantine, printer, clock, bad input and security, each with published figures.

Every campaign runs at two sizes: "default" (in `make test`) and "full" (`@pytest.mark.slow`,
run by `make reliability`); KIOSK_CAMPAIGN_SCALE multiplies both. Each records its figures with
`figures.record`, and tools/reliability_report.py renders docs/reliability.md from them.

The central server, fault proxy and kiosk rig are the agent tests' own fixtures (tests/agent);
the sync campaigns' central database runs once on SQLite and once on PostgreSQL (`central_db`
below, tests/support/postgres.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo before tests/: `central` is the package

from agent.conftest import (  # noqa: F401  (fixtures re-exported for the campaigns)
    FAST_CENTRAL,
    KIOSK_ID,
    OFFICE,
    KioskRig,
    central,
    kiosk_token,
    proxy,
)

from central.db import CentralDB

SCALE_PARAMS = [pytest.param("default", id="default"), pytest.param("full", id="full", marks=pytest.mark.slow)]


@pytest.fixture
def central_db(central_db_url):
    """The sync campaigns' central server keeps its data on each backend in turn."""
    import figures

    db = CentralDB(central_db_url)
    figures.BACKEND = "" if db.engine.name == "sqlite" else db.engine.name
    yield db
    figures.BACKEND = ""
    db.close()


@pytest.fixture(params=SCALE_PARAMS)
def scale(request) -> str:
    """"default" in `make test`, "full" in `make reliability` (-m slow)."""
    return request.param
