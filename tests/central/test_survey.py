"""central/survey.py: stored responses, one per ticket and per kiosk event; the IKM per group against
figures computed by hand; the CSV; the kiosks' events over real HTTP; the staff route and the CLI."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal
from fractions import Fraction

import pytest
import requests

from central import ikm
from central.cli import main
from central.survey import SurveyInputError, csv_text, ikm_report, record_response, responses
from shared import survey_wire
from shared.survey_wire import ELEMENTS

OFFICE, KIOSK = "BLITAR", "K1"
# The worked example of tests/central/test_ikm.py (four respondents, IKM 82.64, B), dated and
# split over two services.
R1 = (4, 4, 3, 4, 3, 3, 4, 3, 4)  # sum 32
R2 = (3, 3, 3, 4, 3, 4, 4, 2, 3)  # sum 29
R3 = (4, 3, 2, 4, 3, 3, 3, 3, 3)  # sum 28
R4 = (3, 4, 3, 4, 4, 3, 4, 2, 3)  # sum 30
DATED = [(R1, "2026-01-15", "paspor-baru"), (R2, "2026-02-03", "paspor-baru"),
         (R3, "2026-04-10", "paspor-hilang"), (R4, "2026-04-20", None)]


def answers(scores):
    return dict(zip(ELEMENTS, scores))


@pytest.fixture
def filled(db):
    for scores, day, service in DATED:
        assert record_response(db, OFFICE, answers(scores), source="kiosk", service=service, answered_on=day)
    # outside the range, and another office: neither may count
    record_response(db, OFFICE, answers((1,) * 9), source="kiosk", answered_on="2025-12-31")
    record_response(db, "MALANG", answers((1,) * 9), source="kiosk", answered_on="2026-02-01")
    return db


def test_validation_names_the_field(db):
    good = answers(R1)
    cases = [
        ({**good, "cost": 5}, "answers.cost must be a whole number 1-4"),
        ({**good, "cost": 0}, "answers.cost"),
        ({**good, "cost": True}, "answers.cost"),
        ({**good, "cost": 2.5}, "answers.cost"),
        ({k: v for k, v in good.items() if k != "facilities"}, "missing element(s) facilities"),
        ({**good, "parking": 3}, "unknown element(s) parking"),
    ]
    for given, message in cases:
        with pytest.raises(SurveyInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
            record_response(db, OFFICE, given, source="kiosk")
    for kwargs, message in [
        ({"complaint": "x" * 501}, "at most 500"),
        ({"complaint": "antre\x00lama"}, r"U\+0000"),
        ({"complaint": "a\u202eb"}, r"U\+202E"),
        ({"respondent": {"name": "Budi"}}, "unknown field 'name'"),
        ({"respondent": {"sex": "x"}}, "respondent.sex must be one of"),
        ({"source": "fax"}, "source must be one of"),
        ({"service": "Paspor Baru"}, "service must be a service key"),
        ({"answered_on": "2026-02-30"}, "not a calendar date"),
        ({"ticket_id": "t\x00"}, "ticket_id must be 1-128 printable"),
    ]:
        with pytest.raises(SurveyInputError, match=message):
            record_response(db, OFFICE, good, **{"source": "kiosk", **kwargs})
    with pytest.raises(SurveyInputError, match="office"):
        record_response(db, "bad office!", good, source="kiosk")
    assert responses(db, OFFICE) == []


def test_one_response_per_ticket_and_per_event(db, make_event):
    ticket = make_event(7, prefix="B")
    db.ingest(KIOSK, OFFICE, [ticket])
    tid = ticket["ticket"]["id"]
    assert record_response(db, OFFICE, answers(R1), source="phone", ticket_id=tid, respondent={"sex": "female"},
                           complaint="  Antrean terlalu lama  ")
    assert not record_response(db, OFFICE, answers(R2), source="kiosk", ticket_id=tid)
    event_id = str(uuid.uuid4())
    assert record_response(db, OFFICE, answers(R2), source="kiosk", event_id=event_id, kiosk_id=KIOSK)
    assert not record_response(db, OFFICE, answers(R2), source="kiosk", event_id=event_id, kiosk_id=KIOSK)
    held = responses(db, OFFICE)
    assert len(held) == 2
    linked = held[1]
    # the linked ticket's service is the response's; the complaint is stored trimmed
    assert (linked["service"], linked["answers"], linked["sex"], linked["complaint"]) == (
        "paspor-baru", answers(R1), "female", "Antrean terlalu lama")
    with pytest.raises(SurveyInputError, match="another office"):
        record_response(db, "MALANG", answers(R3), source="phone", ticket_id=tid)


def test_report_overall_matches_the_worked_example(filled):
    r = ikm_report(filled, OFFICE, "2026-01-01", "2026-12-31")
    assert (r.count, r.ikm, r.band.grade) == (4, Decimal("82.64"), "B")
    assert r.nrr["complaints"] == Fraction(10, 4) and r.nrr["cost"] == Fraction(4)
    assert r.rows == []
    empty = ikm_report(filled, OFFICE, "2027-01-01", "2027-01-31", by="month")
    assert (empty.count, empty.ikm, empty.band, empty.rows) == (0, None, None, [])


def test_report_by_service_month_quarter_by_hand(filled):
    """By hand: paspor-baru = R1+R2, 61 points over 2 x 9 answers: 61/18 x 25 = 84.722 -> 84.72 (B),
    its complaints NRR (3+2)/2 = 2.5; paspor-hilang = R3 alone: 28/9 x 25 = 77.78 (B); R4 named no
    service ("-", last): 30/9 x 25 = 83.33 (B). Months: 2026-01 R1 32/9 x 25 = 88.89 (A), 2026-02 R2
    29/9 x 25 = 80.56 (B), 2026-04 R3+R4 58/18 x 25 = 80.56 (B). Quarters: Q1 = 84.72, Q2 = 80.56."""
    by_service = ikm_report(filled, OFFICE, "2026-01-01", "2026-12-31", by="service")
    assert [(g.group, g.count, g.ikm, g.band.grade) for g in by_service.rows] == [
        ("paspor-baru", 2, Decimal("84.72"), "B"), ("paspor-hilang", 1, Decimal("77.78"), "B"),
        ("-", 1, Decimal("83.33"), "B")]
    assert by_service.rows[0].nrr["complaints"] == Fraction(5, 2)
    by_month = ikm_report(filled, OFFICE, "2026-01-01", "2026-12-31", by="month")
    assert [(g.group, g.count, g.ikm, g.band.grade) for g in by_month.rows] == [
        ("2026-01", 1, Decimal("88.89"), "A"), ("2026-02", 1, Decimal("80.56"), "B"),
        ("2026-04", 2, Decimal("80.56"), "B")]
    by_quarter = ikm_report(filled, OFFICE, "2026-01-01", "2026-12-31", by="quarter")
    assert [(g.group, g.ikm) for g in by_quarter.rows] == [("2026-Q1", Decimal("84.72")), ("2026-Q2", Decimal("80.56"))]
    assert [(g.group, g.count) for g in ikm_report(filled, OFFICE, "2025-01-01", "2026-12-31", by="year").rows] == [
        ("2025", 1), ("2026", 4)]
    # the range is inclusive at both ends
    assert ikm_report(filled, OFFICE, "2026-01-15", "2026-02-03").count == 2
    with pytest.raises(SurveyInputError, match="by must be one of"):
        ikm_report(filled, OFFICE, "2026-01-01", "2026-12-31", by="week")
    assert ikm_report(filled, OFFICE, "2026-12-31", "2026-01-01").count == 0  # an inverted range holds nothing


def test_csv_has_a_line_per_group_and_a_total(filled):
    text = csv_text(ikm_report(filled, OFFICE, "2026-01-01", "2026-12-31", by="service"))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["service", "respondents", "U1_requirements"] and rows[0][-3:] == ["ikm", "band", "mutu"]
    assert rows[1][0] == "paspor-baru" and rows[1][1] == "2"
    assert rows[1][1 + ELEMENTS.index("complaints") + 1] == "2.500"
    assert rows[-1][:2] == ["TOTAL", "4"] and rows[-1][-4:] == ["3.306", "82.64", "B", "baik"]


def test_the_wire_and_the_index_name_the_same_elements():
    assert survey_wire.ELEMENTS == ikm.ELEMENTS


def survey_event(scores=R1, **body):
    return {"event_id": str(uuid.uuid4()), "kind": "survey.response", "kiosk_id": KIOSK, "seq": 1,
            "created_at": "2026-03-02T02:00:00.000+00:00",
            "response": {"answers": answers(scores), "answered_on": "2026-03-02", "service": "paspor-baru",
                         "respondent": {"age_band": "25-34"}, "complaint": None, "lang": "id", **body}}


def post(server, token, events):
    return requests.post(f"{server.url}/api/v1/events", json={"kiosk_id": KIOSK, "office": OFFICE, "events": events},
                         headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_kiosk_events_are_counted_once_and_malformed_ones_refused_for_good(server, db, kiosk_token, counter_token):
    good = survey_event()
    assert post(server, kiosk_token, [good]).json()["accepted"] == [good["event_id"]]
    assert post(server, kiosk_token, [good]).json()["accepted"] == [good["event_id"]]  # a retried batch
    assert len(responses(db, OFFICE)) == 1
    bad = survey_event(R2)
    bad["response"]["answers"]["cost"] = 9
    body = post(server, kiosk_token, [bad]).json()
    assert [(r["reason"], r["retry"]) for r in body["rejected"]] == [("invalid", False)]
    assert "response: answers.cost" in body["rejected"][0]["detail"]
    smuggled = survey_event(R2, respondent={"name": "Budi Santoso"})
    assert post(server, kiosk_token, [smuggled]).json()["rejected"][0]["retry"] is False
    assert len(responses(db, OFFICE)) == 1

    url = f"{server.url}/api/v1/offices/{OFFICE}/ikm"
    staff = {"Authorization": f"Bearer {counter_token}"}
    got = requests.get(url, params={"from": "2026-03-01", "to": "2026-03-31", "by": "service"}, headers=staff, timeout=5)
    assert got.status_code == 200
    data = got.json()
    assert (data["count"], data["ikm"], data["band"]) == (1, 88.89, "A")  # 32/9 x 25
    assert data["rows"][0]["group"] == "paspor-baru" and data["nrr"]["requirements"] == 4.0
    as_csv = requests.get(url, params={"from": "2026-03-01", "to": "2026-03-31", "format": "csv"}, headers=staff, timeout=5)
    assert as_csv.headers["Content-Type"].startswith("text/csv") and "TOTAL,1," in as_csv.text
    bad_date = requests.get(url, params={"from": "2026-03-32", "to": "2026-03-01"}, headers=staff, timeout=5)
    assert bad_date.status_code == 400 and "from" in bad_date.json()["message"]
    bad_by = requests.get(url, params={"by": "week"}, headers=staff, timeout=5)
    assert bad_by.status_code == 400 and "by must be one of" in bad_by.json()["message"]
    assert requests.get(url, params={"from": "2026-03-01", "to": "2026-03-31"}, timeout=5).status_code == 401
    kiosk = {"Authorization": f"Bearer {kiosk_token}"}
    assert requests.get(url, params={"from": "2026-03-01", "to": "2026-03-31"}, headers=kiosk, timeout=5).status_code == 403


def test_cli_ikm(tmp_path, capsys):
    from central.db import CentralDB

    path = tmp_path / "c.db"
    db = CentralDB(path)
    for scores, day, service in DATED:
        record_response(db, OFFICE, answers(scores), source="kiosk", service=service, answered_on=day)
    db.close()
    assert main(["ikm", OFFICE, "--db", str(path), "--from", "2026-01-01", "--to", "2026-06-30", "--by", "month",
                 "--csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("2026-01,1,") and ",88.89,A,sangat baik" in out.splitlines()[1]
    assert main(["ikm", OFFICE, "--db", str(path), "--from", "2026-01-01", "--to", "2026-06-30"]) == 0
    assert "TOTAL" in (text := capsys.readouterr().out) and "IKM 82.64  mutu B (baik)" in text
    assert main(["ikm", OFFICE, "--db", str(path), "--from", "2027-01-01", "--to", "2027-01-02"]) == 3
    assert main(["ikm", OFFICE, "--db", str(path), "--from", "2026-13-01", "--to", "2027-01-02"]) == 2
    assert "from must be a date" in capsys.readouterr().err
    assert main(["ikm", OFFICE, "--db", str(path), "--from", "2026-06-01", "--to", "2026-01-01"]) == 2
    assert "--from 2026-06-01 is after --to 2026-01-01" in capsys.readouterr().err
