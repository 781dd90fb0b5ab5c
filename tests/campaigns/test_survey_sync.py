"""Survey sync campaign: survey responses (Survei Kepuasan Masyarakat) queued on a kiosk between its
tickets, while its agent syncs, reach the real central server through the real agent and a misbehaving network (dropped,
reset, cut and malformed replies, 503s, half-applied batches) exactly once; malformed responses
written straight into the outbox are refused for good and quarantined, never counted; and the
IKM the server reports equals the IKM of the kiosk's own answers computed from the outbox.
"""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timezone

from conftest import KIOSK_ID, OFFICE, KioskRig
from figures import record, sized

from central import ikm
from central.survey import ikm_report, responses
from kiosk.survey import SurveySession, send
from shared.survey_wire import ELEMENTS, RESPONDENT

FAULTS = [("drop_reply", {}), ("reset", {}), ("truncate", {}), ("partial", {}), ("malformed", {}),
          ("status", {"status": 503, "retry_after": "0"})]
DAY = date(2026, 11, 27)
BAD = [  # written past the kiosk's own check, as a broken or hostile build might
    {"answers": {**dict.fromkeys(ELEMENTS, 3), "cost": 7}, "answered_on": "2026-11-27"},
    {"answers": dict.fromkeys(ELEMENTS, 3), "answered_on": "2026-11-27", "respondent": {"name": "Budi Santoso"}},
    {"answers": dict.fromkeys(ELEMENTS, 3), "answered_on": "2026-11-27", "complaint": "lama\x00"},
    {"answers": dict.fromkeys(ELEMENTS[:8], 3), "answered_on": "2026-11-27"},
]


def response(rng: random.Random) -> dict:
    s = SurveySession(service=rng.choice([None, "paspor-baru", "pengambilan"]))
    for e in ELEMENTS:
        s.answer(e, rng.choice((1, 2, 3, 3, 4, 4)))
    for key, codes in RESPONDENT.items():
        if rng.random() < 0.5:
            s.choose(key, rng.choice(codes))
    if rng.random() < 0.2:
        s.set_complaint(rng.choice(["Antrean lama", "Toilet kotor", "Petugas ramah, terima kasih", "AC mati"]))
    return s.body(DAY, rng.choice(("id", "en")))


def test_survey_sync_exactly_once_through_faults(tmp_path, proxy, kiosk_token, central_db, scale):
    rng = random.Random(13)
    count = sized(40, 2000, scale)
    rig = KioskRig(tmp_path / "etc", proxy.url, kiosk_token, "quarantine_after_rejections = 2")
    sent, bad_ids = [], []
    longest_send = 0.0
    now = datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)
    try:
        rig.start_agent()  # syncing while the applicants answer, as on a kiosk
        started = time.monotonic()
        for i in range(count):
            if i % max(3, count // 150) == 0:  # tickets between the responses, within the day's quota
                rig.issue(1, "A")
            body = response(rng)
            t0 = time.monotonic()
            sent.append((send(rig.store, KIOSK_ID, body, now), body))
            longest_send = max(longest_send, time.monotonic() - t0)
            if i % max(1, count // len(BAD)) == 0 and len(bad_ids) < len(BAD):
                with rig.store.transaction():
                    bad_ids.append(rig.store.add_kiosk_event("survey.response", KIOSK_ID, BAD[len(bad_ids)],
                                                             now.isoformat()))
            if i % 10 == 0:
                mode, params = rng.choice(FAULTS)
                proxy.set_fault(mode, times=1, **params)
            time.sleep(rng.uniform(0, 0.004))
        deadline = time.monotonic() + sized(60, 600, scale)
        while rig.store.outbox_stats().depth > 0 and time.monotonic() < deadline:
            mode, params = rng.choice(FAULTS)
            proxy.set_fault(mode, times=1, **params)
            time.sleep(rng.uniform(0.02, 0.15))
        proxy.clear()
        rig.wait_until(lambda: rig.store.outbox_stats().depth == 0, 30, "the outbox to drain")
        drain_s = time.monotonic() - started
        rig.stop_agent()

        faults = len([s for s in proxy.seen("/api/v1/events") if s.fault != "pass"])
        held = [e["event_id"] for e in central_db.events(KIOSK_ID) if e["kind"] == "survey.response"]
        counted = responses(central_db, OFFICE, limit=count * 2)
        sent_ids = {event_id for event_id, _ in sent}
        lost = len(sent_ids - set(held))
        duplicated = len(held) - len(set(held)) + (len(counted) - len({r["event_id"] for r in counted}))
        quarantined = {e.event_id for e in rig.store.quarantined_events()}
        report = ikm_report(central_db, OFFICE, DAY, DAY)
        expected = ikm.compute(body["answers"] for _, body in sent)
        ok = (lost == 0 and duplicated == 0 and set(held) == sent_ids and len(counted) == count
              and quarantined == set(bad_ids) and report.count == count and report.ikm == expected.index)
        record("survey-sync", title="Survey: responses synced through faults", scale=scale, runs=count,
               faults=faults + len(BAD), tickets=len(list(rig.store.iter_tickets())), lost=lost, duplicated=duplicated,
               longest_stall_s=longest_send, stall_means="longest send of a response (the tap on Kirim: one local "
               "transaction) while the agent synced", passed=ok,
               details={"responses": count, "malformed_quarantined": len(quarantined), "drain_s": round(drain_s, 2),
                        "ikm_server": str(report.ikm), "ikm_kiosk_outbox": str(expected.index),
                        "band": report.band.grade if report.band else None,
                        "events_requests": len(proxy.seen("/api/v1/events"))})
        assert lost == 0 and duplicated == 0 and set(held) == sent_ids
        assert len(counted) == count and report.count == count
        assert quarantined == set(bad_ids), "a malformed response was not refused for good"
        assert report.ikm == expected.index and report.band == expected.band
        assert report.nrr == expected.nrr
    finally:
        rig.close()
