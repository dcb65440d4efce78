#!/usr/bin/env bash
# Runs the Python client's worked example (refer_answer_read.py) against a
# real carebridge-server: a care network made with carectl, then the
# example refers, answers and reads the plan through the generated stubs
# and the typed helper, from Debian's python3-grpcio.
# usage: example_test.sh SERVER_BIN CARECTL_BIN PYTHON_STUBS_DIR

# shellcheck source=../../tests/e2e/lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/../../tests/e2e/lib.sh"
STUBS=${3:?usage: $0 SERVER_BIN CARECTL_BIN PYTHON_STUBS_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)

step "a server and a care network"
# shellcheck disable=SC2119  # no flags: the defaults
start_server
ADMIN=$(cat "$DATA/bootstrap-admin.token")
# shellcheck disable=SC2119  # no person flags
care_network

step "the Python example: refer, answer, read the plan"
OUT=$(PYTHONPATH="$STUBS:$HERE" /usr/bin/python3 "$HERE/refer_answer_read.py" \
  --server="$ADDR" --sender_token="$T_SAM" --receiver_token="$T_KIM" \
  --person="$PERSON" --to_team="$TO") || fail "the example failed: $OUT"
echo "$OUT"
case "$OUT" in
  *"refused as expected: INVALID_ARGUMENT: referral.reason"*) ;;
  *) fail "the empty reason was not refused naming referral.reason" ;;
esac
case "$OUT" in *"is ACCEPTED"*) ;; *) fail "not accepted" ;; esac
case "$OUT" in *"care team: "*"$TO"*) ;; *) fail "no care team" ;; esac
expect_eq "$(as "$T_SAM" --json referral sent | py 'len(d["referrals"])')" 1 \
  "one referral, the retry made none"
echo "PASS"
