#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests (Debian's postgresql package).
#
#   pg_cluster.sh start DIR   initdb DIR/data, start it on a free 127.0.0.1
#                             port and a unix socket in DIR/socket, write the
#                             connection URL (with a password) to DIR/url
#   pg_cluster.sh stop DIR    stop it and delete DIR/data (DIR/log stays)
#
# PG_BINDIR=/usr/lib/postgresql/NN/bin picks the server (default: 15, else
# any installed).
#
# initdb refuses to run as root, so as root the cluster runs as the
# `postgres` OS user. fsync stays on: tests see real commit behaviour.
# Exits non-zero when the cluster cannot start, so tests that need it fail.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}
(($# == 2)) || usage
action=$1
dir=$2

# PG_BINDIR picks another installation's binaries.
bindir=""
for candidate in ${PG_BINDIR:-/usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin}; do
  if [[ -x $candidate/initdb ]]; then
    bindir=$candidate
    break
  fi
done
if [[ -z $bindir ]]; then
  echo "pg_cluster: no PostgreSQL server found (apt-get install postgresql)" >&2
  exit 1
fi

as_owner() {
  if ((EUID == 0)); then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

stop_cluster() {
  if [[ -f $dir/data/postmaster.pid ]]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop \
      >/dev/null 2>&1 || true
  fi
  rm -rf "$dir/data" "$dir/socket" "$dir/url"
}

start_cluster() {
  stop_cluster # What an interrupted run left.
  mkdir -p "$dir/socket"
  local password
  password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$password" >"$dir/password"
  if ((EUID == 0)); then
    chown -R postgres: "$dir"
  fi
  chmod 700 "$dir"
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres --no-sync \
    --auth-local=trust --auth-host=scram-sha-256 \
    --pwfile="$dir/password" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || {
      cat "$dir/initdb.log" >&2
      return 1
    }
  local attempt port
  for attempt in 1 2 3; do
    port=$(free_port)
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
      -o "-p $port -k $dir/socket -c listen_addresses=127.0.0.1 -c fsync=on \
-c max_connections=300 -c shared_buffers=32MB" start >/dev/null; then
      printf 'postgresql://postgres:%s@127.0.0.1:%s/postgres\n' \
        "$password" "$port" >"$dir/url"
      echo "pg_cluster: PostgreSQL running on 127.0.0.1:$port ($dir)"
      return 0
    fi
    echo "pg_cluster: start on port $port failed (attempt $attempt)" >&2
  done
  cat "$dir/log" >&2 || true
  return 1
}

case $action in
  start) start_cluster ;;
  stop) stop_cluster ;;
  *) usage ;;
esac
