"""Issue 16 item 6: requirements slips of the default catalogue fit 15 cm (80 mm) and 20 cm (58 mm)."""
from pathlib import Path

import pytest

from printer import PrinterModel, encode_requirements
from printer.decode import decode
from printer.length import length_mm

REPO = Path(__file__).resolve().parents[2]
BUDGET_MM = {80: 150, 58: 200}


@pytest.fixture(scope="module")
def catalogue_slips():
    from kiosk.config import load_config
    from kiosk.printing import TicketPrinting

    cfg = load_config(REPO / "config" / "kiosk.toml")
    printing = TicketPrinting(cfg)
    return {lang: [(s, printing.requirements_content(s, lang)) for s in cfg.catalogue.services]
            for lang in ("id", "en")}


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("profile, paper", [
    ("TM-T20II", 80), ("TM-T88V", 80), ("TM-T20II", 58), ("POS-5890", 58),
    ("ZJ-5870", 58),  # no Font B: the slip in the applicant's language alone, Font A
])
def test_every_default_slip_is_within_budget_and_readable(catalogue_slips, profile, paper, lang):
    model = PrinterModel.from_config(profile, paper)
    one_language = not model.font_b_columns
    lengths = {}
    for service, content in catalogue_slips[lang]:
        data = encode_requirements(content, model)
        lengths[service.prefix] = length_mm(data, model.dpi)
        job = decode(data)
        assert all(len(line.text) <= (model.font_b_columns if line.style.font else model.columns) // line.style.width
                   for line in job.lines)
        assert not [ln for ln in job.lines if not ln.text.strip()], "no blank feeds"
        for doc in content.documents:  # every document is on the slip: in both languages, or in the applicant's
            first_id, first_en = doc.text_id.split()[0], doc.text_en.split()[0]
            if not one_language:
                assert first_id in job.text and first_en in job.text
            else:
                assert (first_en if lang == "en" else first_id) in job.text
        if one_language:
            title, other = ("REQUIREMENTS", "PERSYARATAN") if lang == "en" else ("PERSYARATAN", "REQUIREMENTS")
            only = "Hanya dalam bahasa Inggris" if lang == "en" else "In Bahasa Indonesia only"
            texts = [ln.text for ln in job.lines]
            assert only in texts[:4] and title in texts and other not in job.text
            name = service.name_en if lang == "en" else service.name_id
            assert name.split()[0] in texts[4] and name.split()[-1] in " ".join(texts[4:6])
            if lang == "en":
                assert not any(d.text_id in job.text for d in content.documents if d.text_id.split()[0] not in d.text_en)
    over = {k: round(v) for k, v in lengths.items() if v > BUDGET_MM[paper]}
    assert not over, f"slips over {BUDGET_MM[paper]} mm on {profile} {paper} mm: {over}"
    assert max(lengths.values()) > BUDGET_MM[paper] * 0.5  # the measure measures something


def test_a_one_language_slip_over_20_cm_keeps_each_notes_first_sentence(make_requirements):
    from printer.layouts import ONE_LANGUAGE_SLIP_MM

    model = PrinterModel.from_config("ZJ-5870", 58)
    long_note = "Datang sendiri. " + "Kalimat tambahan yang panjang sekali untuk catatan ini. " * 3
    short = make_requirements(notes=["Datang sendiri. Bawa asli."])
    job = decode(encode_requirements(short, model))
    assert "Bawa asli." in job.text  # within budget: nothing is cut
    long = make_requirements(notes=[long_note.strip()] * 10)
    data = encode_requirements(long, model)
    job = decode(data)
    assert "Datang sendiri." in job.text and "Kalimat tambahan" not in job.text
    assert length_mm(data, model.dpi) <= ONE_LANGUAGE_SLIP_MM


def test_a_one_language_slip_refuses_an_unknown_language(make_requirements):
    with pytest.raises(ValueError, match="'fr'"):
        encode_requirements(make_requirements(lang="fr"), PrinterModel.from_config("ZJ-5870", 58))
    encode_requirements(make_requirements(lang="fr"), PrinterModel.from_config("POS-5890", 58))  # bilingual: unused


def test_length_counts_lines_spacing_and_the_cut():
    from printer import commands as cmd

    one = cmd.INITIALIZE + b"x\n"
    assert length_mm(one, 203) == pytest.approx(30 / 8.0, rel=0.01)  # default line: 30 dots = 3.75 mm
    tight = cmd.INITIALIZE + cmd.select_font(1) + cmd.line_spacing(19) + b"x\n" * 10
    assert length_mm(tight, 203) == pytest.approx(190 / (203 / 25.4), rel=0.01)
    cut = length_mm(one + cmd.feed_and_partial_cut(), 203) - length_mm(one, 203)
    assert 10 < cut < 20


def test_180_dpi_slip_lines_are_font_b_cell_to_cell():
    """TM-T88V: Font B is 17 dots high at 180 dpi; the slip feeds exactly that (2.4 mm), never less."""
    from printer.layouts import slip_spacing

    assert slip_spacing(PrinterModel.from_config("TM-T88V", 80)) == 17
    assert slip_spacing(PrinterModel.from_config("TM-T20II", 80)) == 19
    assert slip_spacing(PrinterModel.from_config("ZJ-5870", 58)) == 24  # Font A only


def test_a_pair_is_side_by_side_only_where_that_is_not_longer():
    from printer.document import FONT_B, Document, Style

    style = Style(font=FONT_B, spacing=19)
    short_long = ("KTP asli", "Original electronic identity card, plus one photocopy on A4 paper, both sides")
    doc = Document(48, 64)
    side, joined = doc.pair_lines(*short_long, style, prefix="[ ] ")
    assert joined < side  # a short left half beside a long right half wastes lines
    doc.pair(*short_long, style, prefix="[ ] ")
    both = [ln for ln in decode(doc.bytes()).lines]
    assert len(both) == joined and "KTP asli / Original" in both[0].text
    doc = Document(48, 64)
    doc.pair("Paspor lama - asli", "Old passport - original", style, prefix="[ ] ")
    (line,) = decode(doc.bytes()).lines
    assert line.text.startswith("[ ] Paspor lama - asli") and line.text.endswith("Old passport - original")
