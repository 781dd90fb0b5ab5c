"""kiosk.sdnotify speaks to a real AF_UNIX datagram socket, as systemd's does."""

import os
import socket

import pytest

from kiosk import sdnotify


@pytest.fixture
def notify_socket(tmp_path):
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    yield path, sock
    sock.close()


def received(sock) -> set[str]:
    return set(sock.recv(4096).decode().split("\n"))


def test_ready_watchdog_stopping_arrive_as_datagrams(notify_socket):
    path, sock = notify_socket
    n = sdnotify.Notifier(path)
    assert n.ready("issuing tickets")
    assert received(sock) == {"READY=1", "STATUS=issuing tickets"}
    assert n.watchdog()
    assert received(sock) == {"WATCHDOG=1"}
    assert n.stopping()
    assert received(sock) == {"STOPPING=1"}
    n.close()


def test_abstract_namespace_socket():
    name = f"kiosk-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2)
    try:
        assert sdnotify.Notifier("@" + name).ready()
        assert received(sock) == {"READY=1"}
    finally:
        sock.close()


def test_outside_systemd_every_call_is_a_no_op(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    n = sdnotify.Notifier()
    assert not n.enabled
    assert n.ready() is False and n.watchdog() is False


def test_a_vanished_socket_is_reported_not_raised(tmp_path):
    assert sdnotify.Notifier(str(tmp_path / "gone")).watchdog() is False


def test_pinger_pings_at_half_the_watchdog_period(notify_socket, monkeypatch):
    path, sock = notify_socket
    monkeypatch.setenv("WATCHDOG_USEC", "20000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sdnotify.watchdog_interval() == 10.0
    pinger = sdnotify.WatchdogPinger(sdnotify.Notifier(path))
    assert pinger.tick() is True
    assert received(sock) == {"WATCHDOG=1"}
    assert pinger.tick() is False  # within the interval: no second datagram


def test_no_watchdog_for_another_pid(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "20000000")
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert sdnotify.watchdog_interval() is None


def test_the_agent_process_speaks_the_unit_contract(tmp_path, notify_socket):
    """kiosk-agent.service is Type=notify with WatchdogSec: READY, pings, then STOPPING on SIGTERM."""
    import signal
    import subprocess
    import time

    from opskit import clean_env, kiosk_cmd, write_secret
    from support.kiosk_env import write_config

    path, sock = notify_socket
    write_secret(tmp_path / "etc" / "central.token")
    config = write_config(tmp_path / "etc", central='url = "http://127.0.0.1:9"\ntoken_file = "central.token"')
    env = clean_env(NOTIFY_SOCKET=path, WATCHDOG_USEC="1000000")
    proc = subprocess.Popen(kiosk_cmd("--config", str(config), "agent", "--log-level", "error"), env=env)
    try:
        sock.settimeout(15)
        first = received(sock)
        assert "READY=1" in first and any(f.startswith("STATUS=syncing with http://127.0.0.1:9") for f in first)
        started = time.monotonic()
        assert received(sock) == {"WATCHDOG=1"}
        assert received(sock) == {"WATCHDOG=1"}  # again, about every half second
        assert time.monotonic() - started < 5
        proc.send_signal(signal.SIGTERM)
        while "STOPPING=1" not in received(sock):
            pass
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
