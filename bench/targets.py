"""Targets as ratios against a baseline measured in the same run, each printed PASS or MISS.

Absolute times move with the machine and whatever else runs on it; a ratio to a floor measured
interleaved in the same run (a bare SQLite commit, the sqlite3 tool, a raw write) does not.
Every bench ends with `sys.exit(targets.finish())`: exit 1 when any target was missed.

    targets = Targets("export")
    targets.at_most("kiosk export, 100,000 tickets", 0.71, 0.40, 2.0, baseline="sqlite3 -json dump")
"""

from __future__ import annotations

import statistics


def median_ratio(values: list[float], baselines: list[float]) -> float:
    """Median of the per-round ratios: each round's value against the baseline measured next to it."""
    return statistics.median(v / b for v, b in zip(values, baselines))


class Targets:
    def __init__(self, bench: str):
        self.bench = bench
        self.results: list[tuple[str, bool]] = []

    def _report(self, what: str, ratio: float, limit: float, ok: bool, sign: str, baseline: str, note: str) -> bool:
        self.results.append((what, ok))
        extra = f"; {note}" if note else ""
        print(f"TARGET {'PASS' if ok else 'MISS'}  {what}: {ratio:.2f}x {baseline} "
              f"(target {sign} {limit:g}x{extra})", flush=True)
        return ok

    def at_most(self, what: str, ratio: float, limit: float, *, baseline: str, note: str = "") -> bool:
        return self._report(what, ratio, limit, ratio <= limit, "<=", baseline, note)

    def at_least(self, what: str, ratio: float, limit: float, *, baseline: str, note: str = "") -> bool:
        return self._report(what, ratio, limit, ratio >= limit, ">=", baseline, note)

    def holds(self, what: str, ok: bool, *, note: str = "") -> bool:
        """A target that is a yes/no check against a fixed budget (byte counts: the same on any machine)."""
        self.results.append((what, ok))
        print(f"TARGET {'PASS' if ok else 'MISS'}  {what}" + (f" ({note})" if note else ""), flush=True)
        return ok

    def finish(self) -> int:
        missed = [what for what, ok in self.results if not ok]
        print(f"{self.bench}: {len(self.results) - len(missed)} of {len(self.results)} targets met"
              + (f"; MISSED: {', '.join(missed)}" if missed else ""), flush=True)
        return 1 if missed else 0
