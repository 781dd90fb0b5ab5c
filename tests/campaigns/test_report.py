"""tools/reliability_report.py renders the campaigns' own figures; nothing in the table is typed."""

import importlib.util
import json

from figures import REPO, record

spec = importlib.util.spec_from_file_location("reliability_report", REPO / "tools" / "reliability_report.py")
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)


def test_rows_recorded_by_campaigns_become_the_table(tmp_path, monkeypatch):
    results = tmp_path / "results.json"
    monkeypatch.setenv("KIOSK_RELIABILITY_RESULTS", str(results))
    record("crash", title="Crash", scale="full", runs=10, faults=1000, tickets=1234, lost=0, duplicated=0,
           longest_stall_s=0.0712, stall_means="issue", passed=True, details={"kills": {"agent": 3}})
    record("network", title="Network", scale="full", runs=5, faults=50, tickets=2000, lost=2, duplicated=0,
           longest_stall_s=None, stall_means="-", passed=True)
    record("clock", title="Clock", scale="default", runs=1, faults=1, tickets=1, lost=0, duplicated=0,
           longest_stall_s=None, stall_means="-", passed=True)
    out = tmp_path / "reliability.md"
    assert report.main([str(results), str(out), "--scale", "full"]) == 1  # the network row lost tickets
    text = out.read_text()
    assert "| Crash (full) | 10 | 1,000 | 1,234 | 0 | 0 | 0.071 s | passed |" in text
    assert "| Network (full) | 5 | 50 | 2,000 | 2 | 0 | - | **FAILED** |" in text
    assert "| clock | - | - | - | - | - | - | not run |" in text  # only a default-size row: not a full run
    assert '- kills: `{"agent": 3}`' in text
    assert "Do not edit by hand" in text
    json.loads(results.read_text())


def test_the_security_section_shows_the_matrix_slow_clients_and_generators(tmp_path, monkeypatch):
    results = tmp_path / "results.json"
    monkeypatch.setenv("KIOSK_RELIABILITY_RESULTS", str(results))
    details = {"tenancy": {"cells_checked": 2, "cells_wrong": 0, "attacks_refused": 5, "refusals_counted": {"KB": 1},
                           "matrix": {"GET /api/v1/health": {"anonymous": 200, "kiosk_home": 200}}},
               "slow_clients": {"central": {"slow_connections": 200, "legit_requests": 5, "slowest_legit_s": 0.0123,
                                            "reconnects_refused_or_cut": 4321}}}
    record("security", title="Security", scale="full", runs=1, faults=1, tickets=0, lost=0, duplicated=0,
           longest_stall_s=None, stall_means="-", passed=True, details=details)
    record("hostile-input", title="Hostile", scale="full", runs=7, faults=7, tickets=0, lost=0, duplicated=0,
           longest_stall_s=None, stall_means="-", passed=True, details={"generators": {"deep JSON": 7}})
    out = tmp_path / "reliability.md"
    report.main([str(results), str(out), "--scale", "full"])
    text = out.read_text()
    assert "| route | anonymous | kiosk_home |" in text and "| `GET /api/v1/health` | 200 | 200 |" in text
    assert "with 200 connections trickling header bytes, the slowest of 5 legitimate requests took 0.012 s" in text
    assert "  - deep JSON: 7" in text
