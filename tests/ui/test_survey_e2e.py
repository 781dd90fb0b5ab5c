"""End to end: a survey answered by taps on the real touchscreen reaches the real central server on
loopback through the real agent (`kiosk sync now`, its own process) exactly once, although the
network lost the server's first answer, and shows in the IKM export (`kiosk-central ikm`)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

from support.fault_proxy import FaultProxy
from test_survey import SCORES, answer_elements, start

from central.app import create_app
from central.auth import issue_token
from central.db import CentralDB
from central.server import ServerThread
from central.survey import responses
from shared.survey_wire import ELEMENTS


def run(*argv, timeout=60):
    return subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True, timeout=timeout)


def test_taps_to_the_ikm_export_exactly_once(ui, tmp_path):
    start(ui)
    answer_elements(ui)
    ui.tap_text(ui.app.kiosk_config.catalogue.services[0].name_id, exact=True)
    ui.tap_text("Lanjut", exact=True)
    ui.tap_text("Kirim tanpa saran", exact=True)
    ui.settle()
    assert ui.has("Terima kasih!")

    db_path = tmp_path / "central.db"
    db = CentralDB(db_path)
    token = issue_token(db, "kiosk", "ui-test", office="TEST")
    with ServerThread(create_app(db)) as server, FaultProxy(("127.0.0.1", server.port)) as proxy:
        folder = ui.config.path.parent
        (folder / "central.token").write_text(token + "\n")
        (folder / "central.token").chmod(0o600)
        with open(ui.config.path, "a") as f:
            f.write(f'\n[central]\nurl = "{proxy.url}"\ntoken_file = "central.token"\nconnect_timeout = 1.0\n'
                    "read_timeout = 2.0\nbackoff_initial_seconds = 0.01\nbackoff_max_seconds = 0.1\n")
        proxy.set_fault("drop_reply", times=1)  # the server applies the batch, the kiosk never hears
        first = run("kiosk", "--config", str(ui.config.path), "sync", "now", "--push-only")
        assert first.returncode == 1 and "not synced" in first.stderr, first.stderr
        second = run("kiosk", "--config", str(ui.config.path), "sync", "now", "--push-only")
        assert second.returncode == 0 and "outbox empty" in second.stdout, second.stderr
        assert len(proxy.seen("/api/v1/events")) == 2
    held = [e for e in db.events("ui-test") if e["kind"] == "survey.response"]
    (stored,) = responses(db, "TEST")
    assert len(held) == 1 and stored["event_id"] == held[0]["event_id"] and stored["source"] == "kiosk"
    assert stored["answers"] == dict(zip(ELEMENTS, SCORES)) and stored["service"] == "paspor-baru-dewasa"
    db.close()

    export = run("central", "ikm", "TEST", "--db", str(db_path), "--from", "2026-11-01", "--to", "2026-11-30",
                 "--by", "service", "--csv")
    assert export.returncode == 0, export.stderr
    rows = list(csv.reader(io.StringIO(export.stdout)))
    # by hand: 4+3+2+1+4+3+4+2+3 = 26 points over 9 elements: 26/9 x 25 = 72.22, band C (65.00-76.60)
    assert rows[1][:2] == ["paspor-baru-dewasa", "1"] and rows[-1][:2] == ["TOTAL", "1"]
    assert rows[-1][-3:] == ["72.22", "C", "kurang baik"]
