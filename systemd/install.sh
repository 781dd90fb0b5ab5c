#!/usr/bin/env bash
# Install the kiosk on Raspberry Pi OS Bookworm Lite (Debian 12), idempotently: run it again after
# an update and it only does what is missing. It does not provision; `kiosk provision` does that.
#
#   sudo systemd/install.sh                   install from this checkout
#   systemd/install.sh --dry-run              say what would be done, change nothing
#   sudo systemd/install.sh --root /mnt/img   install into a mounted image (no packages, no venv,
#                                             nothing started; accounts via useradd --root)
#   --usb-printer VID:PID                     also a udev rule for a printer whose USB interface is
#                                             vendor-specific (class ff); repeatable
#   --source DIR                              the checkout to install (default: this script's parent)
#
# Exit codes: 0 done, 1 a step failed, 2 refused (unsupported OS, not root, bad option).
set -euo pipefail

ROOT=/
DRY_RUN=0
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
USB_PRINTERS=()
PACKAGES=(python3-venv python3-dev libusb-1.0-0 libmtdev1 libgbm1 libdrm2 libegl1 libgles2 util-linux espeak-ng)
GROUPS_WANTED=(video render input lp dialout)
STEP_TIMEOUT=900

refuse() { echo "install.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --root) [ $# -ge 2 ] || refuse "--root needs a folder"; ROOT="$2"; shift ;;
        --source) [ $# -ge 2 ] || refuse "--source needs a folder"; SOURCE="$2"; shift ;;
        --usb-printer)
            [ $# -ge 2 ] || refuse "--usb-printer needs VID:PID"
            [[ "$2" =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$ ]] || refuse "--usb-printer $2: expected VID:PID in hex, e.g. 0416:5011 (see lsusb)"
            USB_PRINTERS+=("${2,,}"); shift ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) refuse "unknown option $1 (see --help)" ;;
    esac
    shift
done

[ -d "$ROOT" ] || refuse "--root $ROOT is not a folder"
ROOT="$(cd "$ROOT" && pwd)"
R="${ROOT%/}"               # prefix for every path we touch ("" on the running system)
LIVE=$([ "$ROOT" = / ] && echo 1 || echo 0)

# --- 0. refuse what we do not support ---------------------------------------------------------
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
for f in systemd/kiosk-ui.service systemd/kiosk-agent.service systemd/99-kiosk-printer.rules setup.cfg; do
    [ -f "$SOURCE/$f" ] || refuse "--source $SOURCE does not look like the kiosk checkout (no $f)"
done

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

echo "Installing the kiosk from $SOURCE onto $ROOT ($OS_NAME$([ "$DRY_RUN" = 1 ] && echo ', dry run: nothing changes'))"
case "$(uname -m)" in
    aarch64|armv7l|armv6l) ;;
    *) echo "note: $(uname -m) is not a Raspberry Pi; fine for a test install" ;;
esac

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
if [ "$LIVE" = 0 ]; then skip "the venv is built only on the running system (--root): its paths are absolute"
else
    [ -x /opt/kiosk/venv/bin/python ] && ok "venv exists" || do_ python3 -m venv /opt/kiosk/venv
    do_ /opt/kiosk/venv/bin/python -m pip install --disable-pip-version-check --quiet --upgrade "$SOURCE"
fi
for doc in "$SOURCE"/docs/*.md; do install_file "$doc" "/opt/kiosk/docs/$(basename "$doc")" 644; done
if [ "$(readlink "$R/usr/local/bin/kiosk" 2>/dev/null)" = /opt/kiosk/venv/bin/kiosk ]; then ok "/usr/local/bin/kiosk links to the venv"
else do_ mkdir -p "$R/usr/local/bin"; do_ ln -sfn /opt/kiosk/venv/bin/kiosk "$R/usr/local/bin/kiosk"; fi

# --- 5. udev rule for the printer ---------------------------------------------------------------
step "udev rule /etc/udev/rules.d/99-kiosk-printer.rules"
RULES="$(mktemp)"
trap 'rm -f "$RULES"' EXIT
cp "$SOURCE/systemd/99-kiosk-printer.rules" "$RULES"
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
for unit in kiosk-ui.service kiosk-agent.service; do
    install_file "$SOURCE/systemd/$unit" "/etc/systemd/system/$unit" 644
done
[ "$LIVE" = 1 ] && do_ systemctl daemon-reload
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
