"""The `kiosk` command as a technician runs it: a real subprocess, real files, exit codes, JSON."""

import csv
import io
import json
import subprocess
import sys

from support.kiosk_env import write_config

from kiosk.store.schema import MIGRATIONS


def kiosk(config, *args, timeout=60):
    return subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config), *args], capture_output=True, text=True, timeout=timeout)


def test_issue_json_and_exit_codes(tmp_path):
    cfg = write_config(tmp_path, quota=1)
    r = kiosk(cfg, "issue", "A", "--no-print", "--json")
    assert r.returncode == 0, r.stderr
    ticket = json.loads(r.stdout)
    assert ticket["number"] == "A001"
    assert ticket["service"] == "paspor-baru"
    assert ticket["print_state"] == "pending"
    assert set(ticket) >= {"id", "number", "service", "priority", "service_day", "issued_at", "print_state"}
    r = kiosk(cfg, "issue", "paspor-baru", "--no-print", "--json")
    assert r.returncode == 4
    refused = json.loads(r.stdout)
    assert refused["code"] == "quota_full" and refused["key"] == "refusal.quota_full"
    assert refused["messages"]["id"] == "Kuota Paspor Baru hari ini sudah habis. Silakan datang kembali besok."
    assert "refused: Today's quota for New passport is full" in r.stderr
    r = kiosk(cfg, "issue", "A", "--no-print", "--lang", "id")  # the touchscreen's own catalogue
    assert r.returncode == 4 and "refused: Kuota Paspor Baru hari ini sudah habis" in r.stderr
    r = kiosk(cfg, "issue", "A", "--priority", "lansia", "--no-print")
    assert r.returncode == 0 and r.stdout.startswith("P001")


def test_export_streams_in_order_with_cursors(tmp_path):
    cfg = write_config(tmp_path)
    for service in "AGAG":
        assert kiosk(cfg, "issue", service, "--no-print").returncode == 0
    r = kiosk(cfg, "export")
    records = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["number"] for x in records] == ["A001", "G001", "A002", "G002"]
    cursors = [x["cursor"] for x in records]
    assert cursors == sorted(cursors)
    r = kiosk(cfg, "export", "--after", str(cursors[1]))
    assert [json.loads(line)["number"] for line in r.stdout.splitlines()] == ["A002", "G002"]
    r = kiosk(cfg, "export", "--format", "csv", "--after", str(cursors[2]))
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["number"] for row in rows] == ["G002"]
    assert kiosk(cfg, "export", "--after", "-1").returncode == 2


def test_tickets_and_status(tmp_path):
    cfg = write_config(tmp_path)
    kiosk(cfg, "issue", "A", "--no-print")
    kiosk(cfg, "issue", "A", "--priority", "lansia", "--no-print")
    r = kiosk(cfg, "tickets", "--json")
    assert [t["number"] for t in json.loads(r.stdout)] == ["A001", "P001"]
    r = kiosk(cfg, "status", "--json")
    assert r.returncode == 0, r.stderr
    status = json.loads(r.stdout)
    assert status["kiosk_id"] == "test-kiosk"
    assert status["tickets_today"]["paspor-baru"] == {"total": 2, "priority": 1, "print_failed": 0}
    assert status["outbox"]["depth"] == 2
    assert status["outbox"]["oldest_age_seconds"] >= 0
    assert status["database"]["schema_version"] == len(MIGRATIONS)
    assert status["clock"]["trusted"] in (True, False)
    human = kiosk(cfg, "status").stdout
    assert "test-kiosk" in human and "2 pending" in human


def test_help_everywhere():
    for args in ([], ["issue"], ["export"], ["status"], ["tickets"], ["config", "validate"]):
        r = subprocess.run([sys.executable, "-m", "kiosk", *args, "--help"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "usage: kiosk" in r.stdout


def test_unreadable_database_is_a_clear_error(tmp_path):
    cfg = write_config(tmp_path)
    (tmp_path / "kiosk.db").write_bytes(b"this is not a database" * 100)
    r = kiosk(cfg, "status")
    assert r.returncode == 1
    assert "cannot open database" in r.stderr and "Traceback" not in r.stderr


def test_status_warns_of_a_backlog_and_drops_nothing(tmp_path):
    cfg = write_config(tmp_path, central="backlog_warn_events = 3")
    for _ in range(2):
        kiosk(cfg, "issue", "A", "--no-print")
    assert json.loads(kiosk(cfg, "status", "--json").stdout)["outbox"]["backlog"] == "ok"
    kiosk(cfg, "issue", "A", "--no-print")
    status = json.loads(kiosk(cfg, "status", "--json").stdout)
    assert status["outbox"]["backlog"] == "warn"
    assert status["outbox"]["depth"] == 3
    assert "3 events not delivered (warning at 3)" in kiosk(cfg, "status").stdout
