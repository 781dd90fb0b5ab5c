#!/usr/bin/env bash
# tools/wheelhouse.sh ARCH DIR: one folder holding everything `systemd/install.sh --wheelhouse DIR`
# installs without a network: the kiosk's own wheel, every wheel of requirements/kiosk-ARCH.txt for
# CPython 3.11 on ARCH (aarch64 for the Pi, x86_64 for tests), checked against the lock's hashes,
# and that lock as DIR/requirements.txt. Files already in DIR are reused (pip download skips them).
# The kiosk wheel is built from a copy of the checkout's files in a temporary folder, so a stale
# build/ or var/ of the checkout never ends up in it.
set -euo pipefail
[ $# = 2 ] || { echo "usage: $0 aarch64|x86_64 DIR" >&2; exit 2; }
ARCH=$1
OUT=$(mkdir -p "$2" && cd "$2" && pwd)
REPO="$(cd "$(dirname "$0")/.." && pwd)"
LOCK="$REPO/requirements/kiosk-$ARCH.txt"
[ -f "$LOCK" ] || { echo "$0: no lock for $ARCH ($LOCK); run make lock" >&2; exit 2; }
PY=${PYTHON:-python3}

SRC=$(mktemp -d)
trap 'rm -rf "$SRC"' EXIT
if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$REPO" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$SRC")
else  # an unpacked source tarball: everything but build outputs
    tar -C "$REPO" --exclude=./build --exclude=./var --exclude=./.venv --exclude=./dist -cf - . | tar -C "$SRC" -xf -
fi
echo "wheelhouse: building the kiosk wheel from a copy of $REPO"
rm -f "$OUT"/kantor_kiosk-*.whl
"$PY" -m pip wheel --quiet --no-deps --wheel-dir "$OUT" "$SRC"

echo "wheelhouse: every wheel of $(basename "$LOCK") for cp311 $ARCH into $OUT"
"$PY" -m pip download --quiet --require-hashes --no-deps --only-binary=:all: \
    --implementation cp --python-version 3.11 --abi cp311 --abi abi3 --abi none \
    --platform "manylinux_2_28_$ARCH" --platform "manylinux_2_17_$ARCH" --platform "manylinux2014_$ARCH" \
    --platform any --dest "$OUT" -r "$LOCK"
cp "$LOCK" "$OUT/requirements.txt"
echo "wheelhouse: $(ls "$OUT"/*.whl | wc -l) wheels, $(du -sh "$OUT" | cut -f1) in $OUT"
