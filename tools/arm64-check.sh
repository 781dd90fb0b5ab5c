#!/usr/bin/env bash
# tools/arm64-check.sh DIR (make arm64-check): proves on this machine that the release installs and
# starts on aarch64. In DIR/root a Debian 12 arm64 system (debootstrap, run under qemu-user-static
# through binfmt_misc), then systemd/install.sh --root with the aarch64 wheelhouse (every wheel of
# requirements/kiosk-aarch64.txt, installed --no-index --require-hashes by the image's own python3),
# then the installed kiosk under emulation: provision, config validate, issue --no-print, printer
# preview. Prints each step's time; DIR/figures.md holds them. Needs root. The Debian mirror is the
# one this machine's apt uses. The root is kept: a second run skips debootstrap.
set -euo pipefail
[ $# = 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "$0: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
REPO="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$1"
DIR="$(cd "$1" && pwd)"
ROOT="$DIR/root"
FIG="$DIR/figures.md"
NEEDED=(debootstrap qemu-user-static binfmt-support)

say() { echo "[arm64-check] $*"; }
missing=()
for p in "${NEEDED[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if [ ${#missing[@]} != 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
grep -q "^enabled" /proc/sys/fs/binfmt_misc/qemu-aarch64 \
    || { echo "$0: qemu-aarch64 is not registered with binfmt_misc: aarch64 programs cannot run here" >&2; exit 1; }

mirror() {  # the first Debian archive this machine's apt uses for bookworm (deb822 or one-line)
    { cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
        /^URIs:/ {u=$2} /^Suites:/ {for (i = 2; i <= NF; i++) if ($i == "bookworm") {print u; exit}}'
      cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | awk '$1 == "deb" && $3 == "bookworm" {print ($2 ~ /^\[/ ? $3 : $2); exit}'; } 2>/dev/null | head -1 || true
}
MIRROR=${DEBIAN_MIRROR:-$(mirror)}
[ -n "$MIRROR" ] || { echo "$0: no bookworm source in /etc/apt (set DEBIAN_MIRROR=URL)" >&2; exit 1; }

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }
FIGURES=()
timed() {  # timed LABEL CMD...: run, print and record how long it took
    local label=$1 t0 t1; shift
    say "$label"
    t0=$(now)
    "$@"
    t1=$(now)
    FIGURES+=("| $label | $(secs "$t0" "$t1") s |")
    say "$label: $(secs "$t0" "$t1") s"
}

if [ ! -x "$ROOT/usr/bin/python3" ]; then
    rm -rf "$ROOT"
    timed "debootstrap Debian 12 arm64 (minbase + python3-venv) from $MIRROR" \
        debootstrap --arch=arm64 --variant=minbase --include=python3,python3-venv,ca-certificates \
        bookworm "$ROOT" "$MIRROR"
else
    say "reusing $ROOT (delete it for a fresh debootstrap)"
fi
timed "make wheelhouse (aarch64)" "$REPO/tools/wheelhouse.sh" aarch64 "$REPO/var/wheelhouse-aarch64"

MOUNTS=()
cleanup() { for m in "${MOUNTS[@]+"${MOUNTS[@]}"}"; do umount -l "$m" 2>/dev/null || true; done; }
trap cleanup EXIT
for m in proc dev; do
    mount --bind "/$m" "$ROOT/$m"
    MOUNTS=("$ROOT/$m" "${MOUNTS[@]+"${MOUNTS[@]}"}")
done
in_root() { chroot "$ROOT" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
say "the root says: $(in_root uname -m), dpkg $(in_root dpkg --print-architecture), $(in_root python3 --version)"

timed "install.sh --root --wheelhouse (pip --no-index --require-hashes, emulated)" \
    env KIOSK_INSTALL_ARCH= bash "$REPO/systemd/install.sh" --root "$ROOT" --wheelhouse "$REPO/var/wheelhouse-aarch64"
timed "kiosk provision (standalone, virtual printer)" \
    in_root kiosk provision --kiosk-id arm64-check --office CHECK --office-name "Kantor Imigrasi Uji" \
        --server "" --printer virtual --number-block 1-99
# Open around the clock (as `kiosk run` does), so the ticket is issued whatever the hour here.
sed -E -i 's/^(\s*(mon|tue|wed|thu|fri|sat|sun)\s*=\s*)\[[^]]*\]/\1["00:00-24:00"]/; s/^closed_dates\s*=.*$/closed_dates = []/' \
    "$ROOT/etc/kiosk/services.toml"
timed "kiosk config validate" in_root kiosk config validate
timed "kiosk issue A --no-print" in_root kiosk issue A --no-print
timed "kiosk printer preview A" in_root kiosk printer preview A --out /tmp/arm64-check.png
[ -s "$ROOT/tmp/arm64-check.png" ] || { echo "$0: no preview PNG" >&2; exit 1; }
timed "kiosk --version (start-up alone)" in_root kiosk --version

{
    echo "make arm64-check on $(uname -m) ($(nproc) cores), $(date -u +%Y-%m-%d), qemu-user $(qemu-aarch64-static --version | head -1 | awk '{print $3}'):"
    echo
    echo "| step | time |"
    echo "|---|---|"
    printf '%s\n' "${FIGURES[@]}"
    echo
    echo "Wheels installed for aarch64: $(ls "$REPO"/var/wheelhouse-aarch64/*.whl | wc -l) ($(du -sh "$REPO/var/wheelhouse-aarch64" | cut -f1))."
} > "$FIG"
cat "$FIG"
say "done: the installed kiosk runs on arm64"
