#!/usr/bin/env bash
# The whole test suite: formatting, vet, unit tests under the race detector,
# and the real-window test under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
scripts/deps.sh
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted" >&2; exit 1; fi
go vet ./...
go test -race -count=1 -timeout 30m ./...
bash .ci/window_test.sh
