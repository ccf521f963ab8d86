#!/usr/bin/env bash
# Sets up (Debian packages) and opens the Spadework painting app.
# Any arguments are passed on: `scripts/run.sh render --model default --labels L.png --out O.png`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
scripts/deps.sh
go build -o spadework .
exec ./spadework "$@"
