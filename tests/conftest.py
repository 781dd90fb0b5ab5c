import sys
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).parent))  # for `support`; after the repo so tests/printer never shadows printer/

from support.kiosk_env import make_clock, make_config  # noqa: E402

from kiosk.store import Store  # noqa: E402


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
