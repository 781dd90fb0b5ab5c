"""What a rendered WAV sounds like, measured by sox (the tests' ears)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Heard:
    seconds: float
    rms: float  # 0..1 of full scale


def listen(wav: Path) -> Heard:
    r = subprocess.run(["sox", str(wav), "-n", "stat"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, f"sox cannot read {wav}: {r.stderr}"
    fields = {}
    for line in r.stderr.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[" ".join(name.split())] = value.strip()
    return Heard(float(fields["Length (seconds)"]), float(fields["RMS amplitude"]))
