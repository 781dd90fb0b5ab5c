"""`kiosk agent` and `kiosk sync now` as a technician and systemd run them."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from support.kiosk_env import write_config

REPO = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")


def kiosk(config_path, *argv, env=None, timeout=30):
    return subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config_path), *argv],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, **(env or {})})


def test_sync_now_delivers_and_exits_0(rig, central_db):
    rig.issue(4)
    proc = kiosk(rig.config_path, "sync", "now")
    assert proc.returncode == 0, proc.stderr
    assert "delivered 4 events; 0 pending; outbox empty" in proc.stdout
    assert len(central_db.events()) == 4


def test_sync_now_with_the_server_down_exits_1_with_the_reason(rig, proxy, central_db):
    rig.issue(2)
    proxy.set_fault("refuse")
    started = time.monotonic()
    proc = kiosk(rig.config_path, "sync", "now", "--json")
    assert proc.returncode == 1
    assert '"pending": 2' in proc.stdout
    assert "not synced:" in proc.stderr and "Connection refused" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.monotonic() - started < 15
    assert rig.store.outbox_stats().depth == 2 and central_db.events() == []


def test_standalone_kiosk_has_nothing_to_sync(tmp_path):
    path = write_config(tmp_path / "etc")
    for argv in (("sync", "now"), ("agent",)):
        proc = kiosk(path, *argv)
        assert proc.returncode == 2 and "central.url is not set" in proc.stderr


def test_agent_ignores_proxy_env_logs_one_line_per_event_never_the_token_and_stops_on_sigterm(
        rig, central_db, kiosk_token):
    hostile = {"HTTP_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
               "ALL_PROXY": "http://127.0.0.1:9", "NO_PROXY": "", "REQUESTS_CA_BUNDLE": "/nonexistent.pem"}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(rig.config_path), "agent",
                             "--log-level", "debug"], stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, **hostile})
    try:
        rig.issue(5)
        rig.wait_drained(timeout=20)
        threads = [int(t) for t in os.listdir(f"/proc/{proc.pid}/task")]
        assert {os.sched_getscheduler(t) for t in threads} == {os.SCHED_IDLE}, \
            "every thread of the agent should run on CPU time the UI does not want"
        rig.issue(2)
        rig.wait_drained(timeout=20)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read()
    lines = err.splitlines()
    assert lines and all(LINE.match(line) for line in lines), err
    assert kiosk_token not in err and kiosk_token.split(".")[1] not in err
    assert any("agent started" in line for line in lines) and "agent stopped" in lines[-1]
    assert len(central_db.events()) == 7
    assert rig.store.get_state("agent.status")["state"] == "stopped"


def test_agent_cpu_policy_nice_lowers_its_priority_instead(make_rig, central_db):
    rig = make_rig('\n[agent]\ncpu_policy = "nice"\nnice = 12')
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(rig.config_path), "agent"],
                            stderr=subprocess.DEVNULL, cwd=REPO)
    try:
        rig.issue(2)
        rig.wait_drained(timeout=20)
        assert os.sched_getscheduler(proc.pid) == os.SCHED_OTHER
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == 12
    finally:
        proc.kill()
        proc.wait()
    assert len(central_db.events()) == 2


def test_sigterm_during_a_black_holed_request_stops_at_once(rig, proxy, central_db):
    proxy.set_fault("blackhole", paths=None)
    rig.issue(2)
    slow = rig.config_path.with_name("slow.toml")
    slow.write_text(rig.config_path.read_text().replace("read_timeout = 0.5", "read_timeout = 60.0"))
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(slow), "agent"],
                            stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        rig.wait_until(lambda: proxy.seen(), what="the agent's first request")
        time.sleep(0.2)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert time.monotonic() - started < 3, "SIGTERM waited for the 60 s read timeout"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read()
    assert "agent stopped" in err and "Traceback" not in err
    assert rig.store.outbox_stats().depth == 2 and central_db.events() == []
