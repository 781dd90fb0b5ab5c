"""What one transport kind declares, so adding a transport is one module plus its test.

A kind (serial, usb, tcp, file, virtual) is a `TransportKind`: how its device string is read
(`parse`), how its transport is made (`open`), and what a health check must look at before opening
it (`access`: the device node and whether it is there). printer/device.py lists the kinds; the
kiosk's config loader and doctor ask that registry instead of naming kinds themselves.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .base import Transport


@dataclass(frozen=True)
class DeviceSpec:
    kind: str
    path: str = ""
    baud: int = 0
    flow: str = "none"
    vendor: int = 0
    product: int = 0
    in_ep: int | None = None
    out_ep: int | None = None
    host: str = ""
    port: int = 0


@dataclass(frozen=True)
class OpenOptions:
    """What some kinds need beyond their device string (the virtual printer draws previews)."""

    paper_mm: int = 80
    preview_dir: str | None = None


@dataclass(frozen=True)
class Access:
    """What to check before opening: `node` (a device file whose owner and mode decide whether the
    service user may open it), or no node and `note` saying why none is needed. `missing` is
    (what is wrong, how to fix it) when the device is not there at all."""

    node: Path | None = None
    note: str = ""
    missing: tuple[str, str] | None = None


class BadDevice(ValueError):
    """A device string of this kind is malformed; `why` says what is wrong with it."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


@dataclass(frozen=True)
class TransportKind:
    name: str
    syntax: str  # how its device string is written, for error messages
    parse: Callable[[str | None], DeviceSpec]  # the string after "kind:" (None: no colon); raises BadDevice
    open: Callable[[DeviceSpec, OpenOptions], Transport]
    access: Callable[[DeviceSpec, Callable[[str], Path]], Access]  # (spec, absolute path -> on this host)
    path_argument: bool = False  # the string after "kind:" starts with a path (relative to the config)


def no_node(note: str) -> Callable[[DeviceSpec, Callable[[str], Path]], Access]:
    return lambda spec, at: Access(note=note)
