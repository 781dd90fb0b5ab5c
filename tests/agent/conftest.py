import threading
import time
from pathlib import Path

import pytest
from support.fault_proxy import FaultProxy
from support.kiosk_env import write_config

from central.app import create_app
from central.auth import issue_token
from central.db import CentralDB
from central.server import ServerThread
from kiosk.agent.client import CentralClient
from kiosk.agent.loop import Agent
from kiosk.config import load_config
from kiosk.issuer import Issuer
from kiosk.store import Store

KIOSK_ID = "test-kiosk"
OFFICE = "TEST"
ISSUE_BOUND_S = 0.5

# Fast enough for a test suite, still the real code paths: timeouts, backoff and linger are set
# through kiosk.toml exactly as on a kiosk.
FAST_CENTRAL = """
connect_timeout = 0.5
read_timeout = 0.5
batch_size = 20
batch_linger_seconds = 0.0
backoff_initial_seconds = 0.01
backoff_max_seconds = 0.1
heartbeat_seconds = 1.0
pull_seconds = 1.0
"""


class Recorder:
    """WSGI middleware: what the central server itself received and answered."""

    def __init__(self, app):
        self.app, self.calls = app, []

    def __call__(self, environ, start_response):
        call = {"method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"],
                "if_none_match": environ.get("HTTP_IF_NONE_MATCH"), "status": None, "body_bytes": 0}
        self.calls.append(call)

        def recording_start(status, headers, exc_info=None):
            call["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        for chunk in self.app(environ, recording_start):
            call["body_bytes"] += len(chunk)
            yield chunk

    def seen(self, method, path_end):
        return [c for c in self.calls if c["method"] == method and c["path"].endswith(path_end)]


class KioskRig:
    """A kiosk on disk (config, token file, store) wired to the central server through the proxy."""

    def __init__(self, folder: Path, url: str, token: str, central_extra: str = ""):
        folder.mkdir(parents=True, exist_ok=True)
        token_file = folder / "central.token"
        token_file.write_text(token + "\n")
        token_file.chmod(0o600)
        central = f'url = "{url}"\ntoken_file = "central.token"\n{FAST_CENTRAL}\n{central_extra}'
        self.config_path = write_config(folder, kiosk=f'id = "{KIOSK_ID}"\noffice_code = "{OFFICE}"', central=central)
        self.config = load_config(self.config_path)
        self.store = Store(self.config.store.path)
        self.issuer = Issuer(self.config, self.store)
        self.issue_times: list[float] = []
        self._thread = None
        self._stop = threading.Event()
        self.agent_error: BaseException | None = None

    def reload(self):
        self.config = load_config(self.config_path)
        return self.config

    def issue(self, n: int = 1, service: str = "A") -> None:
        for _ in range(n):
            started = time.monotonic()
            self.issuer.issue(service)
            self.issue_times.append(time.monotonic() - started)

    def agent(self, store: Store | None = None) -> Agent:
        return Agent(self.config, store or self.store, CentralClient(self.config.central))

    def start_agent(self) -> None:
        """The agent's loop in a thread with its own Store, as in its own process."""
        def run():
            store = Store(self.config.store.path)
            try:
                agent = Agent(self.config, store, CentralClient(self.config.central), stop=self._stop)
                agent.run()
            except BaseException as err:  # noqa: BLE001 - surfaced by stop_agent
                self.agent_error = err
            finally:
                store.close()

        self._stop.clear()
        self._thread = threading.Thread(target=run, name="agent", daemon=True)
        self._thread.start()

    def stop_agent(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(10)
            assert not self._thread.is_alive(), "agent did not stop"
            self._thread = None
        if self.agent_error is not None:
            raise self.agent_error

    def wait_until(self, predicate, timeout: float = 15.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}")

    def wait_drained(self, timeout: float = 15.0) -> None:
        self.wait_until(lambda: self.store.outbox_stats().depth == 0, timeout, "the outbox to drain")

    def outbox_ids(self) -> list[str]:
        rows = self.store.conn.execute("SELECT event_id FROM outbox ORDER BY seq").fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        self.stop_agent()
        self.store.close()


@pytest.fixture
def central_db(tmp_path):
    (tmp_path / "central").mkdir()
    db = CentralDB(tmp_path / "central" / "central.db")
    yield db
    db.close()


@pytest.fixture
def central(central_db):
    app = create_app(central_db)
    recorder = Recorder(app.wsgi_app)
    app.wsgi_app = recorder
    with ServerThread(app) as srv:
        srv.recorder = recorder
        yield srv


@pytest.fixture
def proxy(central):
    with FaultProxy(("127.0.0.1", central.port)) as p:
        yield p


@pytest.fixture
def kiosk_token(central_db):
    return issue_token(central_db, "kiosk", KIOSK_ID)


@pytest.fixture
def rig(tmp_path, proxy, kiosk_token):
    kiosk = KioskRig(tmp_path / "etc", proxy.url, kiosk_token)
    yield kiosk
    kiosk.close()


@pytest.fixture
def make_rig(tmp_path, proxy, kiosk_token):
    """Another kiosk configuration for the same kiosk id: `make_rig(central_extra="...")`."""
    made = []

    def make(central_extra: str = "", name: str = "etc2") -> KioskRig:
        made.append(KioskRig(tmp_path / name, proxy.url, kiosk_token, central_extra))
        return made[-1]

    yield make
    for kiosk in made:
        kiosk.close()


@pytest.fixture
def assert_exactly_once_in_order(central_db):
    def check(rig: KioskRig) -> None:
        held = [e["event_id"] for e in central_db.events(KIOSK_ID)]
        assert len(held) == len(set(held)), "the server holds an event twice"
        assert held == rig.outbox_ids(), "the server holds a different set or order of events"
        tickets = [t["id"] for t in central_db.iter_tickets(kiosk_id=KIOSK_ID)]
        issued = [t.id for t in rig.store.iter_tickets()]
        assert tickets == issued
    return check
