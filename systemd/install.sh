#!/usr/bin/env bash
# Install the kiosk on Raspberry Pi OS Bookworm Lite 64-bit (Debian 12, arm64), idempotently: run it
# again after an update and it only does what is missing. It does not provision; `kiosk provision`
# does that.
#
#   sudo systemd/install.sh --wheelhouse DIR  install offline from a wheelhouse (`make wheelhouse`):
#                                             pip --no-index --require-hashes, no network at all
#   sudo systemd/install.sh --wheel FILE      install a release's wheel; its dependencies come from
#                                             PyPI, checked against requirements/kiosk-ARCH.txt
#   sudo systemd/install.sh                   install this checkout (built outside it; needs PyPI)
#   systemd/install.sh --dry-run              say what would be done, change nothing
#   sudo systemd/install.sh --root /mnt/img   install into a mounted image (no packages, nothing
#                                             started; accounts via useradd --root; the venv is built
#                                             by the image's own python3 under chroot, from --wheelhouse)
#   --usb-printer VID:PID                     also a udev rule for a printer whose USB interface is
#                                             vendor-specific (class ff); repeatable. Without it, the
#                                             printers configured by an earlier run are kept.
#   --source DIR                              the checkout or unpacked release (default: this script's parent)
#
# Exit codes: 0 done, 1 a step failed, 2 refused (unsupported OS or architecture, not root, bad option).
set -euo pipefail

ROOT=/
DRY_RUN=0
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
USB_PRINTERS=()
USB_PRINTERS_GIVEN=0
WHEELHOUSE=""
WHEEL=""
# libgl1-mesa-dri: the Mesa driver that GBM and EGL load under SDL's KMSDRM (no picture without it).
PACKAGES=(python3-venv libusb-1.0-0 libmtdev1 libgbm1 libdrm2 libegl1 libgles2 libgl1-mesa-dri util-linux espeak-ng)
GROUPS_WANTED=(video render input lp dialout)
STEP_TIMEOUT=900

refuse() { echo "install.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --root) [ $# -ge 2 ] || refuse "--root needs a folder"; ROOT="$2"; shift ;;
        --source) [ $# -ge 2 ] || refuse "--source needs a folder"; SOURCE="$2"; shift ;;
        --wheelhouse) [ $# -ge 2 ] || refuse "--wheelhouse needs a folder (make wheelhouse)"; WHEELHOUSE="$2"; shift ;;
        --wheel) [ $# -ge 2 ] || refuse "--wheel needs a .whl file"; WHEEL="$2"; shift ;;
        --usb-printer)
            [ $# -ge 2 ] || refuse "--usb-printer needs VID:PID"
            [[ "$2" =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$ ]] || refuse "--usb-printer $2: expected VID:PID in hex, e.g. 0416:5011 (see lsusb)"
            USB_PRINTERS+=("${2,,}"); USB_PRINTERS_GIVEN=1; shift ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) refuse "unknown option $1 (see --help)" ;;
    esac
    shift
done

[ -d "$ROOT" ] || refuse "--root $ROOT is not a folder"
ROOT="$(cd "$ROOT" && pwd)"
R="${ROOT%/}"               # prefix for every path we touch ("" on the running system)
LIVE=$([ "$ROOT" = / ] && echo 1 || echo 0)
[ -z "$WHEELHOUSE" ] || [ -z "$WHEEL" ] || refuse "give --wheelhouse or --wheel, not both"

# --- 0. refuse what we do not support, before anything else ------------------------------------
# The userland decides, not the kernel: a 64-bit kernel under 32-bit Raspberry Pi OS says aarch64
# in `uname -m`. dpkg's own architecture is the userland's (of the image, for --root).
# KIOSK_INSTALL_ARCH overrides it (tests).
target_arch() {
    local status="$R/var/lib/dpkg/status"
    if [ "$LIVE" = 0 ] && [ -r "$status" ]; then
        awk '/^Package: /{p=$2} /^Architecture: /{if (p == "dpkg") {print $2; exit}}' "$status"
    else
        dpkg --print-architecture 2>/dev/null || echo unknown
    fi
}
ARCH=${KIOSK_INSTALL_ARCH:-$(target_arch)}
case "$ARCH" in
    arm64) PYARCH=aarch64 ;;
    amd64) PYARCH=x86_64 ;;
    armhf|armel|i386)
        refuse "this is a 32-bit userland ($ARCH): Kivy and Pillow publish no wheels for it, so the kiosk cannot be installed. Install Raspberry Pi OS Lite (64-bit), Bookworm (arm64), and run this again." ;;
    *) refuse "unsupported architecture ${ARCH:-unknown} (dpkg --print-architecture): the kiosk runs on Raspberry Pi OS Lite (64-bit), Bookworm (arm64)" ;;
esac

if [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
    refuse "must run as root (it creates a user, /etc/kiosk and systemd units): sudo $0 $*; or look first with --dry-run"
fi
OS_RELEASE="$R/etc/os-release"
[ -r "$OS_RELEASE" ] || refuse "cannot read $OS_RELEASE: is this Raspberry Pi OS / Debian?"
OS_ID=$(. "$OS_RELEASE"; echo "${ID:-}")
OS_CODENAME=$(. "$OS_RELEASE"; echo "${VERSION_CODENAME:-}")
OS_NAME=$(. "$OS_RELEASE"; echo "${PRETTY_NAME:-unknown}")
case "$OS_ID:$OS_CODENAME" in
    debian:bookworm|raspbian:bookworm) ;;
    *) refuse "unsupported OS: $OS_NAME. The kiosk is built for Raspberry Pi OS Bookworm Lite (Debian 12, bookworm); install that image first." ;;
esac
NEEDED=(systemd/kiosk-ui.service systemd/kiosk-agent.service systemd/99-kiosk-printer.rules)
[ -n "$WHEELHOUSE$WHEEL" ] || NEEDED+=(setup.cfg tools/wheelhouse.sh)
[ -z "$WHEEL" ] || NEEDED+=("requirements/kiosk-$PYARCH.txt")
for f in "${NEEDED[@]}"; do
    [ -f "$SOURCE/$f" ] || refuse "--source $SOURCE does not look like the kiosk checkout or release (no $f)"
done
if [ -n "$WHEELHOUSE" ]; then
    [ -d "$WHEELHOUSE" ] || refuse "--wheelhouse $WHEELHOUSE is not a folder"
    WHEELHOUSE="$(cd "$WHEELHOUSE" && pwd)"
    [ -f "$WHEELHOUSE/requirements.txt" ] || refuse "--wheelhouse $WHEELHOUSE has no requirements.txt: build it with make wheelhouse"
    grep -q "CPython 3.11, $PYARCH," "$WHEELHOUSE/requirements.txt" \
        || refuse "--wheelhouse $WHEELHOUSE is not for $PYARCH ($(sed -n 's/.*CPython 3.11, \([a-z0-9_]*\),.*/\1/p' "$WHEELHOUSE/requirements.txt" | head -1)): make wheelhouse builds the aarch64 one"
    WHEELS=("$WHEELHOUSE"/kantor_kiosk-*.whl)
    [ ${#WHEELS[@]} = 1 ] && [ -f "${WHEELS[0]}" ] || refuse "--wheelhouse $WHEELHOUSE must hold exactly one kantor_kiosk-*.whl"
fi
if [ -n "$WHEEL" ]; then
    [ -f "$WHEEL" ] && [[ "$WHEEL" == *.whl ]] || refuse "--wheel $WHEEL is not a .whl file"
    WHEEL="$(cd "$(dirname "$WHEEL")" && pwd)/$(basename "$WHEEL")"
fi

# --- helpers: every change goes through do_ so --dry-run shows exactly what would happen -------
STEP=0
step() { STEP=$((STEP + 1)); echo "[$STEP] $*"; }
ok() { echo "    ok: $*"; }
skip() { echo "    skipped: $*"; }
do_() {
    echo "    do: $*"
    [ "$DRY_RUN" = 1 ] && return 0
    timeout "$STEP_TIMEOUT" "$@"
}
root_opt() { [ "$LIVE" = 1 ] || echo "--root=$ROOT"; }
have_group() { grep -q "^$1:" "$R/etc/group" 2>/dev/null; }
have_user() { grep -q "^$1:" "$R/etc/passwd" 2>/dev/null; }
in_group() { grep -Eq "^$1:[^:]*:[^:]*:(.*,)?$2(,.*)?$" "$R/etc/group" 2>/dev/null; }
install_file() {  # install_file SRC DEST MODE: copy only if different
    if [ -f "$R$2" ] && cmp -s "$1" "$R$2" && [ "$(stat -c %a "$R$2")" = "$3" ]; then ok "$2 is up to date"
    else do_ install -D -m "$3" "$1" "$R$2"; fi
}
numeric_owner() {  # USER:GROUP -> UID:GID from the target's own account files (--root: not ours)
    local u g
    u=$(awk -F: -v n="${1%%:*}" '$1 == n {print $3}' "$R/etc/passwd" 2>/dev/null)
    g=$(awk -F: -v n="${1##*:}" '$1 == n {print $3}' "$R/etc/group" 2>/dev/null)
    echo "${u:-${1%%:*}}:${g:-${1##*:}}"
}
make_dir() {  # make_dir PATH MODE USER:GROUP
    local owner; owner=$(numeric_owner "$3")
    if [ -d "$R$1" ] && [ "$(stat -c %a "$R$1")" = "$2" ] && [ "$(stat -c %u:%g "$R$1")" = "$owner" ]; then ok "$1 exists ($2 $3)"
    else do_ install -d -m "$2" "$R$1"; do_ chown "$owner" "$R$1"; fi
}

FROM=${WHEELHOUSE:-${WHEEL:-$SOURCE}}
echo "Installing the kiosk from $FROM onto $ROOT ($OS_NAME, $ARCH$([ "$DRY_RUN" = 1 ] && echo ', dry run: nothing changes'))"
[ "$ARCH" = arm64 ] || echo "note: $ARCH is not a Raspberry Pi; fine for a test install"

# --- 1. packages --------------------------------------------------------------------------------
step "system packages: ${PACKAGES[*]}"
if [ "$LIVE" = 0 ]; then skip "packages are installed only on the running system (--root)"
else
    missing=()
    for p in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
    if [ ${#missing[@]} = 0 ]; then ok "all installed"
    else do_ apt-get update; do_ env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; fi
fi

# --- 2. the kiosk user and its groups ---------------------------------------------------------
step "user kiosk in groups ${GROUPS_WANTED[*]}"
if have_group kiosk; then ok "group kiosk exists"; else do_ groupadd $(root_opt) --system kiosk; fi
if have_user kiosk; then ok "user kiosk exists"
else do_ useradd $(root_opt) --system --gid kiosk --home-dir /var/lib/kiosk --no-create-home --shell /usr/sbin/nologin kiosk; fi
for g in "${GROUPS_WANTED[@]}"; do
    if ! have_group "$g"; then
        if [ "$g" = render ]; then do_ groupadd $(root_opt) --system render; else skip "group $g does not exist on this system"; continue; fi
    fi
    if in_group "$g" kiosk; then ok "kiosk is in $g"; else do_ usermod $(root_opt) -aG "$g" kiosk; fi
done

# --- 3. folders ---------------------------------------------------------------------------------
step "folders /opt/kiosk, /etc/kiosk (root, secrets 0600 inside), /var/lib/kiosk (kiosk only)"
make_dir /opt/kiosk 755 root:root
make_dir /etc/kiosk 755 root:root
make_dir /var/lib/kiosk 750 kiosk:kiosk

# --- 4. the application in its own venv ---------------------------------------------------------
step "application venv /opt/kiosk/venv, docs in /opt/kiosk/docs, command /usr/local/bin/kiosk"
# With --root the venv is made by the image's own python3 under chroot (its paths are absolute and
# its wheels are for the image's architecture; a foreign one needs qemu-user-static's binfmt).
IN_ROOT=()
[ "$LIVE" = 1 ] || IN_ROOT=(chroot "$ROOT")
VPY=/opt/kiosk/venv/bin/python
pip_() {  # pip's own lines, indented, as they come: the long step shows what it is doing
    echo "    do: pip $*"
    [ "$DRY_RUN" = 1 ] && return 0
    timeout "$STEP_TIMEOUT" "${IN_ROOT[@]}" "$VPY" -m pip --disable-pip-version-check --no-color "$@" 2>&1 \
        | sed -u 's/^/    | /'
}
STAGE=""
cleanup() { rm -f "${RULES:-}"; [ -z "$STAGE" ] || rm -rf "$STAGE"; }
trap cleanup EXIT
if [ "$LIVE" = 0 ] && [ ! -x "$R/usr/bin/python3" ]; then skip "no python3 in $ROOT: run install.sh on the kiosk itself to build the venv"
elif [ "$LIVE" = 0 ] && [ -z "$WHEELHOUSE" ]; then skip "into a --root only from a --wheelhouse (no network needed there)"
else
    if [ -x "$R$VPY" ]; then ok "venv exists"; else do_ "${IN_ROOT[@]}" python3 -m venv /opt/kiosk/venv; fi
    if [ -z "$WHEELHOUSE" ]; then
        # No wheelhouse: make one now from PyPI (the lock's hashes) and this checkout or wheel, in a
        # temporary folder, so pip never builds inside the checkout (no stale build/lib).
        STAGE=$(mktemp -d)
        if [ -n "$WHEEL" ]; then
            do_ cp "$WHEEL" "$STAGE/"
            do_ cp "$SOURCE/requirements/kiosk-$PYARCH.txt" "$STAGE/requirements.txt"
            pip_ download --require-hashes --only-binary=:all: --no-deps --dest "$STAGE" -r "$STAGE/requirements.txt"
        else
            echo "    do: tools/wheelhouse.sh $PYARCH (a wheel of $SOURCE, built in a copy of it)"
            [ "$DRY_RUN" = 1 ] || PYTHON="$VPY" timeout "$STEP_TIMEOUT" "$SOURCE/tools/wheelhouse.sh" "$PYARCH" "$STAGE" 2>&1 | sed -u 's/^/    | /'
        fi
        WHEELHOUSE=$STAGE
    fi
    KWHEEL=$(cd "$WHEELHOUSE" 2>/dev/null && ls kantor_kiosk-*.whl 2>/dev/null | head -1 || true)
    [ -n "$KWHEEL" ] || KWHEEL=kantor_kiosk-VERSION-py3-none-any.whl  # dry run of a build
    SUM=$(sha256sum "$WHEELHOUSE/$KWHEEL" 2>/dev/null | cut -d' ' -f1 || true)
    if [ -n "$SUM" ] && [ "$(cat "$R/opt/kiosk/installed-wheel.sha256" 2>/dev/null)" = "$SUM $KWHEEL" ] \
        && "${IN_ROOT[@]}" "$VPY" -m pip --disable-pip-version-check check >/dev/null 2>&1; then
        ok "$KWHEEL is installed and its dependencies are consistent"
    else
        HOUSE_IN=$WHEELHOUSE
        if [ "$LIVE" = 0 ]; then  # the chroot sees only the image: a copy inside it, removed after
            STAGE="$R/var/cache/kiosk-install"
            HOUSE_IN=/var/cache/kiosk-install
            do_ rm -rf "$STAGE"; do_ mkdir -p "$STAGE"; do_ cp -r "$WHEELHOUSE/." "$STAGE/"
        fi
        pip_ install --no-index --find-links "$HOUSE_IN" --require-hashes -r "$HOUSE_IN/requirements.txt"
        # Same version, new build: reinstall it; its dependencies came from the lock just above.
        pip_ install --no-index --no-deps --force-reinstall "$HOUSE_IN/$KWHEEL"
        pip_ check
        [ "$DRY_RUN" = 1 ] || echo "$SUM $KWHEEL" > "$R/opt/kiosk/installed-wheel.sha256"
    fi
fi
for doc in "$SOURCE"/docs/*.md; do [ -f "$doc" ] || continue; install_file "$doc" "/opt/kiosk/docs/$(basename "$doc")" 644; done
if [ "$(readlink "$R/usr/local/bin/kiosk" 2>/dev/null)" = /opt/kiosk/venv/bin/kiosk ]; then ok "/usr/local/bin/kiosk links to the venv"
else do_ mkdir -p "$R/usr/local/bin"; do_ ln -sfn /opt/kiosk/venv/bin/kiosk "$R/usr/local/bin/kiosk"; fi

# --- 5. udev rule for the printer ---------------------------------------------------------------
step "udev rule /etc/udev/rules.d/99-kiosk-printer.rules"
RULES="$(mktemp)"
cp "$SOURCE/systemd/99-kiosk-printer.rules" "$RULES"
if [ "$USB_PRINTERS_GIVEN" = 0 ]; then  # a re-run after an update keeps what was configured
    while read -r vp; do
        USB_PRINTERS+=("$vp")
        ok "keeping the printer $vp configured before (--usb-printer replaces the list)"
    done < <(sed -n 's/^SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="\([0-9a-f]\{4\}\)", ATTR{idProduct}=="\([0-9a-f]\{4\}\)".*/\1:\2/p' \
        "$R/etc/udev/rules.d/99-kiosk-printer.rules" 2>/dev/null | sort -u)
fi
for vp in "${USB_PRINTERS[@]+"${USB_PRINTERS[@]}"}"; do
    printf 'SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="%s", ATTR{idProduct}=="%s", GROUP="lp", MODE="0660"\n' "${vp%%:*}" "${vp##*:}" >> "$RULES"
done
BEFORE=$(cat "$R/etc/udev/rules.d/99-kiosk-printer.rules" 2>/dev/null || true)
install_file "$RULES" /etc/udev/rules.d/99-kiosk-printer.rules 644
if [ "$LIVE" = 1 ] && [ "$BEFORE" != "$(cat "$RULES")" ]; then
    do_ udevadm control --reload
    do_ udevadm trigger --subsystem-match=usb --subsystem-match=usbmisc --subsystem-match=tty
fi

# --- 6. systemd units ---------------------------------------------------------------------------
step "units kiosk-ui.service and kiosk-agent.service, enabled"
UNITS_NEW=0
for unit in kiosk-ui.service kiosk-agent.service; do
    cmp -s "$SOURCE/systemd/$unit" "$R/etc/systemd/system/$unit" 2>/dev/null || UNITS_NEW=1
    install_file "$SOURCE/systemd/$unit" "/etc/systemd/system/$unit" 644
done
# Reloaded only when a unit file changed: a re-run that has nothing to do runs no command at all.
if [ "$LIVE" = 1 ]; then
    if [ "$UNITS_NEW" = 1 ]; then do_ systemctl daemon-reload; else ok "units unchanged: no daemon-reload"; fi
fi
for unit in kiosk-ui.service kiosk-agent.service; do
    if [ -L "$R/etc/systemd/system/multi-user.target.wants/$unit" ]; then ok "$unit is enabled"
    else do_ systemctl $(root_opt) enable "$unit"; fi
done
# The touchscreen owns tty1 (kiosk-ui.service conflicts with its getty).
if [ -L "$R/etc/systemd/system/getty.target.wants/getty@tty1.service" ]; then do_ systemctl $(root_opt) disable getty@tty1.service
else ok "no login prompt on tty1"; fi

echo
if [ "$DRY_RUN" = 1 ]; then echo "Dry run: nothing was changed."; exit 0; fi
echo "Installed. Next:"
echo "  sudo kiosk provision --kiosk-id ID --office CODE --office-name NAME --server URL \\"
echo "       --token-file FILE --printer DEVICE --number-block FROM-TO --set-pin --register"
echo "  sudo systemctl restart kiosk-agent kiosk-ui && sudo kiosk doctor"
