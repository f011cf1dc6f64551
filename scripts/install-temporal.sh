#!/usr/bin/env bash
# Build the Temporal CLI (dev server + embedded Web UI) from its Go module at a pinned version into
# .tools/bin, once: later runs reuse it while the version matches. No prebuilt download is needed.
set -euo pipefail
VERSION=1.5.1 # later tags carry a go.mod `replace` that `go install` refuses
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/.tools/bin/temporal"

if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "version $VERSION "; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-temporal: Go is needed to build the Temporal CLI $VERSION (apt-get install golang-go, or Go >= 1.25 from go.dev)" >&2
  exit 1
fi
echo "install-temporal: building Temporal CLI $VERSION from source (first time only; ~4 min on 2 cores)..." >&2
mkdir -p "$ROOT/.tools/bin"
CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOBIN="$ROOT/.tools/bin" \
  go install -trimpath -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=$VERSION" \
  "github.com/temporalio/cli/cmd/temporal@v$VERSION"
"$BIN" --version
