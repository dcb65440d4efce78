#!/usr/bin/env bash
# Quick start: installs what is needed, builds, and starts the whole system
# (every service in one process, SQLite under ./data) on 127.0.0.1:50051.
# Environment: LISTEN (host:port), DATA_DIR, BUILD_DIR. Arguments are more
# carebridge-server flags (e.g. --oidc_issuer=... for sign-in with the
# organisation's identity provider).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/deploy/local/install-deps.sh"
"$root/deploy/local/build.sh"
build=${BUILD_DIR:-$root/build}
exec "$build/services/server/carebridge-server" \
  --listen="${LISTEN:-127.0.0.1:50051}" --data_dir="${DATA_DIR:-$root/data}" "$@"
