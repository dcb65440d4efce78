#!/usr/bin/env bash
# The benchmark (tests/benchmark/run.sh) with every service's data in
# PostgreSQL: starts a throwaway PostgreSQL 15 cluster on a free port
# (tests/support/pg_cluster.sh, fsync on, the same disk as SQLite's files),
# gives the server --database=URL of a fresh database in it, and stops and
# removes the cluster afterwards. Arguments as run.sh's.
#
# Usage: tests/benchmark/run_postgresql.sh [SERVER_BINARY [BENCH_BINARY]]
#          [BENCH_FLAGS...]
# SERVER_FLAGS: more carebridge-server flags, as for run.sh.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cluster="$(mktemp -d "${TMPDIR:-/tmp}/carebridge-bench-pg.XXXXXX")"
chmod 755 "$cluster"
cleanup() {
  "$root/tests/support/pg_cluster.sh" stop "$cluster" >/dev/null 2>&1 || true
  rm -rf "$cluster"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$root/tests/support/pg_cluster.sh" start "$cluster"
admin_url="$(cat "$cluster/url")"
psql -q "$admin_url" -c "CREATE DATABASE carebridge_bench" >/dev/null
url="${admin_url%/*}/carebridge_bench"
echo "PostgreSQL database: ${url%%:*}://…@${url##*@}"
SERVER_FLAGS="--database=$url ${SERVER_FLAGS:-}" \
  "$root/tests/benchmark/run.sh" "$@"
