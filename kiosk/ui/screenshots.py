"""`kiosk screenshots --out DIR`: every screen (kiosk.ui.shots.STATES), both languages, several
sizes, as PNG; returns the labels whose text does not fit. Runs on a private Xvfb when $DISPLAY
is unset, with a throw-away store and an in-process virtual printer."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from ..clock import ManualClock
from ..config import KioskConfig


def open_moment(config: KioskConfig) -> datetime:
    """A moment when the catalogue is open (10:00 on the next open weekday), for sample screens."""
    tz = ZoneInfo(config.kiosk.timezone)
    day = datetime.now(tz).replace(hour=10, minute=0, second=0, microsecond=0)
    for _ in range(14):
        if any(config.catalogue.is_open(s, day) for s in config.catalogue.services):
            return day.astimezone(timezone.utc)
        day += timedelta(days=1)
    return day.astimezone(timezone.utc)


def _voice_home(app):
    app.show("home")
    app.voice_on = True


def _voice_services(app):
    """Voice mode with the first tile touched once: the focus frame round it (what it says is heard)."""
    from kivy.base import EventLoop

    app.voice_on = True
    scr = app.show("services")
    if app.worker is not None:
        app.worker.wait_idle()  # the snapshot asked for before: its list of tiles is the one shown
    for _ in range(3):
        EventLoop.idle()
    tiles = list(reversed(scr.ids.grid.children))
    if tiles:
        app.voice._arm(tiles[0])


VOICE_STATES = [("home-voice", _voice_home), ("services-voice", _voice_services)]


def main(config: KioskConfig, out: str, sizes=None) -> list[str]:
    from .xvfb import start_xvfb, stop_xvfb

    tmp = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    xvfb = None
    if not os.environ.get("DISPLAY"):
        xvfb, os.environ["DISPLAY"] = start_xvfb()
    try:
        return _render(config, Path(out), sizes, tmp)
    finally:
        if xvfb is not None:
            stop_xvfb(xvfb)


def _render(config: KioskConfig, out: Path, sizes, tmp: Path) -> list[str]:
    config = dataclasses.replace(
        config,
        store=dataclasses.replace(config.store, path=str(tmp / "shots.db")),
        printer=dataclasses.replace(config.printer, device="virtual", preview_dir=""),
        ui=dataclasses.replace(config.ui, fullscreen=False, rotation=0),
    )
    from .app import configure_kivy

    configure_kivy(config, kivy_home=str(tmp / "kivy"))
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from .kioskapp import KioskApp
    from .shots import SIZES, STATES, overflow_problems

    out.mkdir(parents=True, exist_ok=True)
    from ..speech import Speaker

    # Pictures only: voice mode is shown (VOICE_STATES), not spoken.
    app = KioskApp(config, clock=ManualClock(open_moment(config)),
                   speaker=Speaker(dataclasses.replace(config.speech, enabled=False)))
    app._run_prepare()

    def settle():
        for _ in range(3):
            EventLoop.idle()
        if app.worker is not None:
            app.worker.wait_idle()
        for _ in range(4):
            EventLoop.idle()

    deadline = time.monotonic() + 10
    while app.snapshot is None and time.monotonic() < deadline:
        EventLoop.idle()
    problems: list[str] = []
    count = 0
    sizes = sizes or SIZES
    states = STATES + VOICE_STATES
    steps, step = len(sizes) * 2 * len(app.languages) * len(states), 0
    try:
        for w, h in sizes:
            Window.size = (w, h)
            settle()
            for large in (False, True):
                for lang in app.languages:
                    for name, setup in states:
                        app.voice.end()
                        app.lang = lang
                        app.large = large
                        app._request_snapshot()  # undo what the previous state changed
                        settle()
                        setup(app)
                        settle()
                        where = f"{name}-{lang}{'-large' if large else ''}-{w}x{h}"
                        problems += overflow_problems(app.root, where)
                        step += 1
                        if not large:
                            app.root.export_to_png(str(out / f"{where}.png"))
                            count += 1
                        # It takes minutes: one line per state, so a technician sees it move.
                        print(f"[{step}/{steps}] {where}{'' if large else '.png'}", flush=True)
    finally:
        app.dispatch("on_stop")
    print(f"{count} screenshots in {out}; {len(problems)} labels do not fit")
    return problems
