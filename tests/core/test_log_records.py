"""The ticket log as SQLite writes it (Store.iter_log_text): every field of every ticket, in issue
order, across chunk boundaries, whatever the text holds."""

import json

from kiosk.store import Store, Ticket
from kiosk.store.db import LOG_CHUNK


def _ticket(i: int, **extra) -> Ticket:
    fields = dict(id=f"t-{i}", kiosk_id="k1", number=f"A{i:04d}", service="paspor-baru", prefix="A", seq=i,
                  priority=None, service_day="2026-11-27", issued_at="2026-11-27T08:00:00+07:00",
                  mono_ns=10**15 + i, boot_id="boot", clock_trusted=True)
    return Ticket(**{**fields, **extra})


def test_records_equal_the_stored_tickets_and_keep_odd_text_intact(tmp_path):
    odd = 'printer said "no paper"\nline two \\ \t tab, Ñ ü 日本 \U0001F600 \x01'
    with Store(tmp_path / "k.db") as store, store.transaction():
        a = store.insert_ticket(_ticket(1, print_state="print_failed", print_error=odd, reprints=2))
        b = store.insert_ticket(_ticket(2, priority="lansia", printed_at="2026-11-27T08:01:00+07:00",
                                        print_state="printed"))
        c = store.insert_ticket(_ticket(3, clock_trusted=False))
    with Store(tmp_path / "k.db") as store:
        text = "".join(store.iter_log_text())
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == 4
    records = [json.loads(line) for line in lines[:-1]]
    assert records == [a.to_dict(), b.to_dict(), c.to_dict()]
    assert records[0]["print_error"] == odd and records[2]["clock_trusted"] is False
    assert all(list(r) == sorted(r) for r in records)
    assert "日本" in lines[0]  # UTF-8 as is, not \\u escapes


def test_chunks_hold_whole_lines_in_cursor_order_and_honour_after_and_limit(tmp_path):
    n = 2 * LOG_CHUNK + 7
    with Store(tmp_path / "k.db") as store:
        with store.transaction():
            for i in range(1, n + 1):
                store.insert_ticket(_ticket(i))
        chunks = list(store.iter_log_text())
        assert len(chunks) == 3 and all(c.endswith("\n") for c in chunks)
        assert [json.loads(line)["cursor"] for line in "".join(chunks).splitlines()] == list(range(1, n + 1))
        some = "".join(store.iter_log_text(after=LOG_CHUNK - 3, limit=LOG_CHUNK + 5)).splitlines()
        assert [json.loads(line)["cursor"] for line in some] == list(range(LOG_CHUNK - 2, 2 * LOG_CHUNK + 3))
        assert list(store.iter_log_text(after=n)) == [] and list(store.iter_log_text(limit=0)) == []
