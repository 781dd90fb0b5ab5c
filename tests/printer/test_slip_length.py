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
    return [(s.prefix, printing.requirements_content(s)) for s in cfg.catalogue.services]


@pytest.mark.parametrize("profile, paper", [("TM-T20II", 80), ("TM-T20II", 58), ("POS-5890", 58)])
def test_every_default_slip_is_within_budget_and_readable(catalogue_slips, profile, paper):
    model = PrinterModel.from_config(profile, paper)
    lengths = {}
    for prefix, content in catalogue_slips:
        data = encode_requirements(content, model)
        lengths[prefix] = length_mm(data, model.dpi)
        job = decode(data)
        assert all(len(line.text) <= (model.font_b_columns if line.style.font else model.columns) // line.style.width
                   for line in job.lines)
        assert not [ln for ln in job.lines if not ln.text.strip()], "no blank feeds"
        for doc in content.documents:  # every document is on the slip, in both languages
            assert doc.text_id.split()[0] in job.text and doc.text_en.split()[0] in job.text
    over = {k: round(v) for k, v in lengths.items() if v > BUDGET_MM[paper]}
    assert not over, f"slips over {BUDGET_MM[paper]} mm on {profile} {paper} mm: {over}"
    assert max(lengths.values()) > BUDGET_MM[paper] * 0.5  # the measure measures something


def test_length_counts_lines_spacing_and_the_cut():
    from printer import commands as cmd

    one = cmd.INITIALIZE + b"x\n"
    assert length_mm(one, 203) == pytest.approx(30 / 8.0, rel=0.01)  # default line: 30 dots = 3.75 mm
    tight = cmd.INITIALIZE + cmd.select_font(1) + cmd.line_spacing(19) + b"x\n" * 10
    assert length_mm(tight, 203) == pytest.approx(190 / (203 / 25.4), rel=0.01)
    cut = length_mm(one + cmd.feed_and_partial_cut(), 203) - length_mm(one, 203)
    assert 10 < cut < 20
