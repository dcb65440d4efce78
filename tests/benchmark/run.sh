#!/usr/bin/env bash
# Runs the benchmark end to end: starts carebridge-server on a fresh data
# directory and a free port, hosting every service (directory, referral,
# care plan, handover: the server's default), runs carebridge-bench against it, stops
# the server. Builds nothing.
#
# Usage: tests/benchmark/run.sh [SERVER_BINARY [BENCH_BINARY]] [BENCH_FLAGS...]
#   SERVER_BINARY  default: build/services/server/carebridge-server
#   BENCH_BINARY   default: build/tests/benchmark/carebridge-bench
#   BENCH_FLAGS    passed on, e.g. --duration=10s --concurrency=64
#                  --rpcs=get_care_plan,update_care_plan
# The data directory is made under $TMPDIR (default /tmp); it must be on a
# real disk, or the durable write figures (CreateReferral, UpdateCarePlan)
# mean nothing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
server_bin="$root/build/services/server/carebridge-server"
bench_bin="$root/build/tests/benchmark/carebridge-bench"
if [[ $# -gt 0 && "$1" != -* ]]; then server_bin="$1"; shift; fi
if [[ $# -gt 0 && "$1" != -* ]]; then bench_bin="$1"; shift; fi
for bin in "$server_bin" "$bench_bin"; do
  if [[ ! -x "$bin" ]]; then
    echo "run.sh: $bin is not an executable; build it first" >&2
    exit 2
  fi
done

work="$(mktemp -d "${TMPDIR:-/tmp}/carebridge-bench.XXXXXX")"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    # Give it its graceful shutdown, then make sure nothing is left running.
    for _ in $(seq 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fs_type="$(stat -f -c %T "$work")"
if [[ "$fs_type" == tmpfs || "$fs_type" == ramfs ]]; then
  echo "run.sh: warning: $work is on $fs_type, so fsync costs nothing;" \
    "set TMPDIR to a directory on disk for a meaningful durable figure" >&2
fi

mkdir "$work/data"
# One log line per call; kept out of the terminal and shown only on failure.
# SERVER_FLAGS: more carebridge-server flags, e.g. --audit_log=false.
# shellcheck disable=SC2086
"$server_bin" --listen=127.0.0.1:0 --data_dir="$work/data" \
  --port_file="$work/port" ${SERVER_FLAGS:-} 2>"$work/server.log" &
server_pid=$!

server_failed() {
  echo "run.sh: $1; server log:" >&2
  tail -n 20 "$work/server.log" >&2 || true
  exit 1
}

token_file="$work/data/bootstrap-admin.token"
deadline=$((SECONDS + 30))
port=""
until [[ "$port" =~ ^[0-9]+$ && -s "$token_file" ]]; do
  kill -0 "$server_pid" 2>/dev/null || server_failed "the server exited"
  ((SECONDS < deadline)) || server_failed "no port after 30s"
  sleep 0.1
  [[ -s "$work/port" ]] && port="$(tr -d '[:space:]' <"$work/port")"
done

echo "carebridge-server pid $server_pid on 127.0.0.1:$port," \
  "data in $work/data ($fs_type)"
status=0
CAREBRIDGE_SERVER_PID=$server_pid "$bench_bin" --server="127.0.0.1:$port" --admin_token_file="$token_file" \
  "$@" || status=$?
if ! kill -0 "$server_pid" 2>/dev/null; then
  server_failed "the server died during the benchmark"
fi
exit "$status"
