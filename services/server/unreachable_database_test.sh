#!/usr/bin/env bash
# carebridge-server given a PostgreSQL it cannot reach: a clear error naming
# where it tried (never the password) and a non-zero exit, at once.
# usage: unreachable_database_test.sh SERVER_BIN
set -uo pipefail
server=${1:?usage: $0 SERVER_BIN}
work=$(mktemp -d "${TMPDIR:-/tmp}/cb-unreachable.XXXXXX")
trap 'rm -rf "$work"' EXIT
out=$(timeout 60 "$server" --listen=127.0.0.1:0 --data_dir="$work/data" \
  --database=postgresql://carebridge:secret-pw@127.0.0.1:1/cb 2>&1)
code=$?
echo "$out"
if [ "$code" -eq 0 ] || [ "$code" -eq 124 ]; then
  echo "FAIL: exit code $code (want non-zero, within 60 s)" >&2
  exit 1
fi
case $out in
*secret-pw*) echo "FAIL: the password is in the output" >&2; exit 1 ;;
esac
case $out in
*"cannot connect to PostgreSQL at 127.0.0.1:1/cb"*) ;;
*) echo "FAIL: the error does not say where it tried" >&2; exit 1 ;;
esac
echo "ok: refused to start, saying where"
