"""Lock and unlock a kiosk from the report page, end to end: a supervisor logged in to a real
`kiosk-central serve` process on loopback presses lock, a real `kiosk agent` process picks the
command up, the kiosk's real SQLite store holds the lock, the touchscreen's façade (Lobby.watch,
what the UI polls twice a second) sees the closed screen, and the page shows the confirmation."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from support.kiosk_env import write_config
from support.waiting import free_port, stop_process, wait_for

from central import kiosk_commands, staff
from central.auth import issue_token
from central.db import CentralDB
from kiosk.config import load_config
from kiosk.lobby import Lobby
from kiosk.state_keys import LOCK
from kiosk.store import Store

REPO = Path(__file__).resolve().parents[2]
OFFICE = "TEST"
KIOSK = "lobby-1"
PASSWORD = "supervisor password"

FAST = """
connect_timeout = 1.0
read_timeout = 2.0
batch_linger_seconds = 0.0
backoff_initial_seconds = 0.05
backoff_max_seconds = 0.5
heartbeat_seconds = 30.0
pull_seconds = 1.0
"""


@pytest.fixture
def central_server(tmp_path):
    path = tmp_path / "central.db"
    db = CentralDB(path)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "central", "serve", "--db", str(path),
                             "--listen", f"127.0.0.1:{port}", "--log-level", "warning"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ})
    url = f"http://127.0.0.1:{port}"

    def up():
        try:
            return requests.get(f"{url}/api/v1/health", timeout=1).ok
        except requests.RequestException:
            return False
    try:
        wait_for("the central server to answer", up, timeout=20)
        yield url, db
    finally:
        stop_process(proc)
        db.close()


def test_supervisor_locks_and_unlocks_a_kiosk_through_its_agent(tmp_path, central_server):
    url, db = central_server
    token_file = tmp_path / "kiosk" / "central.token"
    token_file.parent.mkdir()
    token_file.write_text(issue_token(db, "kiosk", KIOSK, office=OFFICE) + "\n")
    token_file.chmod(0o600)
    config_path = write_config(tmp_path / "kiosk", kiosk=f'id = "{KIOSK}"\noffice_code = "{OFFICE}"',
                               central=f'url = "{url}"\ntoken_file = "central.token"\n{FAST}')
    config = load_config(config_path)
    store = Store(config.store.path)
    lobby = Lobby(config, store)
    assert not lobby.snapshot().locked
    staff.add_user(db, "ana", "supervisor", OFFICE, PASSWORD, "test")
    agent = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(config_path), "agent",
                              "--log-level", "info"], cwd=REPO, stderr=subprocess.PIPE, text=True,
                             env={**os.environ})
    try:
        wait_for("the kiosk's first heartbeat", lambda: (db.kiosk(KIOSK) or {}).get("last_heartbeat_at"))
        lobby.watch()
        page = requests.Session()
        form = page.get(f"{url}/staff/login", timeout=5).text
        token = re.search(r'name="form_token" value="([^"]+)"', form).group(1)
        page.post(f"{url}/staff/login", data={"form_token": token, "username": "ana", "password": PASSWORD}, timeout=10)
        report = page.get(f"{url}/reports", timeout=5).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', report).group(1)
        assert f'id="lock-{KIOSK}"' in report
        sent = page.post(f"{url}/reports/kiosks/{KIOSK}/lock", data={"csrf": csrf, "reason": "printer jammed"},
                         timeout=5, allow_redirects=False)
        assert sent.status_code == 303
        requested = time.monotonic()
        command = kiosk_commands.latest_per_kiosk(db, OFFICE)[KIOSK]
        snapshot = wait_for("the touchscreen to see the lock", lambda: (lobby.watch() or lobby.snapshot()).locked
                            and lobby.snapshot(), timeout=15, interval=0.5)
        assert snapshot.locked and not snapshot.open
        assert time.monotonic() - requested < 10, "picked up on the next pull (1 s here)"
        lock = store.get_state(LOCK)
        assert lock["locked"] and lock["by"] == "central:user:ana" and lock["reason"] == "printer jammed"
        assert lock["command"] == command["id"]
        confirmed = wait_for("the server to record the kiosk's confirmation",
                             lambda: kiosk_commands.command(db, command["id"])["confirmed_at"] and
                             kiosk_commands.command(db, command["id"]))
        assert confirmed["fetched_at"] <= confirmed["confirmed_at"] and confirmed["applied_at"]
        assert db.kiosk(KIOSK)["last_heartbeat"]["lock"]["locked"] is True
        row = re.search(rf'<tr id="kiosk-{KIOSK}">(.*?)</tr>', page.get(f"{url}/reports?lang=en", timeout=5).text,
                        re.S).group(1)
        assert "lock confirmed by the kiosk at" in row and ">locked<" in row and f'id="unlock-{KIOSK}"' in row
        # The lock refuses tickets exactly as `kiosk lock` does, and the technician sees who locked it.
        assert lobby.issuer.check(config.catalogue.services[0]).code == "locked"
        status = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config_path), "status"],
                                capture_output=True, text=True, timeout=30, cwd=REPO)
        assert "LOCKED by central:user:ana (printer jammed)" in status.stdout, status.stdout + status.stderr
        page.post(f"{url}/reports/kiosks/{KIOSK}/unlock", data={"csrf": csrf}, timeout=5)
        unlock = kiosk_commands.latest_per_kiosk(db, OFFICE)[KIOSK]
        assert unlock["action"] == "unlock" and unlock["id"] > command["id"]
        wait_for("the touchscreen to reopen", lambda: not lobby.snapshot().locked, timeout=15, interval=0.5)
        wait_for("the unlock's confirmation", lambda: kiosk_commands.command(db, unlock["id"])["confirmed_at"])
        # Confirmed commands are not served again: the agent stays unlocked.
        time.sleep(2.5)
        assert not lobby.snapshot().locked
        assert kiosk_commands.pending_for(db, KIOSK) == []
    finally:
        stop_process(agent)
        store.close()
    log = agent.stderr.read()
    assert "kiosk locked by user:ana (printer jammed)" in log and "kiosk unlocked by user:ana" in log
