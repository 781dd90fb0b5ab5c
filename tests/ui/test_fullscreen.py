"""`kiosk ui` full screen, as a kiosk starts it: the real app in its own process on an X server
without a window manager (Xvfb) of the panel's size, judged from a screenshot of the X root
window (what the applicant sees), not from Kivy's idea of its size.

The home screen must cover the whole screen: white up to every edge, no black (the bare X root),
and its three buttons (Bahasa Indonesia filled blue, English and Huruf besar grey) whole, inside
the screen with the same margin left and right, spread over the width. With rotation the buttons
must be where the picture puts them, and a click on one must land on that button.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from support.kiosk_env import write_config
from support.waiting import stop_process

from kiosk.ui import xvfb

SIZES = [(800, 480), (1024, 600), (1280, 800), (1920, 1080), (720, 1280)]
BLUE = (10, 61, 145)  # kiosk.kv BLUE: the primary (selected language) button
GREY = (230, 230, 230)  # kiosk.kv GREY: the other buttons
OUTLINE = 4  # px: the grey buttons' dark outline lies inside them, so their grey starts this much in
CELL = 8  # px; areas filled solid over whole cells are buttons, not text strokes or lines
START_TIMEOUT = 60.0
UPRIGHT_90 = -90  # PIL degrees (counter-clockwise) that turn a ui.rotation = 90 screenshot upright


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int  # exclusive
    bottom: int  # exclusive

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def centre(self) -> tuple[int, int]:
        return (self.left + self.right) // 2, (self.top + self.bottom) // 2


def colour_mask(im: Image.Image, rgb: tuple[int, int, int], tol: int = 3) -> Image.Image:
    """An L image: 255 where `im` has the colour `rgb` (within tol per channel), else 0."""
    bands = [band.point(lambda v, t=t: 255 if abs(v - t) <= tol else 0) for band, t in zip(im.split(), rgb)]
    return ImageChops.multiply(ImageChops.multiply(bands[0], bands[1]), bands[2])


def filled_areas(im: Image.Image, rgb: tuple[int, int, int]) -> list[Box]:
    """Boxes of the solid areas of colour `rgb` (buttons): cells filled whole, grouped into
    connected areas, each measured to the pixel on the full-size mask."""
    mask = colour_mask(im, rgb)
    cells = mask.reduce(CELL)
    cw, ch = cells.size
    full = [v >= 250 for v in cells.tobytes()]
    seen = [False] * len(full)
    boxes = []
    for start, filled in enumerate(full):
        if not filled or seen[start]:
            continue
        seen[start] = True
        todo, members = [start], []
        while todo:
            i = todo.pop()
            members.append(i)
            x, y = i % cw, i // cw
            for nx, ny in ((x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)):
                j = ny * cw + nx
                if 0 <= nx < cw and 0 <= ny < ch and full[j] and not seen[j]:
                    seen[j] = True
                    todo.append(j)
        xs = [i % cw for i in members]
        ys = [i // cw for i in members]
        if max(xs) - min(xs) + 1 < 10 or max(ys) - min(ys) + 1 < 5 or len(members) < 40:
            continue  # a glyph of blue text, a frame line
        rough = (max(0, (min(xs) - 1) * CELL), max(0, (min(ys) - 1) * CELL),
                 min(im.width, (max(xs) + 2) * CELL), min(im.height, (max(ys) + 2) * CELL))
        x0, y0, x1, y1 = mask.crop(rough).getbbox()
        boxes.append(Box(rough[0] + x0, rough[1] + y0, rough[0] + x1, rough[1] + y1))
    return boxes


def home_buttons(im: Image.Image) -> tuple[Box, list[Box]]:
    blue, grey = filled_areas(im, BLUE), filled_areas(im, GREY)
    assert len(blue) == 1 and len(grey) == 2, f"want 1 blue + 2 grey buttons, found {blue} {grey}"
    return blue[0], grey


def judge_home(im: Image.Image, *, stacked_along: str) -> list[Box]:
    """Assert the full-screen home screen; returns the buttons in reading order on the screen.
    stacked_along: "x" (a row of buttons: landscape) or "y" (a column: portrait)."""
    w, h = im.size
    rgb = im.convert("RGB")
    black = colour_mask(rgb, (0, 0, 0), tol=8).getbbox()
    assert black is None, f"black pixels within {black}: the window does not cover the screen"
    edges = {"top": (0, 0, w, 1), "bottom": (0, h - 1, w, h), "left": (0, 0, 1, h), "right": (w - 1, 0, w, h)}
    for name, area in edges.items():
        lo = min(v for band in rgb.crop(area).getextrema() for v in band)
        assert lo >= 245, f"the {name} edge is not the app's white background (darkest value {lo})"
    blue, grey = home_buttons(rgb)
    buttons = sorted([blue, *grey], key=lambda b: (b.left, b.top) if stacked_along == "x" else (b.top, b.left))
    for b in buttons:
        assert 0 < b.left and b.right < w and 0 < b.top and b.bottom < h, f"{b} touches the edge of {w}x{h}"
        label = colour_mask(rgb.crop((b.left, b.top, b.right, b.bottom)),
                            (255, 255, 255) if b == blue else (18, 18, 18), tol=40).getbbox()
        assert label is not None, f"no label text inside the button {b}"
    assert buttons[0] == blue, f"the selected language is not first in reading order: the picture is turned {buttons}"
    first, last = buttons[0], buttons[-1]
    if stacked_along == "x":
        assert _same(b.top for b in buttons) and _same(b.bottom for b in buttons), buttons
        left_margin, right_margin = first.left, w - last.right
        spread = (last.right - first.left) / w
    else:
        assert _same(b.left for b in buttons) and _same(b.right for b in buttons), buttons
        left_margin, right_margin = first.left, w - first.right
        spread = first.width / w
    assert abs(left_margin - right_margin) <= OUTLINE, (
        f"margins {left_margin} / {right_margin} px around the buttons: the picture is cut or shifted")
    assert spread > 0.85, f"the buttons span {spread:.0%} of the width: laid out for a smaller window"
    return buttons


def _same(values) -> bool:
    values = list(values)
    return max(values) - min(values) <= OUTLINE


def screenshot(display: str) -> Image.Image:
    png = subprocess.run(["import", "-display", display, "-window", "root", "png:-"], capture_output=True,
                         check=True, timeout=30).stdout
    return Image.open(BytesIO(png)).convert("RGB")


class FullScreenKiosk:
    """Xvfb of one size + `kiosk ui` full screen on it, up to its READY notification."""

    def __init__(self, tmp: Path, width: int, height: int, rotation: int = 0):
        if shutil.which("import") is None or shutil.which("xdotool") is None:
            pytest.fail("ImageMagick's import and xdotool are needed: tools/ensure-debian-packages.sh", pytrace=False)
        self.tmp = tmp
        try:
            self.xvfb, self.display = xvfb.start_xvfb(f"{width}x{height}x24")
        except RuntimeError as e:
            pytest.fail(str(e), pytrace=False)
        self.config = write_config(tmp / "etc", printer='device = "virtual"',
                                   extra=f"[ui]\nfullscreen = true\nrotation = {rotation}\n")
        self.log = tmp / "ui.log"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(tmp / "notify.sock"))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KIVY_", "SDL_"))}
        env.update(DISPLAY=self.display, NOTIFY_SOCKET=str(tmp / "notify.sock"), KIVY_WINDOW="sdl2")
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(self.config), "ui"],
                                         env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self) -> None:
        self.notify.settimeout(0.2)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"kiosk ui exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}"
            try:
                if b"READY=1" in self.notify.recv(4096):
                    return
            except socket.timeout:
                pass
        pytest.fail(f"kiosk ui not READY within {START_TIMEOUT:g} s:\n{self.log.read_text()[-3000:]}")

    def settled_screenshot(self) -> Image.Image:
        """The screen once the home screen is drawn (a blue button shows) and two screenshots half a
        second apart agree. READY comes right after the first frame's buffer swap, which a loaded X
        server may not have shown yet; a still, empty screen is not "settled"."""
        previous = None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            current = screenshot(self.display)
            drawn = previous is not None and ImageChops.difference(previous, current).getbbox() is None
            if (drawn and filled_areas(current, BLUE)) or time.monotonic() > deadline:
                return current
            previous = current
            time.sleep(0.5)

    def click(self, x: int, y: int) -> None:
        subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "1"], check=True, timeout=10,
                       env={**os.environ, "DISPLAY": self.display})

    def close(self) -> None:
        stop_process(self.proc, 10)
        self.notify.close()
        xvfb.stop_xvfb(self.xvfb)


@pytest.fixture
def kiosk_on_screen(tmp_path):
    started = []

    def start(width: int, height: int, rotation: int = 0) -> FullScreenKiosk:
        k = FullScreenKiosk(tmp_path, width, height, rotation)
        started.append(k)
        k.wait_ready()
        return k

    yield start
    for k in started:
        k.close()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_home_screen_fills_the_display(kiosk_on_screen, size, tmp_path):
    width, height = size
    kiosk = kiosk_on_screen(width, height)
    im = kiosk.settled_screenshot()
    keep = os.environ.get("KIOSK_FULLSCREEN_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        im.save(Path(keep) / f"fullscreen-{width}x{height}.png")
    assert im.size == size
    judge_home(im, stacked_along="y" if height > width else "x")
    recorded = json.loads((tmp_path / "etc" / "display.json").read_text())  # what `kiosk doctor` reports
    assert recorded == {"driver": "x11", "width": width, "height": height, "refresh": 0, "rotation": 0}


def test_rotation_turns_picture_and_touch_together(kiosk_on_screen):
    """A 1280x720 landscape panel mounted a quarter turn clockwise, as a portrait screen
    (ui.rotation = 90): the home screen is the portrait one, turned; a click on the middle button
    (English) selects English, so the click was turned the same way as the picture."""
    kiosk = kiosk_on_screen(1280, 720, rotation=90)
    before = kiosk.settled_screenshot()
    judge_home(before.rotate(UPRIGHT_90, expand=True), stacked_along="y")
    blue, grey = home_buttons(before)
    row = sorted([blue, *grey], key=lambda b: b.left)  # the portrait column, turned into a row
    assert all(b.height > b.width for b in row), f"the picture is not turned: {row}"
    english = row[1]
    kiosk.click(*english.centre)
    deadline = time.monotonic() + 15
    while True:
        selected = filled_areas(kiosk.settled_screenshot(), BLUE)
        hit = len(selected) == 1 and abs(selected[0].centre[0] - english.centre[0]) <= 2
        if hit or time.monotonic() > deadline:
            break
    assert hit, f"clicked the middle button at {english.centre}; the selected (blue) one is {selected}"


@pytest.mark.parametrize("display, driver, message", [
    (None, "no-such-driver", "error: SDL cannot open a display with SDL_VIDEODRIVER=no-such-driver"),
    (":4999", None, "error: SDL found no display and fell back to its offscreen driver, which shows nothing"),
], ids=["unknown-driver", "unreachable-x"])
def test_no_display_is_a_clear_failure_not_an_invisible_app(tmp_path, display, driver, message):
    """systemd restarts a UI that fails; one running without a display would leave the lobby dark."""
    config = write_config(tmp_path / "etc", printer='device = "virtual"', extra="[ui]\nfullscreen = true\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIVY_", "SDL_")) and k != "DISPLAY"}
    if display:
        env["DISPLAY"] = display
    if driver:
        env["SDL_VIDEODRIVER"] = driver
    p = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config), "ui"], env=env, capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode == 1, p.stdout + p.stderr
    assert message in p.stderr
    assert "Traceback" not in p.stdout + p.stderr
    assert not (tmp_path / "etc" / "display.json").exists()
