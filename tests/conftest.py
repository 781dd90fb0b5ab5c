import pytest

# setup.cfg [tool:pytest] pythonpath puts the repo and tests/ on the path (`support`, `kiosk`).
from support.kiosk_env import make_clock, make_config
from support.postgres import central_db_url, postgres_cluster  # noqa: F401  (the central server on both backends)

from kiosk.store import Store


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path / "etc")


@pytest.fixture
def store(config):
    s = Store(config.store.path)
    yield s
    s.close()


@pytest.fixture
def clock():
    return make_clock()
