"""docs/configuration.md documents every option schema.py declares, under its section."""

import dataclasses
import re
from pathlib import Path

from kiosk.config.schema import SECTIONS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()


def section_text(name: str) -> str:
    m = re.search(rf"^#+ [^\n]*`\[{name}\]`[^\n]*$(.*?)(?=^#|\Z)", DOC, re.M | re.S)
    assert m, f"docs/configuration.md has no heading for [{name}]"
    return m.group(1)


def test_every_option_is_documented_in_its_section():
    missing = []
    for name, cls in SECTIONS.items():
        body = section_text(name)
        for f in dataclasses.fields(cls):
            if "check" in f.metadata and f"`{f.name}`" not in body:
                missing.append(f"[{name}] {f.name}")
    assert not missing, f"undocumented options: {missing}"
