"""The doctor's display-mode check: what the panel offers, what the touchscreen drives it at, and
whether the picture is turned the way the kernel command line suggests.

Read from the host (all under Host.root, so a test hands it a fake tree):
- /sys/class/drm/card*-*/status and modes: connected outputs; the first mode listed is the panel's
  preferred (native) one;
- /sys/class/graphics/fb0/virtual_size: the console's framebuffer;
- /proc/cmdline: `video=<output>:<mode>,rotate=<deg>` (or panel_orientation=, or fbcon=rotate:<n>)
  turns the console only; SDL draws on the plane unturned, so only `[ui] rotation` turns the app;
- display.json next to the database: the mode SDL reported when the touchscreen last started full
  screen (kiosk/display_mode.py; the doctor cannot ask SDL while the UI holds the display).
"""

from __future__ import annotations

import glob
from pathlib import Path

from ..display_mode import RECORD_NAME, read_record
from .result import Result, ok, warn

NAME = "display mode"


def connected_modes(host) -> dict[str, str]:
    """Connected output ("HDMI-A-1") -> its native mode ("1024x600"; "" when it lists none)."""
    out = {}
    for status in sorted(glob.glob(str(host.path("/sys/class/drm/card*-*/status")))):
        folder = Path(status).parent
        try:
            if folder.joinpath("status").read_text().strip() != "connected":
                continue
            modes = folder.joinpath("modes").read_text().split()
        except OSError:
            modes = []
        out[folder.name.split("-", 1)[1]] = modes[0] if modes else ""
    return out


def framebuffer_size(host) -> str | None:
    try:
        w, h = host.path("/sys/class/graphics/fb0/virtual_size").read_text().strip().split(",")
        return f"{int(w)}x{int(h)}"
    except (OSError, ValueError):
        return None


def console_rotation(cmdline: str) -> str | None:
    """The kernel command-line word that turns the console, if any."""
    for word in cmdline.split():
        if word.startswith("video="):
            for option in word.partition(":")[2].split(","):
                key, _, value = option.partition("=")
                if (key == "rotate" and value not in ("", "0")) or (key == "panel_orientation" and value not in ("", "normal")):
                    return word
        elif word.startswith("fbcon=") and "rotate:" in word:
            if word.split("rotate:", 1)[1][:1] not in ("", "0"):
                return word
    return None


def display_mode(scene) -> list[Result]:
    host, ui = scene.host, scene.config.ui
    outputs = connected_modes(host)
    fb = framebuffer_size(host)
    shown = ", ".join(f"{name} {mode or '(no modes listed)'}" for name, mode in outputs.items()) or "no connected output"
    parts = [f"native: {shown}"]
    if fb:
        parts.append(f"console framebuffer {fb}")
    folder = Path(scene.config.store.path).parent
    try:
        record = read_record(folder)
    except PermissionError:
        return [warn(NAME, f"{'; '.join(parts)}; cannot read {folder / RECORD_NAME} (the service user's)",
                     "run the doctor as root: sudo kiosk doctor")]
    used = f"{record.get('width')}x{record.get('height')}" if record else None
    if record:
        parts.append(f"the touchscreen drives {used}@{record.get('refresh') or '?'} ({record.get('driver')}), "
                     f"rotation {record.get('rotation')}")
    else:
        parts.append("the touchscreen has not started full screen yet")
    detail = "; ".join(parts)
    natives = {m for m in outputs.values() if m}
    problems: list[tuple[str, str]] = []  # (what is wrong, the fix)
    if record and record.get("driver") == "kmsdrm" and natives and used not in natives:
        problems.append((f"the touchscreen drives the panel at {used}, not its native mode ({shown}): "
                        "the picture is scaled or cut",
                        "remove the video=<output>:<mode> setting from /boot/firmware/cmdline.txt or set it to the "
                        "native mode, reboot, then check again (docs/raspberry-pi.md, 'Display')"))
    elif not record and fb and natives and fb not in natives:
        problems.append((f"the console framebuffer is {fb}, not the panel's native mode ({shown})",
                        "remove the video=<output>:<mode> setting from /boot/firmware/cmdline.txt or set it to the "
                        "native mode, then reboot (docs/raspberry-pi.md, 'Display')"))
    if record and record.get("rotation") != ui.rotation:
        problems.append((f"the touchscreen started with rotation {record.get('rotation')} but kiosk.toml now says "
                        f"[ui] rotation = {ui.rotation}", "sudo systemctl restart kiosk-ui"))
    try:
        turned = console_rotation(host.path("/proc/cmdline").read_text())
    except OSError:
        turned = None
    if turned and ui.rotation == 0:
        problems.append((f"the kernel command line turns the console ({turned}) but [ui] rotation is 0: "
                        "that setting turns only the console, never the touchscreen app",
                        "set [ui] rotation in /etc/kiosk/kiosk.toml (90, 180 or 270; touch turns with it), then "
                        "sudo systemctl restart kiosk-ui (docs/raspberry-pi.md, 'Display')"))
    if not problems:
        return [ok(NAME, detail)]
    return [warn(NAME, f"{what} ({detail})" if i == 0 else what, fix) for i, (what, fix) in enumerate(problems)]
