"""`kiosk doctor`: every health check a technician needs, each OK / WARN / FAIL with its fix.

Checks run in parallel daemon threads, each under a deadline: a dead printer or a black-holed
server makes its own check FAIL after `timeout` seconds instead of hanging the doctor (a thread
stuck in a blocking call is abandoned; the process exits without waiting for it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from ..config import ConfigError, find_config_path, load_config
from . import checks
from .host import Host
from .result import FAIL, OK, WARN, Result, fail, ok, warn

NAMES = {
    checks.secrets: "secrets", checks.database: "database", checks.disk: "disk", checks.clock: "clock",
    checks.timezone_check: "timezone", checks.printer: "printer", checks.printer_access: "printer access",
    checks.server: "server", checks.log_api: "log api", checks.units: "units", checks.display: "display",
    checks.touch: "touch", checks.groups: "groups", checks.display_mode: "display mode",
    checks.quarantine: "quarantine",
    checks.audio: "audio",
}
GRACE_S = 1.0  # on top of each check's own timeout, for the thread to hand its answer back


@dataclass
class Report:
    results: list[Result]

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status == FAIL]

    def to_json(self) -> dict:
        return {"ok": not self.failed, "checks": [r.to_json() for r in self.results]}


class Doctor:
    def __init__(self, config_path: str | None = None, *, host: Host | None = None, user: str | None = None,
                 timeout: float = 5.0, config_checks=checks.CONFIG_CHECKS, host_checks=checks.HOST_CHECKS):
        self.config_path = config_path
        self.host = host or Host()
        self.timeout = timeout
        self.user = user or self._default_user()
        self.config_checks = config_checks
        self.host_checks = host_checks

    def _default_user(self) -> str:
        if self.host.user_exists("kiosk"):
            return "kiosk"
        import getpass

        return getpass.getuser()

    def run(self) -> Report:
        config, first = self._config()
        scene = checks.Scene(config, self.host, self.user, self.timeout)
        todo = list(self.host_checks)
        skipped = []
        if config is not None:
            todo = list(self.config_checks) + todo
        else:
            skipped = [warn(NAMES.get(c, c.__name__), "not checked: the configuration is invalid",
                            "fix the configuration first") for c in self.config_checks]
        return Report([*first, *self._run_all(todo, scene), *skipped])

    def _config(self):
        path = find_config_path(self.config_path)
        try:
            cfg = load_config(self.config_path)
        except ConfigError as e:
            lines = "; ".join(f"{p.key}: {p.message}" if p.key else p.message for p in e.problems)
            return None, [fail("config", f"{path}: {lines}",
                               f"edit {path}, or run: sudo kiosk provision ... (kiosk config validate lists every problem)")]
        out = [ok("config", f"{cfg.path} is valid ({len(cfg.catalogue.services)} services)")]
        out += [warn("config", w, "see docs/operations.md") for w in cfg.warnings]
        return cfg, out

    def _run_all(self, todo, scene) -> list[Result]:
        answers: dict[int, list[Result]] = {}
        threads = []
        for i, check in enumerate(todo):
            t = threading.Thread(target=self._one, args=(check, scene, answers, i), daemon=True,
                                 name=f"doctor:{NAMES.get(check, check.__name__)}")
            t.start()
            threads.append(t)
        deadline = time.monotonic() + self.timeout + GRACE_S
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        out: list[Result] = []
        for i, check in enumerate(todo):
            name = NAMES.get(check, check.__name__)
            out += answers.get(i) or [fail(name, f"did not finish within {self.timeout:g} s (a device or the "
                                             "network is not answering)", "see the other checks; run doctor again")]
        return out

    @staticmethod
    def _one(check, scene, answers, i) -> None:
        name = NAMES.get(check, check.__name__)
        try:
            result = check(scene)
            answers[i] = result if isinstance(result, list) else [result]
        except Exception as e:  # noqa: BLE001 - one broken check must not hide the others
            answers[i] = [fail(name, f"the check itself failed: {e.__class__.__name__}: {e}",
                               "report this with the output of `kiosk doctor --json`")]


def render_text(report: Report) -> str:
    width = max(len(r.name) for r in report.results)
    lines = []
    for r in report.results:
        lines.append(f"{r.status:<4}  {r.name:<{width}}  {r.detail}")
        if r.fix and r.status != OK:
            lines.append(f"{'':<4}  {'':<{width}}  fix: {r.fix}")
    counts = {s: sum(r.status == s for r in report.results) for s in (FAIL, WARN, OK)}
    lines.append(f"{counts[FAIL]} FAIL, {counts[WARN]} WARN, {counts[OK]} OK")
    return "\n".join(lines)


__all__ = ["Doctor", "Host", "Report", "Result", "render_text"]
