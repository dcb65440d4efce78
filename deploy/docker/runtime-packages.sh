#!/usr/bin/env bash
# Prints the Debian packages that hold the shared libraries the given
# binaries load, one a line: what the runtime image installs, so it follows
# the build's dependencies without a second list to keep in step.
# usage: runtime-packages.sh BINARY...
set -euo pipefail
[ "$#" -gt 0 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }
if ldd "$@" | grep 'not found'; then
  echo "$0: a library above is missing" >&2
  exit 1
fi
ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
  while read -r lib; do
    # Debian 12 merged /lib into /usr/lib, but dpkg knows each file by the
    # path its package ships it at: try both.
    case "$lib" in
      /usr/*) other=${lib#/usr} ;;
      *) other=/usr$lib ;;
    esac
    owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$other" 2>/dev/null) || {
      echo "$0: no Debian package holds $lib" >&2
      exit 1
    }
    echo "$owner" | head -n 1 | cut -d: -f1
  done | sort -u
