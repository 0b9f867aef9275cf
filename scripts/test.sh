#!/usr/bin/env bash
# The whole test suite: Swift unit tests, each libFuzzer target for 10 seconds
# (scripts/fuzz.sh; a crash, leak or timeout fails the run), then the real-client
# integration tests (pytest) against the freshly built server binary.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build
swift test
bash scripts/fuzz.sh all "${FUZZ_SECONDS:-5}"
TSUBAME_BIN="$PWD/.build/debug/tsubame" python3 -m pytest -q IntegrationTests
