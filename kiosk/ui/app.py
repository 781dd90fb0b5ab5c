"""Starting the touchscreen: `run_app(config)` is what `kiosk ui` (the systemd unit) and `kiosk run`
call. Kivy reads its settings from the environment and `kivy.config.Config` at import time, so
everything here happens before the first Kivy import:

- KIVY_NO_ARGS (our argv is not Kivy's), KIVY_NO_CONFIG (no ~/.kivy/config.ini: behaviour comes
  from kiosk.toml only), KIVY_NO_FILELOG (logs go to stdout/journald), KIVY_HOME in the state dir;
- full screen (ui.fullscreen): the window is created at the size of the display, measured from
  SDL before Kivy opens it (kiosk/ui/display.py), no cursor; rotation (ui.rotation) turns the
  picture and the touch coordinates together (Kivy's Window.rotation); exit_on_escape off;
- one input path (ui.input): SDL's window events, or the kernel touch device, never both, because
  Linux defaults fire a mouse and a touch event for one tap.
The F1 settings panel is disabled in the App; keyboard close requests are refused there while a
close request without a source (SIGTERM from `systemctl stop`) quits cleanly.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
from pathlib import Path

from ..config import KioskConfig
from ..display_mode import DisplayMode, record
from .display import desktop_mode, window_settings

log = logging.getLogger("kiosk.ui")

EXIT_RESTART = 75  # staff pressed "restart": systemd's Restart=always starts us again


def configure_kivy(config: KioskConfig, *, kivy_home: str | None = None) -> DisplayMode | None:
    """Set Kivy up for `config`; returns the display mode the full-screen window covers (None when
    windowed). Raises DisplayError when SDL cannot open a display."""
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
    Config.set("graphics", "show_cursor", "0" if ui.fullscreen else "1")
    Config.set("graphics", "rotation", str(ui.rotation))
    # No animations here: 30 frames a second halve the idle main-loop cost and add at most 33 ms
    # to a tap's feedback (measured by bench/ui.py).
    Config.set("graphics", "maxfps", "30")
    mode = desktop_mode() if ui.fullscreen else None
    if mode is not None:
        for option, value in window_settings(mode).items():
            Config.set("graphics", option, value)
    else:
        for option, value in (("fullscreen", "0"), ("resizable", "1"), ("width", "800"), ("height", "480")):
            Config.set("graphics", option, value)
    for option in list(Config.options("input")):
        Config.remove_option("input", option)
    if ui.input == "hidinput":
        Config.set("input", "touch", "probesysfs,provider=hidinput")
    else:
        Config.set("input", "mouse", "mouse,disable_multitouch")
    return mode


def with_printer_device(config: KioskConfig, device: str | None) -> KioskConfig:
    if not device:
        return config
    return dataclasses.replace(config, printer=dataclasses.replace(config.printer, device=device))


def run_app(config: KioskConfig, printer_device_override: str | None = None, *, clock=None) -> int:
    """Run the touchscreen until it is closed; returns the process exit code."""
    config = with_printer_device(config, printer_device_override)
    mode = configure_kivy(config)
    if mode is not None:
        log.info("Display: %s, rotation %d; the window covers it", mode, config.ui.rotation)
        try:
            record(mode, config.ui.rotation, Path(config.store.path).parent)
        except OSError as e:
            log.warning("cannot record the display mode for `kiosk doctor`: %s", e)
    from .kioskapp import KioskApp

    app = KioskApp(config, clock=clock)
    # SDL turns SIGTERM into a close request without a source; this handler covers the case where
    # SDL's handler is not installed (e.g. another SDL build), so `systemctl stop` always works.
    signal.signal(signal.SIGTERM, lambda *_: app.request_stop())
    app.run()
    return app.exit_code
