#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests (Debian's postgresql package).
#
#   pg_cluster.sh start DIR   initdb a cluster in a private folder under
#                             /tmp (its path in DIR/cluster), start it on a
#                             free 127.0.0.1 port, and write the connection
#                             URL (with a password) to DIR/url
#   pg_cluster.sh stop DIR    stop it, keep its log as DIR/log and delete it
#
# PG_BINDIR=/usr/lib/postgresql/NN/bin picks the server (default: 15, else
# any installed).
#
# initdb refuses to run as root, so as root the cluster runs as the
# `postgres` OS user; its files live under /tmp rather than in DIR, since
# that user may not be able to enter DIR's parents (a checkout under
# /root). fsync stays on: tests see real commit behaviour. Exits non-zero
# when the cluster cannot start, so tests that need it fail.
set -euo pipefail
umask 077

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

# The cluster's own folder (data, socket, log), from DIR/cluster; "" when
# none was started.
cluster_home() {
  if [[ -f $dir/cluster ]]; then cat "$dir/cluster"; fi
}

stop_cluster() {
  local home
  home=$(cluster_home)
  if [[ -n $home && -d $home ]]; then
    if [[ -f $home/data/postmaster.pid ]]; then
      as_owner "$bindir/pg_ctl" -D "$home/data" -m immediate -w -t 60 stop \
        >/dev/null 2>&1 || true
    fi
    cp "$home/log" "$dir/log" 2>/dev/null || true
    case $home in
      /tmp/cb-pg.*) rm -rf "$home" ;;
    esac
  fi
  rm -f "$dir/cluster" "$dir/url"
}

start_cluster() {
  mkdir -p "$dir"
  stop_cluster # What an interrupted run left.
  local home password
  home=$(mktemp -d /tmp/cb-pg.XXXXXX)
  printf '%s\n' "$home" >"$dir/cluster"
  mkdir "$home/socket"
  password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$password" >"$home/password"
  if ((EUID == 0)); then
    chown -R postgres: "$home"
  fi
  as_owner "$bindir/initdb" -D "$home/data" -U postgres --no-sync \
    --auth-local=trust --auth-host=scram-sha-256 \
    --pwfile="$home/password" -E UTF8 --locale=C.UTF-8 \
    >"$home/initdb.log" 2>&1 || {
    cat "$home/initdb.log" >&2
    return 1
  }
  rm -f "$home/password"
  local attempt port
  for attempt in 1 2 3; do
    port=$(free_port)
    if as_owner "$bindir/pg_ctl" -D "$home/data" -l "$home/log" -w -t 60 \
      -o "-p $port -k '$home/socket' -c listen_addresses=127.0.0.1 \
-c fsync=on -c max_connections=300 -c shared_buffers=32MB" start >/dev/null; then
      printf 'postgresql://postgres:%s@127.0.0.1:%s/postgres\n' \
        "$password" "$port" >"$dir/url"
      echo "pg_cluster: PostgreSQL running on 127.0.0.1:$port ($home)"
      return 0
    fi
    echo "pg_cluster: start on port $port failed (attempt $attempt)" >&2
  done
  cat "$home/log" >&2 || true
  return 1
}

case $action in
  start) start_cluster ;;
  stop) stop_cluster ;;
  *) usage ;;
esac
