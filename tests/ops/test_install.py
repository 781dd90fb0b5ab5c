"""systemd/install.sh for real: into a root that has its own /usr (this machine's, bind-mounted
read-only: Debian 12 like a Pi), from a wheelhouse, with pip --no-index --require-hashes, the venv
built by the root's python3 under chroot; then the installed `kiosk` runs inside that root.
Also: the 32-bit refusal, the udev line kept across re-runs, an install from a release tarball."""

from __future__ import annotations

import shutil
import subprocess
import tarfile

import pytest
from installkit import REPO, can_chroot, clean_env, host_wheelhouse, image, mounted_image, run

INSTALL = REPO / "systemd" / "install.sh"
VENDOR_LINE = 'ATTR{idVendor}=="0416", ATTR{idProduct}=="5011", GROUP="lp"'


def install(*args, env=None, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(INSTALL), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env or clean_env())


@pytest.mark.parametrize("how", ["env", "image"])
def test_a_32_bit_userland_is_refused_at_once_with_the_reason(tmp_path, how):
    root = image(tmp_path / "img", "armhf")
    env = clean_env(KIOSK_INSTALL_ARCH="armhf") if how == "env" else clean_env()
    if how == "env":
        (root / "var/lib/dpkg/status").unlink()
    r = install("--root", root, "--wheelhouse", tmp_path, env=env)
    assert r.returncode == 2 and r.stdout == ""
    assert "32-bit userland (armhf)" in r.stderr and "Raspberry Pi OS Lite (64-bit), Bookworm (arm64)" in r.stderr
    assert sorted(p.name for p in (root / "etc").iterdir()) == ["group", "gshadow", "os-release", "passwd", "shadow"]


def test_a_wheelhouse_for_another_architecture_is_refused(tmp_path):
    house = tmp_path / "house"
    house.mkdir()
    shutil.copy(REPO / "requirements/kiosk-aarch64.txt", house / "requirements.txt")
    (house / "kantor_kiosk-0.1.0-py3-none-any.whl").write_bytes(b"")
    r = install("--dry-run", "--root", image(tmp_path / "img", "amd64"), "--wheelhouse", house)
    assert r.returncode == 2 and "is not for x86_64 (aarch64)" in r.stderr


@pytest.fixture
def chroot_image(tmp_path):
    """An image whose /usr is this machine's (read-only bind mount), so its python3 can run."""
    if why := can_chroot():
        pytest.skip(why)
    with mounted_image(tmp_path / "img", tmp_path / "usr-local") as root:
        yield root


def test_install_from_a_wheelhouse_into_a_root_without_network(chroot_image, tmp_path):
    root = chroot_image
    house = host_wheelhouse()
    first = install("--root", root, "--wheelhouse", house, "--usb-printer", "0416:5011")
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    out = first.stdout
    # pip's own lines show while it works; nothing came from an index
    assert "    | Processing /var/cache/kiosk-install/" in out and "--no-index" in out and "--require-hashes" in out
    assert "Successfully installed" in out and "No broken requirements found." in out
    assert not (root / "var/cache/kiosk-install").exists()
    kiosk = run(["chroot", root, "/usr/local/bin/kiosk", "config", "validate"], timeout=120)
    assert "/opt/kiosk/venv/lib/python3.11/site-packages/kiosk/defaults/kiosk.toml: valid" in kiosk.stdout
    assert VENDOR_LINE in (root / "etc/udev/rules.d/99-kiosk-printer.rules").read_text()

    # A re-run after an update, without --usb-printer: the printer's line stays, nothing reinstalled.
    again = install("--root", root, "--wheelhouse", house)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr
    assert "keeping the printer 0416:5011 configured before" in again.stdout
    assert "is installed and its dependencies are consistent" in again.stdout
    assert "    do:" not in again.stdout, again.stdout
    assert VENDOR_LINE in (root / "etc/udev/rules.d/99-kiosk-printer.rules").read_text()

    # From a release: the tarball's installer and units, the same wheelhouse, no checkout.
    dist = tmp_path / "dist"
    run(["bash", REPO / "tools/release.sh", dist], timeout=300, env=clean_env(PYTHON=shutil.which("python3") or "python3"))
    (tarball,) = dist.glob("kantor-kiosk-*.tar.gz")
    with tarfile.open(tarball) as t:
        t.extractall(tmp_path / "release", filter="data")
    (release,) = (tmp_path / "release").iterdir()
    assert not (release / "setup.cfg").exists() and (release / "systemd/kiosk-ui.service").exists()
    (root / "etc/systemd/system/kiosk-ui.service").unlink()
    third = subprocess.run(["bash", release / "systemd/install.sh", "--root", root, "--wheelhouse", house],
                           capture_output=True, text=True, timeout=600, env=clean_env())
    assert third.returncode == 0, third.stdout[-3000:] + third.stderr
    assert (root / "etc/systemd/system/kiosk-ui.service").read_bytes() == (REPO / "systemd/kiosk-ui.service").read_bytes()
    assert VENDOR_LINE in (root / "etc/udev/rules.d/99-kiosk-printer.rules").read_text()
