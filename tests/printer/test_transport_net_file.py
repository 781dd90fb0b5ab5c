"""TCP (a real socket on 127.0.0.1) and file: devices."""
import socket
import time

import pytest

from printer import FAILED, OFFLINE, PAPER_OUT, PRINTED, READY, encode_ticket, open_printer
from printer.decode import decode
from printer.fake import FakePrinter


def timed(fn, *args, bound=2.0):
    t0 = time.monotonic()
    result = fn(*args)
    assert time.monotonic() - t0 < bound
    return result


@pytest.fixture
def tcp_fake():
    with FakePrinter(tcp=("127.0.0.1", 0)) as f:
        yield f


def test_tcp_print_status_and_reconnect_after_the_connection_drops(tcp_fake, make_ticket, model80):
    host, port = tcp_fake.address
    ticket = encode_ticket(make_ticket(), model80)
    with open_printer(f"tcp:{host}:{port}", model80, write_timeout=1.0, confirm_timeout=0.5) as p:
        assert timed(p.print, ticket).outcome == PRINTED
        assert tcp_fake.wait_for_jobs(1)
        assert tcp_fake.jobs[0].decoded.find("A001")
        tcp_fake.set_state(PAPER_OUT)
        result = timed(p.print, ticket)
        assert (result.outcome, result.state) == (FAILED, PAPER_OUT)
        tcp_fake.set_state(READY)
        tcp_fake.unplug()  # printer drops the connection (power blip, network hiccup)
        time.sleep(0.05)
        assert timed(p.print, ticket).outcome == PRINTED  # reconnects on its own
        assert tcp_fake.wait_for_jobs(2) and tcp_fake.unplugs == 1


def test_tcp_nothing_listening_is_offline_with_a_reason(model80):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connection refused
        with open_printer(f"tcp:127.0.0.1:{port}", model80) as p:
            status = timed(p.status)
    assert status.state == OFFLINE
    assert status.detail.startswith(f"cannot connect to 127.0.0.1:{port}: Connection refused")


def test_file_device_appends_each_job_and_cannot_confirm(tmp_path, make_ticket, model80):
    out = tmp_path / "jobs.bin"
    ticket = encode_ticket(make_ticket(), model80)
    with open_printer(f"file:{out}", model80) as p:
        assert p.status().state == "unknown"
        first = timed(p.print, ticket)
        timed(p.print, ticket)
    assert first.outcome == "unknown" and "cannot report status" in first.reason
    assert out.read_bytes() == ticket * 2
    assert [q for q in decode(out.read_bytes()).qr_payloads] == [
        "https://antrean.imigrasi.go.id/t/JKS-20261127-A001"] * 2


def test_file_device_in_missing_directory_is_offline(tmp_path, model80):
    with open_printer(f"file:{tmp_path}/nope/jobs.bin", model80) as p:
        status = p.status()
    assert status.state == OFFLINE and "No such file or directory" in status.detail
