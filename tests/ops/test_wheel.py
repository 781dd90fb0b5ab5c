"""The wheel a Pi gets, installed for real: built outside the checkout, installed (not editable)
into a new venv from the wheelhouse with --no-index --require-hashes, then used from a folder
outside the source tree the way a technician would (issue #10: the screens and the default
catalogue used to be missing from the wheel)."""

from __future__ import annotations

import re
import subprocess
import zipfile

import pytest
from installkit import REPO, clean_env, host_wheelhouse, kiosk_wheel, run

SCREENS = sorted(p.name for p in (REPO / "kiosk" / "ui" / "screens").glob("*.kv"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv bin folder, a work folder outside the checkout)."""
    wheelhouse = host_wheelhouse()
    venv = tmp_path_factory.mktemp("wheel") / "venv"
    run(["python3", "-m", "venv", venv], timeout=120)
    pip = [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-index", "--find-links", wheelhouse]
    run([*pip, "--require-hashes", "-r", wheelhouse / "requirements.txt"], timeout=300)
    run([*pip, kiosk_wheel(wheelhouse)], timeout=120)
    work = tmp_path_factory.mktemp("technician")
    return venv / "bin", work


def test_the_wheel_carries_every_file_the_program_reads():
    names = set(zipfile.ZipFile(kiosk_wheel(host_wheelhouse())).namelist())
    wanted = {"kiosk/ui/kiosk.kv", "kiosk/defaults/kiosk.toml", "kiosk/defaults/services.toml",
              "kiosk/locale/id/LC_MESSAGES/kiosk.po", "kiosk/locale/en/LC_MESSAGES/kiosk.po"}
    wanted |= {f"kiosk/ui/screens/{name}" for name in SCREENS}
    # the central server's pages (docs/central.md) and the survey questions both sides ask
    wanted |= {f"central/{p.relative_to(REPO / 'central')}" for folder in ("templates", "static")
               for p in (REPO / "central" / folder).rglob("*") if p.is_file()}
    wanted |= {"shared/survey_questions.toml"}
    assert len(SCREENS) >= 10
    assert wanted - names == set()
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "build/", "var/"))]


def test_installed_kiosk_runs_outside_the_source_tree(installed):
    bin_dir, work = installed
    env = clean_env()
    where = run([bin_dir / "python", "-c", "import kiosk; print(kiosk.__file__)"], timeout=60, cwd=work, env=env)
    assert str(bin_dir.parent) in where.stdout and str(REPO) not in where.stdout

    # no --config: the default inside the package (there is no /etc/kiosk on a test machine)
    validate = run([bin_dir / "kiosk", "config", "validate"], timeout=60, cwd=work, env=env)
    assert "site-packages/kiosk/defaults/kiosk.toml: valid" in validate.stdout

    root = work / "root"
    config = root / "etc" / "kiosk" / "kiosk.toml"
    run([bin_dir / "kiosk", "--config", config, "provision", "--kiosk-id", "wheel-1", "--office", "BLITAR",
         "--office-name", "Kantor Imigrasi Blitar", "--server", "", "--printer", "virtual",
         "--number-block", "1-499", "--data-dir", root / "var" / "lib" / "kiosk"], timeout=60, cwd=work, env=env)
    assert config.exists()
    catalogue = root / "etc" / "kiosk" / "services.toml"
    assert catalogue.read_bytes() == (REPO / "config" / "services.toml").read_bytes()
    run([bin_dir / "kiosk", "--config", config, "config", "validate"], timeout=60, cwd=work, env=env)

    png = work / "a.png"
    run([bin_dir / "kiosk", "--config", config, "printer", "preview", "A", "--out", png], timeout=60, cwd=work, env=env)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 2000

    shots = work / "shots"
    proc = subprocess.Popen([str(bin_dir / "kiosk"), "--config", str(config), "screenshots", "--out", str(shots),
                             "--size", "800x480"], cwd=work, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()  # progress while it works, not only a summary at the end
        assert re.fullmatch(r"\[1/\d+\] home-id-800x480\.png\n", first), first
        assert not list(shots.glob("*-en-*.png")), "the first line came only after every screen was done"
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-3000:]
    files = sorted(p.name for p in shots.glob("*.png"))
    assert "home-id-800x480.png" in files and "staff-en-800x480.png" in files
    assert f"{len(files)} screenshots in {shots}" in out
