from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from printer import DocumentLine, PrinterModel, RequirementsContent, TestPageContent, TicketContent

WIB = ZoneInfo("Asia/Jakarta")


def sample_ticket(**changes) -> TicketContent:
    values = dict(
        office_name="Kantor Imigrasi Kelas I TPI Jakarta Selatan",
        office_lines=["Jl. Warung Buncit Raya No. 207", "Telp. (021) 7996200"],
        service_id="Penerbitan Paspor Baru",
        service_en="New Passport Application",
        number="A001",
        issued_at=datetime(2026, 11, 27, 8, 15, tzinfo=WIB),
        people_ahead=5,
        wait_minutes=20,
        priority_label="PRIORITAS / PRIORITY - Lansia",
        qr_payload="https://antrean.imigrasi.go.id/t/JKS-20261127-A001",
        footer_lines=["Harap menunggu panggilan", "Please wait for your number"],
        ticket_id="JKS-20261127-A001",
        kiosk_id="K01",
    )
    values.update(changes)
    return TicketContent(**values)


def sample_requirements(**changes) -> RequirementsContent:
    values = dict(
        office_name="Kantor Imigrasi Kelas I TPI Jakarta Selatan",
        service_id="Penggantian Paspor Hilang",
        service_en="Replacement of a Lost Passport",
        documents=[
            DocumentLine("KTP elektronik asli", "Original electronic ID card (KTP)", True, ""),
            DocumentLine("Kartu Keluarga", "Family card", True, "Asli dan fotokopi / original and copy"),
            DocumentLine("Surat keterangan hilang dari Kepolisian", "Police report of the loss", True, ""),
            DocumentLine("Akta kelahiran atau ijazah", "Birth certificate or diploma", False,
                         "Jika nama berbeda / if the name differs"),
        ],
        fees=["Paspor 48 halaman: Rp 350.000", "Denda paspor hilang: Rp 1.000.000"],
        processing_time="4 hari kerja / 4 working days",
        notes=["Pemohon wajib datang sendiri / applicants must come in person"],
        footer_lines=["www.imigrasi.go.id"],
        printed_at=datetime(2026, 11, 27, 8, 20, tzinfo=WIB),
    )
    values.update(changes)
    return RequirementsContent(**values)


def sample_test_page(**changes) -> TestPageContent:
    values = dict(kiosk_id="K01", device="serial:/dev/ttyUSB0@19200",
                  printed_at=datetime(2026, 11, 27, 7, 0, tzinfo=WIB), extra_lines=["Teknisi: Budi"])
    values.update(changes)
    return TestPageContent(**values)


@pytest.fixture
def model80() -> PrinterModel:
    return PrinterModel.from_config("TM-T20II", 80)


@pytest.fixture
def model58() -> PrinterModel:
    return PrinterModel.from_config("POS-5890", 58)


# Test modules run with --import-mode=importlib and cannot import this file: hand out the builders.
@pytest.fixture
def make_ticket():
    return sample_ticket


@pytest.fixture
def make_requirements():
    return sample_requirements


@pytest.fixture
def make_test_page():
    return sample_test_page


@pytest.fixture
def fake(tmp_path):
    """A fake printer on a real pty, reachable through a stable symlink (so replugs keep the path)."""
    from printer.fake import FakePrinter

    with FakePrinter(link=tmp_path / "printer.tty") as f:
        yield f


@pytest.fixture
def pty_printer(fake, model80):
    from printer import open_printer

    p = open_printer(f"serial:{fake.path}@115200", model80, status_timeout=0.3, write_timeout=1.0,
                     confirm_timeout=0.5)
    yield p
    p.close()
