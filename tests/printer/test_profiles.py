"""We read python-escpos's capability data without its import side effects; prove both halves."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=ROOT, env={"PYTHONPATH": ROOT, "TMPDIR": _run.tmp, "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_profiles_match_python_escpos(tmp_path):
    _run.tmp = str(tmp_path)
    theirs = json.loads(_run(
        "import json; from escpos.capabilities import get_profile\n"
        "print(json.dumps({n: get_profile(n).profile_data for n in ['TM-T20II','POS-5890','default']}))"
    ))
    from printer import profiles

    for name, data in theirs.items():
        assert profiles.profile_data(name) == data


def test_importing_printer_touches_neither_logging_nor_tmp(tmp_path):
    _run.tmp = str(tmp_path)
    out = _run(
        "import logging, printer, printer.device, printer.preview, printer.logo\n"
        "from printer import PrinterModel; PrinterModel.from_config('TM-T20II', 80)\n"
        "print(len(logging.getLogger().handlers))"
    )
    assert out.strip() == "0"
    assert list(tmp_path.iterdir()) == []


def test_python_escpos_itself_would_have_done_both(tmp_path):
    """Guards the reason for profiles.py: if a future python-escpos stops this, simplify."""
    _run.tmp = str(tmp_path)
    out = _run("import logging, escpos.capabilities; print(len(logging.getLogger().handlers))")
    assert out.strip() == "1"
    assert len(list(tmp_path.iterdir())) == 1
