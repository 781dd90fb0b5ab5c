"""`kiosk provision` on a temp root: files, modes, idempotency; invalid input changes no file."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest
from opskit import REPO, clean_env, kiosk_cmd, write_secret

from kiosk.admin_pin import verify_pin
from kiosk.config import load_config

TOKEN = "a1b2c3d4e5f6.central-secret-central-secret"


@pytest.fixture
def root(tmp_path):
    write_secret(tmp_path / "from-central.token", TOKEN)
    return tmp_path


def run(root: Path, *args: str, stdin: str = "", config: str = "etc/kiosk/kiosk.toml") -> subprocess.CompletedProcess:
    return subprocess.run(
        kiosk_cmd("--config", str(root / config), "provision", *args), input=stdin, capture_output=True,
        text=True, timeout=60, env=clean_env(), cwd=root,
    )


def standard(root: Path, **overrides: str) -> list[str]:
    options = {
        "--kiosk-id": "blitar-1", "--office": "BLITAR", "--office-name": "Kantor Imigrasi Blitar",
        "--server": "https://antrian.example", "--token-file": str(root / "from-central.token"),
        "--printer": "usb:04b8:0e15", "--number-block": "1-499", "--data-dir": str(root / "var/lib/kiosk"),
        **overrides,
    }
    return [part for key, value in options.items() if value is not None for part in (key, value)]


def snapshot(folder: Path) -> dict:
    if not folder.exists():
        return {}
    return {p.name: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode), p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(folder.iterdir())}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_run_writes_every_file_with_its_mode(root):
    r = run(root, *standard(root))
    assert r.returncode == 0, r.stderr
    etc = root / "etc/kiosk"
    assert sorted(p.name for p in etc.iterdir()) == ["central.token", "kiosk.toml", "log.token", "services.toml"]
    assert mode(etc / "kiosk.toml") == mode(etc / "central.token") == mode(etc / "log.token") == 0o600
    assert mode(etc / "services.toml") == 0o644
    assert (etc / "central.token").read_text().strip() == TOKEN
    assert len((etc / "log.token").read_text().strip()) >= 32
    assert (etc / "services.toml").read_bytes() == (REPO / "config/services.toml").read_bytes()

    cfg = load_config(etc / "kiosk.toml")
    assert (cfg.kiosk.id, cfg.kiosk.office_code, cfg.kiosk.number_block) == ("blitar-1", "BLITAR", (1, 499))
    assert cfg.central.url == "https://antrian.example"
    assert cfg.central.token_file == str(etc / "central.token")
    assert cfg.agent.log_token_file == str(etc / "log.token")
    assert cfg.store.path == str(root / "var/lib/kiosk/kiosk.db")
    assert cfg.printer.device == "usb:04b8:0e15"
    # Token paths stay relative so a unit can load kiosk.toml from $CREDENTIALS_DIRECTORY.
    text = (etc / "kiosk.toml").read_text()
    assert 'token_file = "central.token"' in text and 'log_token_file = "log.token"' in text

    assert "Provisioned kiosk blitar-1 (office BLITAR)" in r.stdout
    assert 'printer.device = "usb:04b8:0e15"' in r.stdout
    assert "central.token  created" in r.stdout
    assert TOKEN not in r.stdout + r.stderr


def test_second_run_with_the_same_options_changes_nothing(root):
    assert run(root, *standard(root)).returncode == 0
    before = snapshot(root / "etc/kiosk")
    r = run(root, *standard(root, **{"--office-name": None}))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Nothing to change")
    assert snapshot(root / "etc/kiosk") == before  # same bytes, modes, inodes and mtimes


def test_a_changed_option_rewrites_only_the_config_and_keeps_the_log_token(root):
    run(root, *standard(root))
    etc = root / "etc/kiosk"
    log_token = (etc / "log.token").read_bytes()
    r = run(root, *standard(root, **{"--printer": "serial:/dev/ttyUSB0@19200", "--number-block": "500-999"}))
    assert r.returncode == 0, r.stderr
    assert 'printer.device = "serial:/dev/ttyUSB0@19200" (was "usb:04b8:0e15")' in r.stdout
    assert "kiosk.number_block = [500, 999] (was [1, 499])" in r.stdout
    assert "log.token      unchanged" in r.stdout
    assert (etc / "log.token").read_bytes() == log_token
    assert load_config(etc / "kiosk.toml").kiosk.number_block == (500, 999)


def test_settings_it_does_not_manage_are_kept(root):
    run(root, *standard(root))
    cfg_path = root / "etc/kiosk/kiosk.toml"
    cfg_path.write_text(cfg_path.read_text() + "\n[ui]\nidle_seconds = 90\n")
    assert run(root, *standard(root, **{"--number-block": "1-300"})).returncode == 0
    assert load_config(cfg_path).ui.idle_seconds == 90


def test_rotation_sets_the_display_turn_and_is_kept_when_not_given(root):
    r = run(root, *standard(root, **{"--rotation": "90"}))
    assert r.returncode == 0, r.stderr
    assert "ui.rotation = 90" in r.stdout
    cfg_path = root / "etc/kiosk/kiosk.toml"
    assert load_config(cfg_path).ui.rotation == 90
    assert run(root, *standard(root)).stdout.startswith("Nothing to change")
    assert load_config(cfg_path).ui.rotation == 90


def test_a_loosened_secret_mode_is_put_back(root):
    run(root, *standard(root))
    token = root / "etc/kiosk/central.token"
    token.chmod(0o644)
    r = run(root, *standard(root))
    assert "mode 0644 -> 0600" in r.stdout
    assert mode(token) == 0o600


@pytest.mark.parametrize("override, message", [
    # The schema's own words, under the option that set the key (kiosk.office_code -> --office).
    ({"--kiosk-id": "bad id!"}, '--kiosk-id: "bad id!" must be 1-32 letters'),
    ({"--office": "BL/ITAR"}, "--office: \"BL/ITAR\" must be letters, digits, '_' or '-'"),
    ({"--office": "BLITAR-OFFICE-NUMBER-2"}, "--office: is 22 characters long; at most 16 allowed"),
    ({"--server": "ftp://antrian"}, '--server: "ftp://antrian" must be an http:// or https:// URL'),
    ({"--server": "https://antrian:99999"}, "--server: \"https://antrian:99999\": the port is not a number from 1 to 65535"),
    ({"--token-file": "/nonexistent/token"}, "--token-file /nonexistent/token: cannot be read"),
    ({"--printer": "lpt1"}, "--printer: invalid printer device 'lpt1'"),
    ({"--number-block": "500-100"}, "--number-block: [500, 100] is reversed"),
    ({"--number-block": "0-10000"}, "--number-block: [0, 10000] must lie within 1-9999"),
    ({"--number-block": "1 to 9"}, "--number-block '1 to 9': must be FROM-TO"),
    ({"--listen": "everywhere"}, '--listen: "everywhere" must be HOST:PORT'),
    ({"--rotation": "45"}, "--rotation: 45 must be one of"),
])
def test_invalid_input_changes_no_file(root, override, message):
    assert run(root, *standard(root)).returncode == 0
    before = snapshot(root / "etc/kiosk")
    args = standard(root, **{k: v for k, v in override.items() if k != "--listen"})
    if "--listen" in override:
        args += ["--listen", override["--listen"]]
    r = run(root, *args)
    assert r.returncode == 2
    assert "Not provisioned; nothing was written:" in r.stderr
    assert message in r.stderr
    assert snapshot(root / "etc/kiosk") == before


def test_every_problem_is_listed_at_once_and_a_fresh_root_stays_empty(root):
    bad_token = root / "bad.token"
    bad_token.write_text("two words\n")
    r = run(root, *standard(root, **{"--kiosk-id": "", "--token-file": str(bad_token), "--number-block": "x"}))
    assert r.returncode == 2
    for message in ("--kiosk-id: must not be empty", "--token-file", "must hold exactly one token", "--number-block 'x'"):
        assert message in r.stderr
    assert not (root / "etc").exists()


def test_first_run_needs_the_office_name(root):
    r = run(root, *standard(root, **{"--office-name": None}))
    assert r.returncode == 2 and "--office-name: required the first time" in r.stderr


def test_set_pin_reads_it_twice_from_stdin_and_stores_only_its_hash(root):
    r = run(root, *standard(root), "--set-pin", stdin="482913\n482913\n")
    assert r.returncode == 0, r.stderr
    cfg = load_config(root / "etc/kiosk/kiosk.toml")
    assert verify_pin("482913", cfg.admin.pin_hash) and not verify_pin("000000", cfg.admin.pin_hash)
    assert "482913" not in (root / "etc/kiosk/kiosk.toml").read_text() + r.stdout
    assert "admin.pin_hash = (secret)" in r.stdout
    # A later run without --set-pin keeps the PIN.
    run(root, *standard(root, **{"--number-block": "1-200"}))
    assert load_config(root / "etc/kiosk/kiosk.toml").admin.pin_hash == cfg.admin.pin_hash


@pytest.mark.parametrize("stdin, message", [
    ("1234\n4321\n", "the two PINs differ"),
    ("12\n12\n", "the PIN must be 4 to 12 digits"),
])
def test_bad_pins_write_nothing(root, stdin, message):
    r = run(root, *standard(root), "--set-pin", stdin=stdin)
    assert r.returncode == 2 and message in r.stderr
    assert not (root / "etc").exists()


def test_standalone_kiosk_needs_no_server_or_token(root):
    r = run(root, *standard(root, **{"--server": "", "--token-file": None}))
    assert r.returncode == 0, r.stderr
    cfg = load_config(root / "etc/kiosk/kiosk.toml")
    assert cfg.standalone and not (root / "etc/kiosk/central.token").exists()


def test_test_print_on_the_virtual_printer(root):
    r = run(root, *standard(root, **{"--printer": "virtual", "--server": "", "--token-file": None}), "--test-print")
    assert r.returncode == 0, r.stderr
    assert "test page: printed" in r.stdout


def test_register_introduces_the_kiosk_to_a_running_central_server(root):
    from central.app import create_app
    from central.auth import issue_token
    from central.db import CentralDB
    from central.server import ServerThread

    db = CentralDB(root / "central.db")
    try:
        good = issue_token(db, "kiosk", "blitar-1", "BLITAR")
        write_secret(root / "from-central.token", good)
        with ServerThread(create_app(db)) as central:
            r = run(root, *standard(root, **{"--server": central.url}), "--register")
            assert r.returncode == 0, r.stderr
            assert f"registered with {central.url} as blitar-1 (office BLITAR)" in r.stdout
            assert db.kiosk("blitar-1")["last_heartbeat"]["provisioned"] is True

            write_secret(root / "from-central.token", "ffffffffffff.not-the-right-secret-at-all")
            r = run(root, *standard(root, **{"--server": central.url}), "--register")
            assert r.returncode == 1
            assert "register: FAILED" in r.stderr and "refused the token (HTTP 401)" in r.stderr
            assert "kiosk-central tokens add blitar-1 --office BLITAR" in r.stderr
    finally:
        db.close()


def test_problems_name_the_option_once_and_hand_edited_keys_by_their_path(root):
    from kiosk.provision import ProvisionError, Request, plan

    etc = root / "etc/kiosk"
    etc.mkdir(parents=True)
    (etc / "kiosk.toml").write_text('[ui]\nidle_seconds = 5\n')  # set by hand, out of bounds
    request = Request(config_path=etc / "kiosk.toml", kiosk_id="blitar-1", office="BL/ITAR",
                      server="https://antrian.example", token_file=str(root / "missing.token"),
                      printer="usb:04b8:0e15", number_block="1-499", office_name="Kantor Imigrasi Blitar",
                      data_dir=str(root / "var"))
    with pytest.raises(ProvisionError) as e:
        plan(request)
    problems = e.value.problems
    assert f"{etc / 'kiosk.toml'}: ui.idle_seconds: 5 is out of range 10-600" in problems
    assert any(p.startswith("--office: ") for p in problems)
    # The unreadable token file is one problem, not also "central.token_file does not exist".
    assert [p for p in problems if "token" in p] == [
        next(p for p in problems if p.startswith(f"--token-file {root / 'missing.token'}: cannot be read"))]
    assert len(problems) == 3
