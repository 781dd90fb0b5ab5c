"""One push turn reads the outbox's pending batch once: the batch that decides whether to linger
is the batch that is sent (the agent used to decode a batch only to count it)."""

from __future__ import annotations


def test_a_push_turn_reads_the_pending_batch_once(rig, central_db):
    rig.issue(5)
    agent = rig.agent()
    reads = []
    rig.store.conn.set_trace_callback(
        lambda sql: reads.append(sql) if "FROM outbox WHERE delivered_at IS NULL" in sql and "LIMIT" in sql else None)
    agent.push_step()  # linger is 0 in the test config: this turn sends
    rig.store.conn.set_trace_callback(None)
    assert len(central_db.events("test-kiosk")) == 5
    # One read of the batch that was sent, and one more that finds the outbox empty.
    assert len(reads) == 2, reads
    agent.client.close()
