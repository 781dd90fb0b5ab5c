"""The doctor's scanner check: the configured booking scanner exists and opens (or there is none)."""

from __future__ import annotations

import errno
import glob

from .result import Result, fail, ok, warn

NAME = "scanner"
BY_ID = "/dev/serial/by-id/"


def scanner(scene) -> Result:
    from ..scanner.device import parse_scanner_device

    cfg = scene.config.scanner
    dev = parse_scanner_device(cfg.device)
    if dev.kind == "none":
        return ok(NAME, "no booking scanner configured (M-Paspor codes are typed on the keypad)")
    if dev.kind == "hid":
        return _hid(scene)
    node = scene.host.path(dev.path)
    if not node.exists():
        return fail(NAME, f"{dev.path} does not exist",
                    f"plug the scanner in; list serial scanners with: ls -l {BY_ID} (then set [scanner] device)")
    return _opens(str(node), dev.baud, min(scene.timeout, 2.0))


def _hid(scene) -> Result:
    keyboards = sorted(glob.glob(str(scene.host.path("/dev/input/by-id")) + "/*-event-kbd"))
    if not keyboards:
        return warn(NAME, "HID scanner configured but no keyboard-like USB device is plugged in",
                    "plug the scanner in (it shows up in /dev/input/by-id/ as ...-event-kbd)")
    names = ", ".join(k.rsplit("/", 1)[-1] for k in keyboards[:3])
    return ok(NAME, f"HID: {len(keyboards)} keyboard-like device(s): {names}")


def _opens(path: str, baud: int, timeout: float) -> Result:
    import serial as pyserial

    try:
        port = pyserial.Serial(path, baud, timeout=timeout, write_timeout=timeout, exclusive=True)
    except (pyserial.SerialException, OSError, ValueError) as e:
        code = e.args[0] if e.args and isinstance(e.args[0], int) else None
        if code in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EBUSY):
            return ok(NAME, f"{path} is held by another program (the touchscreen reads it)")
        if code == errno.EACCES:
            return fail(NAME, f"{path}: permission denied", "add the kiosk user to the 'dialout' group: "
                        "sudo usermod -aG dialout kiosk, then: sudo systemctl restart kiosk-ui")
        return fail(NAME, f"{path} cannot be opened: {str(e).splitlines()[0] if str(e) else e}",
                    f"check the cable and the path (ls -l {BY_ID})")
    port.close()
    return ok(NAME, f"{path} opens at {baud} baud")
