"""What the install tests share: a wheelhouse for this machine, built once per test run, and a
venv with the kiosk installed from it exactly as systemd/install.sh does (no index, hashes)."""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a technician's shell: nothing that points into this checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "KIOSK_CONFIG", "VIRTUAL_ENV", "PYTHONHOME", "DISPLAY")}
    env.update(extra)
    return env


def run(cmd, *, timeout: float, cwd=None, env=None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env or clean_env(), capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@functools.lru_cache(maxsize=None)
def host_wheelhouse() -> Path:
    """var/wheelhouse-<arch>: the kiosk wheel (rebuilt now) and the lock's wheels (downloaded once,
    then reused from there: after the first run this needs no network)."""
    arch = platform.machine()
    out = REPO / "var" / f"wheelhouse-{arch}"
    run(["bash", REPO / "tools" / "wheelhouse.sh", arch, out], timeout=600,
        env=clean_env(PYTHON=sys.executable))
    return out


def kiosk_wheel(wheelhouse: Path) -> Path:
    wheels = sorted(wheelhouse.glob("kantor_kiosk-*.whl"))
    assert len(wheels) == 1, f"expected one kiosk wheel in {wheelhouse}, found {wheels}"
    return wheels[0]


BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_CODENAME=bookworm\n'
DPKG_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


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


def can_chroot() -> str | None:
    """Why a chroot image cannot be made here, or None."""
    if os.getuid() != 0 or platform.machine() not in DPKG_ARCH or not Path("/usr/bin/python3").exists():
        return "needs root and a Debian host"
    return None


@contextlib.contextmanager
def mounted_image(root: Path, usr_local: Path):
    """An image at `root` whose /usr is this machine's (read-only bind mount), so its python3 can
    run under chroot; its own /usr/local (where the `kiosk` link goes) is `usr_local`."""
    image(root, DPKG_ARCH[platform.machine()])
    mounts = []
    try:
        for sub in ("usr", "dev"):
            (root / sub).mkdir()
            run(["mount", "--bind", f"/{sub}", root / sub], timeout=30)
            mounts.append(root / sub)
        # Both read-only: a cleanup that removed the image while they were still mounted (a killed
        # test) must not reach the host's /usr or /dev. Device nodes still work on a read-only mount.
        for sub in ("usr", "dev"):
            run(["mount", "-o", "remount,bind,ro", root / sub], timeout=30)
        usr_local.mkdir(parents=True, exist_ok=True)
        run(["mount", "--bind", usr_local, root / "usr/local"], timeout=30)
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
