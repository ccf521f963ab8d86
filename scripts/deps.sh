#!/usr/bin/env bash
# Installs the Debian packages Spadework needs to build (Fyne, go-gl, GTK dialogs)
# and to run its window test. Safe to rerun; skips apt when everything is present.
set -euo pipefail
pkgs=(gcc pkg-config libgl1-mesa-dev libgl1-mesa-dri libx11-dev libxcursor-dev libxrandr-dev
      libxinerama-dev libxi-dev libxxf86vm-dev libgtk-3-dev xvfb xdotool imagemagick)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || { echo "Go 1.26 is needed: https://go.dev/dl/" >&2; exit 1; }
