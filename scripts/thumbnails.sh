#!/usr/bin/env bash
# Renders assets/styles/<preset>.jpg: the default model's built-in landscape scene in
# each of its style presets, 128×128. Rerun after exporting a new default model.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
go build -o spadework .
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./spadework scene -model default -out "$tmp/scene.png"
./spadework styles -model default | while IFS= read -r name; do
  ./spadework render -model default -labels "$tmp/scene.png" -preset "$name" -out "$tmp/full.png"
  convert "$tmp/full.png" -resize 128x128 -quality 88 "assets/styles/$name.jpg"
done
ls assets/styles
