"""What the install tests share: a wheelhouse for this machine, built once per test run, and a
venv with the kiosk installed from it exactly as systemd/install.sh does (no index, hashes)."""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a technician's shell: nothing that points into this checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "KIOSK_CONFIG", "VIRTUAL_ENV", "PYTHONHOME", "DISPLAY")}
    env.update(extra)
    return env


def run(cmd, *, timeout: float, cwd=None, env=None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env or clean_env(), capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@functools.lru_cache(maxsize=None)
def host_wheelhouse() -> Path:
    """var/wheelhouse-<arch>: the kiosk wheel (rebuilt now) and the lock's wheels (downloaded once,
    then reused from there: after the first run this needs no network)."""
    arch = platform.machine()
    out = REPO / "var" / f"wheelhouse-{arch}"
    run(["bash", REPO / "tools" / "wheelhouse.sh", arch, out], timeout=600,
        env=clean_env(PYTHON=sys.executable))
    return out


def kiosk_wheel(wheelhouse: Path) -> Path:
    wheels = sorted(wheelhouse.glob("kantor_kiosk-*.whl"))
    assert len(wheels) == 1, f"expected one kiosk wheel in {wheelhouse}, found {wheels}"
    return wheels[0]
