"""systemd/install.sh for real: into a root that has its own /usr (this machine's, bind-mounted
read-only: Debian 12 like a Pi), from a wheelhouse, with pip --no-index --require-hashes, the venv
built by the root's python3 under chroot; then the installed `kiosk` runs inside that root.
Also: the 32-bit refusal, the udev line kept across re-runs, an install from a release tarball."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from installkit import REPO, clean_env, host_wheelhouse, run

INSTALL = REPO / "systemd" / "install.sh"
BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_CODENAME=bookworm\n'
DPKG_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
VENDOR_LINE = 'ATTR{idVendor}=="0416", ATTR{idProduct}=="5011", GROUP="lp"'


def install(*args, env=None, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(INSTALL), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env or clean_env())


def image(root: Path, dpkg_arch: str) -> Path:
    """The files install.sh reads in an image: os-release, accounts, dpkg's own architecture."""
    etc = root / "etc"
    etc.mkdir(parents=True)
    (etc / "os-release").write_text(BOOKWORM)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (etc / "group").write_text("root:x:0:\nvideo:x:44:\ninput:x:105:\nlp:x:7:\ndialout:x:20:\n")
    (etc / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (etc / "gshadow").write_text("root:*::\nvideo:!::\ninput:!::\nlp:*::\ndialout:*::\n")
    status = root / "var/lib/dpkg/status"
    status.parent.mkdir(parents=True)
    status.write_text(f"Package: base-files\nArchitecture: {dpkg_arch}\n\nPackage: dpkg\nStatus: install ok installed\n"
                      f"Architecture: {dpkg_arch}\n")
    return root


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
    if os.getuid() != 0 or platform.machine() not in DPKG_ARCH or not Path("/usr/bin/python3").exists():
        pytest.skip("needs root and a Debian host")
    root = image(tmp_path / "img", DPKG_ARCH[platform.machine()])
    mounts = []
    try:
        for sub in ("usr", "dev"):
            (root / sub).mkdir()
            run(["mount", "--bind", f"/{sub}", root / sub], timeout=30)
            mounts.append(root / sub)
        run(["mount", "-o", "remount,bind,ro", root / "usr"], timeout=30)
        local = tmp_path / "usr-local"  # the image's own /usr/local, where the `kiosk` link goes
        local.mkdir()
        run(["mount", "--bind", local, root / "usr/local"], timeout=30)
        mounts.append(root / "usr/local")
        for link in ("bin", "lib", "lib64", "sbin"):
            if Path(f"/{link}").is_symlink():
                (root / link).symlink_to(os.readlink(f"/{link}"))
        shutil.copy("/etc/ld.so.cache", root / "etc")
        (root / "tmp").mkdir(mode=0o1777)
        yield root
    finally:
        for m in reversed(mounts):
            subprocess.run(["umount", "-l", str(m)], timeout=30)


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
