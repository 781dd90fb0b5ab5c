"""The real transport over a real pty against the fake printer, in every fault state.

Every call is timed: none may block past a generous bound, whatever the printer does.
"""
import threading
import time

import pytest

from printer import (
    COVER_OPEN,
    FAILED,
    OFFLINE,
    PAPER_NEAR_END,
    PAPER_OUT,
    PRINTED,
    READY,
    UNKNOWN,
    PrinterModel,
    commands,
    encode_ticket,
    open_printer,
)

BOUND = 2.0  # seconds; the configured timeouts are 0.3 s (status), 1 s (write), 0.5 s (confirm)


def timed(fn, *args):
    t0 = time.monotonic()
    result = fn(*args)
    elapsed = time.monotonic() - t0
    assert elapsed < BOUND, f"{fn.__name__} blocked for {elapsed:.2f} s"
    return result


@pytest.fixture
def ticket(make_ticket, model80):
    return encode_ticket(make_ticket(), model80)


def test_ready_printer_prints_and_confirms(pty_printer, fake, ticket):
    result = timed(pty_printer.print, ticket)
    assert (result.outcome, result.state) == (PRINTED, READY)
    assert fake.wait_for_jobs(1)
    job = fake.jobs[0].decoded
    assert job.find("A001").size == (8, 8)
    assert job.qr_payloads == ["https://antrean.imigrasi.go.id/t/JKS-20261127-A001"]
    assert job.cuts and job.cuts[0].partial
    # What went over the wire: one status query, then the ticket and GS r 1 as one job.
    assert bytes(fake.received) == commands.STATUS_QUERY + ticket + commands.PAPER_STATUS_AFTER_JOB


@pytest.mark.parametrize("state, words", [(PAPER_OUT, "paper"), (COVER_OPEN, "cover"), (OFFLINE, "error")])
def test_refuses_to_print_names_the_state_and_recovers(pty_printer, fake, ticket, state, words):
    fake.set_state(state)
    status = timed(pty_printer.status)
    assert status.state == state and words in status.detail
    result = timed(pty_printer.print, ticket)
    assert (result.outcome, result.state) == (FAILED, state)
    assert words in result.reason and "not printed" in result.reason
    assert bytes(fake.received).replace(commands.STATUS_QUERY, b"") == b"", "no ticket byte was sent"
    fake.set_state(READY)
    assert timed(pty_printer.print, ticket).outcome == PRINTED
    assert fake.wait_for_jobs(1) and len(fake.jobs) == 1


def test_paper_near_end_still_prints_and_says_so(pty_printer, fake, ticket):
    fake.set_state(PAPER_NEAR_END)
    result = timed(pty_printer.print, ticket)
    assert (result.outcome, result.state) == (PRINTED, PAPER_NEAR_END)
    assert "nearly empty" in result.reason


@pytest.mark.parametrize("fault, words", [("silent", "no valid status answer"), ("garbage", "invalid status bytes")])
def test_no_valid_answer_is_unknown_never_ok(pty_printer, fake, ticket, fault, words):
    setattr(fake, fault, True)
    status = timed(pty_printer.status)
    assert status.state == UNKNOWN and words in status.detail
    result = timed(pty_printer.print, ticket)
    assert result.outcome == "unknown" and words in result.reason
    assert fake.wait_for_jobs(1)  # it did print: we just cannot know
    setattr(fake, fault, False)
    assert timed(pty_printer.print, ticket).outcome == PRINTED


def test_stalled_printer_times_out_the_write_and_recovers(fake, ticket, model80):
    # write_timeout bounds the time with no byte accepted. A pty sometimes frees buffer room without
    # waking select() (seen once per stall, at the select timeout), which can restart that clock
    # once: 0.5 s keeps even that case well inside the bound.
    printer = open_printer(f"serial:{fake.path}@115200", model80, write_timeout=0.5, confirm_timeout=0.5)
    fake.stall = True
    assert timed(printer.status).state == UNKNOWN
    big = commands.INITIALIZE + b"x" * 47 + b"\n"
    big = big * 4000  # ~190 KB: far more than the pty buffers
    result = timed(printer.print, big)
    assert result.outcome == FAILED
    assert "stopped accepting data" in result.reason and 0 < result.bytes_sent < len(big)
    fake.stall = False
    time.sleep(0.1)
    assert timed(printer.print, ticket).outcome == PRINTED
    printer.close()


def test_unplug_in_the_middle_of_a_ticket_then_reconnect(pty_printer, fake, ticket):
    assert timed(pty_printer.print, ticket).outcome == PRINTED
    fake.unplug_after(len(commands.STATUS_QUERY) + 100, replug_after=0.2)
    result = timed(pty_printer.print, ticket)
    assert (result.outcome, result.state) == (FAILED, OFFLINE)
    assert "connection lost" in result.reason or "ticket incomplete" in result.reason
    time.sleep(0.4)
    result = timed(pty_printer.print, ticket)  # same app, same Printer: reopens the new pty
    assert result.outcome == PRINTED, result
    assert fake.unplugs == 1 and fake.wait_for_jobs(2)


def test_unplugged_port_reports_offline_with_the_os_reason_then_comes_back(pty_printer, fake, ticket):
    assert timed(pty_printer.status).state == READY
    fake.unplug()
    fake.link.unlink()  # like a USB-serial adapter pulled out: the device node is gone
    status = timed(pty_printer.status)
    assert status.state == OFFLINE and "No such file or directory" in status.detail
    assert timed(pty_printer.print, ticket).outcome == FAILED
    fake.replug()
    assert timed(pty_printer.status).state == READY
    assert timed(pty_printer.print, ticket).outcome == PRINTED


def test_paper_running_out_mid_ticket_fails_with_paper_out_and_prints_when_reloaded(pty_printer, fake, ticket):
    fake.fail_after(len(commands.STATUS_QUERY) + 200, PAPER_OUT)
    result = timed(pty_printer.print, ticket)
    assert (result.outcome, result.state) == (FAILED, PAPER_OUT) and "printing stopped" in result.reason
    assert fake.jobs == []
    fake.set_state(READY)  # new roll: the printer finishes what it holds, as a real one does
    assert fake.wait_for_jobs(1)
    assert timed(pty_printer.print, ticket).outcome == PRINTED


def test_port_is_held_exclusively(pty_printer, fake, model80):
    assert pty_printer.status().state == READY
    other = open_printer(f"serial:{fake.path}@115200", model80)
    status = timed(other.status)
    assert status.state == OFFLINE and "in use by another program" in status.detail
    other.close()


def test_missing_device_is_offline_naming_the_path(model80):
    with open_printer("serial:/dev/ttyNOPE9@19200", model80) as p:
        status = timed(p.status)
    assert status.state == OFFLINE
    assert status.detail == "cannot open /dev/ttyNOPE9: No such file or directory"


def test_model_without_status_support_prints_unconfirmed(fake, ticket):
    model = PrinterModel.from_config("TM-T20II", 80, status=False)
    with open_printer(f"serial:{fake.path}@115200", model) as p:
        assert timed(p.status).state == READY
        result = timed(p.print, ticket)
    assert result.outcome == "unknown" and "cannot confirm" in result.reason
    assert fake.status_queries == 0 and fake.wait_for_jobs(1)


def test_status_from_another_thread_while_printing(pty_printer, fake, ticket):
    results, statuses = [], []

    def printing():
        for _ in range(20):
            results.append(pty_printer.print(ticket))

    worker = threading.Thread(target=printing)
    worker.start()
    while worker.is_alive():
        statuses.append(pty_printer.status())
    worker.join()
    assert [r.outcome for r in results] == [PRINTED] * 20
    assert statuses and {s.state for s in statuses} == {READY}
    assert fake.wait_for_jobs(20) and len(fake.jobs) == 20


def test_closed_printer_refuses_quietly(pty_printer, ticket):
    pty_printer.close()
    assert pty_printer.status().state == OFFLINE
