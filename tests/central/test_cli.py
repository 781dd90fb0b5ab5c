"""`kiosk-central`: output a script can read, exit codes, no tracebacks for bad input."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from central.cli import main

REPO = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_tokens_add_prints_only_the_token(central_db_url, capsys):
    db = central_db_url
    code, out, err = run(capsys, "tokens", "add", "K1", "--db", db)
    assert code == 0 and err == ""
    assert re.fullmatch(r"[0-9a-f]{12}\.[A-Za-z0-9_-]{43}\n", out)
    code, out, _ = run(capsys, "tokens", "list", "--json", "--db", db)
    row = json.loads(out)
    assert row["subject"] == "K1" and row["role"] == "kiosk" and "secret" not in out
    code, _, err = run(capsys, "tokens", "revoke", "nope", "--db", db)
    assert code == 3 and "no active token" in err


def test_bad_ids_and_files_are_usage_errors(tmp_path, capsys, central_db_url):
    db = central_db_url
    code, _, err = run(capsys, "tokens", "add", "bad id", "--db", db)
    assert code == 2 and "must be" in err
    bad = tmp_path / "bad.toml"
    bad.write_text("services = [\n")
    code, _, err = run(capsys, "catalogue", "set", "BLITAR", str(bad), "--db", db)
    assert code == 2 and "not valid TOML" in err and "Traceback" not in err
    code, _, err = run(capsys, "catalogue", "set", "BLITAR", str(tmp_path / "missing.toml"), "--db", db)
    assert code == 2 and "cannot read" in err
    code, _, err = run(capsys, "catalogue", "show", "BLITAR", "--db", db)
    assert code == 3


def test_unwritable_database_is_a_failure_not_a_traceback(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run(capsys, "export", "--db", str(blocker / "c.db"))
    assert code == 1 and "cannot open database" in err


def test_an_unreachable_postgresql_is_a_failure_and_its_password_is_never_shown(tmp_path, capsys):
    code, _, err = run(capsys, "tokens", "list", "--db", f"postgresql://kiosk:s3cret@/central?host={tmp_path}")
    assert code == 1 and "cannot open database postgresql://kiosk:***@/central" in err
    assert "s3cret" not in err and "Traceback" not in err and "check the server is running" in err


def test_catalogue_set_then_show_round_trips(tmp_path, capsys, central_db_url):
    db = central_db_url
    cat = tmp_path / "services.toml"
    cat.write_text('[[services]]\nkey = "a"\n')
    code, out, _ = run(capsys, "catalogue", "set", "BLITAR", str(cat), "--db", db)
    assert code == 0 and re.fullmatch(r'"[0-9a-f]{32}"\n', out)
    code, out, _ = run(capsys, "catalogue", "show", "BLITAR", "--db", db)
    assert out == cat.read_text()


def test_export_call_next_and_queue(tmp_path, capsys, db, make_event):
    from central.auth import issue_token

    issue_token(db, "kiosk", "K1", office="BLITAR")
    db.ingest("K1", None, [make_event(1), make_event(2), make_event(1, kind="ticket.printed")])
    path = db.url
    code, out, _ = run(capsys, "export", "--db", path)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [t["number"] for t in lines] == ["A001", "A002"]
    assert lines[0]["central"]["office"] == "BLITAR"
    code, out, _ = run(capsys, "call-next", "BLITAR", "A", "--counter", "3", "--db", path)
    assert code == 0 and out == "A001\n"
    code, out, _ = run(capsys, "queue", "BLITAR", "--json", "--db", path)
    assert json.loads(out)["services"]["A"]["waiting"] == 1
    run(capsys, "call-next", "BLITAR", "A", "--db", path)
    code, _, err = run(capsys, "call-next", "BLITAR", "A", "--db", path)
    assert code == 3 and "no one is waiting" in err
    code, _, err = run(capsys, "call-next", "BLITAR", "a!", "--db", path)
    assert code == 2


def test_help_everywhere():
    for argv in (["--help"], ["serve", "--help"], ["tokens", "add", "--help"], ["catalogue", "set", "--help"],
                 ["export", "--help"], ["call-next", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 0


def test_bad_listen_address_is_a_usage_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "central", "serve", "--db", str(tmp_path / "c.db"),
                           "--listen", "nonsense"], capture_output=True, text=True, timeout=30, cwd=REPO)
    assert proc.returncode == 2 and "HOST:PORT" in proc.stderr


def test_serve_answers_and_stops_on_sigterm(central_db_url):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "central", "serve", "--db", central_db_url,
                             "--listen", "127.0.0.1:0", "--log-level", "warning"], stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    try:
        url = None
        deadline = time.monotonic() + 20
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            match = re.search(r"listening on (http://\S+)", line)
            url = match.group(1) if match else None
        assert url, "server did not report its address"
        assert requests.get(f"{url}/api/v1/health", timeout=5).json()["ok"] is True
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
