"""`kiosk doctor` on a healthy fake machine and on broken ones: each FAIL is named with its fix."""

from __future__ import annotations

import dataclasses
import getpass
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from opskit import clean_env, kiosk_cmd, write_secret
from support.kiosk_env import make_config, write_config
from support.waiting import free_port

from central.app import create_app
from central.auth import issue_token
from central.db import CentralDB
from central.server import ServerThread
from kiosk import logapi, state_keys
from kiosk.config import load_config
from kiosk.doctor import Doctor, Host, checks, render_text
from kiosk.doctor.host import CommandResult
from kiosk.store import Store
from printer import COVER_OPEN
from printer.fake import FakePrinter

USER = getpass.getuser()
TOUCH = """I: Bus=0003 Vendor=0eef Product=0005 Version=0111
N: Name="eGalax Inc. USB TouchController"
H: Handlers=mouse0 event0
B: EV=b
B: ABS=260800000000003

I: Bus=0019 Vendor=0000 Product=0001 Version=0000
N: Name="Power Button"
H: Handlers=kbd event1
B: EV=3
"""
UNITS = ("systemctl", "is-active", "kiosk-ui.service", "kiosk-agent.service")
ESPEAK = ("espeak-ng", "--version")
SOUND_CARDS = " 0 [vc4hdmi0       ]: vc4-hdmi - vc4-hdmi-0\n                      vc4-hdmi-0\n"




def fake_root(root: Path) -> Path:
    (root / "dev/dri").mkdir(parents=True)
    (root / "dev/dri/card0").touch()
    (root / "sys/class/drm/card0-HDMI-A-1").mkdir(parents=True)
    (root / "sys/class/drm/card0-HDMI-A-1/status").write_text("connected\n")
    (root / "proc/bus/input").mkdir(parents=True)
    (root / "proc/bus/input/devices").write_text(TOUCH)
    (root / "proc/asound").mkdir(parents=True)
    (root / "proc/asound/cards").write_text(SOUND_CARDS)
    (root / "run/systemd/system").mkdir(parents=True)
    (root / "run/systemd/timesync").mkdir(parents=True)
    (root / "run/systemd/timesync/synchronized").touch()
    (root / "etc").mkdir()
    os.symlink("../usr/share/zoneinfo/Asia/Jakarta", root / "etc/localtime")
    return root


class Kiosk:
    """A kiosk whose every dependency is real and healthy: printer on a pty, central server, log API."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.root = fake_root(tmp / "root")
        self.db = CentralDB(tmp / "central.db")
        self.central = ServerThread(create_app(self.db)).start()
        write_secret(tmp / "etc/central.token", issue_token(self.db, "kiosk", "test-kiosk", "TEST"))
        write_secret(tmp / "etc/log.token")
        self.printer = FakePrinter(link=self.root / "dev/ttyPRINTER").start()
        path = write_config(
            tmp / "etc",
            central=f'url = "{self.central.url}"\ntoken_file = "central.token"',
            extra=f'[agent]\nlisten = "127.0.0.1:{free_port()}"\nlog_token_file = "log.token"\n',
        )
        path.write_text(path.read_text().replace('"file:printed.bin"', f'"serial:{self.printer.path}@115200"'))
        self.config = load_config(path)
        Store(self.config.store.path).close()
        self.log_api = logapi.start_server(self.config)
        self.host = Host(root=self.root, groups_of={USER: {"video", "render", "input"}}, fake_commands=True,
                         commands={UNITS: CommandResult(0, "active\nactive\n", ""),
                                   ESPEAK: CommandResult(0, "eSpeak NG text-to-speech: 1.51  Data at: /usr\n", "")})

    def doctor(self, timeout: float = 3.0, **kwargs) -> tuple:
        report = Doctor(str(self.config.path), host=self.host, user=USER, timeout=timeout, **kwargs).run()
        return report, {r.name: r for r in report.results}

    def close(self) -> None:
        self.log_api.stop()
        self.printer.stop()
        self.central.stop()
        self.db.close()


@pytest.fixture
def kiosk(tmp_path):
    k = Kiosk(tmp_path)
    yield k
    k.close()


def test_a_healthy_kiosk_is_all_ok(kiosk):
    report, by_name = kiosk.doctor()
    assert [r for r in report.results if r.status != "OK"] == []
    assert set(by_name) == {"config", "secrets", "database", "disk", "clock", "timezone", "printer", "printer logo", "printer access",
                            "server", "log api", "display mode", "scanner", "units", "display", "touch", "groups",
                            "quarantine", "audio"}
    assert "token accepted" in by_name["server"].detail
    assert "eGalax Inc. USB TouchController (event0)" in by_name["touch"].detail
    assert by_name["printer"].detail.endswith(": ready")
    assert render_text(report).endswith("0 FAIL, 0 WARN, 19 OK")


def failing(kiosk, **kwargs) -> dict:
    report, by_name = kiosk.doctor(**kwargs)
    return {r.name: r for r in report.failed}


def test_printer_cover_open(kiosk):
    kiosk.printer.set_state(COVER_OPEN)
    fails = failing(kiosk)
    assert list(fails) == ["printer"]
    assert "cover is open" in fails["printer"].detail and fails["printer"].fix == "close the printer cover"


def test_a_printer_model_without_status_support_is_not_blamed_on_the_baud_rate(kiosk):
    """Regression: doctor built the model from model+paper only, ignoring `status = false`, so a printer
    that never answers status queries (and prints fine) was reported as a wrong baud rate."""
    kiosk.printer.set_fault("silent")
    cfg = kiosk.config.path
    cfg.write_text(cfg.read_text().replace("[printer]\n", "[printer]\nstatus = false\n"))
    assert load_config(cfg).printer.status is False
    report, by_name = kiosk.doctor()
    assert by_name["printer"].status == "OK", by_name["printer"]
    assert "no status support" in by_name["printer"].detail


def test_a_port_held_by_the_running_touchscreen_is_busy_not_broken(kiosk):
    """Regression: the serial transport says "in use by another program"; doctor looked for the word
    "lock" and told a technician with a healthy kiosk to check the cable. The busy port is a type now."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import serial, sys; s = serial.Serial(sys.argv[1], 115200, exclusive=True); "
                               "print('held', flush=True); sys.stdin.read()", str(kiosk.printer.path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with Store(kiosk.config.store.path) as store:
            store.set_state(state_keys.PRINTER, {"state": "ready", "detail": "ready", "at": "2026-11-28T09:00:00+07:00"})
        report, by_name = kiosk.doctor()
    finally:
        holder.kill()
        holder.wait(10)
    assert by_name["printer"].status == "WARN", by_name["printer"]
    assert "is in use by the touchscreen; its last status: ready ready (2026-11-28T09:00:00+07:00)" in by_name["printer"].detail
    assert "systemctl stop kiosk-ui" in by_name["printer"].fix
    assert [r.name for r in report.failed] == []


def test_the_serial_transport_raises_device_busy_for_a_held_port(kiosk):
    from printer.transports import DeviceBusy, OpenError
    from printer.transports.serial import SerialTransport

    first, second = SerialTransport(str(kiosk.printer.path), 115200), SerialTransport(str(kiosk.printer.path), 115200)
    first.open(1.0)
    try:
        with pytest.raises(DeviceBusy) as busy:
            second.open(1.0)
    finally:
        first.close()
    assert isinstance(busy.value, OpenError) and "in use by another program" in busy.value.detail
    with pytest.raises(OpenError) as absent:
        SerialTransport(str(kiosk.tmp / "no-such-tty"), 115200).open(1.0)
    assert not isinstance(absent.value, DeviceBusy)


def test_printer_unplugged_and_device_node_missing(kiosk):
    kiosk.printer.stop()
    fails = failing(kiosk)
    assert set(fails) == {"printer", "printer access"}
    assert "does not exist" in fails["printer access"].detail
    assert "ls -l /dev/serial/by-id/" in fails["printer access"].fix


def test_printer_node_the_service_user_cannot_open(kiosk):
    node = kiosk.root / "dev/ttyUSB0"
    node.touch()
    node.chmod(0o660)
    kiosk.host.groups_of["kiosk"] = {"kiosk"}
    config = dataclasses.replace(kiosk.config, printer=dataclasses.replace(kiosk.config.printer, device=f"serial:{node}@19200"))
    result = checks.printer_access(checks.Scene(config, kiosk.host, "kiosk", 1.0))
    group = kiosk.host.group_name(node.stat().st_gid)
    assert result.status == "FAIL"
    assert result.detail == f"kiosk cannot open {node} (group {group}, mode 0660)"
    assert result.fix.startswith(f"sudo usermod -aG {group} kiosk")


def test_server_refuses_the_token(kiosk):
    write_secret(kiosk.tmp / "etc/central.token", "ffffffffffff.wrong-secret-wrong-secret")
    fails = failing(kiosk)
    assert list(fails) == ["server"]
    assert "refused the kiosk's token (HTTP 401)" in fails["server"].detail
    assert "kiosk-central tokens add test-kiosk --office TEST" in fails["server"].fix


def test_server_down(kiosk):
    kiosk.central.stop()
    fails = failing(kiosk)
    assert list(fails) == ["server"]
    assert "not reachable (Connection refused)" in fails["server"].detail


def test_black_holed_server_and_printer_fail_on_time(kiosk):
    """A server that accepts and never answers, and a printer that never answers: no hang."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(8)
    kiosk.printer.set_fault("silent")
    url = f"http://127.0.0.1:{hole.getsockname()[1]}"
    cfg_text = kiosk.config.path.read_text().replace(kiosk.central.url, url)
    kiosk.config.path.write_text(cfg_text)
    started = time.monotonic()
    try:
        report, by_name = kiosk.doctor(timeout=1.0)
    finally:
        hole.close()
    assert time.monotonic() - started < 4.0
    assert by_name["server"].status == "FAIL" and "no answer within 1 s" in by_name["server"].detail
    assert by_name["printer"].status == "WARN" and "no valid status answer" in by_name["printer"].detail


def test_a_hanging_check_is_cut_off(kiosk):
    def stuck(scene):
        threading.Event().wait(30)

    started = time.monotonic()
    report = Doctor(str(kiosk.config.path), host=kiosk.host, user=USER, timeout=0.5,
                    config_checks=(stuck,), host_checks=()).run()
    assert time.monotonic() - started < 2.5
    assert report.results[-1].status == "FAIL"
    assert report.results[-1].name == "stuck" and "did not finish within 0.5 s" in report.results[-1].detail


def test_corrupt_database(kiosk):
    db = Path(kiosk.config.store.path)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    fails = failing(kiosk)
    assert "database" in fails
    assert "sqlite3 kiosk.db '.recover'" in fails["database"].fix or "restore" in fails["database"].fix


def test_a_database_written_by_newer_software(kiosk):
    import sqlite3

    from kiosk.store.db import SCHEMA_VERSION

    with sqlite3.connect(kiosk.config.store.path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    fails = failing(kiosk)
    assert set(fails) == {"database", "log api"}  # the running agent's log API refuses it too
    assert f"schema version {SCHEMA_VERSION + 1}, newer than this kiosk software" in fails["database"].detail


def test_units_display_touch_groups(kiosk):
    kiosk.host.commands[UNITS] = CommandResult(3, "active\nfailed\n", "")
    (kiosk.root / "dev/dri/card0").unlink()
    (kiosk.root / "proc/bus/input/devices").write_text(TOUCH.split("\n\n")[1])
    kiosk.host.groups_of[USER] = {"video"}
    fails = failing(kiosk)
    assert set(fails) == {"units", "display", "touch", "groups"}
    assert fails["units"].detail == "kiosk-agent.service is failed"
    assert fails["units"].fix.startswith("see why: journalctl -u kiosk-agent.service -n 50")
    assert "vc4-kms-v3d" in fails["display"].fix
    assert fails["touch"].detail == "no multitouch input device found"
    assert fails["groups"].fix.startswith(f"sudo usermod -aG render,input {USER}")


def test_disconnected_display_and_loose_pin_hash(kiosk):
    (kiosk.root / "sys/class/drm/card0-HDMI-A-1/status").write_text("disconnected\n")
    cfg = kiosk.config.path
    cfg.write_text(cfg.read_text() + '\n[admin]\npin_hash = "scrypt$16384$8$1$c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5"\n')
    cfg.chmod(0o644)
    fails = failing(kiosk)
    assert set(fails) == {"display", "secrets"}
    assert fails["display"].detail == "no display is connected to any output"
    assert fails["secrets"].fix == f"sudo chmod 600 {cfg}"


def test_low_disk(kiosk, monkeypatch):
    import shutil as real

    monkeypatch.setattr(checks.shutil, "disk_usage", lambda p: real._ntuple_diskusage(16 * 1024**3, 16 * 1024**3 - 50 * 1024**2, 50 * 1024**2))
    fails = failing(kiosk)
    assert list(fails) == ["disk"] and fails["disk"].detail.startswith("50 MB free")


def test_invalid_config_fails_and_skips_what_depends_on_it(kiosk):
    kiosk.config.path.write_text(kiosk.config.path.read_text().replace('id = "test-kiosk"', 'id = "bad id"'))
    report, by_name = kiosk.doctor()
    assert [r.name for r in report.failed] == ["config"]
    assert "kiosk.id" in by_name["config"].detail
    assert by_name["printer"].status == "WARN" and by_name["printer"].detail == "not checked: the configuration is invalid"


def test_cli_exit_code_and_json(tmp_path):
    config = make_config(tmp_path / "etc")
    config.path.write_text(config.path.read_text() + "\n[bogus]\n")
    r = subprocess.run(kiosk_cmd("--config", str(config.path), "doctor", "--json", "--timeout", "2"),
                       capture_output=True, text=True, timeout=60, env=clean_env())
    assert r.returncode == 1
    body = json.loads(r.stdout)
    assert body["ok"] is False
    first = body["checks"][0]
    assert first["name"] == "config" and first["status"] == "FAIL" and "bogus: unknown section" in first["detail"]
    text = subprocess.run(kiosk_cmd("--config", str(config.path), "doctor", "--timeout", "2"),
                          capture_output=True, text=True, timeout=60, env=clean_env()).stdout
    assert text.splitlines()[0].startswith("FAIL  config")
    assert "fix: edit " in text


def test_a_database_others_can_read_fails_with_the_chmod(tmp_path):
    import stat

    from kiosk.doctor.checks import database_mode_problem

    path = tmp_path / "fresh" / "kiosk.db"
    old = os.umask(0o022)
    try:
        Store(path).close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "the store must create its file 0600"
    assert database_mode_problem(path) is None
    path.chmod(0o644)
    assert "mode 0644" in database_mode_problem(path)
