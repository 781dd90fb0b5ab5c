"""The shipped catalogue (config/services.toml): it loads, it is bilingual, and its facts match DOMAIN.md."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from kiosk.config import load_config, parse_catalogue

REPO = Path(__file__).resolve().parents[2]
SERVICES_TOML = REPO / "config" / "services.toml"

# Services that end in a new passport being issued (A-F).
PASSPORT_SERVICES = ("A", "B", "C", "D", "E", "F")

# PNBP per PP 45/2024 (DOMAIN.md, "Fees").
FEE_E_PASSPORT_5Y = 650_000
FEE_E_PASSPORT_10Y = 950_000
FEE_SAME_DAY = 1_000_000
FEE_LOST = 1_000_000
FEE_DAMAGED = 500_000
FEE_PASSPORT_5Y = 350_000
FEE_PASSPORT_10Y = 650_000
DOMAIN_FEES = {FEE_E_PASSPORT_5Y, FEE_E_PASSPORT_10Y, FEE_SAME_DAY, FEE_LOST, FEE_DAMAGED, FEE_PASSPORT_5Y, FEE_PASSPORT_10Y}

# Document lines are shown on an 800x480 screen and printed on an 80 mm slip.
READABLE_DOCUMENT_LINE = 60


@pytest.fixture(scope="module")
def catalogue():
    return parse_catalogue(SERVICES_TOML.read_text(encoding="utf-8"), "services.toml")


def service(catalogue, prefix):
    found = [s for s in catalogue.services if s.prefix == prefix]
    assert len(found) == 1, f"expected exactly one service with prefix {prefix}, found {len(found)}"
    return found[0]


def mandatory_texts(svc):
    return [d.id for d in svc.documents if d.mandatory]


def fee(svc, *words):
    """The one fee of `svc` whose English text contains every word (case-insensitive)."""
    matches = [f for f in svc.fees if all(w.lower() in f.en.lower() for w in words)]
    assert len(matches) == 1, f"{svc.prefix}: expected one fee matching {words}, got {[f.en for f in matches]}"
    return matches[0].amount


def test_shipped_catalogue_loads(catalogue):
    assert len(catalogue.services) == 9
    assert catalogue.priority_prefix == "P"


def test_default_config_uses_the_shipped_catalogue():
    cfg = load_config(REPO / "config" / "kiosk.toml")
    assert Path(cfg.kiosk.catalogue) == SERVICES_TOML
    assert cfg.catalogue is not None and cfg.catalogue.services


def test_prefixes_are_a_to_i_unique_and_never_the_priority_letter(catalogue):
    prefixes = [s.prefix for s in catalogue.services]
    assert prefixes == list("ABCDEFGHI")
    assert len(set(prefixes)) == len(prefixes)
    assert catalogue.priority_prefix not in prefixes
    assert "P" not in prefixes


def test_keys_are_unique(catalogue):
    keys = [s.key for s in catalogue.services]
    assert len(set(keys)) == len(keys)


def test_every_service_is_filled_in_both_languages(catalogue):
    for s in catalogue.services:
        for name in ("name", "description"):
            assert getattr(s, f"{name}_id").strip(), f"{s.prefix}: {name}_id is empty"
            assert getattr(s, f"{name}_en").strip(), f"{s.prefix}: {name}_en is empty"
        assert bool(s.processing_id) == bool(s.processing_en), f"{s.prefix}: processing in one language only"
        assert len(s.notes_id) == len(s.notes_en), f"{s.prefix}: notes_id and notes_en differ in count"
        assert all(n.strip() for n in (*s.notes_id, *s.notes_en)), f"{s.prefix}: empty note"
        assert s.name_id != s.name_en, f"{s.prefix}: name not translated"
        for d in s.documents:
            assert d.id.strip() and d.en.strip(), f"{s.prefix}: document without both languages"
            assert bool(d.note_id) == bool(d.note_en), f"{s.prefix}: {d.en}: note in one language only"
        for f in s.fees:
            assert f.id.strip() and f.en.strip(), f"{s.prefix}: fee without both languages"
    for g in catalogue.priority_groups:
        assert g.id.strip() and g.en.strip(), f"priority group {g.key} without both languages"


def test_document_lines_fit_the_screen(catalogue):
    for s in catalogue.services:
        for d in s.documents:
            for text in (d.id, d.en, d.note_id, d.note_en):
                assert len(text) <= READABLE_DOCUMENT_LINE, f"{s.prefix}: {text!r} is {len(text)} characters"


@pytest.mark.parametrize("prefix", PASSPORT_SERVICES)
def test_passport_services_need_ktp_el_and_kartu_keluarga(catalogue, prefix):
    docs = mandatory_texts(service(catalogue, prefix))
    assert any("KTP-el" in d for d in docs), f"{prefix}: KTP-el is not a mandatory document"
    assert any("Kartu Keluarga" in d for d in docs), f"{prefix}: Kartu Keluarga is not a mandatory document"


def test_lost_passport_needs_police_report_and_no_mpaspor(catalogue):
    lost = service(catalogue, "D")
    assert any("kepolisian" in d.lower() for d in mandatory_texts(lost))
    assert lost.mpaspor_required is False


def test_damaged_passport_needs_the_passport_and_no_mpaspor(catalogue):
    damaged = service(catalogue, "E")
    assert any("rusak" in d.lower() for d in mandatory_texts(damaged))
    assert damaged.mpaspor_required is False


def test_booked_services_require_mpaspor(catalogue):
    assert service(catalogue, "A").mpaspor_required is True
    assert service(catalogue, "C").mpaspor_required is True


def test_child_passport_needs_both_parents_ktp_el(catalogue):
    docs = mandatory_texts(service(catalogue, "B"))
    assert any("KTP-el" in d and "kedua orang tua" in d for d in docs)
    assert any("akta kelahiran" in d.lower() for d in docs)


def test_pickup_has_a_quota(catalogue):
    pickup = service(catalogue, "G")
    assert pickup.daily_quota > 0
    assert pickup.mpaspor_required is False
    assert not pickup.fees


def test_information_service_has_no_documents_or_fees(catalogue):
    info = service(catalogue, "H")
    assert info.documents == ()
    assert info.fees == ()
    assert info.daily_quota > 0


def test_every_service_can_issue_tickets(catalogue):
    for s in catalogue.services:
        assert s.daily_quota > 0, f"{s.prefix}: daily_quota is 0"
        if s.priority_allowed:
            assert s.priority_quota > 0, f"{s.prefix}: priority allowed but priority_quota is 0"


def test_priority_groups(catalogue):
    assert {g.key for g in catalogue.priority_groups} >= {"lansia", "disabilitas", "ibu-hamil", "balita"}
    assert all(s.priority_allowed for s in catalogue.services if s.prefix in PASSPORT_SERVICES)


def test_default_hours_are_weekdays_eight_to_four(catalogue):
    a = service(catalogue, "A")
    monday, saturday = datetime(2026, 3, 2, 9, 0), datetime(2026, 3, 7, 9, 0)
    assert monday.weekday() == 0 and saturday.weekday() == 5
    assert catalogue.is_open(a, monday)
    assert not catalogue.is_open(a, monday.replace(hour=7, minute=59))
    assert not catalogue.is_open(a, monday.replace(hour=16, minute=0))
    assert not catalogue.is_open(a, saturday)
    assert not catalogue.is_open(a, saturday.replace(day=8))


@pytest.mark.parametrize("prefix", ("A", "C"))
def test_adult_passport_fees(catalogue, prefix):
    s = service(catalogue, prefix)
    assert fee(s, "electronic", "5 years") == FEE_E_PASSPORT_5Y
    assert fee(s, "electronic", "10 years") == FEE_E_PASSPORT_10Y
    assert fee(s, "same-day") == FEE_SAME_DAY


def test_child_passport_fees_are_five_years_only(catalogue):
    child = service(catalogue, "B")
    assert fee(child, "electronic", "5 years") == FEE_E_PASSPORT_5Y
    assert not [f for f in child.fees if "10 years" in f.en]
    assert fee(child, "same-day") == FEE_SAME_DAY


def test_lost_passport_fees(catalogue):
    lost = service(catalogue, "D")
    assert fee(lost, "lost", "charge") == FEE_LOST
    assert fee(lost, "electronic", "5 years") == FEE_E_PASSPORT_5Y
    assert fee(lost, "electronic", "10 years") == FEE_E_PASSPORT_10Y


def test_damaged_passport_fees(catalogue):
    damaged = service(catalogue, "E")
    assert fee(damaged, "damaged", "charge") == FEE_DAMAGED
    assert fee(damaged, "electronic", "5 years") == FEE_E_PASSPORT_5Y
    assert fee(damaged, "electronic", "10 years") == FEE_E_PASSPORT_10Y


def test_every_fee_is_a_domain_fee(catalogue):
    for s in catalogue.services:
        for f in s.fees:
            assert f.amount in DOMAIN_FEES, f"{s.prefix}: {f.en} = {f.amount} is not a PP 45/2024 amount"
