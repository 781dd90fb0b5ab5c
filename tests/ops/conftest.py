import pytest
from opskit import write_secret
from support.kiosk_env import make_config


@pytest.fixture
def log_token(tmp_path):
    return write_secret(tmp_path / "etc" / "log.token")


@pytest.fixture
def log_config(tmp_path, log_token):
    """A kiosk whose log API listens on a free loopback port with a generous rate limit."""
    return make_config(
        tmp_path / "etc",
        extra='[agent]\nlisten = "127.0.0.1:0"\nlog_token_file = "log.token"\nlog_page_max = 500\n'
              "log_rate_per_second = 10000.0\nlog_rate_burst = 100000\n",
    )
