"""What the applicant holds: decoded tickets, slips and test pages, and their golden byte streams.

Goldens live in tests/printer/golden/: NAME.bin (exact bytes) and NAME.txt (the decoded transcript,
for reviewing a change in a diff). After an intended layout change, regenerate them with
    UPDATE_GOLDEN=1 .venv/bin/pytest tests/printer/test_layouts.py
and review `git diff tests/printer/golden/*.txt` before committing.
"""
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from printer import PrinterModel, encode_requirements, encode_test_page, encode_ticket
from printer.decode import decode

GOLDEN = Path(__file__).parent / "golden"

MODELS = {
    "80": lambda: PrinterModel.from_config("TM-T20II", 80),
    "80-t88v": lambda: PrinterModel.from_config("TM-T88V", 80),
    "80-logo": lambda: PrinterModel.from_config("TM-T20II", 80, nv_logo_key="LG"),
    "58": lambda: PrinterModel.from_config("TM-T20II", 58),
    "58-clone": lambda: PrinterModel.from_config("POS-5890", 58),
}


def check_golden(name: str, data: bytes, model: PrinterModel, qr: bool = True) -> None:
    bin_path, txt_path = GOLDEN / f"{name}.bin", GOLDEN / f"{name}.txt"
    job = decode(data)
    transcript = job.render_text()
    # What an independent parser checked in issue 16, per printer class: clean commands, one cut
    # (or a feed), no line wider than the printer's own columns in its font.
    assert job.unknown == []
    assert len(job.cuts) == (1 if model.cutter else 0)
    for line in job.lines:
        columns = model.font_b_columns if line.style.font else model.columns
        assert len(line.text) * line.style.width <= columns, (name, line.text)
    if qr:  # native where the printer has it, else the raster fallback
        assert (len(job.qr_codes), len(job.rasters)) == ((1, 0) if model.native_qr else (0, 1))
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        bin_path.write_bytes(data)
        txt_path.write_text(transcript)
    assert bin_path.exists(), f"no golden {bin_path.name}: run with UPDATE_GOLDEN=1 and review it"
    assert txt_path.read_text() == transcript
    assert bin_path.read_bytes() == data


@pytest.mark.parametrize("variant", sorted(MODELS))
def test_ticket_golden(variant, make_ticket):
    model = MODELS[variant]()
    check_golden(f"ticket-{variant}", encode_ticket(make_ticket(), model), model)


@pytest.mark.parametrize("variant", ["80", "80-t88v", "58", "58-clone"])
def test_requirements_golden(variant, make_requirements):
    model = MODELS[variant]()
    check_golden(f"requirements-{variant}", encode_requirements(make_requirements(), model), model, qr=False)


@pytest.mark.parametrize("variant", ["80-logo", "80-t88v", "58-clone"])
def test_test_page_golden(variant, make_test_page):
    model = MODELS[variant]()
    check_golden(f"test-page-{variant}", encode_test_page(make_test_page(), model), model)


@pytest.mark.parametrize("variant", ["80", "58"])
def test_ticket_holds_number_services_time_qr_and_cut(variant, make_ticket):
    model = MODELS[variant]()
    job = decode(encode_ticket(make_ticket(), model))
    number = job.find("A001")
    assert number.text == "A001"
    assert number.size == (8, 8) and number.style.bold and number.style.align == "center"
    assert job.find("Penerbitan Paspor Baru").size == (1, 2)
    assert job.find("New Passport Application")
    assert job.find("27-11-2026 08:15 WIB")
    assert job.find("Ahead of you: 5")
    assert "20 menit/min" in job.text
    priority = job.find("PRIORITAS / PRIORITY - Lansia")
    assert priority.style.reverse and priority.style.bold
    assert job.qr_payloads == ["https://antrean.imigrasi.go.id/t/JKS-20261127-A001"]
    assert job.find("Harap menunggu panggilan") and job.find("Please wait for your number")
    assert len(job.cuts) == 1 and job.cuts[0].partial and job.items[-1] is job.cuts[0]
    assert job.unknown == []
    assert all(len(line.text) * line.style.width <= model.columns for line in job.lines)


def test_unknown_wait_and_queue_are_said_plainly_once(make_ticket, model80):
    job = decode(encode_ticket(make_ticket(wait_minutes=None, people_ahead=None), model80))
    assert job.text.count("belum diketahui / unknown") == 1  # a standalone kiosk: once, not twice
    assert "Antrean / Queue: belum diketahui / unknown" in job.texts
    one = decode(encode_ticket(make_ticket(wait_minutes=None), model80))
    # Too long for one 48-column line: the label, then the value on its own line.
    assert "Perkiraan tunggu / Est. wait:\nbelum diketahui / unknown" in one.text and one.find("Ahead of you: 5")


def test_priority_ticket_without_its_own_statistics_says_served_first(make_ticket, model80):
    job = decode(encode_ticket(make_ticket(wait_minutes=None, people_ahead=None, served_first=True), model80))
    assert job.find("Dilayani lebih dulu / Served first") and "unknown" not in job.text and "Ahead" not in job.text


def test_no_priority_no_qr_prints_neither(make_ticket, model80):
    job = decode(encode_ticket(make_ticket(priority_label=None, qr_payload=None), model80))
    assert job.qr_codes == [] and not any(line.style.reverse for line in job.lines)


def test_logo_by_reference_replaces_office_name(make_ticket):
    data = encode_ticket(make_ticket(), MODELS["80-logo"]())
    job = decode(data)
    assert job.logos == ["LG"] and job.find("Kantor Imigrasi") is None
    assert len(data) < 600, "80 mm ticket with QR and NV logo must stay under 600 bytes"


def test_model_without_native_qr_prints_a_compact_raster_qr(make_ticket, model58):
    from printer.qr_raster import module_dots

    data = encode_ticket(make_ticket(), model58)
    job = decode(data)
    assert job.qr_codes == [] and len(job.rasters) == 1
    raster = job.rasters[0]
    assert raster.height == 33 * module_dots(203) == 99  # version 4 at 3-dot modules
    assert raster.width == 104  # GS v 0 rows are whole bytes: 13
    assert "https://antrean" not in job.text  # the id is not printed twice any more
    assert job.cuts == [] and len(data) < 3000  # no cutter: feed only; within the byte budget


def test_ticket_id_and_kiosk_are_never_split_at_hyphens(make_ticket):
    uuid = "0b9e7c1a-3f4d-4c2b-9a8e-5d6f7a8b9c0d"
    for variant in ("80", "58", "58-clone"):
        model = MODELS[variant]()
        job = decode(encode_ticket(make_ticket(ticket_id=uuid, kiosk_id="audit-kiosk-80"), model))
        lines = [ln.text.strip() for ln in job.lines]
        assert uuid in " ".join(lines) and any(uuid in ln for ln in lines), (variant, lines)
        assert any("audit-kiosk-80" in ln for ln in lines)


def test_epson_smooths_the_big_number(make_ticket, model80, model58):
    assert decode(encode_ticket(make_ticket(), model80)).find("A001").style.smoothing
    assert not decode(encode_ticket(make_ticket(), model58)).find("A001").style.smoothing


def test_number_size_shrinks_to_fit_and_respects_max_text_size(make_ticket):
    job = decode(encode_ticket(make_ticket(number="PRIO-0123"), MODELS["58"]()))
    assert job.find("PRIO-0123").size == (3, 3)  # 32 columns // 9 characters
    capped = PrinterModel.from_config("TM-T20II", 80, max_text_size=4)
    assert decode(encode_ticket(make_ticket(), capped)).find("A001").size == (4, 4)


def test_naive_datetime_is_refused(make_ticket, model80):
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        encode_ticket(make_ticket(issued_at=datetime(2026, 11, 27, 8, 15)), model80)


def test_requirements_slip_has_checklist_fees_time_notes_and_no_number(make_requirements, model80):
    job = decode(encode_requirements(make_requirements(), model80))
    first = job.find("[ ]* KTP elektronik asli")
    assert "Original electronic ID card" in first.text  # side by side on 80 mm: one band per document
    assert first.style.font == 1 and first.style.spacing == 19
    assert job.find("[ ]  Akta kelahiran atau ijazah")  # optional: no "*"
    assert job.find("Rp 350.000") and job.find("4 hari kerja / 4 working days")
    assert job.find("Bukan nomor antrean / Not a queue ticket")
    assert not any(line.style.width > 1 for line in job.lines)
    assert job.qr_codes == [] and len(job.cuts) == 1


def test_test_page_shows_model_kiosk_and_every_feature(make_test_page):
    model = MODELS["80-logo"]()
    job = decode(encode_test_page(make_test_page(), model))
    assert job.find("Kiosk: K01") and job.find("Profile: TM-T20II")
    assert job.find("Device: serial:/dev/ttyUSB0@19200")
    assert job.logos == ["LG"] and job.qr_payloads == ["TEST-K01"]
    assert {line.size for line in job.lines} >= {(1, 1), (2, 2), (4, 4), (8, 8), (1, 2)}
    assert {line.style.align for line in job.lines} == {"left", "center", "right"}
    assert any(line.style.underline for line in job.lines)
    assert job.find("Normalised: Service umlaut cafe - \"quotes\" ? ?")
    assert len(job.cuts) == 1


texts = st.text(max_size=120)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(office=texts, service=texts, number=st.text(min_size=1, max_size=12).filter(lambda s: s.strip()),
       footer=st.lists(texts, max_size=3), ahead=st.none() | st.integers(0, 999),
       wait=st.none() | st.integers(0, 600), paper=st.sampled_from(["80", "58", "58-clone"]))
def test_any_ticket_content_fits_the_paper_and_is_plain_ascii(make_ticket, office, service, number, footer,
                                                             ahead, wait, paper):
    from printer.text import to_ascii

    if not to_ascii(number):
        return
    model = MODELS[paper]()
    data = encode_ticket(make_ticket(office_name=office, service_id=service, number=number,
                                     footer_lines=footer, people_ahead=ahead, wait_minutes=wait), model)
    job = decode(data)
    assert job.unknown == []
    for line in job.lines:
        assert all(" " <= c <= "~" for c in line.text)
        assert len(line.text) * line.style.width <= model.columns
    assert job.find(to_ascii(number)[: model.columns])


@pytest.mark.parametrize("variant", ["58-clone", "80", "80-t88v"])
def test_the_qr_scans_from_the_preview(make_ticket, variant, tmp_path):
    """The preview draws what the printer prints (native GS ( k or the GS v 0 fallback) at the
    printer's own dots; a real QR decoder reads the payload back, so the symbol scans."""
    import zxingcpp
    from PIL import Image

    from printer.preview import render_png

    model = MODELS[variant]()
    data = encode_ticket(make_ticket(), model)
    png = render_png(data, tmp_path / "ticket.png", model.paper_mm, dots=model.dots)
    found = zxingcpp.read_barcodes(Image.open(png).convert("L"))
    assert [r.text for r in found] == ["https://antrean.imigrasi.go.id/t/JKS-20261127-A001"]
    assert [r.format for r in found] == [zxingcpp.BarcodeFormat.QRCode]
