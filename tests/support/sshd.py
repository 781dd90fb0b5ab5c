"""A throwaway OpenSSH server on a loopback port, for tests that log in over SSH for real.

Its own host key, its own client key (the only one it accepts), its own sshd_config checked with
`sshd -t` before it starts, and a known_hosts file holding its host key, so the client verifies the
server as it would in the field. Root logs in by key only; needs Debian's openssh-server.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .waiting import free_port, stop_process, wait_for

SSHD = "/usr/sbin/sshd"
PRIVSEP_DIR = Path("/run/sshd")  # sshd refuses to start without it (Debian's unit creates it)


def why_not() -> str | None:
    """Why no sshd can run here, or None."""
    if os.getuid() != 0:
        return "sshd for a root login needs root"
    if not Path(SSHD).exists() or not shutil.which("ssh-keygen") or not shutil.which("ssh"):
        return "needs Debian's openssh-server and openssh-client"
    return None


@dataclass
class Sshd:
    port: int
    user: str
    key: Path  # the client's private key
    known_hosts: Path
    log: Path
    proc: subprocess.Popen

    def ssh(self, *command: str, timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run(["ssh", *self.client_options(), "-p", str(self.port), f"{self.user}@127.0.0.1", *command],
                              capture_output=True, text=True, timeout=timeout)

    def client_options(self) -> list[str]:
        return ["-i", str(self.key), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "StrictHostKeyChecking=yes",
                "-o", "ConnectTimeout=10"]

    def stop(self) -> None:
        stop_process(self.proc, timeout=10)


def _keygen(path: Path, comment: str) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True, capture_output=True, timeout=30)


def start(folder: Path) -> Sshd:
    """Start sshd -D on 127.0.0.1 with everything it needs in `folder`; wait until it accepts logins."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    host_key, user_key = folder / "host_ed25519", folder / "user_ed25519"
    _keygen(host_key, "test sshd host key")
    _keygen(user_key, "test client")
    authorized = folder / "authorized_keys"
    authorized.write_text((folder / "user_ed25519.pub").read_text())
    authorized.chmod(0o600)
    port = free_port()
    known_hosts = folder / "known_hosts"
    kind, public = (folder / "host_ed25519.pub").read_text().split()[:2]
    known_hosts.write_text(f"[127.0.0.1]:{port} {kind} {public}\n")
    config = folder / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}",
        "ListenAddress 127.0.0.1",
        f"HostKey {host_key}",
        f"PidFile {folder / 'sshd.pid'}",
        f"AuthorizedKeysFile {authorized}",
        "AllowUsers root",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        # The key files live under /tmp, which is world-writable: the path check would refuse them.
        "StrictModes no",
        "Subsystem sftp internal-sftp",
        "MaxStartups 30:50:60",
        "MaxSessions 30",
        "LogLevel VERBOSE",
        "",
    ]))
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    check = subprocess.run([SSHD, "-t", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, f"sshd -t refused {config}: {check.stderr}"
    log = folder / "sshd.log"
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                            stderr=log.open("w"), start_new_session=True)
    server = Sshd(port, "root", user_key, known_hosts, log, proc)
    try:
        wait_for("sshd to listen", lambda: proc.poll() is not None or _listening(port), timeout=20)
        assert proc.poll() is None, f"sshd exited {proc.returncode}: {log.read_text()[-2000:]}"
        login = server.ssh("true")
        assert login.returncode == 0, f"ssh login refused: {login.stderr}\nsshd: {log.read_text()[-2000:]}"
    except BaseException:
        server.stop()
        raise
    return server


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
