import pytest

from kiosk.admin_pin import PIN_ATTEMPTS, PinFormatError, PinGate, hash_pin, parse_hash, verify_pin
from kiosk.config.schema import AdminSection


def test_hash_format_and_verify():
    h = hash_pin("123456", n=2**10)
    assert h.startswith("scrypt$1024$8$1$")
    assert verify_pin("123456", h) and not verify_pin("123457", h)
    assert hash_pin("123456", n=2**10) != h  # salted


@pytest.mark.parametrize("bad", ["", "md5$x", "scrypt$1000$8$1$aa$bb", "scrypt$1024$8$1$!!$bb"])
def test_malformed_hash(bad):
    with pytest.raises(PinFormatError):
        parse_hash(bad)


@pytest.mark.parametrize("pin", ["123", "abcd", "1234567890123"])
def test_pin_rules(pin):
    with pytest.raises(ValueError):
        hash_pin(pin)


def test_lockout_counts_in_store_and_expires(store, clock):
    admin = AdminSection(pin_hash=hash_pin("2468", n=2**10), max_pin_attempts=3, lockout_seconds=60)
    gate = PinGate(admin, store, clock)
    assert gate.check("1111").attempts_left == 2
    assert PinGate(admin, store, clock).check("1111").attempts_left == 1  # a "restart" keeps the count
    assert gate.check("1111").reason == "locked"
    assert gate.check("2468").reason == "locked"
    assert store.get_state(PIN_ATTEMPTS)["locked_until"]
    clock.advance(seconds=61)
    assert gate.check("2468").ok
    assert store.get_state(PIN_ATTEMPTS)["failures"] == 0


def test_clock_jumping_back_does_not_lengthen_lockout(store, clock):
    admin = AdminSection(pin_hash=hash_pin("2468", n=2**10), max_pin_attempts=1, lockout_seconds=60)
    gate = PinGate(admin, store, clock)
    gate.check("0000")
    clock.advance(days=-1)
    assert gate.locked_seconds() <= 60


def test_not_configured(store, clock):
    assert PinGate(AdminSection(), store, clock).check("1234").reason == "not_configured"
