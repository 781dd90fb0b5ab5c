"""Our command bytes against python-escpos's own encoder (run in a subprocess: its import side
effects stay out of the test process)."""
import subprocess
import sys
from pathlib import Path

from printer import commands

ROOT = str(Path(__file__).resolve().parents[2])


def escpos_bytes(calls: str) -> bytes:
    code = ("import sys; from escpos.printer import Dummy\n"
            "p = Dummy(profile='TM-T20II')\n" + calls + "\nsys.stdout.write(p.output.hex())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd="/")
    assert out.returncode == 0, out.stderr
    return bytes.fromhex(out.stdout)


def test_native_qr_matches_python_escpos():
    data = "https://antrean.imigrasi.go.id/t/JKS-20261127-A001"
    theirs = escpos_bytes(f"from escpos.constants import QR_ECLEVEL_M\n"
                          f"p.qr({data!r}, ec=QR_ECLEVEL_M, size=6, native=True)")
    assert commands.qr_code(data.encode(), 6, "M") == theirs


def test_size_bold_align_match_python_escpos():
    theirs = escpos_bytes("from escpos.constants import TXT_SIZE, TXT_STYLE as S\n"
                          "p._raw(TXT_SIZE + bytes([S['width'][8] | S['height'][8]]))\n"
                          "p._raw(S['bold'][True] + S['align']['center'] + S['invert'][True])\n"
                          "p.cut(mode='PART', feed=False)")
    ours = commands.char_size(8, 8) + commands.bold(True) + commands.align(1) + commands.reverse(True)
    # python-escpos's feed=False cut is GS V 66 0 (feed to the cutter, partial cut): ours too.
    assert ours + commands.feed_and_partial_cut(0) == theirs


def test_status_query_is_one_write_of_three_real_time_requests():
    assert commands.STATUS_QUERY == bytes.fromhex("100401 100402 100404")
    assert commands.PAPER_STATUS_AFTER_JOB == b"\x1dr\x01"


def test_nv_graphics_commands():
    assert commands.nv_graphics_print("LG") == b"\x1d(L\x06\x000ELG\x01\x01"
    assert commands.nv_graphics_delete("LG") == b"\x1d(L\x04\x000BLG"
    define = commands.nv_graphics_define("LG", 9, 2, b"\xff\x80\x00\x00")
    assert define == b"\x1d(L\x0f\x000C0LG\x01\x09\x00\x02\x001\xff\x80\x00\x00"


def test_large_nv_graphics_use_the_32_bit_length_form():
    raster = bytes(72 * 1000)
    define = commands.nv_graphics_define("LG", 576, 1000, raster)
    assert define[:3] == b"\x1d8L" and int.from_bytes(define[3:7], "little") == len(raster) + 11
