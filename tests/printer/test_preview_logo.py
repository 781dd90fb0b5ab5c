import pytest
from PIL import Image, ImageDraw

from printer import PRINTED, PrinterModel, encode_ticket, open_printer, upload_logo
from printer.decode import decode
from printer.logo import logo_bytes, logo_raster
from printer.preview import render_image, render_png


@pytest.fixture
def logo_png(tmp_path):
    img = Image.new("RGBA", (800, 200), (0, 0, 0, 0))  # transparent = paper
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 799, 199), outline=(0, 0, 0, 255), width=12)
    draw.rectangle((100, 60, 300, 140), fill=(0, 0, 0, 255))
    path = tmp_path / "logo.png"
    img.save(path)
    return path


def black_fraction(img: Image.Image, box) -> float:
    region = img.crop(box).convert("L")
    return sum(1 for v in region.getdata() if v < 128) / (region.width * region.height)


@pytest.mark.parametrize("paper, width", [(80, 640), (58, 464)])
def test_ticket_preview_is_paper_wide_with_a_big_number(tmp_path, make_ticket, paper, width):
    model = PrinterModel.from_config("TM-T20II", paper)
    path = render_png(encode_ticket(make_ticket(), model), tmp_path / "t.png", paper)
    with Image.open(path) as img:
        assert img.width == width and img.height > 900
        assert black_fraction(img, (0, 0, img.width, img.height)) > 0.05


def test_preview_draws_the_qr_code_the_printer_would(make_ticket, model80):
    items = decode(encode_ticket(make_ticket(), model80)).items
    with_qr = render_image(items, 80)
    without = render_image([i for i in items if type(i).__name__ != "QrCode"], 80)
    assert with_qr.height - without.height > 150  # 6-dot modules of a version-4 symbol + spacing


def test_logo_is_fitted_thresholded_and_packed_msb_first(logo_png):
    width, height, raster = logo_raster(logo_png, 576)
    assert (width, height) == (576, 144)
    assert len(raster) == 72 * 144 and raster[0] == 0xFF  # top-left border is black
    assert raster[72 * 72 + 36] == 0x00  # centre of the logo is blank paper


def test_logo_on_a_printer_without_nv_graphics_is_refused(logo_png):
    with pytest.raises(ValueError, match="does not support NV graphics"):
        logo_bytes(logo_png, "LG", PrinterModel.from_config("POS-5890", 58))


def test_upload_once_then_tickets_print_it_by_reference(tmp_path, logo_png, make_ticket):
    model = PrinterModel.from_config("TM-T20II", 80, nv_logo_key="LG")
    with open_printer("virtual", model, preview_dir=str(tmp_path)) as p:
        assert upload_logo(p, logo_png, "LG").outcome == PRINTED
        stored = p.fake.nv_logos["LG"]
        assert (stored.width, stored.height) == (576, 144)
        ticket = encode_ticket(make_ticket(), model)
        assert b"\x1d(L\x06\x000ELG\x01\x01" in ticket and len(ticket) < 600
        assert p.print(ticket).outcome == PRINTED
        p.fake.wait_previews()
        preview = p.fake.jobs[-1].preview
    with Image.open(preview) as img:
        # Header band = the logo: its thick border is drawn from the stored NV graphics.
        assert black_fraction(img, (32, 16, 32 + 576, 16 + 10)) > 0.9
