"""Issue 16's byte budget over every ticket variant of the default catalogue, from the same
functions bench/ticket_bytes.py prints its table with."""
import importlib.util
from pathlib import Path

import pytest

from printer.decode import decode

BENCH = Path(__file__).resolve().parents[2] / "bench" / "ticket_bytes.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("ticket_bytes_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def variants(bench):
    return bench.ticket_variants()


def test_every_ticket_variant_is_within_its_byte_budget(bench, variants):
    assert len(variants) >= 9 * 4 * 2 * 2  # services x printer classes x logo x address, at least
    over = [(name, len(data)) for name, model, data in variants
            if len(data) >= (bench.TICKET_BUDGET if model.native_qr else bench.RASTER_QR_BUDGET)]
    assert not over, over
    plain = [len(d) for n, m, d in variants if n.endswith("TM-T20II 80 text") and " reg " in n and "noaddr" in n]
    assert plain and max(plain) < bench.PLAIN_80_BUDGET
    rasters = [d for n, m, d in variants if not m.native_qr]
    assert rasters and all(len(decode(d).rasters) == 1 for d in rasters)


def test_every_ticket_variant_decodes_clean_and_fits_its_printer(variants):
    for name, model, data in variants[::7]:  # a spread of them: decoding all takes seconds
        job = decode(data)
        assert job.unknown == [], name
        for line in job.lines:
            columns = model.font_b_columns if line.style.font else model.columns
            assert len(line.text) * line.style.width <= columns, (name, line.text)
        assert any("3f0c9b1e-5d2a-4c8e-9b7f-1a2b3c4d5e6f" in line.text for line in job.lines), name
