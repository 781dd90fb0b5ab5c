#!/usr/bin/env bash
# Installs the Debian packages that running and testing the kiosk need, and only those missing.
# As root it uses apt-get; otherwise it stops with the exact command to run.
set -euo pipefail
wanted=(xvfb xauth libgl1 libegl1 libmtdev1 fonts-dejavu-core socat systemd sqlite3 python3-venv openssl imagemagick xdotool espeak-ng sox
        chromium chromium-driver postgresql openssh-server)
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Run: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
