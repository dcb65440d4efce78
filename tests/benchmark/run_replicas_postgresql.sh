#!/usr/bin/env bash
# Do two referral replicas serve more than one? On a throwaway PostgreSQL 15
# cluster (tests/support/pg_cluster.sh): a hub process with the directory,
# care plan, handover and record services, and two carebridge-server
# processes with the referral service only, all on one database. The
# benchmark measures CreateReferral twice in one sitting: every call to the
# first replica, then calls spread over both (--referral_servers), and
# prints the two rows and their ratio. Builds nothing.
#
# Usage: tests/benchmark/run_replicas_postgresql.sh [SERVER_BINARY
#          [BENCH_BINARY]] [BENCH_FLAGS...]   (e.g. --duration=5s)
# Run with TMPDIR on a real disk, as run.sh says.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
server_bin="$root/build/services/server/carebridge-server"
bench_bin="$root/build/tests/benchmark/carebridge-bench"
if [[ $# -gt 0 && "$1" != -* ]]; then server_bin="$1"; shift; fi
if [[ $# -gt 0 && "$1" != -* ]]; then bench_bin="$1"; shift; fi
for bin in "$server_bin" "$bench_bin"; do
  if [[ ! -x "$bin" ]]; then
    echo "run_replicas_postgresql.sh: $bin is not an executable; build it first" >&2
    exit 2
  fi
done

work="$(mktemp -d "${TMPDIR:-/tmp}/carebridge-bench-replicas.XXXXXX")"
chmod 755 "$work"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  "$root/tests/support/pg_cluster.sh" stop "$work/cluster" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/cluster"
"$root/tests/support/pg_cluster.sh" start "$work/cluster"
admin_url="$(cat "$work/cluster/url")"
psql -q "$admin_url" -c "CREATE DATABASE carebridge_bench" >/dev/null
url="${admin_url%/*}/carebridge_bench"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
hub=127.0.0.1:$(free_port)
ref1=127.0.0.1:$(free_port)
ref2=127.0.0.1:$(free_port)

# start NAME ADDRESS FLAG...: a server on the shared database, data (keys)
# in $work/NAME; waits until it listens.
start() {
  local name=$1 address=$2
  shift 2
  mkdir -p "$work/$name"
  # Replicas share the audit log's key (and all the token keys).
  [[ -s "$work/hub/audit.key" ]] && cp "$work/hub/audit.key" "$work/$name/"
  "$server_bin" --listen="$address" --data_dir="$work/$name" \
    --port_file="$work/$name.port" --token_keys_dir="$work/token-keys" \
    --database="$url" "$@" 2>"$work/$name.log" &
  pids+=("$!")
  local deadline=$((SECONDS + 30))
  until [[ -s "$work/$name.port" ]]; do
    kill -0 "${pids[-1]}" 2>/dev/null || {
      tail -n 20 "$work/$name.log" >&2
      exit 1
    }
    ((SECONDS < deadline)) || {
      echo "$name: no port after 30s" >&2
      exit 1
    }
    sleep 0.1
  done
}

start hub "$hub" --services=directory,careplan,handover,record \
  --referral_address="$ref1"
start ref1 "$ref1" --services=referral --directory_address="$hub" \
  --careplan_address="$hub"
start ref2 "$ref2" --services=referral --directory_address="$hub" \
  --careplan_address="$hub"

# bench REFERRAL_SERVERS: CreateReferral's row with the referral calls
# spread over REFERRAL_SERVERS.
bench() {
  "$bench_bin" --server="$hub" --admin_token_file="$work/hub/bootstrap-admin.token" \
    --rpcs=health,create_referral --half_peak=false --referral_servers="$1" \
    "${bench_flags[@]}" | tee "$work/bench.out" >&2
  grep -m 1 CreateReferral "$work/bench.out"
}
bench_flags=("$@")
one=$(bench "$ref1")
two=$(bench "$ref1,$ref2")
echo
echo "one referral replica:  $one"
echo "two referral replicas: $two"
# ok calls/s: the fourth column from the end of a report row.
rate() { awk '{print $(NF - 3)}' <<<"$1"; }
python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f"two replicas / one: {b / a:.2f}")' \
  "$(rate "$one")" "$(rate "$two")" || true
