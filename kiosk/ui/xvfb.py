"""A private Xvfb for headless rendering (`kiosk screenshots`, bench/ui.py). No Kivy import."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

HINT = "Xvfb is needed: sudo apt-get install -y xvfb"


def free_display() -> int:
    for n in range(90, 400):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display number between :90 and :399")


def start_xvfb(screen: str = "1920x1920x24") -> tuple[subprocess.Popen, str]:
    """Start Xvfb on a free display; returns (process, ":N"). Raises RuntimeError with the fix."""
    if shutil.which("Xvfb") is None:
        raise RuntimeError(HINT)
    for _ in range(5):
        n = free_display()
        proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", screen, "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                return proc, f":{n}"
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        proc.kill()
        proc.wait()
    raise RuntimeError(f"Xvfb did not start. {HINT}")


def stop_xvfb(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
