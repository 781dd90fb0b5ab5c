"""deploy/ansible for real: ansible-playbook logs in over SSH (a real sshd on a loopback port, its own
host and user keys) to three "kiosks", each an image root of its own (install.sh --root, kiosk
commands under chroot), installs them from the wheelhouse, provisions them with their inventory
values, registers them with a real central server whose tokens came from its CLI and sit in an
ansible-vault file, and checks them with `kiosk doctor --json`. Then: a second run changes nothing,
a doctor FAIL stops the play, and an overlapping number block stops it before any kiosk is touched."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest
import requests
from installkit import REPO, can_chroot, clean_env, host_wheelhouse, kiosk_wheel, mounted_image
from support import sshd
from support.waiting import free_port, stop_process, wait_for

from kiosk.admin_pin import verify_pin

PLAYBOOK_DIR = REPO / "deploy" / "ansible"
BIN = Path(sys.executable).parent
OFFICES = {"BLITAR": "Kantor Imigrasi Kelas II Non TPI Blitar", "MALANG": "Kantor Imigrasi Kelas I TPI Malang"}
# The kiosks as a technician would list them; hardware that is not attached here fails its doctor
# check, which the inventory accepts (as for a kiosk prepared before its screen is mounted).
KIOSKS = {
    "blitar-1": {"office": "BLITAR", "block": "1-499", "printer": "virtual", "rotation": 0},
    "blitar-2": {"office": "BLITAR", "block": "500-999", "printer": "usb:0416:5011", "rotation": 90,
                 "overlay": "vc4-kms-dsi-ili9881-7inch"},
    "malang-1": {"office": "MALANG", "block": "1-999", "printer": "serial:/dev/ttyUSB9@19200", "rotation": 270},
}
NOT_ATTACHED = ["display", "touch", "printer", "printer access"]
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
VAULT_PASSWORD = "test vault password"
PINS = {"BLITAR": "246810"}  # MALANG leaves the PIN to its technician


def central(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "central", *args], capture_output=True, text=True,
                          timeout=timeout, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    return proc


class Fleet:
    def __init__(self, tmp: Path, server: sshd.Sshd, central_url: str, central_db: Path, roots: dict[str, Path]):
        self.tmp, self.sshd, self.central_url, self.central_db, self.roots = tmp, server, central_url, central_db, roots
        self.tokens = {kiosk: central("tokens", "add", kiosk, "--office", spec["office"], "--db", str(central_db)).stdout.strip()
                       for kiosk, spec in KIOSKS.items()}
        self.control_dir = Path(tempfile.mkdtemp(prefix="ans-cp-"))  # short: a socket path has 108 bytes
        self.cleanup = lambda: shutil.rmtree(self.control_dir, ignore_errors=True)
        (tmp / "remote-tmp").mkdir()
        self.password_file = tmp / "vault-password"
        self.password_file.write_text(VAULT_PASSWORD + "\n")
        self.password_file.chmod(0o600)
        self.runs = 0

    def inventory(self, **host_overrides: dict) -> Path:
        """A fresh inventory folder: hosts, one group per office, each office's tokens in a vault."""
        self.runs += 1
        folder = self.tmp / f"inventory-{self.runs}"
        hosts = {}
        for kiosk, spec in KIOSKS.items():
            hosts.setdefault(f"office_{spec['office'].lower()}", {"hosts": {}})["hosts"][kiosk] = {
                "kiosk_root": str(self.roots[kiosk]), "kiosk_number_block": spec["block"],
                "kiosk_printer": spec["printer"], "kiosk_display_rotation": spec["rotation"],
                **({"kiosk_display_overlay": spec["overlay"]} if "overlay" in spec else {}),
                **host_overrides.get(kiosk, {}),
            }
        ssh_options = " ".join(self.sshd.client_options()[2:])  # the key is given on its own
        write_yaml(folder / "hosts.yml", {
            "all": {"vars": {"kiosk_wheelhouse": str(host_wheelhouse())}},
            "kiosks": {"children": hosts, "vars": {
                "ansible_host": "127.0.0.1", "ansible_port": self.sshd.port, "ansible_user": self.sshd.user,
                "ansible_ssh_private_key_file": str(self.sshd.key), "ansible_ssh_common_args": ssh_options,
                "ansible_python_interpreter": "/usr/bin/python3", "ansible_remote_tmp": str(self.tmp / "remote-tmp"),
                "kiosk_manage_units": False, "kiosk_doctor_allow_fail": NOT_ATTACHED,
            }},
        })
        for office, name in OFFICES.items():
            group = folder / "group_vars" / f"office_{office.lower()}"
            write_yaml(group / "main.yml", {
                "kiosk_office": office, "kiosk_office_name": name, "kiosk_central_url": self.central_url,
                "kiosk_central_token": "{{ vault_kiosk_central_tokens[kiosk_id] }}",
                **({"kiosk_admin_pin": "{{ vault_kiosk_admin_pin }}"} if office in PINS else {}),
            })
            (group / "vault.yml").write_text(self.vault(office))
        return folder

    def vault(self, office: str) -> str:
        """The office's kiosk tokens in a file encrypted by ansible-vault (once; reused by every run)."""
        plain = self.tmp / f"vault-{office}.yml"
        if plain.exists():
            return plain.read_text()
        write_yaml(plain, {"vault_kiosk_central_tokens": {
            kiosk: self.tokens[kiosk] for kiosk, spec in KIOSKS.items() if spec["office"] == office},
            **({"vault_kiosk_admin_pin": PINS[office]} if office in PINS else {})})
        ansible("ansible-vault", "encrypt", "--vault-password-file", self.password_file, plain, env=self.env())
        text = plain.read_text()
        assert text.startswith("$ANSIBLE_VAULT;") and self.tokens[f"{office.lower()}-1"] not in text
        return text

    def env(self) -> dict:
        return clean_env(
            PATH=f"{BIN}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(PLAYBOOK_DIR / "ansible.cfg"),
            ANSIBLE_HOME=str(self.tmp / "ansible-home"), ANSIBLE_LOCAL_TEMP=str(self.tmp / "ansible-home/tmp"),
            ANSIBLE_SSH_CONTROL_PATH_DIR=str(self.control_dir), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_LOG_PATH=str(self.tmp / "ansible.log"),  # every line with its time, for a slow or failed run
            # One connection per host for a whole run, not left open long after the test.
            ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=5s",
        )

    def play(self, inventory: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
        proc = ansible("ansible-playbook", "-i", inventory, "--vault-password-file", self.password_file,
                       PLAYBOOK_DIR / "site.yml", *extra, env=self.env(), check=False)
        (self.tmp / f"play-{self.runs}.log").write_text(proc.stdout + proc.stderr)
        recap = {m[0]: {"ok": int(m[1]), "changed": int(m[2]), "unreachable": int(m[3]), "failed": int(m[4])}
                 for m in RECAP.findall(proc.stdout)}
        return proc, recap


def write_yaml(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")  # JSON is YAML


def ansible(*cmd, env: dict, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(BIN / cmd[0]), *map(str, cmd[1:])], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=PLAYBOOK_DIR)
    assert not check or proc.returncode == 0, f"{cmd[0]} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-3000:]}"
    return proc


def tree(root: Path) -> dict:
    """Every file under an image root (not its bind mounts): path -> (mode, size, mtime, inode), and
    every folder: path -> mode (a folder's mtime moves when a command makes and removes a scratch
    file in it, e.g. in /tmp; what lasts shows up as a file)."""
    out = {}
    for folder, dirs, files in os.walk(root):
        if folder == str(root):
            dirs[:] = [d for d in dirs if d not in ("usr", "dev")]
        for name in dirs:
            out[os.path.relpath(os.path.join(folder, name), root)] = os.lstat(os.path.join(folder, name)).st_mode
        for name in files:
            st = os.lstat(os.path.join(folder, name))
            out[os.path.relpath(os.path.join(folder, name), root)] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino)
    return out


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Three image roots, an sshd, a central server; then the first run of the playbook."""
    if why := can_chroot() or sshd.why_not():
        pytest.skip(why)
    tmp = tmp_path_factory.mktemp("fleet")
    host_wheelhouse()
    with contextlib.ExitStack() as stack:
        roots = {kiosk: stack.enter_context(mounted_image(tmp / kiosk, tmp / f"{kiosk}-usr-local")) for kiosk in KIOSKS}
        boot = roots["blitar-2"] / "boot/firmware/config.txt"
        boot.parent.mkdir(parents=True)
        boot.write_text("[all]\ndtoverlay=vc4-kms-v3d\n")
        server = sshd.start(tmp / "sshd")
        stack.callback(server.stop)
        db = tmp / "central.db"
        url = f"http://127.0.0.1:{free_port()}"
        proc = subprocess.Popen([sys.executable, "-m", "central", "serve", "--db", str(db), "--listen", url[7:],
                                 "--log-level", "warning"], env=clean_env())
        stack.callback(stop_process, proc)
        fleet = Fleet(tmp, server, url, db, roots)
        stack.callback(fleet.cleanup)
        wait_for("the central server", lambda: _up(f"{url}/api/v1/health"))
        fleet.first = fleet.play(fleet.inventory())
        yield fleet


def _up(url: str) -> bool:
    try:
        return requests.get(url, timeout=0.5).status_code == 200
    except requests.RequestException:
        return False


def test_three_kiosks_installed_provisioned_and_registered(fleet):
    proc, recap = fleet.first
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert set(recap) == set(KIOSKS)
    assert all(recap[k]["changed"] > 0 and recap[k]["failed"] == 0 for k in KIOSKS), recap
    for secret in [*(t.split(".")[1] for t in fleet.tokens.values()), *PINS.values()]:
        assert secret not in proc.stdout + proc.stderr  # no_log and stdin: a secret never shows

    wheel = kiosk_wheel(host_wheelhouse())
    for kiosk, spec in KIOSKS.items():
        root = fleet.roots[kiosk]
        etc = root / "etc/kiosk"
        cfg = tomllib.loads((etc / "kiosk.toml").read_text())
        block = [int(n) for n in spec["block"].split("-")]
        assert cfg["kiosk"] == {"id": kiosk, "office_code": spec["office"], "catalogue": "/etc/kiosk/services.toml",
                                "office_name": OFFICES[spec["office"]], "number_block": block}
        assert cfg["printer"]["device"] == spec["printer"] and cfg["ui"]["rotation"] == spec["rotation"]
        assert cfg["central"] == {"url": fleet.central_url, "token_file": "central.token"}
        assert cfg["store"]["path"] == "/var/lib/kiosk/kiosk.db"
        if spec["office"] in PINS:
            assert verify_pin(PINS[spec["office"]], cfg["admin"]["pin_hash"]), kiosk
        else:
            assert "admin" not in cfg, kiosk
        for secret in ("kiosk.toml", "central.token", "log.token"):
            st = (etc / secret).stat()
            assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o600, 0), f"{kiosk}: {secret}"
        assert (etc / "central.token").read_text() == fleet.tokens[kiosk] + "\n"
        # the software came from the wheelhouse, through install.sh --root
        assert os.readlink(root / "usr/local/bin/kiosk") == "/opt/kiosk/venv/bin/kiosk"
        assert (root / "opt/kiosk/installed-wheel.sha256").read_text().split()[1] == wheel.name
        assert (root / "etc/systemd/system/multi-user.target.wants/kiosk-agent.service").is_symlink()
        # the doctor ran in that root and its non-OK lines were shown
        assert f"ok: [{kiosk}] => (item=WARN database)" in proc.stdout
    log_tokens = {(fleet.roots[k] / "etc/kiosk/log.token").read_text() for k in KIOSKS}
    assert len(log_tokens) == 3
    blocks = {tuple(tomllib.loads((fleet.roots[k] / "etc/kiosk/kiosk.toml").read_text())["kiosk"]["number_block"])
              for k in KIOSKS}
    assert len(blocks) == 3

    assert 'ATTR{idVendor}=="0416", ATTR{idProduct}=="5011"' in \
        (fleet.roots["blitar-2"] / "etc/udev/rules.d/99-kiosk-printer.rules").read_text()
    assert "dtoverlay=vc4-kms-dsi-ili9881-7inch" in (fleet.roots["blitar-2"] / "boot/firmware/config.txt").read_text()

    # registered: the central server saw each kiosk's heartbeat, in its own office
    listed = [json.loads(line) for line in central("kiosks", "--json", "--db", str(fleet.central_db)).stdout.splitlines()]
    assert {k["kiosk_id"]: k["office"] for k in listed} == {k: s["office"] for k, s in KIOSKS.items()}
    assert all(k["last_seen_at"] for k in listed)


def test_a_second_run_changes_nothing(fleet):
    before = {kiosk: tree(root) for kiosk, root in fleet.roots.items()}
    proc, recap = fleet.play(fleet.inventory())
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert {host: r["changed"] for host, r in recap.items()} == {k: 0 for k in KIOSKS}, recap
    assert {kiosk: tree(root) for kiosk, root in fleet.roots.items()} == before


def test_a_doctor_fail_stops_the_play_with_the_check_and_its_fix(fleet):
    # --tags doctor: the health sweep alone, nothing installed or provisioned
    proc, recap = fleet.play(fleet.inventory(), "--limit", "malang-1", "--tags", "doctor",
                             "-e", json.dumps({"kiosk_doctor_allow_fail": []}))
    assert proc.returncode != 0
    assert recap == {"malang-1": {"ok": 3, "changed": 0, "unreachable": 0, "failed": 1}}, recap
    assert "WARN database: /var/lib/kiosk/kiosk.db does not exist yet" in proc.stdout
    assert "malang-1: kiosk doctor FAIL: " in proc.stdout
    assert "touch: no multitouch input device found (fix: check the touch panel" in proc.stdout


def test_an_overlapping_block_stops_the_play_before_any_kiosk_is_touched(fleet):
    before = {kiosk: tree(root) for kiosk, root in fleet.roots.items()}
    sessions = fleet.sshd.log.read_text().count("Starting session")  # each command, also over a kept connection
    proc, recap = fleet.play(fleet.inventory(**{"blitar-2": {"kiosk_number_block": "400-999"}}))
    assert proc.returncode != 0
    assert "blitar-1 (1-499) and blitar-2 (400-999) overlap in office BLITAR" in proc.stdout
    assert "Nothing was changed on any kiosk" in proc.stdout
    assert all(r["changed"] == 0 for r in recap.values()) and "Install, provision" not in proc.stdout, recap
    assert fleet.sshd.log.read_text().count("Starting session") == sessions  # no kiosk was even contacted
    assert {kiosk: tree(root) for kiosk, root in fleet.roots.items()} == before
    assert tomllib.loads((fleet.roots["blitar-2"] / "etc/kiosk/kiosk.toml").read_text())["kiosk"]["number_block"] == [500, 999]


def test_ansible_lint_is_clean(tmp_path):
    env = clean_env(PATH=f"{BIN}:{os.environ['PATH']}", ANSIBLE_HOME=str(tmp_path / "ansible-home"), NO_COLOR="1")
    proc = subprocess.run([str(BIN / "ansible-lint"), "--offline", "--nocolor"], capture_output=True, text=True,
                          timeout=300, env=env, cwd=PLAYBOOK_DIR)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "Profile 'production' was required, and it passed" in proc.stdout + proc.stderr


def test_the_block_check_names_every_problem_and_allows_other_offices_the_same_numbers():
    spec = importlib.util.spec_from_file_location("kiosk_blocks", PLAYBOOK_DIR / "filter_plugins" / "kiosk_blocks.py")
    blocks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(blocks)
    hostvars = {
        "a1": {"kiosk_office": "A", "kiosk_number_block": "1-499"},
        "a2": {"kiosk_office": "A", "kiosk_number_block": "500-999"},  # adjacent: fine
        "a3": {"kiosk_office": "A", "kiosk_number_block": "999-1200"},  # shares 999 with a2
        "b1": {"kiosk_office": "B", "kiosk_number_block": "1-999"},  # another office: fine
        "b2": {"kiosk_office": "B", "kiosk_number_block": "900-100"},
        "b3": {"kiosk_office": "B", "kiosk_number_block": "1 to 9"},
        "c1": {"kiosk_number_block": "1-9"},
    }
    assert blocks.kiosk_block_problems(hostvars, list(hostvars)) == [
        "a2 (500-999) and a3 (999-1200) overlap in office A: two applicants would hold the same number; "
        "give them separate blocks",
        "b2: kiosk_number_block '900-100' must be FROM-TO with FROM <= TO, e.g. 1-499",
        "b3: kiosk_number_block '1 to 9' must be FROM-TO with FROM <= TO, e.g. 1-499",
        "c1: kiosk_office not set in the inventory",
    ]
    assert blocks.kiosk_block_problems(hostvars, ["a1", "a2", "b1"]) == []
