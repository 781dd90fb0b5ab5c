"""The build's one step that setup.cfg cannot declare: the default config goes into the package.

config/kiosk.toml and config/services.toml stay the source (docs and tests name them); the wheel
carries copies as kiosk/defaults/, which kiosk.config.loader finds when the repo's config/ is not
beside the installed package (every install that is not a checkout).
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

DEFAULTS = ("kiosk.toml", "services.toml")
TOP_LEVEL = ("kiosk", "printer", "central", "shared")


def packages() -> list[str]:
    """Every folder under the top-level packages, data-only ones too (ui/screens, locale/*/LC_MESSAGES),
    so package_data reaches them without setuptools' namespace warnings. Searched per package:
    a find over the whole checkout would walk var/ (an arm64 root, wheelhouses) and .venv."""
    found = []
    for top in TOP_LEVEL:
        found += [top] + [f"{top}.{sub}" for sub in find_namespace_packages(where=top, exclude=["*__pycache__*"])]
    return found


class BuildPyWithDefaults(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "kiosk" / "defaults"
        self.mkpath(str(target))
        for name in DEFAULTS:
            self.copy_file(str(Path("config") / name), str(target / name))

    def get_outputs(self, include_bytecode=True):
        extra = [str(Path(self.build_lib) / "kiosk" / "defaults" / name) for name in DEFAULTS]
        return super().get_outputs(include_bytecode) + extra


setup(packages=packages(), cmdclass={"build_py": BuildPyWithDefaults})
