#!/usr/bin/env bash
# Installs what is needed, builds everything and runs the whole test suite
# (unit, integration over real gRPC, end to end against the server binary).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/local/install-deps.sh"
export BUILD_DIR=${BUILD_DIR:-$root/build}
"$root/deploy/local/build.sh"
ctest --test-dir "$BUILD_DIR" -j2 --output-on-failure --timeout 600
