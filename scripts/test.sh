#!/usr/bin/env bash
# The whole test suite: Swift unit tests, then the real-client integration
# tests (pytest) against the freshly built server binary.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build
swift test
TSUBAME_BIN="$PWD/.build/debug/tsubame" python3 -m pytest -q IntegrationTests
