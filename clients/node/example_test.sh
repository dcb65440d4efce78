#!/usr/bin/env bash
# Runs the Node.js example (example.js, @grpc/grpc-js pinned in
# package-lock.json, installed by tests/run_all.sh) against a real
# carebridge-server with a care network made by carectl.
# usage: example_test.sh SERVER_BIN CARECTL_BIN

# shellcheck source=../../tests/e2e/lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/../../tests/e2e/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
[ -d "$HERE/node_modules/@grpc/grpc-js" ] ||
  fail "the Node.js packages are not installed: npm ci --prefix $HERE"

step "a server and a care network with a plan"
# shellcheck disable=SC2119  # no flags: the defaults
start_server
ADMIN=$(cat "$DATA/bootstrap-admin.token")
# shellcheck disable=SC2119  # no person flags
care_network
as "$T_SAM" careplan update "$PERSON" --reason="First plan with Alex" \
  --what_helps="Her sister Jo" >/dev/null

step "the Node.js example: refer, answer, read"
OUT=$(node "$HERE/example.js" --server="$ADDR" --sender_token="$T_SAM" \
  --receiver_token="$T_KIM" --person="$PERSON" --to_team="$TO" 2>&1) ||
  fail "the example failed: $OUT"
echo "$OUT"
case "$OUT" in
  *"refused as expected: INVALID_ARGUMENT: referral.urgency"*) ;;
  *) fail "the missing urgency was not refused naming referral.urgency" ;;
esac
case "$OUT" in *"is ACCEPTED"*) ;; *) fail "not accepted" ;; esac
case "$OUT" in *"what helps: Her sister Jo"*) ;; *) fail "plan not read" ;; esac
echo "PASS"
