"""Bytes per print job, native ESC/POS vs. the same job rasterised as one image, and wire time;
the byte budget of every ticket of the default catalogue; the length of every requirements slip.

Image-based kiosks render the whole ticket and send it as a GS v 0 raster; we send text, a native
QR command and an 8-byte reference to the logo in the printer's NV memory. Targets (issue 3): the
80 mm ticket with QR and NV logo under 600 bytes and at least 20x smaller than its raster.
Targets (issue 16): every ticket variant of the default catalogue (regular and priority, every
service name, with and without an address line, NV logo and queue statistics, 80 and 58 mm) under
700 bytes, the plain 80 mm ticket under 600, a raster-QR ticket (58 mm clone) under 3 KB; every slip
within 15 cm on 80 mm and 20 cm on 58 mm paper. tests/printer/test_budget.py asserts the same
figures from the functions here.

    .venv/bin/python bench/ticket_bytes.py        (exit status 1 if a target is missed)
"""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from PIL import Image, ImageDraw
from targets import Targets

from printer import (
    DocumentLine,
    PrinterModel,
    RequirementsContent,
    TestPageContent,
    TicketContent,
    commands,
    encode_requirements,
    encode_test_page,
    encode_ticket,
)
from printer.decode import NvLogoDefinition, decode
from printer.length import length_mm
from printer.preview import render_image

WIB = ZoneInfo("Asia/Jakarta")
BAUDS = (9600, 19200, 38400, 115200)
RASTER_BAND = 1024  # rows per GS v 0 command, as image-printing drivers split tall images


def sample_ticket() -> TicketContent:
    return TicketContent(
        office_name="Kantor Imigrasi Kelas I TPI Jakarta Selatan",
        office_lines=["Jl. Warung Buncit Raya No. 207", "Telp. (021) 7996200"],
        service_id="Penerbitan Paspor Baru", service_en="New Passport Application",
        number="A001", issued_at=datetime(2026, 11, 27, 8, 15, tzinfo=WIB),
        people_ahead=5, wait_minutes=20, priority_label="PRIORITAS / PRIORITY - Lansia",
        qr_payload="https://antrean.imigrasi.go.id/t/JKS-20261127-A001",
        footer_lines=["Harap menunggu panggilan", "Please wait for your number"],
        ticket_id="JKS-20261127-A001", kiosk_id="K01",
    )


def sample_requirements() -> RequirementsContent:
    return RequirementsContent(
        office_name="Kantor Imigrasi Kelas I TPI Jakarta Selatan",
        service_id="Penggantian Paspor Hilang", service_en="Replacement of a Lost Passport",
        documents=[
            DocumentLine("KTP elektronik asli", "Original electronic ID card (KTP)", True, ""),
            DocumentLine("Kartu Keluarga", "Family card", True, ""),
            DocumentLine("Surat keterangan hilang dari Kepolisian", "Police report of the loss", True, ""),
        ],
        fees=["Paspor 48 halaman: Rp 350.000", "Denda paspor hilang: Rp 1.000.000"],
        processing_time="4 hari kerja / 4 working days",
        notes=["Pemohon wajib datang sendiri / applicants must come in person"],
        footer_lines=["www.imigrasi.go.id"], printed_at=datetime(2026, 11, 27, 8, 20, tzinfo=WIB),
    )


def sample_logo(width: int) -> NvLogoDefinition:
    """What the NV memory holds: an office logo about 20 mm tall, for the rasterised comparison."""
    img = Image.new("1", (width, 160), 1)
    draw = ImageDraw.Draw(img)
    draw.ellipse((8, 8, 152, 152), outline=0, width=10)
    draw.rectangle((60, 50, 100, 110), fill=0)
    draw.text((180, 50), "KANTOR IMIGRASI", fill=0)
    draw.text((180, 90), "JAKARTA SELATAN", fill=0)
    row = (width + 7) // 8
    raster = bytes(b ^ 0xFF for b in img.tobytes())
    assert len(raster) == row * 160
    return NvLogoDefinition("LG", width, 160, raster)


def rasterised(data: bytes, paper_mm: int, nv_logos: dict) -> bytes:
    """The same job as an image-based kiosk sends it: ESC @, the page as GS v 0 bands, cut."""
    page = render_image(decode(data).items, paper_mm, nv_logos=nv_logos, margins=False)
    out = bytearray(commands.INITIALIZE)
    for top in range(0, page.height, RASTER_BAND):
        band = page.crop((0, top, page.width, min(page.height, top + RASTER_BAND)))
        bits = bytes(b ^ 0xFF for b in band.tobytes())
        out += commands.raster_image(band.width, band.height, bits)
    return bytes(out + commands.feed_and_partial_cut())


def measure() -> list[tuple[str, int, int, int]]:
    t80 = PrinterModel.from_config("TM-T20II", 80)
    t80_logo = PrinterModel.from_config("TM-T20II", 80, nv_logo_key="LG")
    t58 = PrinterModel.from_config("TM-T20II", 58)
    t58_clone = PrinterModel.from_config("POS-5890", 58)
    jobs = [
        ("ticket 80 mm, QR + NV logo", encode_ticket(sample_ticket(), t80_logo), 80),
        ("ticket 80 mm, QR, text header", encode_ticket(sample_ticket(), t80), 80),
        ("ticket 58 mm, QR", encode_ticket(sample_ticket(), t58), 58),
        ("ticket 58 mm clone, no QR/cutter", encode_ticket(sample_ticket(), t58_clone), 58),
        ("requirements slip 80 mm", encode_requirements(sample_requirements(), t80), 80),
        ("requirements slip 58 mm", encode_requirements(sample_requirements(), t58), 58),
        ("test page 80 mm", encode_test_page(
            TestPageContent("K01", "serial:/dev/ttyUSB0@19200", datetime(2026, 11, 27, 7, 0, tzinfo=WIB)),
            t80_logo), 80),
    ]
    rows = []
    for name, data, paper in jobs:
        logos = {"LG": sample_logo(576 if paper == 80 else 384)}
        raster = rasterised(data, paper, logos)
        rows.append((name, len(data), len(raster), paper))
    return rows


REPO = Path(__file__).resolve().parents[1]
TICKET_BUDGET, PLAIN_80_BUDGET, RASTER_QR_BUDGET = 700, 600, 3000
SLIP_BUDGET_MM = {80: 150, 58: 200}
# Printer classes an office buys: Epson 80 mm (203 and 180 dpi), an Epson set to 58 mm, a 58 mm clone.
PRINTER_CLASSES = [("TM-T20II", 80), ("TM-T88V", 80), ("TM-T20II", 58), ("POS-5890", 58)]
# Slips also on the ZJ-5870, whose profile has no Font B: its slip is in the applicant's language
# alone, so it gets a row per language.
SLIP_CLASSES = PRINTER_CLASSES + [("ZJ-5870", 58)]


def default_config():
    from kiosk.config import load_config

    return load_config(REPO / "config" / "kiosk.toml")


def ticket_variants() -> list[tuple[str, PrinterModel, bytes]]:
    """(name, model, bytes) of every ticket variant of the default catalogue, as the kiosk prints it."""
    import dataclasses

    from kiosk.clock import Clock
    from kiosk.printing import TicketPrinting
    from kiosk.store import Ticket

    cfg = default_config()
    printing = TicketPrinting(cfg)
    now = datetime(2026, 11, 27, 8, 15, tzinfo=WIB)
    stats = {"fetched_at": Clock().now().isoformat(), "P": {"waiting": 3, "avg_service_s": 240}}
    stats |= {s.prefix: {"waiting": 123, "avg_service_s": 615} for s in cfg.catalogue.services}
    out = []
    for service in cfg.catalogue.services:
        for group in (None, *[g.key for g in cfg.catalogue.priority_groups][:1]):
            if group and not service.priority_allowed:
                continue
            number = f"{cfg.catalogue.priority_prefix if group else service.prefix}123"
            ticket = Ticket(id="3f0c9b1e-5d2a-4c8e-9b7f-1a2b3c4d5e6f", kiosk_id=cfg.kiosk.id, number=number,
                            service=service.key, prefix=number[0], seq=123, priority=group,
                            service_day=now.date().isoformat(), issued_at=now.isoformat(), mono_ns=0,
                            boot_id="bench", clock_trusted=True)
            for with_stats in (True, False):
                base = printing.ticket_content(ticket, stats if with_stats else None)
                for address in ([], ["Jl. Raya Blitar No. 12, Kota Blitar, Jawa Timur 66131"]):
                    content = dataclasses.replace(base, office_lines=address)
                    for profile, paper in PRINTER_CLASSES:
                        for logo in (None, "LG"):
                            model = PrinterModel.from_config(profile, paper, nv_logo_key=logo)
                            name = (f"{service.prefix} {'prio' if group else 'reg'} {'stats' if with_stats else 'nostats'} "
                                    f"{'addr' if address else 'noaddr'} {profile} {paper} {'logo' if logo else 'text'}")
                            out.append((name, model, encode_ticket(content, model)))
    printing.close()
    return out


def slip_lengths() -> dict[str, tuple[int, dict[str, float]]]:
    """{printer class: (paper mm, {service prefix: slip length in mm})} for the default catalogue;
    a printer without Font B once per slip language."""
    from kiosk.printing import TicketPrinting

    cfg = default_config()
    printing = TicketPrinting(cfg)
    out = {}
    for profile, paper in SLIP_CLASSES:
        model = PrinterModel.from_config(profile, paper)
        for lang in ("id", "en") if not model.font_b_columns else ("id",):
            name = f"{profile} {paper} mm" + ("" if model.font_b_columns else f" {lang}")
            out[name] = (paper, {
                s.prefix: length_mm(encode_requirements(printing.requirements_content(s, lang), model), model.dpi)
                for s in cfg.catalogue.services
            })
    printing.close()
    return out


def budget_report() -> bool:
    variants = ticket_variants()
    print(f"\nticket byte budget: {len(variants)} variants of the default catalogue")
    head = f"{'printer class':18} {'QR':7} {'variants':>8} {'min B':>6} {'max B':>6} {'budget':>7}  largest"
    print(head)
    print("-" * len(head))
    ok = True
    classes: dict[tuple[str, int, bool], list] = {}
    for name, model, data in variants:
        classes.setdefault((model.profile, model.paper_mm, model.native_qr), []).append((len(data), name))
    for (profile, paper, native), rows in classes.items():
        budget = TICKET_BUDGET if native else RASTER_QR_BUDGET
        worst = max(rows)
        passed = worst[0] < budget
        ok &= passed
        print(f"{profile + ' ' + str(paper) + ' mm':18} {'native' if native else 'raster':7} {len(rows):8d} "
              f"{min(rows)[0]:6d} {worst[0]:6d} {'<' + str(budget):>7}  {worst[1]} {'PASS' if passed else 'FAIL'}")
    plain = max(len(d) for n, m, d in variants if n.endswith("TM-T20II 80 text") and " reg " in n and "noaddr" in n)
    ok &= plain < PLAIN_80_BUDGET
    print(f"plain 80 mm ticket (TM-T20II, regular, text header): max {plain} B < {PLAIN_80_BUDGET} -> "
          f"{'PASS' if plain < PLAIN_80_BUDGET else 'FAIL'}")

    print("\nrequirements slip length, mm (default catalogue)")
    lengths = slip_lengths()
    prefixes = list(next(iter(lengths.values()))[1])
    print(f"{'printer class':18} " + " ".join(f"{p:>5}" for p in prefixes) + f" {'budget':>7}")
    for name, (paper, by_service) in lengths.items():
        budget = SLIP_BUDGET_MM[paper]
        passed = max(by_service.values()) <= budget
        ok &= passed
        print(f"{name:18} " + " ".join(f"{by_service[p]:5.0f}" for p in prefixes)
              + f" {'<=' + str(budget):>7}  {'PASS' if passed else 'FAIL'}")
    return ok


def main() -> int:
    rows = measure()
    def seconds(n: int, baud: int) -> float:
        return n * 10 / baud  # 8N1: 10 bits on the wire per byte

    head = f"{'job':34} {'native B':>9} {'raster B':>9} {'ratio':>6}  " + "  ".join(
        f"{b:>6} bd n/r s" for b in BAUDS)
    print(head)
    print("-" * len(head))
    for name, native, raster, _ in rows:
        times = "  ".join(f"{seconds(native, b):5.2f}/{seconds(raster, b):6.2f}" for b in BAUDS)
        print(f"{name:34} {native:9d} {raster:9d} {raster / native:5.0f}x  {times}")
    name, native, raster, _ = rows[0]
    ok_budget = budget_report()
    print()
    targets = Targets("ticket_bytes")
    targets.at_least(f"{name}: smaller than the same ticket as a raster image", raster / native, 20,
                     baseline="its bytes", note=f"{raster} vs {native} bytes")
    # A byte count is the same on every machine: this one stays absolute (9600 baud: 0.6 s a ticket).
    targets.at_most(f"{name}: bytes per job against a 600-byte budget", native / 600, 1.0,
                    baseline="600 bytes", note=f"{native} bytes")
    targets.holds("every ticket variant and slip of the default catalogue within its byte or length budget",
                  ok_budget, note="the table above")
    return targets.finish()


if __name__ == "__main__":
    sys.exit(main())
