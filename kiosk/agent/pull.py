"""Pulling from the central server: the catalogue, queue statistics and the server's time.

Each pull keeps what the kiosk already has when anything goes wrong: an unreachable server, a
reply we cannot read or a catalogue that fails validation leave the running state untouched.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..checkin.listing import ListError, hold_list, parse_list
from ..clock import SERVER_DRIFT_TOLERANCE_S, Clock
from ..config import Catalogue, ConfigError, KioskConfig, parse_catalogue
from ..issuer import Issuer
from ..state_keys import BOOKINGS_LIST, QUEUE_STATS, SERVER_CLOCK
from ..store import Store
from . import state
from .client import CentralClient, DateSample

log = logging.getLogger("kiosk.agent.pull")


def write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never a half-written one, even after a power cut."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def pull_catalogue(store: Store, client: CentralClient, config: KioskConfig, clock: Clock) -> tuple[str, Catalogue | None]:
    """Fetch the office's catalogue if it changed; apply it only if it validates.

    Returns ("applied", the new catalogue), or ("unchanged" | "absent" | "rejected", None): absent
    means the server has none and the local one stays; rejected means it failed validation and the
    running one stays. Network errors raise CentralError.
    """
    now = clock.now().isoformat(timespec="seconds")
    target = config.remote_catalogue_path
    known = store.get_state(state.CATALOGUE) or {}
    etags = []
    if known.get("etag") and target.exists():
        etags.append(known["etag"])
    if known.get("rejected_etag"):
        etags.append(known["rejected_etag"])
    reply = client.get_catalogue(config.kiosk.office_code, etags)
    if reply.status == "unchanged":
        store.set_state(state.CATALOGUE, {**known, "checked_at": now})
        return "unchanged", None
    if reply.status == "absent":
        store.set_state(state.CATALOGUE, {**known, "checked_at": now, "error": None})
        return "absent", None
    source = f"central catalogue for {config.kiosk.office_code}"
    try:
        catalogue = parse_catalogue(reply.text, source)
    except ConfigError as err:
        problems = "; ".join(str(p) for p in err.problems[:5])
        log.error("rejected the catalogue from the central server (ETag %s), keeping the running one: %s",
                  reply.etag, problems)
        store.set_state(state.CATALOGUE, {**known, "checked_at": now, "rejected_etag": reply.etag,
                                          "error": problems[:1000]})
        return "rejected", None
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, reply.text)
    store.set_state(state.CATALOGUE, {"etag": reply.etag, "applied_at": now, "checked_at": now,
                                      "rejected_etag": None, "error": None})
    log.info("applied the catalogue from the central server (ETag %s) to %s", reply.etag, target)
    return "applied", catalogue


def pull_bookings(store: Store, client: CentralClient, config: KioskConfig, clock: Clock) -> str:
    """Hold the office's M-Paspor list and the other kiosks' check-ins (docs/sync.md, "Bookings").

    Bookings and check-ins of earlier service days are purged first, network or not. A list that
    fails its checks is logged and the held one kept (it ages into "unverified"). Returns
    "changed", "unchanged", "absent" or "rejected"; network errors raise CentralError."""
    now = clock.now()
    day = Issuer(config, store, clock).service_day(now).isoformat()
    known = store.get_state(BOOKINGS_LIST) or {}
    if known.get("purged_before") != day:
        with store.transaction():
            store.purge_bookings(day)
            known = {**known, "purged_before": day}
            store.set_state(BOOKINGS_LIST, known)
    held_days = known.get("days") or []
    etag = known.get("etag") if held_days[:1] == [day] else None
    reply = client.get_bookings(config.kiosk.office_code, day, etag)
    stamp = now.isoformat(timespec="seconds")
    if reply.status == "absent":
        return "absent"
    if reply.status == "unchanged":
        with store.transaction():
            store.set_state(BOOKINGS_LIST, {**known, "fetched_at": stamp, "checked_at": stamp, "error": None})
        return "unchanged"
    try:
        booking_list = parse_list(reply.body, config.kiosk.office_code)
    except ListError as err:
        log.error("rejected the booking list from the central server (ETag %s), keeping the held one: %s",
                  reply.etag, err)
        with store.transaction():
            store.set_state(BOOKINGS_LIST, {**known, "checked_at": stamp, "error": str(err)[:500]})
        return "rejected"
    new = hold_list(store, booking_list, fetched_at=stamp, etag=reply.etag, purge_before=day,
                    state={"purged_before": day})
    if new:
        log.info("booking list: %d bookings, %d new check-ins from other kiosks", len(booking_list.bookings), new)
    return "changed"


def pull_queue(store: Store, client: CentralClient, config: KioskConfig, clock: Clock) -> dict:
    """Store per-prefix waiting counts and average service times in the shape kiosk.printing reads."""
    reply = client.get_queue(config.kiosk.office_code)
    stats: dict = {"fetched_at": clock.now().isoformat(timespec="seconds"), "service_day": reply["service_day"]}
    catalogue = config.catalogue
    # The server lists only prefixes with tickets that day; the others have nobody waiting.
    for prefix in [s.prefix for s in catalogue.services] + [catalogue.priority_prefix]:
        stats[prefix] = {"waiting": 0, "avg_service_s": None}
    stats.update(reply["services"])
    store.set_state(QUEUE_STATS, stats)
    return stats


def record_clock(store: Store, sample: DateSample | None, clock: Clock) -> dict | None:
    """Compare our clock with the server's Date; a close match lets an unsynced Pi trust its clock."""
    if sample is None:
        return None
    drift = sample.drift_s
    check = {
        "checked_at": sample.local.isoformat(timespec="seconds"),
        "drift_s": round(drift, 3),
        "ok": abs(drift) <= SERVER_DRIFT_TOLERANCE_S,
    }
    previous = store.get_state(SERVER_CLOCK) or {}
    if previous.get("ok") != check["ok"]:
        level = logging.INFO if check["ok"] else logging.WARNING
        log.log(level, "clock %s the server's (drift %+.1f s, tolerance %.0f s)",
                "agrees with" if check["ok"] else "DISAGREES with", drift, SERVER_DRIFT_TOLERANCE_S)
    store.set_state(SERVER_CLOCK, check)
    return check
