"""The units pass `systemd-analyze verify`; install.sh installs idempotently into a temp root."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from opskit import REPO, TOKEN_TEXT, write_secret

from kiosk.config import ConfigError, load_config

UNITS = ("kiosk-ui.service", "kiosk-agent.service")
INSTALL = REPO / "systemd" / "install.sh"
BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_CODENAME=bookworm\n'
needs_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")


def unit_text(name: str) -> str:
    return (REPO / "systemd" / name).read_text()


def verify(tmp: Path, texts: dict[str, str]) -> subprocess.CompletedProcess:
    """verify with ExecStart pointing at a stub that exists, so only real unit errors remain."""
    stub = tmp / "opt/kiosk/venv/bin/kiosk"
    stub.parent.mkdir(parents=True, exist_ok=True)
    stub.write_text("#!/bin/sh\n")
    stub.chmod(0o755)
    paths = []
    for name, text in texts.items():
        path = tmp / name
        path.write_text(text.replace("/opt/kiosk/venv/bin/kiosk", str(stub)))
        paths.append(str(path))
    return subprocess.run(["systemd-analyze", "verify", "--man=no", *paths], capture_output=True, text=True, timeout=60)


@needs_analyze
def test_both_units_verify_clean(tmp_path):
    r = verify(tmp_path, {name: unit_text(name) for name in UNITS})
    assert r.returncode == 0, r.stderr
    # verify exits 0 on many "ignoring" warnings: any output at all is a unit error.
    assert (r.stdout + r.stderr).strip() == ""


@needs_analyze
@pytest.mark.parametrize("broken", [
    ("Restart=always", "Restart=sometimes"),
    ("SetCredential=central.token:standalone", "SetCredential=central.token:"),
    ("WatchdogSec=60", "WatchdogSec=soon"),
    ("ExecStart=/opt/kiosk/venv/bin/kiosk", "ExecStart=/opt/kiosk/missing/kiosk"),
])
def test_verify_would_catch_a_broken_unit(tmp_path, broken):
    text = unit_text("kiosk-agent.service")
    assert broken[0] in text
    r = verify(tmp_path, {"kiosk-agent.service": text.replace(broken[0], broken[1], 1)})
    assert r.returncode != 0 or (r.stdout + r.stderr).strip()


def directives(name: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in unit_text(name).splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


def test_ui_unit_runs_kivy_on_kmsdrm_with_a_watchdog():
    d = directives("kiosk-ui.service")
    assert d["Type"] == ["notify"] and d["WatchdogSec"] == ["30"] and d["Restart"] == ["always"]
    assert d["User"] == ["kiosk"] and set(d["SupplementaryGroups"][0].split()) == {"video", "render", "input", "lp", "dialout"}
    env = " ".join(d["Environment"])
    assert "KIVY_WINDOW=sdl2" in env and "SDL_VIDEODRIVER=kmsdrm" in env
    assert d["TTYPath"] == ["/dev/tty1"] and d["Conflicts"] == ["getty@tty1.service"]
    assert "--blank 0" in d["ExecStartPre"][0]
    assert d["ExecStart"] == ["/opt/kiosk/venv/bin/kiosk --config %d/kiosk.toml ui"]


def test_agent_unit_is_sandboxed_and_gets_its_token_as_a_credential():
    d = directives("kiosk-agent.service")
    assert d["Type"] == ["notify"] and "WatchdogSec" in d
    for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ReadWritePaths", "/var/lib/kiosk"),
                       ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("DevicePolicy", "closed"), ("UMask", "0077")):
        assert d[key] == [value], key
    assert "char-usb_device rw" in d["DeviceAllow"] and "char-ttyUSB rw" in d["DeviceAllow"]
    assert set(d["LoadCredential"]) == {"kiosk.toml:/etc/kiosk/kiosk.toml", "central.token:/etc/kiosk/central.token",
                                        "log.token:/etc/kiosk/log.token"}
    assert d["ExecStart"] == ["/opt/kiosk/venv/bin/kiosk --config %d/kiosk.toml agent"]


def test_ui_unit_is_sandboxed_like_the_agent():
    """Found by tests/campaigns/test_security.py: kiosk-ui had exposure 7.6 (systemd-analyze security)."""
    d = directives("kiosk-ui.service")
    for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("DevicePolicy", "closed"),
                       ("CapabilityBoundingSet", ""), ("RestrictNamespaces", "yes"), ("SystemCallArchitectures", "native")):
        assert d[key] == [value], key
    assert {"char-drm rw", "char-input rw", "char-tty rw", "char-usb_device rw", "char-ttyUSB rw"} <= set(d["DeviceAllow"])
    assert "AF_PACKET" not in d["RestrictAddressFamilies"][0]


def test_a_provisioned_config_loads_from_a_credentials_directory(tmp_path, monkeypatch):
    """What systemd does: copy kiosk.toml and the tokens into $CREDENTIALS_DIRECTORY (mode 0400)."""
    from kiosk.provision import Request, apply, plan

    write_secret(tmp_path / "t", TOKEN_TEXT)
    etc = tmp_path / "etc/kiosk"
    apply(plan(Request(config_path=etc / "kiosk.toml", kiosk_id="k1", office="BLITAR", server="https://antrian.example",
                       token_file=str(tmp_path / "t"), printer="usb:04b8:0e15", number_block="1-99",
                       office_name="Kantor Imigrasi Blitar", data_dir=str(tmp_path / "var"))))
    creds = tmp_path / "run/credentials/kiosk-agent.service"
    creds.mkdir(parents=True)
    for name in ("kiosk.toml", "central.token", "log.token"):
        shutil.copy(etc / name, creds / name)
        # systemd grants the service user read access with an ACL; the ACL mask shows as group r.
        (creds / name).chmod(0o440)
    with pytest.raises(ConfigError, match="is readable by others"):
        load_config(creds / "kiosk.toml")  # outside the unit: no $CREDENTIALS_DIRECTORY, the usual rule
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    cfg = load_config(creds / "kiosk.toml")
    assert cfg.central.token_file == str(creds / "central.token")
    assert cfg.agent.log_token_file == str(creds / "log.token")
    assert cfg.kiosk.catalogue == str(etc / "services.toml")  # the catalogue is public: read in place
    assert load_config(etc / "kiosk.toml").central.token_file == str(etc / "central.token")
    import dataclasses

    from kiosk import logapi

    with logapi.start_server(dataclasses.replace(cfg, agent=dataclasses.replace(cfg.agent, listen="127.0.0.1:0"))) as server:
        assert server.port > 0  # the log API accepts the credential copy of log.token too


# install.sh ------------------------------------------------------------------------------------


def fake_os(root: Path, os_release: str = BOOKWORM) -> Path:
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "etc/os-release").write_text(os_release)
    return root


def install(*args: str, user: list[str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*(user or []), "bash", str(INSTALL), *args], capture_output=True, text=True, timeout=120)


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_dry_run_says_every_step_and_changes_nothing(tmp_path):
    root = fake_os(tmp_path / "img")
    r = install("--dry-run", "--root", str(root))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "dry run: nothing changes" in out.splitlines()[0]
    for step in ("[1] system packages", "[2] user kiosk", "[3] folders", "[4] application venv", "[5] udev rule", "[6] units"):
        assert step in out
    assert f"do: useradd --root={root} --system --gid kiosk" in out
    assert f"do: systemctl --root={root} enable kiosk-agent.service" in out
    assert out.rstrip().endswith("Dry run: nothing was changed.")
    assert tree(root) == ["etc", "etc/os-release"]


@pytest.mark.parametrize("os_release, shown", [
    ('PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nID=debian\nVERSION_CODENAME=bullseye\n', "Debian GNU/Linux 11 (bullseye)"),
    ('PRETTY_NAME="Ubuntu 24.04 LTS"\nID=ubuntu\nVERSION_CODENAME=noble\n', "Ubuntu 24.04 LTS"),
])
def test_unsupported_os_is_refused(tmp_path, os_release, shown):
    root = fake_os(tmp_path / "img", os_release)
    r = install("--dry-run", "--root", str(root))
    assert r.returncode == 2
    assert f"unsupported OS: {shown}" in r.stderr and "Bookworm" in r.stderr
    assert tree(root) == ["etc", "etc/os-release"]


def test_non_root_is_refused_unless_dry_run():
    if os.getuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root to drop to another user")
    import tempfile

    # Outside pytest's 0700 temp folder, so that user "nobody" can read the copy of the script.
    base = Path(tempfile.mkdtemp(prefix="kiosk-install-"))
    try:
        base.chmod(0o755)
        root = fake_os(base / "img")
        src = base / "src"
        shutil.copytree(REPO / "systemd", src / "systemd")
        shutil.copy(REPO / "setup.cfg", src / "setup.cfg")
        (src / "tools").mkdir()
        shutil.copy(REPO / "tools/wheelhouse.sh", src / "tools/wheelhouse.sh")
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash", str(src / "systemd/install.sh")]
        run = lambda *a: subprocess.run([*nobody, *a], capture_output=True, text=True, timeout=60)  # noqa: E731
        r = run("--root", str(root), "--source", str(src))
        assert r.returncode == 2
        assert "install.sh: must run as root" in r.stderr and "--dry-run" in r.stderr
        assert run("--dry-run", "--root", str(root), "--source", str(src)).returncode == 0
    finally:
        shutil.rmtree(base)


def test_install_into_a_root_then_again_is_a_no_op(tmp_path):
    if os.getuid() != 0 or shutil.which("useradd") is None:
        pytest.skip("useradd --root needs root")
    root = fake_os(tmp_path / "img")
    etc = root / "etc"
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (etc / "group").write_text("root:x:0:\nvideo:x:44:\ninput:x:105:\nlp:x:7:\ndialout:x:20:\n")
    (etc / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (etc / "gshadow").write_text("root:*::\nvideo:!::\ninput:!::\nlp:*::\ndialout:*::\n")
    r = install("--root", str(root), "--usb-printer", "0416:5011")
    assert r.returncode == 0, r.stdout + r.stderr
    passwd = (etc / "passwd").read_text()
    assert "kiosk:x:" in passwd and ":/var/lib/kiosk:/usr/sbin/nologin" in passwd
    groups = {line.split(":")[0]: line.split(":")[3] for line in (etc / "group").read_text().splitlines()}
    assert all("kiosk" in groups[g].split(",") for g in ("video", "render", "input", "lp", "dialout"))
    assert stat.S_IMODE((root / "var/lib/kiosk").stat().st_mode) == 0o750
    assert (root / "var/lib/kiosk").stat().st_uid == int(passwd.split("kiosk:x:")[1].split(":")[0])
    assert (etc / "systemd/system/kiosk-ui.service").read_text() == unit_text("kiosk-ui.service")
    assert (etc / "systemd/system/multi-user.target.wants/kiosk-agent.service").is_symlink()
    rules = (etc / "udev/rules.d/99-kiosk-printer.rules").read_text()
    assert 'ATTR{idVendor}=="0416", ATTR{idProduct}=="5011", GROUP="lp"' in rules
    assert os.readlink(root / "usr/local/bin/kiosk") == "/opt/kiosk/venv/bin/kiosk"

    def state():  # lstat: enable's symlinks point at /etc/... of the image, not of this machine
        return {p: (p.lstat().st_mtime_ns, p.read_bytes() if p.is_file() and not p.is_symlink() else None)
                for p in root.rglob("*")}

    before = state()
    again = install("--root", str(root), "--usb-printer", "0416:5011")
    assert again.returncode == 0
    assert "    do:" not in again.stdout, again.stdout
    assert state() == before
