"""End to end, real processes: provision a kiosk, run its agent, and let the central server pull
its ticket log on a schedule, keeping a cursor per kiosk."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from opskit import clean_env, kiosk_cmd, write_secret
from support.kiosk_env import ALL_DAY, TEST_CATALOGUE, make_clock
from support.waiting import free_port, wait_for

from kiosk.config import load_config
from kiosk.issuer import Issuer
from kiosk.store import Store

KIOSK = "test-kiosk"




def central_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "central", *args]




def up(url: str, headers=None) -> bool:
    try:
        return requests.get(url, headers=headers, timeout=0.5).status_code == 200
    except requests.RequestException:
        return False


def central_state(db: Path) -> dict:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute("SELECT cursor, records, last_error FROM log_sources WHERE kiosk_id = ?", (KIOSK,)).fetchone()
        log = [json.loads(r[0]) for r in conn.execute("SELECT record FROM kiosk_log WHERE kiosk_id = ? ORDER BY cursor", (KIOSK,))]
        synced = conn.execute("SELECT count(*) FROM tickets WHERE kiosk_id = ?", (KIOSK,)).fetchone()[0]
    except sqlite3.OperationalError:
        return {"cursor": 0, "records": 0, "error": None, "log": [], "synced": 0}
    finally:
        conn.close()
    return {"cursor": row[0] if row else 0, "records": row[1] if row else 0, "error": row[2] if row else None,
            "log": log, "synced": synced}


@pytest.fixture
def office(tmp_path):
    """A running central server (pulling every 0.3 s) and a provisioned kiosk whose agent runs."""
    procs: list[subprocess.Popen] = []
    env = clean_env()
    db = tmp_path / "central/central.db"
    db.parent.mkdir()
    token = subprocess.run(central_cmd("tokens", "add", KIOSK, "--office", "TEST", "--db", str(db)),
                           capture_output=True, text=True, timeout=30, check=True, env=env).stdout.strip()
    write_secret(tmp_path / "kiosk.token", token)
    central_url = f"http://127.0.0.1:{free_port()}"
    procs.append(subprocess.Popen(central_cmd("serve", "--db", str(db), "--listen", central_url[7:], "--pull-every", "0.3",
                                              "--log-level", "warning"), env=env))
    wait_for("the central server", lambda: up(f"{central_url}/api/v1/health"))

    etc = tmp_path / "etc/kiosk"
    etc.mkdir(parents=True)
    (etc / "services.toml").write_text(TEST_CATALOGUE.format(hours=ALL_DAY, quota=500, priority_quota=50))
    listen = f"127.0.0.1:{free_port()}"
    r = subprocess.run(kiosk_cmd("--config", str(etc / "kiosk.toml"), "provision", "--kiosk-id", KIOSK, "--office", "TEST",
                                 "--office-name", "Kantor Imigrasi Uji", "--server", central_url,
                                 "--token-file", str(tmp_path / "kiosk.token"), "--printer", f"file:{tmp_path / 'printed.bin'}",
                                 "--number-block", "1-999", "--data-dir", str(tmp_path / "var"), "--listen", listen, "--register"),
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"registered with {central_url} as {KIOSK} (office TEST)" in r.stdout

    r = subprocess.run(central_cmd("pull", "add", KIOSK, f"http://{listen}", "--token-file", str(etc / "log.token"), "--db", str(db)),
                       capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0 and r.stdout.strip() == f"{KIOSK}: its log will be pulled from http://{listen}"

    def start_agent() -> subprocess.Popen:
        proc = subprocess.Popen(kiosk_cmd("--config", str(etc / "kiosk.toml"), "agent", "--log-level", "warning"), env=env)
        procs.append(proc)
        log_token = (etc / "log.token").read_text().strip()
        wait_for("the agent's log API", lambda: up(f"http://{listen}/api/v1/health", {"Authorization": f"Bearer {log_token}"}))
        return proc

    yield {"db": db, "etc": etc, "listen": listen, "start_agent": start_agent, "env": env, "tmp": tmp_path}
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def issue(etc: Path, n: int) -> None:
    config = load_config(etc / "kiosk.toml")
    with Store(config.store.path) as store:
        issuer = Issuer(config, store, make_clock())
        for _ in range(n):
            issuer.issue("A")


def test_central_pulls_a_running_agents_log_and_keeps_its_cursor(office):
    db, etc, env = office["db"], office["etc"], office["env"]
    agent = office["start_agent"]()
    issue(etc, 25)
    state = wait_for("25 pulled records", lambda: (s := central_state(db))["cursor"] == 25 and s)
    assert state["records"] == 25 and state["error"] is None
    exported = subprocess.run(kiosk_cmd("--config", str(etc / "kiosk.toml"), "export"), capture_output=True, text=True,
                              timeout=60, env=env, check=True).stdout
    assert state["log"] == [json.loads(line) for line in exported.splitlines()]
    assert [r["number"] for r in state["log"]][:3] == ["A001", "A002", "A003"]
    # The same tickets also arrived the other way, as events pushed by the agent.
    assert wait_for("the events to be synced", lambda: central_state(db)["synced"] == 25)

    issue(etc, 5)
    state = wait_for("the cursor to move on", lambda: (s := central_state(db))["cursor"] == 30 and s)
    assert state["records"] == 30 and len(state["log"]) == 30  # nothing pulled twice

    listing = subprocess.run(central_cmd("pull", "list", "--db", str(db)), capture_output=True, text=True, timeout=30, env=env).stdout
    assert listing.startswith(f"{KIOSK}  http://{office['listen']}  cursor 30  30 records  ok at ")

    # The kiosk goes away: the pull fails with a reason, the cursor stays; it catches up on return.
    agent.terminate()
    agent.wait(15)
    issue(etc, 3)
    r = subprocess.run(central_cmd("pull", "run", "--kiosk", KIOSK, "--db", str(db)), capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 1
    assert r.stdout.startswith(f"{KIOSK}: FAILED at cursor 30 (0 records pulled first): cannot reach the kiosk at http://")
    office["start_agent"]()
    state = wait_for("the pull to catch up", lambda: (s := central_state(db))["cursor"] == 33 and s)
    assert state["error"] is None and [r["cursor"] for r in state["log"]] == list(range(1, 34))


def test_a_wrong_log_token_is_reported_and_the_cursor_stays(office):
    db, env = office["db"], office["env"]
    office["start_agent"]()
    issue(office["etc"], 2)
    wait_for("the first pull", lambda: central_state(db)["cursor"] == 2)
    write_secret(office["tmp"] / "wrong.token", "not-the-kiosk-log-token-at-all")
    subprocess.run(central_cmd("pull", "add", KIOSK, f"http://{office['listen']}", "--token-file", str(office["tmp"] / "wrong.token"),
                               "--db", str(db)), check=True, capture_output=True, timeout=30, env=env)
    issue(office["etc"], 2)
    r = subprocess.run(central_cmd("pull", "run", "--db", str(db)), capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 1
    assert "the kiosk refused the log token (HTTP 401)" in r.stdout
    time.sleep(1.0)  # several scheduled pulls later
    state = central_state(db)
    assert state["cursor"] == 2 and len(state["log"]) == 2 and "HTTP 401" in state["error"]
