"""Ticket and event ids: UUIDv7, so they sort by creation time (kiosk/ids.py)."""

import time
import uuid

from kiosk.ids import time_ordered_id


def test_ids_are_version_7_rfc_variant_and_carry_the_time():
    before = time.time_ns() // 1_000_000
    value = uuid.UUID(time_ordered_id())
    after = time.time_ns() // 1_000_000
    assert value.version == 7 and value.variant == uuid.RFC_4122
    assert before <= value.int >> 80 <= after


def test_ids_sort_in_the_order_they_were_made_and_never_repeat():
    made = []
    for _ in range(5):
        made.append(time_ordered_id())
        time.sleep(0.002)
    assert made == sorted(made)
    assert len({time_ordered_id() for _ in range(20_000)}) == 20_000


def test_tickets_and_their_events_get_time_ordered_ids(tmp_path):
    from support.kiosk_env import write_config

    from kiosk.config import load_config
    from kiosk.issuer import Issuer
    from kiosk.store import Store

    config = load_config(write_config(tmp_path))
    with Store(config.store.path) as store:
        ticket = Issuer(config, store).issue("A")
        event = store.events_for(ticket.id)[0]
    assert uuid.UUID(ticket.id).version == 7 and uuid.UUID(event.event_id).version == 7
