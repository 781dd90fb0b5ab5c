"""`kiosk lock` / `kiosk unlock` close and reopen the kiosk; `kiosk status --json` shows the agent."""

from __future__ import annotations

import json
import subprocess

from opskit import clean_env, kiosk_cmd

from kiosk import state_keys
from kiosk.store import Store


def kiosk(config, *args, **env):
    return subprocess.run(kiosk_cmd("--config", str(config.path), *args), capture_output=True, text=True,
                          timeout=60, env=clean_env(**env))


def test_lock_refuses_tickets_until_unlock(config):
    r = kiosk(config, "lock", "--reason", "printer repair", SUDO_USER="budi")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Kiosk test-kiosk locked by budi at ")
    assert "closed screen" in r.stdout and "kiosk unlock" in r.stdout
    with Store(config.store.path) as store:
        lock = store.get_state(state_keys.LOCK)
    assert lock["locked"] is True and lock["by"] == "budi" and lock["reason"] == "printer repair"
    assert lock["at"][:4].isdigit()

    refused = kiosk(config, "issue", "A", "--no-print")
    assert refused.returncode == 4 and "closed by staff" in refused.stderr

    status = json.loads(kiosk(config, "status", "--json").stdout)
    assert status["locked"] is True and status["lock"]["reason"] == "printer repair"

    r = kiosk(config, "unlock", "--by", "sari")
    assert r.returncode == 0 and "unlocked by sari" in r.stdout
    assert kiosk(config, "issue", "A", "--no-print").returncode == 0


def test_lock_twice_says_so_and_json_is_the_state(config):
    kiosk(config, "lock")
    r = kiosk(config, "lock", "--json", "--by", "x")
    assert json.loads(r.stdout)["locked"] is True
    assert "(it was already locked)" in kiosk(config, "lock").stdout
    assert "(it was not locked)" not in kiosk(config, "unlock").stdout
    assert "(it was not locked)" in kiosk(config, "unlock").stdout


def test_status_json_carries_the_agent_state(config):
    with Store(config.store.path) as store:
        with store.transaction():
            store.set_state("agent.last_sync", {"at": "2026-11-27T12:00:00+07:00", "delivered": 3, "pending": 0})
            store.set_state("agent.last_error", {"at": "2026-11-27T11:59:00+07:00", "during": "push", "error": "timeout"})
            store.set_state("agent.status", {"state": "running", "pid": 42})
    r = kiosk(config, "status", "--json")
    assert r.returncode == 0, r.stderr
    agent = json.loads(r.stdout)["agent"]
    assert agent["last_sync"]["delivered"] == 3
    assert agent["last_error"]["error"] == "timeout"
    assert agent["status"]["state"] == "running"
    text = kiosk(config, "status").stdout
    assert "Agent        running; last sync 2026-11-27T12:00:00+07:00; last error 2026-11-27T11:59:00+07:00: timeout" in text


def test_status_without_an_agent(config):
    r = kiosk(config, "status", "--json")
    assert json.loads(r.stdout)["agent"] == {}
    assert "Agent        never ran; last sync never" in kiosk(config, "status").stdout
