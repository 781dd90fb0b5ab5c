"""UI tests: the real Kivy app under a private Xvfb, driven by simulated touches.

Kivy is imported only here and in tests/ui (its import configures logging and opens the window).
A session fixture starts `Xvfb :N` on a free display number and sets DISPLAY and Kivy's
environment *before* the first Kivy import; each test builds a fresh KioskApp (own config, store,
fake printer, ManualClock) on the one shared Window.
"""

from __future__ import annotations

import os
import subprocess
import tempfile

import pytest


def start_xvfb(screen: str = "1920x1920x24") -> tuple[subprocess.Popen, str]:
    from kiosk.ui import xvfb

    try:
        return xvfb.start_xvfb(screen)
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def kivy_window():
    """Xvfb + Kivy's Window, once per session; yields the Window."""
    proc, display = start_xvfb()
    os.environ["DISPLAY"] = display
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ["KIVY_NO_CONSOLELOG"] = "1"
    os.environ["KIVY_NO_FILELOG"] = "1"
    os.environ["KIVY_NO_CONFIG"] = "1"
    os.environ["KIVY_HOME"] = tempfile.mkdtemp(prefix="kivy-home-")
    os.environ["KIVY_WINDOW"] = "sdl2"
    os.environ["KIVY_GL_BACKEND"] = os.environ.get("KIVY_GL_BACKEND", "sdl2")
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("graphics", "width", "800")
    Config.set("graphics", "height", "480")
    Config.set("graphics", "resizable", "1")
    for option in list(Config.options("input")):
        Config.remove_option("input", option)
    from kivy.base import EventLoop
    from kivy.core.window import Window

    EventLoop.ensure_window()
    yield Window
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def fake_printer():
    from printer.fake import FakePrinter

    fake = FakePrinter()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def make_driver(kivy_window, fake_printer, tmp_path):
    """make_driver(ui=..., admin=..., clock=..., size=...) -> a Driver on a fresh app and store."""
    from driver import Driver, write_ui_config

    from kiosk.config import load_config

    drivers = []

    def make(*, size=(800, 480), clock=None, ui="", admin="", kiosk="", printer="", catalogue=None, extra=""):
        kwargs = {"ui": ui, "admin": admin, "kiosk": kiosk, "printer": printer, "extra": extra}
        if catalogue is not None:
            kwargs["catalogue"] = catalogue
        config = load_config(write_ui_config(tmp_path / f"etc{len(drivers)}", **kwargs))
        d = Driver(kivy_window, config, fake_printer, clock=clock, size=size)
        drivers.append(d)
        return d

    yield make
    for d in drivers:
        d.close()


@pytest.fixture
def ui(make_driver):
    return make_driver()
