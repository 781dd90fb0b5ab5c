"""`kiosk doctor`'s display mode: the panel's native mode (a fake /sys tree), the mode the
touchscreen recorded when it started, and a kernel command line that turns only the console."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.kiosk_env import make_config

from kiosk.display_mode import DisplayMode, record
from kiosk.doctor import Doctor, Host
from kiosk.doctor.checks import Scene
from kiosk.doctor.display import console_rotation, display_mode

CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=1234-02 rootfstype=ext4 fsck.repair=yes rootwait consoleblank=0"


def machine(root: Path, outputs: dict[str, list[str] | None], *, fb: str | None = None, cmdline: str = CMDLINE) -> Host:
    """outputs: name -> its modes (first = native), None = disconnected."""
    for name, modes in outputs.items():
        folder = root / f"sys/class/drm/card1-{name}"
        folder.mkdir(parents=True)
        folder.joinpath("status").write_text("disconnected\n" if modes is None else "connected\n")
        folder.joinpath("modes").write_text("".join(f"{m}\n" for m in modes or []))
    if fb:
        (root / "sys/class/graphics/fb0").mkdir(parents=True)
        (root / "sys/class/graphics/fb0/virtual_size").write_text(fb.replace("x", ",") + "\n")
    (root / "proc").mkdir(parents=True)
    (root / "proc/cmdline").write_text(cmdline + "\n")
    return Host(root=root)


def check(tmp_path: Path, host: Host, *, rotation: int = 0, ran: DisplayMode | None = None, ran_rotation=None):
    config = make_config(tmp_path / "etc", extra=f"[ui]\nrotation = {rotation}\n")
    if ran is not None:
        record(ran, rotation if ran_rotation is None else ran_rotation, Path(config.store.path).parent)
    return display_mode(Scene(config, host, "kiosk", 2.0))


def test_hdmi_panel_at_its_native_mode_is_ok(tmp_path):
    host = machine(tmp_path / "root", {"HDMI-A-1": ["1024x600", "800x600", "640x480"], "HDMI-A-2": None}, fb="1024x600")
    [result] = check(tmp_path, host, ran=DisplayMode("kmsdrm", 1024, 600, 60))
    assert result.status == "OK"
    assert result.detail == ("native: HDMI-A-1 1024x600; console framebuffer 1024x600; "
                             "the touchscreen drives 1024x600@60 (kmsdrm), rotation 0")


def test_touch_display_2_portrait_is_ok(tmp_path):
    host = machine(tmp_path / "root", {"DSI-1": ["720x1280"]}, fb="720x1280")
    [result] = check(tmp_path, host, ran=DisplayMode("kmsdrm", 720, 1280, 60))
    assert result.status == "OK" and "DSI-1 720x1280" in result.detail


def test_a_forced_mode_other_than_the_native_one_warns(tmp_path):
    cmdline = CMDLINE + " video=HDMI-A-1:1024x600@60"
    host = machine(tmp_path / "root", {"HDMI-A-1": ["1280x800", "1024x600"]}, fb="1024x600", cmdline=cmdline)
    [result] = check(tmp_path, host, ran=DisplayMode("kmsdrm", 1024, 600, 60))
    assert result.status == "WARN"
    assert result.detail.startswith("the touchscreen drives the panel at 1024x600, not its native mode (HDMI-A-1 1280x800)")
    assert "cmdline.txt" in result.fix


def test_before_the_touchscreen_ran_the_framebuffer_is_compared(tmp_path):
    host = machine(tmp_path / "root", {"HDMI-A-1": ["1920x1080"]}, fb="1024x600")
    [result] = check(tmp_path, host)
    assert result.status == "WARN"
    assert result.detail.startswith("the console framebuffer is 1024x600, not the panel's native mode (HDMI-A-1 1920x1080)")
    assert "has not started full screen yet" in result.detail


def test_an_x_screen_is_reported_not_compared(tmp_path):
    """Under X (development, Xvfb) the screen has nothing to do with the DRM outputs."""
    host = machine(tmp_path / "root", {"eDP-1": ["2560x1600"]})
    [result] = check(tmp_path, host, ran=DisplayMode("x11", 1024, 600, 0))
    assert result.status == "OK" and "drives 1024x600@? (x11)" in result.detail


@pytest.mark.parametrize("word", ["video=HDMI-A-1:1024x600@60,rotate=90", "video=DSI-1:720x1280@60,rotate=270",
                                  "video=DSI-1:panel_orientation=right_side_up", "fbcon=rotate:1"])
def test_console_turned_by_the_kernel_but_not_the_app(tmp_path, word):
    host = machine(tmp_path / "root", {"HDMI-A-1": ["1024x600"]}, cmdline=f"{CMDLINE} {word}")
    [result] = check(tmp_path, host, ran=DisplayMode("kmsdrm", 1024, 600, 60))
    assert result.status == "WARN"
    assert result.detail.startswith(f"the kernel command line turns the console ({word}) but [ui] rotation is 0")
    assert "[ui] rotation" in result.fix and "restart kiosk-ui" in result.fix


def test_console_turned_and_app_turned_is_ok(tmp_path):
    host = machine(tmp_path / "root", {"HDMI-A-1": ["1024x600"]}, cmdline=f"{CMDLINE} video=HDMI-A-1:1024x600@60,rotate=90")
    [result] = check(tmp_path, host, rotation=90, ran=DisplayMode("kmsdrm", 1024, 600, 60))
    assert result.status == "OK" and result.detail.endswith("rotation 90")


def test_rotation_changed_since_the_touchscreen_started(tmp_path):
    host = machine(tmp_path / "root", {"HDMI-A-1": ["1024x600"]})
    [result] = check(tmp_path, host, rotation=180, ran=DisplayMode("kmsdrm", 1024, 600, 60), ran_rotation=0)
    assert result.status == "WARN" and "started with rotation 0 but kiosk.toml now says [ui] rotation = 180" in result.detail
    assert result.fix == "sudo systemctl restart kiosk-ui"


def test_several_problems_each_get_a_line(tmp_path):
    host = machine(tmp_path / "root", {"HDMI-A-1": ["1280x800"]}, cmdline=f"{CMDLINE} video=HDMI-A-1:1024x600@60,rotate=180")
    results = check(tmp_path, host, ran=DisplayMode("kmsdrm", 1024, 600, 60))
    assert [r.status for r in results] == ["WARN", "WARN"]
    assert "native mode" in results[0].detail and "turns the console" in results[1].detail


@pytest.mark.parametrize("cmdline, turned", [
    ("video=HDMI-A-1:1024x600@60", None),
    ("video=HDMI-A-1:1024x600@60,rotate=0", None),
    ("video=DSI-1:720x1280@60,reflect_x,rotate=180 quiet", "video=DSI-1:720x1280@60,reflect_x,rotate=180"),
    ("fbcon=rotate:0", None),
    ("fbcon=map:0,rotate:3", "fbcon=map:0,rotate:3"),
])
def test_console_rotation_words(cmdline, turned):
    assert console_rotation(cmdline) == turned


def test_the_doctor_runs_it_and_reads_what_the_touchscreen_recorded(tmp_path):
    host = machine(tmp_path / "root", {"HDMI-A-1": ["1280x800"]}, cmdline=f"{CMDLINE} video=HDMI-A-1:1280x800@60,rotate=90")
    config = make_config(tmp_path / "etc")
    (tmp_path / "etc/display.json").write_text(json.dumps(
        {"driver": "kmsdrm", "width": 1280, "height": 800, "refresh": 60, "rotation": 0}))
    report = Doctor(str(config.path), host=host, user="kiosk", timeout=2.0,
                    config_checks=(display_mode,), host_checks=()).run()
    [result] = [r for r in report.results if r.name == "display mode"]
    assert result.status == "WARN" and "rotate=90" in result.detail and "drives 1280x800@60 (kmsdrm)" in result.detail
