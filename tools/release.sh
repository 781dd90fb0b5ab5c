#!/usr/bin/env bash
# tools/release.sh DIR: what a technician needs to install a version without a git checkout.
#   DIR/kantor_kiosk-VERSION-py3-none-any.whl   the application (built in a copy of the checkout)
#   DIR/kantor-kiosk-VERSION.tar.gz             kantor-kiosk-VERSION/: systemd/ (units, udev rule,
#                                               install.sh), docs/, requirements/ (the hash locks),
#                                               README.md
# On the Pi:  tar xzf kantor-kiosk-VERSION.tar.gz
#             sudo kantor-kiosk-VERSION/systemd/install.sh --wheel kantor_kiosk-VERSION-py3-none-any.whl
# (or offline: --wheelhouse DIR of `make wheelhouse`, which holds the same wheel).
set -euo pipefail
[ $# = 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
REPO="$(cd "$(dirname "$0")/.." && pwd)"
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
VERSION=$(python3 -c 'import configparser, sys; c = configparser.ConfigParser(); c.read(sys.argv[1]); print(c["metadata"]["version"])' "$REPO/setup.cfg")
NAME="kantor-kiosk-$VERSION"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$REPO" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$WORK/")
rm -f "$OUT"/kantor_kiosk-"$VERSION"-*.whl
${PYTHON:-python3} -m pip wheel --quiet --no-deps --wheel-dir "$OUT" "$WORK"
mkdir "$WORK/$NAME"
(cd "$WORK" && cp -r --parents systemd docs requirements README.md "$NAME/")
tar -C "$WORK" --owner=0 --group=0 -czf "$OUT/$NAME.tar.gz" "$NAME"
ls -l "$OUT"/kantor_kiosk-"$VERSION"-*.whl "$OUT/$NAME.tar.gz"
