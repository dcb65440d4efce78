#!/usr/bin/env bash
# Quick start: installs what is needed, builds, and starts the whole system
# (every service in one process, SQLite under ./data) on 127.0.0.1:50051,
# with the web console, the JSON API and FHIR on http://127.0.0.1:8080.
# Environment: LISTEN (host:port), HTTP_LISTEN (host:port; empty: no HTTP
# listener), DATA_DIR, BUILD_DIR. Arguments are more
# carebridge-server flags (e.g. --oidc_issuer=... for sign-in with the
# organisation's identity provider).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/deploy/local/install-deps.sh"
build=${BUILD_DIR:-$root/build}
# Only what runs: the server and carectl (the tests and the benchmark are
# the test command's). A new build folder gets the configuration that
# compiles them quickest from nothing: a unity build of the libraries
# (CAREBRIDGE_UNITY_BUILD, cmake/unity_build.cmake) with one precompiled
# header (CAREBRIDGE_PRECOMPILED_HEADERS, cmake/precompiled_headers.cmake)
# at the development build's -O2 (the server runs as fast) without debug
# information (a third of each compile). A folder the test command built
# keeps its development build: switching would compile everything again.
quick=()
if [ ! -f "$build/CMakeCache.txt" ] ||
   grep -qs '^CAREBRIDGE_UNITY_BUILD:BOOL=ON$' "$build/CMakeCache.txt"; then
  quick=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG"
         -DCAREBRIDGE_UNITY_BUILD=ON -DCAREBRIDGE_PRECOMPILED_HEADERS=ON)
fi
BUILD_DIR=$build TARGETS="carebridge-server carectl" \
  "$root/deploy/local/build.sh" "${quick[@]}"
http=()
[ -n "${HTTP_LISTEN-127.0.0.1:8080}" ] && http=(--http_listen="${HTTP_LISTEN-127.0.0.1:8080}")
exec "$build/services/server/carebridge-server" \
  --listen="${LISTEN:-127.0.0.1:50051}" --data_dir="${DATA_DIR:-$root/data}" \
  "${http[@]}" "$@"
