"""The GUI-free façade, without Kivy: snapshot states, issue + print outcomes, staff actions."""

import sys

import pytest

from kiosk.lobby import Lobby
from kiosk.printing import TicketPrinting
from kiosk.state_keys import LOCK
from kiosk.ui.app import with_printer_device
from kiosk.ui.worker import Worker
from printer.fake import FakePrinter


@pytest.fixture
def fake():
    f = FakePrinter()
    f.start()
    yield f
    f.stop()


@pytest.fixture
def lobby(tmp_path, fake, clock):
    from support.kiosk_env import make_config

    from kiosk.store import Store

    config = with_printer_device(make_config(tmp_path / "etc", quota=2, priority_quota=1), f"serial:{fake.path}@115200")
    printing = TicketPrinting(config, clock)
    store = Store(config.store.path)
    yield Lobby(config, store, clock, printing)
    printing.close()
    store.close()


def test_kivy_is_not_imported_by_the_core():
    import subprocess

    code = "import kiosk.lobby, kiosk.admin_pin, kiosk.locale, kiosk.ui.app, kiosk.cli.main, sys; print(any(m.startswith('kivy') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_issue_print_and_quota(lobby, fake):
    r = lobby.issue_and_print("A")
    assert r.issued and r.printed and r.number == "A001" and r.message_en == "Please take your ticket"
    assert fake.wait_for_jobs(1)
    lobby.issue_and_print("A")
    snap = lobby.snapshot()
    a = snap.service("paspor-baru")
    assert a.state == "quota_full" and a.priority_open
    refused = lobby.issue_and_print("A")
    assert not refused.issued and refused.code == "quota_full" and "besok" in refused.message_id
    p = lobby.issue_and_print("A", "lansia")
    assert p.number == "P001" and p.priority == "lansia"


def test_print_failure_keeps_number(lobby, fake):
    fake.set_state("cover_open")
    r = lobby.issue_and_print("G")
    assert r.issued and r.code == "print_failed" and r.number == "G001"
    assert r.message_en.startswith("Printer problem")
    assert lobby.store.ticket_by_number("G001").print_state == "print_failed"
    assert lobby.printer_state().state == "cover_open"
    fake.set_state("ready")
    assert lobby.reprint("G001").ok


def test_unopenable_device_is_a_failed_print_not_a_crash(tmp_path, clock):
    from support.kiosk_env import make_config

    from kiosk.store import Store

    config = with_printer_device(make_config(tmp_path / "etc"), "serial:/nonexistent/tty@9600")
    with Store(config.store.path) as store:
        lobby = Lobby(config, store, clock)
        r = lobby.issue_and_print("G")
        assert r.issued and r.code == "print_failed"
        assert lobby.refresh_printer().state == "offline"


def test_lock_and_snapshot(lobby):
    assert lobby.snapshot().open
    lobby.set_locked(True)
    snap = lobby.snapshot()
    assert not snap.open and snap.locked and snap.service("paspor-baru").state == "locked"
    assert lobby.staff_info().locked


def test_worker_runs_jobs_off_thread_and_posts_results(lobby):
    import threading

    posted = []
    w = Worker(lambda: lobby, posted.append)
    seen = []
    w.submit(lambda lb: threading.current_thread().name, on_done=seen.append)
    w.submit(lambda lb: 1 / 0, on_error=seen.append)
    assert w.wait_idle()
    for fn in posted:
        fn()
    assert seen[0] == "kiosk-io" and isinstance(seen[1], ZeroDivisionError)
    w._jobs.put(None)
    w._thread.join(5)


def test_worker_opens_its_lobby_only_after_the_first_frame(lobby):
    """The touchscreen's worker waits for the first frame before opening the Lobby; jobs submitted
    meanwhile wait in order. Without a frame it opens anyway after `after_within` seconds."""
    import threading
    import time

    opened = []
    first_frame = threading.Event()
    w = Worker(lambda: opened.append(time.monotonic()) or lobby, lambda fn: fn(), after=first_frame, after_within=30)
    seen = []
    w.submit(lambda lb: seen.append("first"))
    w.submit(lambda lb: seen.append("second"))
    time.sleep(0.3)
    assert opened == [] and seen == [] and w.pending() == 2
    first_frame.set()
    assert w.wait_idle(5)
    assert len(opened) == 1 and seen == ["first", "second"]
    w.stop()

    started = time.monotonic()
    late = Worker(lambda: opened.append(time.monotonic()) or lobby, lambda fn: fn(), after=threading.Event(),
                  after_within=0.3)
    late.submit(lambda lb: seen.append("no frame"))
    assert late.wait_idle(5)
    assert seen[-1] == "no frame" and opened[-1] - started >= 0.3
    late.stop()


def test_watch_sees_only_other_connections_writes(lobby):
    from kiosk.store import Store

    assert lobby.watch() is not None  # the first look
    assert lobby.watch() is None
    lobby.set_locked(True)  # our own write: the screens refresh after it anyway
    assert lobby.watch() is None
    with Store(lobby.config.store.path) as other:  # `kiosk lock` / `kiosk unlock` in another process
        other.set_state(LOCK, {"locked": False})
    snap = lobby.watch()
    assert snap is not None and not snap.locked


def test_pulled_catalogue_only_when_valid_and_changed(lobby, tmp_path):
    from pathlib import Path

    from kiosk.agent.pull import write_atomically

    path = lobby.config.remote_catalogue_path
    assert lobby.catalogue_update() is None  # nothing pulled
    write_atomically(path, "[[services]\nbroken")
    assert lobby.catalogue_update() is None  # does not validate: the running one stays
    old = lobby.config.catalogue.services[0].name_id
    text = Path(lobby.config.kiosk.catalogue).read_text(encoding="utf-8")
    write_atomically(path, text)
    assert lobby.catalogue_update() is None  # the same catalogue: nothing to switch
    write_atomically(path, text.replace(f'"{old}"', '"Paspor Baru 2027"'))
    new = lobby.catalogue_update()
    assert new is not None and new.services[0].name_id == "Paspor Baru 2027"
    lobby.use_catalogue(new)
    assert lobby.snapshot().services[0].name_id == "Paspor Baru 2027"
    assert lobby.issuer.config.catalogue is new and lobby.printing.config.catalogue is new
    assert lobby.catalogue_update() is None
