"""Starting the touchscreen: `run_app(config)` is what `kiosk ui` (the systemd unit) and `kiosk run`
call. Kivy reads its settings from the environment and `kivy.config.Config` at import time, so
everything here happens before the first Kivy import:

- KIVY_NO_ARGS (our argv is not Kivy's), KIVY_NO_CONFIG (no ~/.kivy/config.ini: behaviour comes
  from kiosk.toml only), KIVY_NO_FILELOG (logs go to stdout/journald), KIVY_HOME in the state dir;
- fullscreen and no cursor (ui.fullscreen), rotation (ui.rotation), exit_on_escape off;
- one input path (ui.input): SDL's window events, or the kernel touch device, never both, because
  Linux defaults fire a mouse and a touch event for one tap.
The F1 settings panel is disabled in the App; keyboard close requests are refused there while a
close request without a source (SIGTERM from `systemctl stop`) quits cleanly.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from ..config import KioskConfig

EXIT_RESTART = 75  # staff pressed "restart": systemd's Restart=always starts us again


def configure_kivy(config: KioskConfig, *, kivy_home: str | None = None) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONFIG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    if kivy_home or "KIVY_HOME" not in os.environ:
        home = Path(kivy_home or Path(config.store.path).parent / "kivy")
        home.mkdir(parents=True, exist_ok=True)
        os.environ["KIVY_HOME"] = str(home)
    from kivy.config import Config

    ui = config.ui
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("graphics", "fullscreen", "auto" if ui.fullscreen else "0")
    Config.set("graphics", "show_cursor", "0" if ui.fullscreen else "1")
    Config.set("graphics", "rotation", str(ui.rotation))
    # No animations here: 30 frames a second halve the idle main-loop cost and add at most 33 ms
    # to a tap's feedback (measured by bench/ui.py).
    Config.set("graphics", "maxfps", "30")
    Config.set("graphics", "resizable", "0" if ui.fullscreen else "1")
    if not ui.fullscreen:
        Config.set("graphics", "width", "800")
        Config.set("graphics", "height", "480")
    for option in list(Config.options("input")):
        Config.remove_option("input", option)
    if ui.input == "hidinput":
        Config.set("input", "touch", "probesysfs,provider=hidinput")
    else:
        Config.set("input", "mouse", "mouse,disable_multitouch")


def with_printer_device(config: KioskConfig, device: str | None) -> KioskConfig:
    if not device:
        return config
    return dataclasses.replace(config, printer=dataclasses.replace(config.printer, device=device))


def run_app(config: KioskConfig, printer_device_override: str | None = None, *, clock=None) -> int:
    """Run the touchscreen until it is closed; returns the process exit code."""
    config = with_printer_device(config, printer_device_override)
    configure_kivy(config)
    import signal

    from .kioskapp import KioskApp

    app = KioskApp(config, clock=clock)
    # SDL turns SIGTERM into a close request without a source; this handler covers the case where
    # SDL's handler is not installed (e.g. another SDL build), so `systemctl stop` always works.
    signal.signal(signal.SIGTERM, lambda *_: app.request_stop())
    app.run()
    return app.exit_code
