"""The layering in docs/architecture.md, checked on the source with ast (nothing is imported, so a
rule holds even for modules a test never loads): printer/ and central/ never import kiosk/, shared/
imports none of the three, and the kiosk core never imports Kivy or kiosk/ui."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The only places outside kiosk/ui that may reach into it, and only inside a function, so nothing
# else loads Kivy: the `kiosk ui` / `kiosk screenshots` commands, and `kiosk run` for the Xvfb
# helper (kiosk/ui/xvfb.py, which imports no Kivy) when there is no display.
LAZY_UI_IMPORTERS = {"kiosk/cli/ui_cmd.py", "kiosk/run.py"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path):
    """(imported module, at module level?) for every import statement, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in top_level
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target, id(node) in top_level
            for alias in node.names:  # `from . import ui` names a module too
                yield f"{target}.{alias.name}", id(node) in top_level


def sources(folder: str):
    return sorted((REPO / folder).rglob("*.py"))


def under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{path.relative_to(REPO)} imports {name}"
            for path in sources(folder) for name, _ in imports(path)
            if any(under(name, f) for f in forbidden)]


@pytest.mark.parametrize("folder, forbidden", [
    ("printer", ("kiosk", "central")),
    ("central", ("kiosk",)),
    ("shared", ("kiosk", "central", "printer")),
])
def test_libraries_never_import_the_kiosk(folder, forbidden):
    assert sources(folder), f"no sources under {folder}/"
    assert violations(folder, forbidden) == []


def test_the_kiosk_core_never_imports_kivy_or_the_ui():
    found = []
    for path in sources("kiosk"):
        rel = str(path.relative_to(REPO))
        if rel.startswith("kiosk/ui/"):
            continue
        for name, top in imports(path):
            if under(name, "kivy"):
                found.append(f"{rel} imports {name}")
            elif under(name, "kiosk.ui") and (top or rel not in LAZY_UI_IMPORTERS):
                found.append(f"{rel} imports {name}" + (" at module level" if top else ""))
    assert found == []


def test_the_checker_sees_relative_and_lazy_imports(tmp_path):
    """The rule must be able to fail: a relative import into kiosk/ui inside a function is seen."""
    probe = REPO / "kiosk" / "cli" / "ui_cmd.py"
    names = list(imports(probe))
    assert ("kiosk.ui.app", False) in names
    assert all(not top for name, top in names if under(name, "kiosk.ui"))
