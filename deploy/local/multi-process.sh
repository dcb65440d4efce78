#!/usr/bin/env bash
# Starts carebridge as one service per process on this machine: the
# directory on DIRECTORY_PORT (default 50061), the referral service on
# REFERRAL_PORT (default 50062), the care plan service on CAREPLAN_PORT
# (default 50063), the handover service on HANDOVER_PORT (default 50064) and
# the record service on RECORD_PORT (default 50065), each with its own data
# directory under DATA_ROOT (default ./data-multi), sharing one token key directory.
# The care plan service follows the referral and handover feeds; the
# handover service asks the care plan service; the record follows all four
# feeds. Ctrl-C stops them all.
# TLS=1: mutual TLS between them (deploy/tls/gen-certs.sh makes the CA and a
# certificate per service under DATA_ROOT/tls) and only the directory holds
# the token signing keys; the others get its public keys (jwks.json). Call
# with carectl --tls_ca_file=DATA_ROOT/tls/ca.pem.
# Arguments are flags every process gets (e.g. --oidc_issuer=...
# --oidc_audience=... --oidc_jwks_file=... for sign-in with the
# organisation's identity provider).
# Builds first if the binary is missing.
# shellcheck disable=SC2046  # the words of tls and key_flags are flags
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
server=$build/services/server/carebridge-server
[ -x "$server" ] || "$root/deploy/local/build.sh"
data=${DATA_ROOT:-$root/data-multi}
mkdir -p "$data/directory" "$data/referral" "$data/careplan" "$data/handover" \
  "$data/record"
keys=$data/token-keys
dport=${DIRECTORY_PORT:-50061}
rport=${REFERRAL_PORT:-50062}
cport=${CAREPLAN_PORT:-50063}
hport=${HANDOVER_PORT:-50064}
xport=${RECORD_PORT:-50065}

# tls SERVICE / key_flags: a process's TLS and token key flags.
tls() { :; }
key_flags() { echo "--token_keys_dir=$keys"; }
if [ "${TLS:-0}" = 1 ]; then
  [ -s "$data/tls/ca.pem" ] || OUT_DIR=$data/tls "$root/deploy/tls/gen-certs.sh" >/dev/null
  tls() {
    echo "--tls_cert_file=$data/tls/$1.pem --tls_key_file=$data/tls/$1.key" \
      "--tls_ca_file=$data/tls/ca.pem"
  }
  key_flags() { echo "--token_jwks_file=$keys/jwks.json"; }
fi

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
"$server" --services=directory --listen="127.0.0.1:$dport" \
  --data_dir="$data/directory" --token_keys_dir="$keys" $(tls directory) \
  --record_address="127.0.0.1:$xport" "$@" &
pids+=($!)
# The directory creates the keys on first start; wait for them.
for _ in $(seq 100); do [ -s "$keys/jwks.json" ] && break; sleep 0.1; done
"$server" --services=referral --listen="127.0.0.1:$rport" \
  --data_dir="$data/referral" $(key_flags) $(tls referral) \
  --directory_address="127.0.0.1:$dport" \
  --careplan_address="127.0.0.1:$cport" "$@" &
pids+=($!)
"$server" --services=careplan --listen="127.0.0.1:$cport" \
  --data_dir="$data/careplan" $(key_flags) $(tls careplan) \
  --directory_address="127.0.0.1:$dport" \
  --referral_address="127.0.0.1:$rport" \
  --handover_address="127.0.0.1:$hport" \
  --record_address="127.0.0.1:$xport" "$@" &
pids+=($!)
"$server" --services=handover --listen="127.0.0.1:$hport" \
  --data_dir="$data/handover" $(key_flags) $(tls handover) \
  --directory_address="127.0.0.1:$dport" \
  --careplan_address="127.0.0.1:$cport" "$@" &
pids+=($!)
"$server" --services=record --listen="127.0.0.1:$xport" \
  --data_dir="$data/record" $(key_flags) $(tls record) \
  --directory_address="127.0.0.1:$dport" \
  --referral_address="127.0.0.1:$rport" \
  --careplan_address="127.0.0.1:$cport" \
  --handover_address="127.0.0.1:$hport" "$@" &
pids+=($!)
echo "directory on 127.0.0.1:$dport, referral on 127.0.0.1:$rport," \
  "care plan on 127.0.0.1:$cport, handover on 127.0.0.1:$hport," \
  "record on 127.0.0.1:$xport;" \
  "admin token in $data/directory/bootstrap-admin.token"
wait -n
