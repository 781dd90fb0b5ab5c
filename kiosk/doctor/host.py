"""What the doctor asks the machine, behind one small object so tests can hand it a fake machine.

Paths are taken under `root` (default "/"): a test builds dev/dri/card0, proc/bus/input/devices and
so on in a temp folder. Commands run with a timeout and never raise: a missing systemctl is an
answer like any other.
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class CommandResult:
    code: int
    out: str
    err: str


@dataclass
class Host:
    root: Path = Path("/")
    groups_of: dict[str, set[str]] | None = None  # tests: user -> group names
    commands: dict[tuple, CommandResult] = field(default_factory=dict)  # tests: canned answers
    fake_commands: bool = False

    def path(self, absolute: str) -> Path:
        """`absolute` on this host; a path already inside `root` is taken as it is."""
        p = Path(absolute)
        if p.is_absolute() and p.is_relative_to(self.root):
            return p
        return self.root / absolute.lstrip("/")

    def owner_name(self, uid: int) -> str:
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return str(uid)

    def run(self, argv: list[str], timeout: float) -> CommandResult:
        if self.fake_commands:
            return self.commands.get(tuple(argv), CommandResult(127, "", f"{argv[0]}: not found"))
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            return CommandResult(127, "", f"{argv[0]}: not found")
        except subprocess.TimeoutExpired:
            return CommandResult(124, "", f"{argv[0]} did not answer within {timeout:g} s")
        return CommandResult(p.returncode, p.stdout, p.stderr)

    def user_exists(self, user: str) -> bool:
        if self.groups_of is not None:
            return user in self.groups_of
        try:
            pwd.getpwnam(user)
            return True
        except KeyError:
            return False

    def groups(self, user: str) -> set[str]:
        """Names of every group the user is in, its primary group included."""
        if self.groups_of is not None:
            return set(self.groups_of.get(user, set()))
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            return set()
        names = {g.gr_name for g in grp.getgrall() if user in g.gr_mem}
        try:
            names.add(grp.getgrgid(entry.pw_gid).gr_name)
        except KeyError:
            pass
        return names

    def group_name(self, gid: int) -> str:
        try:
            return grp.getgrgid(gid).gr_name
        except KeyError:
            return str(gid)

    def systemd_running(self) -> bool:
        return self.path("/run/systemd/system").is_dir()

    def local_timezone(self) -> str | None:
        link = self.path("/etc/localtime")
        try:
            target = os.readlink(link)
        except OSError:
            tz = self.path("/etc/timezone")
            return tz.read_text().strip() if tz.exists() else None
        marker = "zoneinfo/"
        return target.split(marker, 1)[1] if marker in target else None
