"""Logs a technician can filter: a process whose stderr is the journal ($JOURNAL_STREAM names it,
as systemd sets it) writes one `<priority>name: message` line per record with no timestamp of its
own, so `journalctl -p warning` keeps exactly the warnings and errors. Here stderr is a file whose
device:inode we put in $JOURNAL_STREAM, which is what systemd does with its socket."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

from installkit import REPO
from support.kiosk_env import write_config
from support.waiting import free_port, wait_for

JOURNAL_LINE = re.compile(r"^<([0-7])>[\w.]+: \S")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d")


def journal_env(stderr_file) -> dict:
    st = os.fstat(stderr_file.fileno())
    return {**os.environ, "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}


def journalctl_p(lines: list[str], max_priority: int) -> list[str]:
    """What `journalctl -p max_priority` would show of these lines (journald reads the <N> prefix)."""
    return [line for line in lines if int(JOURNAL_LINE.match(line).group(1)) <= max_priority]


def test_agent_under_systemd_writes_priority_lines_that_p_warning_filters(tmp_path):
    token = tmp_path / "etc" / "central.token"
    token.parent.mkdir(parents=True)
    token.write_text("a1b2c3d4e5f6.central-secret-central-secret\n")
    token.chmod(0o600)
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: the agent warns and retries
    config = write_config(tmp_path / "etc", central=f'url = "{dead}"\ntoken_file = "central.token"\n'
                          "connect_timeout = 0.5\nbackoff_initial_seconds = 0.05\nbackoff_max_seconds = 0.2\n"
                          "heartbeat_seconds = 1.0\npull_seconds = 1.0\n")
    log = tmp_path / "journal"
    with open(log, "w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(config), "agent"],
                                stderr=stderr, stdout=subprocess.DEVNULL, env=journal_env(stderr), cwd=tmp_path)
    try:
        wait_for("a warning in the journal", lambda: "<4>" in log.read_text(), timeout=30)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = log.read_text().splitlines()
    assert lines and all(JOURNAL_LINE.match(line) for line in lines), lines
    assert not [line for line in lines if TIMESTAMP.match(line.split(": ", 1)[1])], "a second timestamp"
    assert any(line.startswith("<6>") and "agent started" in line for line in lines)
    warnings = journalctl_p(lines, 4)
    assert warnings and all(line.startswith(("<4>", "<3>")) for line in warnings)
    assert any("Connection refused" in line or "refused" in line.lower() for line in warnings), warnings
    assert not [line for line in warnings if "agent started" in line]


def test_central_server_and_kivy_log_the_same_way(tmp_path):
    log = tmp_path / "journal"
    with open(log, "w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "central", "serve", "--db", str(tmp_path / "c.db"),
                                 "--listen", f"127.0.0.1:{free_port()}"],
                                stderr=stderr, stdout=subprocess.DEVNULL, env=journal_env(stderr), cwd=tmp_path)
    try:
        wait_for("central listening", lambda: "listening on" in log.read_text(), timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    lines = log.read_text().splitlines()
    assert all(JOURNAL_LINE.match(line) for line in lines), lines
    assert any(line.startswith("<6>central.server: ") and "listening on" in line for line in lines)

    # Kivy through Python logging (KIVY_LOG_MODE=PYTHON): no "[INFO   ] [Kivy ...]" and no colours.
    code = "from shared.logsetup import setup_logging; setup_logging('info'); import kivy"
    with open(tmp_path / "kivy", "w") as stderr:
        subprocess.run([sys.executable, "-c", code], stderr=stderr, timeout=60, cwd=REPO,
                       env={**journal_env(stderr), "KIVY_NO_ARGS": "1", "KIVY_HOME": str(tmp_path / "kh")})
    lines = (tmp_path / "kivy").read_text().splitlines()
    assert any(line.startswith("<6>kivy: ") for line in lines), lines
    assert all(JOURNAL_LINE.match(line) for line in lines) and "\x1b[" not in "".join(lines), lines


def test_without_the_journal_lines_keep_their_time_and_level(tmp_path):
    code = "import logging; from shared.logsetup import setup_logging; setup_logging(); logging.getLogger('x').warning('a\\nb')"
    # $JOURNAL_STREAM inherited but naming another file: not the journal (systemd's advice).
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, cwd=REPO,
                          env={**os.environ, "JOURNAL_STREAM": "1:2"})
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING x: a \| b\n", proc.stderr), proc.stderr
