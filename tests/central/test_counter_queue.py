"""Counter actions on the queue the kiosks read: call next, recall, skip, done, transfer; their JSON routes."""

import pytest
import requests

from central import counter_queue as cq
from central import staff
from central.auth import issue_token

KIOSK, OFFICE = "K1", "BLITAR"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def queue(db, make_event):
    """A001-A004 and G001 waiting on one service day; A003 is a priority ticket."""
    events = [make_event(n) for n in range(1, 5)] + [make_event(1, prefix="G")]
    events[2]["ticket"]["priority"] = "lansia"
    accepted, rejected = db.ingest(KIOSK, OFFICE, events)
    assert len(accepted) == 5 and not rejected
    return db


def waiting(db, prefix):
    return cq.queue_stats(db, OFFICE)["services"].get(prefix, {}).get("waiting", 0)


def test_call_next_takes_priority_then_issue_order_and_finishes_the_previous_as_served(queue):
    first = cq.call_next(queue, OFFICE, "A", "1", "user:rina")
    assert first["number"] == "A003" and first["central"]["counter"] == "1"
    assert waiting(queue, "A") == 3
    second = cq.call_next(queue, OFFICE, "A", "1", "user:rina")
    assert second["number"] == "A001"
    done = queue.conn().execute("SELECT outcome, done_at FROM tickets WHERE number = 'A003'").fetchone()
    assert done["outcome"] == "served" and done["done_at"]
    assert cq.current(queue, OFFICE, "1")["number"] == "A001"


def test_recall_counts_and_logs_a_call_without_changing_the_queue(queue):
    cq.call_next(queue, OFFICE, "A", "2", "user:rina")
    ticket = cq.recall(queue, OFFICE, "2", "user:rina")
    assert ticket["number"] == "A003" and ticket["central"]["recalls"] == 1
    assert [(c["number"], c["action"], c["counter"]) for c in cq.recent_calls(queue, OFFICE)] == [
        ("A003", "recall", "2"), ("A003", "call", "2")]
    assert waiting(queue, "A") == 3 and cq.current(queue, OFFICE, "2")["number"] == "A003"


def test_skip_finishes_without_a_service_time_and_done_frees_the_counter(queue):
    cq.call_next(queue, OFFICE, "A", "1", "user:rina")
    skipped = cq.skip(queue, OFFICE, "1", "user:rina")
    assert skipped["central"]["outcome"] == "skipped" and cq.current(queue, OFFICE, "1") is None
    assert cq.queue_stats(queue, OFFICE)["services"]["A"]["avg_service_s"] is None  # a no-show is no service time
    cq.call_next(queue, OFFICE, "A", "1", "user:rina")
    served = cq.done(queue, OFFICE, "1", "user:rina")
    assert served["number"] == "A001" and served["central"]["outcome"] == "served"
    assert cq.current(queue, OFFICE, "1") is None
    assert cq.queue_stats(queue, OFFICE)["services"]["A"]["avg_service_s"] is not None
    with pytest.raises(cq.NoCurrentTicket):
        cq.done(queue, OFFICE, "1", "user:rina")


def test_transfer_moves_the_ticket_to_the_other_queue_where_it_waits_in_issue_order(queue):
    cq.call_next(queue, OFFICE, "A", "1", "user:rina")  # A003 (priority)
    moved = cq.transfer(queue, OFFICE, "1", "G", "user:rina")
    assert moved["number"] == "A003" and moved["central"]["queue"] == "G" and moved["central"]["called_at"] is None
    assert waiting(queue, "A") == 3 and waiting(queue, "G") == 2
    assert cq.current(queue, OFFICE, "1") is None
    assert cq.call_next(queue, OFFICE, "G", "3", "user:sari")["number"] == "A003"  # priority first in G too
    assert cq.call_next(queue, OFFICE, "A", "1", "user:rina")["number"] == "A001"  # not called again in A
    first_call = queue.conn().execute("SELECT first_called_at, called_at FROM tickets WHERE number = 'A003'").fetchone()
    assert first_call["first_called_at"] < first_call["called_at"]


def test_every_counter_action_is_audited_with_the_actor(queue):
    cq.call_next(queue, OFFICE, "A", "1", "user:rina")
    cq.recall(queue, OFFICE, "1", "user:rina")
    cq.transfer(queue, OFFICE, "1", "G", "user:rina")
    cq.call_next(queue, OFFICE, "G", "1", "token:desk-1")
    cq.skip(queue, OFFICE, "1", "token:desk-1")
    rows = [(r["actor"], r["action"], r["target"]) for r in reversed(staff.audit_rows(queue, OFFICE))]
    assert rows == [("user:rina", "ticket.call", "A003"), ("user:rina", "ticket.recall", "A003"),
                    ("user:rina", "ticket.transfer", "A003"), ("token:desk-1", "ticket.call", "A003"),
                    ("token:desk-1", "ticket.skip", "A003")]


def test_json_routes_act_for_the_token_counter(queue, server):
    token = issue_token(queue, "counter", "desk-7", office=OFFICE)
    base = f"{server.url}/api/v1/offices/{OFFICE}"
    none = requests.get(f"{base}/counter", headers=bearer(token), timeout=5).json()
    assert none["ticket"] is None and none["counter"] == "desk-7"
    refused = requests.post(f"{base}/counter/recall", headers=bearer(token), timeout=5)
    assert refused.status_code == 409 and refused.json()["error"] == "no_current_ticket"
    called = requests.post(f"{base}/services/A/next", headers=bearer(token), timeout=5).json()
    assert called["ticket"]["number"] == "A003"
    assert requests.post(f"{base}/counter/recall", headers=bearer(token), timeout=5).json()["ticket"]["central"]["recalls"] == 1
    bad = requests.post(f"{base}/counter/transfer", json={"prefix": "g"}, headers=bearer(token), timeout=5)
    assert bad.status_code == 400 and "prefix" in bad.json()["message"]
    moved = requests.post(f"{base}/counter/transfer", json={"prefix": "G"}, headers=bearer(token), timeout=5).json()
    assert moved["ticket"]["central"]["queue"] == "G"
    queue_reply = requests.get(f"{base}/queue", headers=bearer(token), timeout=5).json()
    assert queue_reply["services"]["G"]["waiting"] == 2 and queue_reply["services"]["A"]["waiting"] == 3
    requests.post(f"{base}/services/G/next", headers=bearer(token), timeout=5)
    skipped = requests.post(f"{base}/counter/skip", headers=bearer(token), timeout=5).json()
    assert skipped["ticket"]["central"]["outcome"] == "skipped"
    requests.post(f"{base}/services/A/next", headers=bearer(token), timeout=5)
    finished = requests.post(f"{base}/counter/done", headers=bearer(token), timeout=5).json()
    assert finished["ticket"]["number"] == "A001" and finished["ticket"]["central"]["outcome"] == "served"
    assert {r["actor"] for r in staff.audit_rows(queue, OFFICE)} == {"token:desk-7"}
