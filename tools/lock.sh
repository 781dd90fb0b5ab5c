#!/usr/bin/env bash
# Writes requirements/kiosk-<arch>.txt: every package the kiosk installs, exact version and sha256
# hashes, for CPython 3.11 on aarch64 (the Pi) and x86_64 (tests, make arm64-check's host), wheels
# only (a Pi must never compile). Input: install_requires in setup.cfg. Needs uv (PyPI), which it
# installs into var/tools when missing. Run after changing install_requires: `make lock`.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=var/tools/bin/uv
if [ ! -x "$UV" ]; then
    python3 -m venv var/tools
    var/tools/bin/python -m pip install --quiet uv
fi
TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT
IN="$TMPD/setup.cfg-install_requires.in"
python3 - "$IN" <<'PY'
import configparser, sys
cfg = configparser.ConfigParser()
cfg.read("setup.cfg")
reqs = [r.strip() for r in cfg["options"]["install_requires"].splitlines() if r.strip()]
open(sys.argv[1], "w").write("\n".join(reqs) + "\n")
PY
mkdir -p requirements
for arch in aarch64 x86_64; do
    # manylinux_2_28: a wheel Debian 12 (glibc 2.36) can load; no sdists (--only-binary).
    (cd "$TMPD" && "$OLDPWD/$UV" pip compile "$(basename "$IN")" --quiet --python-version 3.11 --python-platform "$arch-manylinux_2_28" \
        --only-binary :all: --generate-hashes --no-header --annotation-style line \
        --custom-compile-command "make lock" -o "$OLDPWD/requirements/kiosk-$arch.txt")
    sed -i "1i # Locked by tools/lock.sh (make lock) from setup.cfg install_requires: CPython 3.11, $arch, wheels only." "requirements/kiosk-$arch.txt"
    echo "requirements/kiosk-$arch.txt: $(grep -c '==' "requirements/kiosk-$arch.txt") packages"
done
