"""Every fault the lobby network can throw, between a real agent and a real server.

Tickets are issued through the core while each fault is active; afterwards the server must hold
every event exactly once and in the kiosk's order, and no issue call may have waited on the network.
"""

import time

import pytest

# Generous: an issue call is one local transaction (a few ms); this only catches one that waited
# on the network (timeouts here are 0.5 s).
ISSUE_BOUND_S = 0.4

FAULTS = [
    pytest.param("refuse", {}, id="refused"),
    pytest.param("reset", {}, id="reset-mid-request"),
    pytest.param("blackhole", {}, id="black-hole"),
    pytest.param("delay", {"delay_s": 1.0}, id="reply-after-timeout"),
    pytest.param("drop_reply", {}, id="reply-dropped-after-apply"),
    pytest.param("status", {"status": 500}, id="500"),
    pytest.param("status", {"status": 500, "forward": True}, id="500-after-apply"),
    pytest.param("status", {"status": 503, "retry_after": 0}, id="503"),
    pytest.param("truncate", {}, id="truncated-json"),
    pytest.param("malformed", {}, id="malformed-json"),
    pytest.param("malformed", {"body": b'{"accepted": "all"}'}, id="wrong-shape-json"),
    pytest.param("partial", {}, id="part-of-batch"),
]


def max_attempts(rig) -> int:
    row = rig.store.conn.execute("SELECT max(attempts) FROM outbox").fetchone()
    return row[0] or 0


@pytest.mark.parametrize("mode, params", FAULTS)
def test_after_the_fault_the_server_holds_every_event_once_in_order(rig, proxy, central_db, mode, params,
                                                                     assert_exactly_once_in_order):
    rig.issue(5)
    rig.start_agent()
    rig.wait_drained()
    proxy.set_fault(mode, **params)
    rig.issue(8)
    rig.wait_until(lambda: max_attempts(rig) >= 2, what=f"the agent to meet the {mode} fault twice")
    rig.issue(8)
    during = len(central_db.events())
    proxy.clear()
    rig.issue(3)
    rig.wait_drained()
    rig.stop_agent()

    assert_exactly_once_in_order(rig)
    assert len(central_db.events()) == 24
    if mode in ("refuse", "reset", "blackhole", "status") and not params.get("forward"):
        assert during <= 5 + 8, "events got through a fault that forwards nothing"
    assert max(rig.issue_times) < ISSUE_BOUND_S, f"an issue call took {max(rig.issue_times):.3f} s"
    if mode != "refuse":
        assert proxy.seen("/api/v1/events", fault=mode), "the fault never hit a push"


def test_partial_acceptance_resends_only_the_rest(rig, proxy, central_db, assert_exactly_once_in_order):
    rig.issue(20)
    proxy.set_fault("partial", keep=7)
    agent = rig.agent()
    result = agent.sync_once(pull=False)
    assert result.pending == 0
    # What reached the server after the proxy cut each batch of up to 20 to its first 7:
    # 20 -> 7 accepted, the other 13 -> 7, the last 6 -> 6; nothing accepted was sent again.
    assert [s.events for s in proxy.seen("/api/v1/events")] == [7, 7, 6]
    assert_exactly_once_in_order(rig)


def test_retry_after_is_honoured_beyond_the_backoff_cap(rig, proxy):
    rig.start_agent()
    rig.issue(1)
    rig.wait_drained()
    proxy.set_fault("status", times=1, status=429, retry_after=1)
    rig.issue(1)
    rig.wait_drained()
    rig.stop_agent()
    posts = proxy.seen("/api/v1/events")
    refused = next(i for i, s in enumerate(posts) if s.fault == "status")
    assert posts[refused + 1].at - posts[refused].at >= 0.95


def test_backoff_spaces_out_retries_while_the_server_is_down(rig, proxy):
    proxy.set_fault("status", status=500)
    rig.issue(1)
    rig.start_agent()
    time.sleep(1.5)
    rig.stop_agent()
    posts = proxy.seen("/api/v1/events")
    # backoff_max_seconds = 0.1 with full jitter: a handful to a few dozen attempts, not a busy loop.
    assert 3 <= len(posts) <= 60, len(posts)


def test_a_refused_token_loses_nothing_and_recovers_when_fixed(rig, proxy, central_db,
                                                               assert_exactly_once_in_order):

    token_file = rig.config.central.token_file
    good = open(token_file).read()
    with open(token_file, "w") as f:
        f.write("000000000000.wrong\n")
    rig.issue(3)
    rig.start_agent()
    rig.wait_until(lambda: max_attempts(rig) >= 2, what="refused attempts")
    assert central_db.events() == []
    with open(token_file, "w") as f:
        f.write(good)
    rig.wait_drained()
    rig.stop_agent()
    assert_exactly_once_in_order(rig)
