"""The server's side of the kiosk's quarantine: a gap in a kiosk's seqs is accepted, a late event
never rolls a ticket back, and the kiosks declaring quarantined events are listed (route and CLI)."""

import json
import subprocess
import sys

import requests

from central.auth import issue_token

KIOSK, OFFICE = "K1", "BLITAR"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def post_events(server, token, events, kiosk=KIOSK, office=OFFICE):
    r = requests.post(f"{server.url}/api/v1/events", json={"kiosk_id": kiosk, "office": office, "events": events},
                      headers=bearer(token), timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


def beat(server, token, quarantine, kiosk=KIOSK, office=OFFICE):
    r = requests.post(f"{server.url}/api/v1/heartbeat",
                      json={"kiosk_id": kiosk, "office": office, "quarantine": quarantine},
                      headers=bearer(token), timeout=5)
    assert r.status_code == 200, r.text


def listed(server, token, office=OFFICE):
    return requests.get(f"{server.url}/api/v1/offices/{office}/quarantine", headers=bearer(token), timeout=5)


def test_a_skipped_seq_does_not_block_and_arrives_later_exactly_once(server, db, kiosk_token, make_event):
    events = [make_event(n) for n in range(1, 6)]
    skipped = events.pop(2)  # quarantined on the kiosk
    assert post_events(server, kiosk_token, events)["accepted"] == [e["event_id"] for e in events]
    assert post_events(server, kiosk_token, [skipped])["accepted"] == [skipped["event_id"]]
    assert post_events(server, kiosk_token, [skipped, events[0]])["rejected"] == []  # a resend is harmless
    held = db.events(KIOSK)
    assert [e["seq"] for e in held] == [1, 2, 4, 5, 3]
    assert len({e["event_id"] for e in held}) == 5
    assert sorted(t["number"] for t in db.iter_tickets()) == ["A001", "A002", "A003", "A004", "A005"]


def test_a_ticket_keeps_its_newest_event_by_seq_whatever_the_arrival_order(server, db, kiosk_token, make_event):
    issued = make_event(7, seq=40)
    printed = make_event(7, kind="ticket.printed", seq=41)
    printed["ticket"]["print_state"] = "printed"
    post_events(server, kiosk_token, [printed])       # the issue event was quarantined on the kiosk
    post_events(server, kiosk_token, [issued])        # released later
    (ticket,) = db.iter_tickets()
    assert ticket["print_state"] == "printed"
    reprinted = make_event(7, kind="ticket.reprinted", seq=42)
    reprinted["ticket"].update(print_state="printed", reprints=1)
    post_events(server, kiosk_token, [reprinted])     # in order again: applied
    (ticket,) = db.iter_tickets()
    assert ticket["reprints"] == 1
    # An event without a seq (an older kiosk) is applied in arrival order, as before.
    failed = make_event(7, kind="ticket.print_failed")
    del failed["seq"]
    failed["ticket"]["print_state"] = "print_failed"
    post_events(server, kiosk_token, [failed])
    (ticket,) = db.iter_tickets()
    assert ticket["print_state"] == "print_failed"


def test_kiosks_declaring_quarantined_events_are_listed_for_their_office(server, db, kiosk_token, counter_token):
    event = {"seq": 812, "event_id": "e-812", "kind": "ticket.issued", "ticket_id": "t-1", "number": "A123",
             "service_day": "2026-11-27", "created_at": "2026-11-27T04:12:09+00:00",
             "quarantined_at": "2026-11-27T04:12:31.402Z", "rejections": 5, "reason": "invalid: ticket.prefix"}
    beat(server, kiosk_token, {"count": 1, "events": [event]})
    other = issue_token(db, "kiosk", "K2", "SURABAYA")
    beat(server, other, {"count": 3, "events": []}, kiosk="K2", office="SURABAYA")
    calm = issue_token(db, "kiosk", "K3")
    beat(server, calm, {"count": 0, "events": []}, kiosk="K3")

    r = listed(server, counter_token)
    assert r.status_code == 200
    body = r.json()
    assert body["office"] == OFFICE
    (kiosk,) = body["kiosks"]
    assert (kiosk["kiosk_id"], kiosk["office"], kiosk["quarantined"]) == (KIOSK, OFFICE, 1)
    assert kiosk["events"] == [event] and kiosk["reported_at"]
    assert [k["kiosk_id"] for k in listed(server, counter_token, "SURABAYA").json()["kiosks"]] == ["K2"]
    # The kiosk's next heartbeat after a retry clears it.
    beat(server, kiosk_token, {"count": 0, "events": []})
    assert listed(server, counter_token).json()["kiosks"] == []


def test_the_list_only_for_counters_and_valid_offices(server, kiosk_token, counter_token):
    assert listed(server, kiosk_token).status_code == 403
    assert requests.get(f"{server.url}/api/v1/offices/{OFFICE}/quarantine", timeout=5).status_code == 401
    assert listed(server, counter_token, "no%20such").status_code == 404


def test_a_heartbeat_is_a_kiosks_word_so_its_quarantine_block_is_checked(server, db, kiosk_token, counter_token):
    for junk in ("lots", {"count": "9"}, {"count": True}, {"count": -1}, {"count": 1.5}, {"events": [1]}, None):
        beat(server, kiosk_token, junk)
        assert listed(server, counter_token).json()["kiosks"] == [], junk
    beat(server, kiosk_token, {"count": 2, "events": ["x", {"seq": "1", "event_id": 5, "reason": "r" * 2000},
                                                      *[{"seq": n} for n in range(50)]]})
    (kiosk,) = listed(server, counter_token).json()["kiosks"]
    assert kiosk["quarantined"] == 2 and len(kiosk["events"]) == 19  # at most 20 read, "x" dropped
    first = kiosk["events"][0]
    assert first["seq"] is None and first["event_id"] is None and len(first["reason"]) == 500


def test_cli_lists_them_and_marks_them_in_kiosks(db, server, kiosk_token):
    beat(server, kiosk_token, {"count": 2, "events": [{"seq": 9, "event_id": "e-9", "kind": "ticket.issued",
                                                        "number": "A009", "reason": "invalid: x"}]})

    def cli(*argv):
        return subprocess.run([sys.executable, "-m", "central", *argv, "--db", db.url], capture_output=True,
                              text=True, timeout=30)

    proc = cli("quarantine")
    assert proc.returncode == 0, proc.stderr
    assert f"{KIOSK}  office {OFFICE}  2 quarantined event(s)" in proc.stdout
    assert "seq 9  e-9  ticket.issued  A009  invalid: x" in proc.stdout
    assert json.loads(cli("quarantine", "--json", "--office", OFFICE).stdout)["kiosks"][0]["quarantined"] == 2
    assert json.loads(cli("quarantine", "--json", "--office", "OTHER").stdout)["kiosks"] == []
    assert "QUARANTINED 2" in cli("kiosks").stdout
    assert cli("quarantine", "--office", "no such").returncode == 2
