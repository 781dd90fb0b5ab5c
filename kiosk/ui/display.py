"""The size of the screen the touchscreen fills, asked of SDL before Kivy opens its window.

Kivy creates its window at Config's width x height (800x600 unless told) and only then asks SDL
for full screen. Without a window manager (X on a kiosk, Xvfb) nobody honours that request: the
window stays 800x600 while SDL reports the desktop size, so Kivy lays out for 1024x600 and shows
an 800x600 crop of it. So the size comes first, from SDL's desktop display mode (the mode KMSDRM
drives the panel in, or the X screen), through the same libSDL2 Kivy uses, and the window is
created at that size (`window_settings`).

No Kivy import here: this runs before Kivy reads its Config.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import importlib.util
import os
from pathlib import Path

from ..display_mode import DisplayMode

SDL_INIT_VIDEO = 0x20
# SDL falls back to these when no real display answers (an unreachable $DISPLAY): the app would
# run on nothing, a dark lobby that looks alive to systemd.
INVISIBLE_DRIVERS = ("offscreen", "dummy")


class DisplayError(RuntimeError):
    """SDL cannot open any display (no $DISPLAY, KMSDRM without a connected panel, ...)."""


class _SDLDisplayMode(ctypes.Structure):
    _fields_ = [("format", ctypes.c_uint32), ("w", ctypes.c_int), ("h", ctypes.c_int),
                ("refresh_rate", ctypes.c_int), ("driverdata", ctypes.c_void_p)]


def sdl_library() -> str:
    """The libSDL2 Kivy's window links: the copy in a Kivy wheel (Kivy.libs/), else the system one."""
    spec = importlib.util.find_spec("kivy")
    if spec is not None and spec.origin:
        site = Path(spec.origin).parent.parent
        bundled = sorted(glob.glob(str(site / "Kivy.libs" / "libSDL2-2*.so*")))
        if bundled:
            return bundled[0]
    found = ctypes.util.find_library("SDL2-2.0") or ctypes.util.find_library("SDL2")
    if not found:
        raise DisplayError("libSDL2 not found (neither in Kivy's wheel nor on the system): reinstall Kivy")
    return found


def desktop_mode(library: str | None = None) -> DisplayMode:
    """SDL's desktop display mode of display 0, with the video driver SDL picked
    ($SDL_VIDEODRIVER is honoured). SDL's video subsystem is shut again afterwards."""
    sdl = ctypes.CDLL(library or sdl_library())
    sdl.SDL_GetError.restype = ctypes.c_char_p
    sdl.SDL_GetCurrentVideoDriver.restype = ctypes.c_char_p
    if sdl.SDL_InitSubSystem(SDL_INIT_VIDEO) != 0:
        wanted = os.environ.get("SDL_VIDEODRIVER")
        raise DisplayError(f"SDL cannot open a display{f' with SDL_VIDEODRIVER={wanted}' if wanted else ''}: "
                           f"{sdl.SDL_GetError().decode(errors='replace')}")
    try:
        driver = (sdl.SDL_GetCurrentVideoDriver() or b"?").decode()
        if driver in INVISIBLE_DRIVERS and os.environ.get("SDL_VIDEODRIVER") != driver:
            raise DisplayError(f"SDL found no display and fell back to its {driver} driver, which shows nothing "
                               f"($DISPLAY={os.environ.get('DISPLAY', '')!r}; on the kiosk SDL_VIDEODRIVER=kmsdrm)")
        mode = _SDLDisplayMode()
        if sdl.SDL_GetDesktopDisplayMode(0, ctypes.byref(mode)) != 0:
            raise DisplayError(f"SDL ({driver}) has no display mode: {sdl.SDL_GetError().decode(errors='replace')}")
        return DisplayMode(driver, mode.w, mode.h, mode.refresh_rate)
    finally:
        sdl.SDL_QuitSubSystem(SDL_INIT_VIDEO)


def window_settings(mode: DisplayMode) -> dict[str, str]:
    """Kivy [graphics] options for a window that covers `mode` exactly.

    SDL's full screen alone is not enough: on X it is a request to a window manager, and a kiosk's X
    server (or Xvfb) has none, so the window keeps the size and place it was created with. Created at
    the display's size at 0,0 and borderless, it covers the screen with or without one; KMSDRM and a
    Wayland compositor take the full-screen flag and keep the panel's mode (no mode switch)."""
    return {"fullscreen": "auto", "borderless": "1", "width": str(mode.width), "height": str(mode.height),
            "position": "custom", "left": "0", "top": "0", "resizable": "0"}
