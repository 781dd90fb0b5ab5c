"""The authorized_keys line in docs/operations.md: the forced command exports after the cursor the
client names, and nothing else can be run through it."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from opskit import REPO, add_tickets, clean_env

from kiosk.store import Store


def forced_command(config_path) -> str:
    doc = (REPO / "docs/operations.md").read_text()
    line = next(l for l in doc.splitlines() if l.startswith('command="/usr/local/bin/kiosk export --after'))
    command = re.match(r'command="((?:[^"\\]|\\.)*)",restrict ssh-ed25519 ', line).group(1).replace('\\"', '"')
    kiosk = f"{shlex.quote(sys.executable)} -m kiosk --config {shlex.quote(str(config_path))}"
    return command.replace("/usr/local/bin/kiosk", kiosk)


def over_ssh(config, original_command: str | None) -> subprocess.CompletedProcess:
    env = clean_env()
    if original_command is not None:
        env["SSH_ORIGINAL_COMMAND"] = original_command
    # sshd runs a forced command with the user's shell: sh -c COMMAND
    return subprocess.run(["sh", "-c", forced_command(config.path)], capture_output=True, text=True, timeout=60, env=env)


@pytest.fixture
def kiosk(config):
    with Store(config.store.path) as store:
        add_tickets(store, 5)
    return config


def test_the_client_names_the_cursor(kiosk):
    r = over_ssh(kiosk, "3")
    assert r.returncode == 0, r.stderr
    assert [json.loads(l)["cursor"] for l in r.stdout.splitlines()] == [4, 5]
    assert [json.loads(l)["cursor"] for l in over_ssh(kiosk, "kiosk export --after 1").stdout.splitlines()] == [2, 3, 4, 5]


PWNED = Path("/tmp/kiosk-forced-command-pwned")


@pytest.mark.parametrize("attempt", [None, "", "rm -rf /tmp/x", f"1; touch {PWNED}", f"$(touch {PWNED})", f"`touch {PWNED}`",
                                     "-1", "1 --format csv x"])
def test_anything_else_is_refused(kiosk, attempt):
    PWNED.unlink(missing_ok=True)
    r = over_ssh(kiosk, attempt)
    assert r.returncode == 2
    assert r.stdout == ""
    assert not PWNED.exists()
