"""The build's one step that setup.cfg cannot declare: the default config goes into the package.

config/kiosk.toml and config/services.toml stay the source (docs and tests name them); the wheel
carries copies as kiosk/defaults/, which kiosk.config.loader finds when the repo's config/ is not
beside the installed package (every install that is not a checkout).
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DEFAULTS = ("kiosk.toml", "services.toml")


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


setup(cmdclass={"build_py": BuildPyWithDefaults})
