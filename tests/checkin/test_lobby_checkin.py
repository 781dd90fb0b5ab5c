"""The check-in contract (docs/architecture.md, "Check-in") on real SQLite files and the fake
printer on a pty: what the applicant is told, what is printed, what the outbox holds."""

import threading
from datetime import datetime, timedelta, timezone

import pytest
from support.checkin import DAY, booking, list_body, seed_list

from kiosk import checkin
from kiosk.checkin import mask_name
from kiosk.config import ConfigError
from kiosk.store import CheckIn, Store

WIB = timezone(timedelta(hours=7))


def printed_text(fake, job=-1) -> str:
    return "\n".join(fake.jobs[job].decoded.texts)


def test_on_time_booking_is_found_and_checked_in_once(lobby, fake):
    found = lobby.find_booking(" ontime01 ")
    assert found.outcome == checkin.FOUND and found.may_check_in and found.refusal is None
    assert found.code == "ONTIME01" and found.service == "paspor-baru" and found.masked_name == "B*** S******"
    assert found.slot == datetime(2026, 11, 27, 12, 15, tzinfo=WIB)
    assert not fake.jobs  # a lookup never prints

    result = lobby.check_in_and_print("ONTIME01")
    assert result.issued and result.printed and result.number == "A001" and result.booking.outcome == checkin.FOUND
    assert fake.wait_for_jobs(1)
    text = printed_text(fake)
    assert "A001" in text and "M-PASPOR 12:15" in text and "UNVERIFIED" not in text
    kinds = [e.kind for e in lobby.store.events_for(result.ticket_id)]
    assert kinds == ["ticket.issued", "ticket.checked_in", "ticket.printed"]
    event = lobby.store.events_for(result.ticket_id)[1].payload
    assert event["checkin"]["code"] == "ONTIME01" and event["checkin"]["number"] == "A001"
    assert event["checkin"]["unverified"] is False and event["checkin"]["office"] == "TEST"
    # a booked number has its page like a walk-in's (the QR's /t/<token>)
    token = lobby.store.ticket(result.ticket_id).token
    assert token and len(token) >= 16 and event["ticket"]["token"] == token

    again = lobby.check_in_and_print("ontime01")
    assert not again.issued and again.code == "checkin_already" and again.number == "A001"
    assert again.ticket_id == result.ticket_id and "A001" in again.message_en and "A001" in again.message_id
    assert len(lobby.store.tickets_on(DAY)) == 1 and len(fake.jobs) == 1


def test_repeated_scan_offers_limited_reprints_that_staff_see(lobby, fake):
    first = lobby.check_in_and_print("ONTIME02")
    seen = lobby.find_booking("ONTIME02")
    assert seen.outcome == checkin.ALREADY_CHECKED_IN and seen.ticket_number == first.number
    assert seen.reprints_left == 2 and seen.refusal.key == "checkin.already"
    for left in (1, 0):
        report = lobby.reprint_booking("ONTIME02")
        assert report.ok and report.number == first.number and first.number in report.text("en")
        assert lobby.find_booking("ONTIME02").reprints_left == left
    refused = lobby.reprint_booking("ONTIME02")
    assert not refused.ok and refused.key == "checkin.reprint_limit"
    assert fake.wait_for_jobs(3) and len(fake.jobs) == 3
    assert "M-PASPOR 12:00" in printed_text(fake, 2)
    ticket = lobby.store.ticket(first.ticket_id)
    assert ticket.reprints == 2
    assert [e.kind for e in lobby.store.events_for(ticket.id)].count("ticket.reprinted") == 2
    assert lobby.reprint_booking("NOSUCH01").key == "checkin.no_ticket"


@pytest.mark.parametrize("code, outcome, code_key, fragment_en", [
    ("EARLY001", checkin.TOO_EARLY, "checkin_too_early", "13:00"),
    ("LATE0001", checkin.LAPSED, "checkin_lapsed", "10:00"),
    ("YESTERDY", checkin.LAPSED, "checkin_lapsed", "2026-11-26"),
    ("TOMORROW", checkin.OTHER_DAY, "checkin_other_day", "2026-11-28"),
    ("ELSEWHERE", checkin.OTHER_OFFICE, "checkin_other_office", "OTHER"),
    ("NOTBOOKED", checkin.UNKNOWN, "checkin_unknown", "not on today's list"),
    ("ab", checkin.MALFORMED, "checkin_malformed", "cannot be read"),
    ("ABC\x1bDEF", checkin.MALFORMED, "checkin_malformed", "cannot be read"),
])
def test_refusals_say_why_in_both_languages_and_leave_walk_ins(lobby, fake, code, outcome, code_key, fragment_en):
    found = lobby.find_booking(code)
    assert found.outcome == outcome and not found.may_check_in
    assert found.refusal.code == code_key and fragment_en in found.refusal.text("en")
    assert found.refusal.text("id") != found.refusal.text("en") and "{" not in found.refusal.text("id")
    assert found.walk_in_services == ("paspor-baru", "pengambilan")
    result = lobby.check_in_and_print(code)
    assert not result.issued and result.code == code_key and result.number is None
    assert lobby.store.tickets_on(DAY) == [] and not fake.jobs


def test_too_early_says_when_to_come_back(lobby):
    early = lobby.find_booking("EARLY001")
    assert early.come_back_at == datetime(2026, 11, 27, 13, 0, tzinfo=WIB)
    assert "13:00" in early.refusal.text("id") and "14:00" in early.refusal.text("id")
    assert lobby.find_booking("EARLY001", now=early.come_back_at).outcome == checkin.FOUND
    late = datetime(2026, 11, 27, 14, 30, 1, tzinfo=WIB)
    assert lobby.find_booking("EARLY001", now=late).outcome == checkin.LAPSED


def test_a_service_window_overrides_the_default(make_lobby, clock, tmp_path):
    from support.kiosk_env import ALL_DAY, TEST_CATALOGUE
    catalogue = TEST_CATALOGUE.format(hours=ALL_DAY, quota=200, priority_quota=5).replace(
        'mpaspor_required = true', 'mpaspor_required = true\ncheckin_before_minutes = 150')
    lobby = make_lobby(catalogue=catalogue)
    seed_list(lobby.store, clock.now())
    assert lobby.find_booking("EARLY001").outcome == checkin.FOUND  # 14:00 - 150 min = 11:30


def test_stale_or_missing_list_checks_in_unverified(make_lobby, clock, fake):
    lobby = make_lobby()
    found = lobby.find_booking("NOTONLIST1")  # no list was ever pulled
    assert found.outcome == checkin.UNVERIFIED and found.may_check_in and found.service == "paspor-baru"
    seed_list(lobby.store, clock.now(), age=timedelta(minutes=31))  # older than max_age_minutes = 30
    assert lobby.find_booking("NOTONLIST1").outcome == checkin.UNVERIFIED
    assert lobby.find_booking("ONTIME01").outcome == checkin.FOUND  # what the old list holds still counts
    result = lobby.check_in_and_print("NOTONLIST1")
    assert result.issued and result.booking.outcome == checkin.UNVERIFIED
    assert fake.wait_for_jobs(1)
    text = printed_text(fake)
    assert "M-PASPOR" in text and "BELUM TERVERIFIKASI / UNVERIFIED" in text
    event = lobby.store.events_for(result.ticket_id)[1].payload
    assert event["kind"] == "ticket.checked_in" and event["checkin"]["unverified"] is True
    assert lobby.bookings_info()["unverified_here"] == 1
    assert lobby.check_in_and_print("NOTONLIST1").code == "checkin_already"
    seed_list(lobby.store, clock.now())
    assert lobby.find_booking("NOTONLIST2").outcome == checkin.UNKNOWN


def test_unverified_can_be_switched_off(make_lobby):
    lobby = make_lobby(extra="[bookings]\naccept_unverified = false")
    found = lobby.find_booking("NOTONLIST1")
    assert found.outcome == checkin.UNKNOWN and found.refusal.key == "checkin.cannot_verify"
    assert not lobby.check_in_and_print("NOTONLIST1").issued


def test_own_series_and_its_config_checks(make_lobby, clock, tmp_path):
    lobby = make_lobby(extra='[bookings]\nseries = "M"')
    seed_list(lobby.store, clock.now())
    assert lobby.check_in_and_print("ONTIME01").number == "M001"
    assert lobby.check_in_and_print("ONTIME03").number == "M002"
    assert lobby.issue_and_print("A").number == "A001"  # walk-ins keep their own series
    with pytest.raises(ConfigError, match=r'bookings.series: "A" is also the prefix of service "paspor-baru"'):
        make_lobby("k2", extra='[bookings]\nseries = "A"')
    with pytest.raises(ConfigError, match="bookings.unverified_service"):
        make_lobby("k3", extra='[bookings]\nunverified_service = "nope"')


def test_two_kiosks_that_see_each_others_checkins_never_give_two_numbers(make_lobby, clock, fake):
    k1, k2 = make_lobby("k1"), make_lobby("k2")
    seed_list(k1.store, clock.now())
    first = k1.check_in_and_print("ONTIME01")
    theirs = k1.store.checkin_of("ONTIME01", DAY)
    seed_list(k2.store, clock.now(), list_body(checkins=[theirs.wire()]))  # what k2's agent pulls
    seen = k2.find_booking("ONTIME01")
    assert seen.outcome == checkin.ALREADY_CHECKED_IN and seen.ticket_number == first.number
    assert seen.checked_in_elsewhere == "k1" and seen.reprints_left == 0
    again = k2.check_in_and_print("ONTIME01")
    assert not again.issued and again.number == first.number
    assert k2.reprint_booking("ONTIME01").key == "checkin.reprint_elsewhere"
    assert k2.store.tickets_on(DAY) == [] and len(fake.jobs) == 1


def test_two_processes_racing_on_one_store_issue_one_number(make_lobby, clock, tmp_path):
    lobby = make_lobby("k1")
    seed_list(lobby.store, clock.now())
    results = []
    barrier = threading.Barrier(4)

    def tap():
        from kiosk.lobby import Lobby
        store = Store(lobby.config.store.path)
        try:
            other = Lobby(lobby.config, store, clock, lobby.printing)
            barrier.wait()
            results.append(other.check_in_and_print("ONTIME02"))
        finally:
            store.close()

    threads = [threading.Thread(target=tap) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(r.issued for r in results) == 1
    assert {r.number for r in results} == {"A001"}
    assert len(lobby.store.tickets_on(DAY)) == 1


def test_the_store_refuses_a_second_local_checkin(store):
    c = CheckIn("X1234", DAY, "k1", "t1", "A001", "2026-11-27T12:00:00+07:00")
    with store.transaction():
        store.add_checkin(c)
    import sqlite3
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction():
            store.add_checkin(CheckIn("X1234", DAY, "k1", "t2", "A002", "2026-11-27T12:01:00+07:00"))
    with store.transaction():
        assert store.merge_checkins([c, CheckIn("X1234", DAY, "k2", "t9", "A009", "2026-11-27T11:00:00+07:00")]) == 1
    assert store.checkin_of("X1234", DAY).ticket_id == "t1"  # this kiosk's own comes first
    with store.transaction():
        store.purge_bookings("2026-11-28")
    assert store.checkin_of("X1234", DAY) is None


def test_purge_forgets_past_days_only(lobby):
    with lobby.store.transaction():
        lobby.store.purge_bookings(DAY)
    assert lobby.store.booking("YESTERDY") is None and lobby.store.booking("ONTIME01") is not None
    assert lobby.store.booking("TOMORROW") is not None


def test_masked_names():
    assert mask_name("Budi Santoso") == "B*** S******"
    assert mask_name("  ") is None and mask_name(None) is None
    assert booking("X", "10:00")["masked_name"] == "B*** S******"


def test_the_ticket_log_carries_no_booking(lobby):
    """The log API and `kiosk export` stream iter_log_text: tickets only, never a code or a name."""
    result = lobby.check_in_and_print("ONTIME01")
    log = "".join(lobby.store.iter_log_text())
    assert result.number in log and "ONTIME01" not in log and "B***" not in log and "M-PASPOR" not in log


def test_kiosk_tickets_shows_booked_numbers_their_reprints_and_unverified(make_lobby, clock, fake, capsys):
    from kiosk.cli.main import main
    lobby = make_lobby()
    lobby.check_in_and_print("NOLIST01")                # no list yet: unverified
    seed_list(lobby.store, clock.now())
    lobby.check_in_and_print("ONTIME01")
    lobby.reprint_booking("ONTIME01")
    lobby.issue_and_print("G")
    assert main(["--config", str(lobby.config.path), "tickets", "--day", DAY]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("  A001") and lines[1].endswith("printed  M-Paspor  UNVERIFIED")
    assert lines[2].startswith("  A002") and lines[2].endswith("printed  M-Paspor 12:15  reprinted 1x")
    assert lines[3].startswith("  G001") and lines[3].endswith("printed")


def test_kiosk_checkin_command(tmp_path, capsys):
    from support.kiosk_env import make_config

    from kiosk.cli.main import main
    config = make_config(tmp_path / "etc", kiosk='id = "cli-kiosk"')
    argv = ["--config", str(config.path), "checkin"]
    assert main([*argv, "ab"]) == 0 and "malformed  AB" in capsys.readouterr().out
    assert main([*argv, "ab", "--print"]) == 4
    assert "refused" not in capsys.readouterr().err  # a refused lookup prints the reason, not a check-in
    assert main([*argv, "CLICODE1", "--print"]) == 0  # no list pulled: unverified, printed to the file printer
    out = capsys.readouterr().out
    assert out.startswith("A001  paspor-baru  printed  UNVERIFIED")
    assert main([*argv, "clicode1", "--print"]) == 4
    assert main([*argv, "CLICODE1", "--reprint"]) == 0
    assert "A001" in capsys.readouterr().out
    with Store(config.store.path) as store:
        assert store.tickets_on(store.get_state("service_day"))[0].reprints == 1


def test_ahead_of_walk_ins_travels_with_the_checkin(make_lobby, clock):
    lobby = make_lobby(extra="[bookings]\nahead_of_walk_ins = true")
    seed_list(lobby.store, clock.now())
    result = lobby.check_in_and_print("ONTIME01")
    event = lobby.store.events_for(result.ticket_id)[1].payload
    assert event["checkin"]["ahead"] is True and event["checkin"]["service"] == "paspor-baru"
    assert result.number == "A001"  # the service's own series: the server calls it before A's walk-ins


def test_checkins_neither_count_against_nor_stop_at_the_walk_in_quota(make_lobby, clock):
    lobby = make_lobby(quota=1)
    seed_list(lobby.store, clock.now())
    assert lobby.check_in_and_print("ONTIME01").issued
    assert lobby.issue_and_print("A").issued            # the one walk-in number of the day
    assert lobby.issue_and_print("A").code == "quota_full"
    assert lobby.check_in_and_print("ONTIME02").number == "A003"  # booked: still checked in
