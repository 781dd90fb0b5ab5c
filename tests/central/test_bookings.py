"""central/bookings.py: the import, the served list with ETag, check-ins kept once, duplicates,
booked arrivals in the queue, on a real SQLite file and the real server on loopback."""

import json
import uuid
from pathlib import Path

import requests

from central import bookings
from central.auth import issue_token
from central.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "bookings.csv"
OFFICE = "BLITAR"
KIOSK = "K1"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def make_event(n, kiosk_id=KIOSK, kind="ticket.issued", service_day="2026-11-27"):
    ticket = {"id": f"t-{kiosk_id}-A{n}", "kiosk_id": kiosk_id, "number": f"A{n:03d}", "service": "paspor-baru-dewasa",
              "prefix": "A", "seq": n, "priority": None, "service_day": service_day,
              "issued_at": f"{service_day}T08:00:{n % 60:02d}+07:00", "print_state": "pending"}
    return {"event_id": str(uuid.uuid4()), "kind": kind, "kiosk_id": kiosk_id, "seq": n,
            "created_at": f"{service_day}T01:00:00.000+00:00", "ticket": ticket}


def run_cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def checkin_event(n, code, *, kiosk_id=KIOSK, unverified=False, ahead=False, number=None, day="2026-11-27"):
    event = make_event(n, kiosk_id=kiosk_id, kind="ticket.checked_in", service_day=day)
    t = event["ticket"]
    if number:
        t["number"] = number
    event["checkin"] = {"code": code, "day": day, "kiosk_id": kiosk_id, "ticket_id": t["id"], "number": t["number"],
                        "slot": f"{day}T08:30+07:00", "checked_in_at": f"{day}T08:{n % 60:02d}:00+07:00",
                        "unverified": unverified, "office": OFFICE, "service": "paspor-baru-dewasa", "ahead": ahead}
    return event


def post(server, token, events):
    r = requests.post(f"{server.url}/api/v1/events", json={"kiosk_id": KIOSK, "office": OFFICE, "events": events},
                      headers=bearer(token), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_import_is_validated_masked_and_idempotent(tmp_path, capsys):
    dbp = str(tmp_path / "c.db")
    code, out, err = run_cli(capsys, "bookings", "import", str(EXAMPLE), "--db", dbp)
    assert code == 0, err
    assert "6 bookings: 6 new, 0 changed, 0 unchanged" in out
    code, out, _ = run_cli(capsys, "bookings", "import", str(EXAMPLE), "--db", dbp)
    assert code == 0 and "6 new" not in out and "0 new, 0 changed, 6 unchanged" in out
    code, out, _ = run_cli(capsys, "bookings", "list", "--office", OFFICE, "--day", "2026-11-27", "--json", "--db", dbp)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["code"] for r in rows] == ["MP7Q2K9X", "MP3HD81C", "MP9ZK2LW", "MPQ4X7TN"]
    assert rows[0] == {"code": "MP7Q2K9X", "office": OFFICE, "day": "2026-11-27", "service": "paspor-baru-dewasa",
                       "slot": "2026-11-27T08:30+07:00", "masked_name": "B*** S******"}
    assert rows[2]["masked_name"] is None
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("c.db*"))
    assert b"Santoso" not in raw and b"Budi" not in raw  # the full name is never stored


def test_every_bad_row_is_named_by_file_and_line_and_nothing_is_imported(tmp_path, capsys):
    bad = tmp_path / "export.csv"
    bad.write_text(
        "code,office,service,slot,name\n"
        "MPOK0001,BLITAR,paspor-baru-dewasa,2026-11-27 08:30,Ok Person\n"
        "MP!,BLITAR,paspor-baru-dewasa,2026-11-27 08:30,\n"
        "MPOK0002,BLI TAR,paspor-baru-dewasa,2026-11-27 08:30,\n"
        "MPOK0003,BLITAR,Paspor Baru,2026-11-27 08:30,\n"
        "MPOK0004,BLITAR,paspor-baru-dewasa,27/11/2026 08:30,\n"
        "mpok0001,BLITAR,paspor-baru-dewasa,2026-11-27 09:30,\n"
        ",BLITAR,paspor-baru-dewasa,2026-11-27 08:30,\n"
    )
    dbp = str(tmp_path / "c.db")
    code, _, err = run_cli(capsys, "bookings", "import", str(bad), "--db", dbp)
    assert code == 2
    assert "nothing imported, 6 problem(s)" in err
    for line, column in [(3, "code"), (4, "office"), (5, "service"), (6, "slot"), (7, "code"), (8, "code")]:
        assert f"{bad}:{line}: {column}:" in err, err
    assert "is also on line 2" in err
    assert "Traceback" not in err
    code, out, _ = run_cli(capsys, "bookings", "list", "--day", "2026-11-27", "--json", "--db", dbp)
    assert out == ""


def test_header_and_catalogue_problems(tmp_path, capsys, db):
    f = tmp_path / "b.csv"
    f.write_text("code,kantor,service,slot\n")
    code, _, err = run_cli(capsys, "bookings", "import", str(f), "--db", str(tmp_path / "x.db"))
    assert code == 2 and f"{f}:1: header: missing column(s) office; unknown column(s) kantor" in err
    db.set_catalogue(OFFICE, (REPO / "config" / "services.toml").read_bytes())
    rows = "code,office,service,slot\nMPAB1234,BLITAR,no-such-service,2026-11-27 08:30\n"
    try:
        bookings.parse_file(rows, "b.csv", fmt="csv", tz=bookings.ZoneInfo("Asia/Jakarta"),
                            services=bookings.catalogue_services(db))
    except bookings.BookingFileError as err:
        assert str(err).startswith("b.csv:2: service: 'no-such-service' is not in office BLITAR's catalogue")
    else:
        raise AssertionError("an unknown service was accepted")


def test_semicolon_csv_from_a_spreadsheet(tmp_path, capsys):
    f = tmp_path / "excel.csv"
    f.write_bytes("\ufeffcode;office;service;slot;name\r\nMPSC0001;BLITAR;paspor-baru-dewasa;2026-11-27 08:30;Budi\r\n"
                  .encode("utf-8"))
    code, out, err = run_cli(capsys, "bookings", "import", str(f), "--db", str(tmp_path / "c.db"))
    assert code == 0 and "1 new" in out, err


def test_json_import_reports_lines(tmp_path, capsys):
    f = tmp_path / "b.json"
    f.write_text(json.dumps([
        {"code": "MPJS0001", "office": OFFICE, "service": "paspor-baru-dewasa", "slot": "2026-11-27 08:30"},
        {"code": "MPJS0002", "office": OFFICE, "service": "paspor-baru-dewasa", "slot": "soon"},
        {"code": "MPJS0003", "office": OFFICE, "service": "paspor-baru-dewasa", "slot": "2026-11-27 09:30", "nik": "3505"},
    ], indent=1))
    code, _, err = run_cli(capsys, "bookings", "import", str(f), "--db", str(tmp_path / "c.db"))
    assert code == 2
    assert f"{f}:8: slot:" in err and f"{f}:14: nik: unknown column" in err, err
    f.write_text(json.dumps({"bookings": [
        {"code": "MPJS0001", "office": OFFICE, "service": "paspor-baru-dewasa", "slot": "2026-11-27 08:30", "name": "A B"}]}))
    code, out, err = run_cli(capsys, "bookings", "import", str(f), "--db", str(tmp_path / "c.db"))
    assert code == 0 and "1 new" in out, err


def test_served_list_with_etag_and_checkins_kept_once(server, db, kiosk_token, counter_token, tmp_path):
    db.set_catalogue(OFFICE, (REPO / "config" / "services.toml").read_bytes())
    rows = bookings.parse_file(EXAMPLE.read_text(), "bookings.csv", fmt="csv", tz=bookings.ZoneInfo("Asia/Jakarta"))
    bookings.import_rows(db, rows)
    url = f"{server.url}/api/v1/offices/{OFFICE}/bookings"
    post(server, kiosk_token, [make_event(1)])  # binds the kiosk to its office
    r = requests.get(url, params={"day": "2026-11-27"}, headers=bearer(kiosk_token), timeout=10)
    assert r.status_code == 200 and r.headers["ETag"]
    body = r.json()
    assert body["days"] == ["2026-11-27", "2026-11-28"]
    assert [b["code"] for b in body["bookings"]] == ["MP7Q2K9X", "MP3HD81C", "MP9ZK2LW", "MPQ4X7TN", "MPW8N3RE"]
    assert body["elsewhere"] == [{"code": "MP4TTR2A", "office": "KEDIRI", "day": "2026-11-27"}]
    assert body["checkins"] == []
    again = requests.get(url, params={"day": "2026-11-27"}, headers={**bearer(kiosk_token), "If-None-Match": r.headers["ETag"]}, timeout=10)
    assert again.status_code == 304

    event = checkin_event(2, "MP7Q2K9X")
    post(server, kiosk_token, [event])
    post(server, kiosk_token, [event])  # the same batch again (a lost reply)
    assert bookings.record_checkins(db, KIOSK, OFFICE, [event], [event["event_id"]]) == 0
    changed = requests.get(url, params={"day": "2026-11-27"}, headers={**bearer(kiosk_token), "If-None-Match": r.headers["ETag"]}, timeout=10)
    assert changed.status_code == 200
    assert [(c["code"], c["number"], c["kiosk_id"]) for c in changed.json()["checkins"]] == [("MP7Q2K9X", "A002", KIOSK)]

    assert requests.get(url, params={"day": "2026-13-01"}, headers=bearer(kiosk_token), timeout=10).status_code == 400
    assert requests.get(url, params={"day": "9999-12-31"}, headers=bearer(kiosk_token), timeout=10).status_code == 400
    assert requests.get(url, headers=bearer(kiosk_token), timeout=10).json()["days"][0] == "2026-11-27"
    other = requests.get(f"{server.url}/api/v1/offices/KEDIRI/bookings", params={"day": "2026-11-27"},
                         headers=bearer(kiosk_token), timeout=10)
    assert other.status_code == 403


def test_duplicates_are_reported_by_route_and_cli(server, db, kiosk_token, counter_token, capsys, tmp_path):
    k2 = issue_token(db, "kiosk", "K2")
    post(server, kiosk_token, [checkin_event(1, "MP7Q2K9X", unverified=True)])
    r = requests.post(f"{server.url}/api/v1/events", headers=bearer(k2), timeout=10, json={
        "kiosk_id": "K2", "office": OFFICE, "events": [checkin_event(5, "mp7q2k9x", kiosk_id="K2", number="A901")]})
    assert r.json()["rejected"] == []
    post(server, kiosk_token, [checkin_event(2, "MPOTHER1")])
    url = f"{server.url}/api/v1/offices/{OFFICE}/bookings/duplicates"
    found = requests.get(url, headers=bearer(counter_token), timeout=10).json()["duplicates"]
    assert len(found) == 1
    assert found[0]["code"] == "MP7Q2K9X" and found[0]["numbers"] == ["A001", "A901"]
    assert [c["kiosk_id"] for c in found[0]["checkins"]] == [KIOSK, "K2"] and found[0]["checkins"][0]["unverified"]
    assert requests.get(url, headers=bearer(kiosk_token), timeout=10).status_code == 403
    code, out, _ = run_cli(capsys, "bookings", "duplicates", "--office", OFFICE, "--db", db.path)
    assert code == 0 and "MP7Q2K9X: 2 numbers" in out and "A001  kiosk K1" in out and "UNVERIFIED" in out


def test_booked_arrivals_are_marked_and_may_go_first(server, db, kiosk_token, counter_token):
    walk_in = make_event(1)
    booked = checkin_event(2, "MPFIRST1", ahead=True)
    post(server, kiosk_token, [walk_in, booked])
    queue = requests.get(f"{server.url}/api/v1/offices/{OFFICE}/queue", headers=bearer(kiosk_token), timeout=10).json()
    assert queue["booked"] == {"A": {"checked_in": 1, "waiting": 1}}
    nxt = f"{server.url}/api/v1/offices/{OFFICE}/services/A/next"
    first = requests.post(nxt, headers=bearer(counter_token), timeout=10).json()["ticket"]
    assert first["number"] == "A002" and first["central"]["booking"] == {"slot": "2026-11-27T08:30+07:00", "unverified": False}
    second = requests.post(nxt, headers=bearer(counter_token), timeout=10).json()["ticket"]
    assert second["number"] == "A001" and second["central"]["booking"] is None


def test_exports_never_carry_booking_codes(server, db, kiosk_token, capsys):
    post(server, kiosk_token, [checkin_event(1, "MPSECRET")])
    code, out, _ = run_cli(capsys, "export", "--db", db.path)
    assert code == 0 and "A001" in out and "MPSECRET" not in out


def test_purge_forgets_past_days(db):
    rows = bookings.parse_file(EXAMPLE.read_text(), "b.csv", fmt="csv", tz=bookings.ZoneInfo("Asia/Jakarta"))
    report = bookings.import_rows(db, rows, purge_before="2026-11-28")
    assert report.purged == 5 and [r["code"] for r in bookings.bookings_of(db, None, ["2026-11-28"])] == ["MPW8N3RE"]
    assert bookings.purge(db, "2026-11-29") == 1


def test_unverified_checkins_are_checked_against_the_list_afterwards(server, db, kiosk_token, capsys):
    post(server, kiosk_token, [checkin_event(1, "MP7Q2K9X", unverified=True), checkin_event(2, "MPNOBOOK", unverified=True),
                               checkin_event(3, "MP3HD81C")])
    bookings.import_rows(db, bookings.parse_file(EXAMPLE.read_text(), "b.csv", fmt="csv",
                                                 tz=bookings.ZoneInfo("Asia/Jakarta")))
    code, out, _ = run_cli(capsys, "bookings", "unverified", "--office", OFFICE, "--db", db.path)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert "A001  kiosk K1  MP7Q2K9X: on list" in lines[0] and "CHECK" not in lines[0]
    assert "A002  kiosk K1  MPNOBOOK: not booked  CHECK" in lines[1]


def test_demo_bookings_for_make_run(tmp_path, capsys, db):
    db.set_catalogue(OFFICE, (REPO / "config" / "services.toml").read_bytes())
    code, out, err = run_cli(capsys, "bookings", "demo", OFFICE, "--count", "5", "--db", db.path)
    assert code == 0 and "5 new demo bookings" in err
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [f"DEMO000{i}" for i in range(1, 6)]
    assert all(line.split()[2] in bookings.catalogue_services(db)[OFFICE] for line in lines)
    code, _, err = run_cli(capsys, "bookings", "demo", "NOCAT", "--db", db.path)
    assert code == 2 and "--service KEY" in err
