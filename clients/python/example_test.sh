#!/usr/bin/env bash
# Runs the Python client's worked example (refer_answer_read.py) against a
# real carebridge-server: a care network made with carectl, then the
# example finds the person by NHS number, refers, has one referral declined
# and one accepted, and reads the sent list and the plan through the
# generated stubs and the typed helper, from Debian's python3-grpcio. Every
# helper method is called, and the example checks each answer.
# usage: example_test.sh SERVER_BIN CARECTL_BIN PYTHON_STUBS_DIR

# shellcheck source=../../tests/e2e/lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/../../tests/e2e/lib.sh"
STUBS=${3:?usage: $0 SERVER_BIN CARECTL_BIN PYTHON_STUBS_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)

step "a server and a care network"
# shellcheck disable=SC2119  # no flags: the defaults
start_server
ADMIN=$(cat "$DATA/bootstrap-admin.token")
care_network --nhs_number=9434765919
ONWARD=$(as "$ADMIN" --name_only team create --display_name="Wellbeing hub" \
  --sector=voluntary_sector)
# Someone else the community team referred: the lists the example reads for
# Alex must leave Jo's referral out.
JO=$(as "$T_SAM" --name_only person register --given_name=Jo \
  --family_name=Smith --birth_date=1985-02-01)
as "$T_SAM" --name_only referral create --person="$JO" --to="$TO" \
  --urgency=routine --reason="Low mood since the winter" >/dev/null

step "the Python example: find, refer, decline and accept, read"
# The NHS number as people write it: the server reads it without spaces.
OUT=$(PYTHONPATH="$STUBS:$HERE" /usr/bin/python3 "$HERE/refer_answer_read.py" \
  --server="$ADDR" --sender_token="$T_SAM" --receiver_token="$T_KIM" \
  --nhs_number="943 476 5919" --person="$PERSON" --to_team="$TO" \
  --onward_team="$ONWARD" 2>&1) || fail "the example failed: $OUT"
echo "$OUT"
case "$OUT" in
  *"refused as expected: INVALID_ARGUMENT: referral.reason"*) ;;
  *) fail "the empty reason was not refused naming referral.reason" ;;
esac
case "$OUT" in
  *"found by NHS number: $PERSON"*) ;;
  *) fail "the person was not found by NHS number" ;;
esac
case "$OUT" in
  *"the person: Alex Morgan, born 1990-04-12, NHS number 9434765919"*) ;;
  *) fail "the person's record was not read" ;;
esac
case "$OUT" in
  *"declined: "*" is DECLINED: Not a crisis need; instead: "*" or $ONWARD"*) ;;
  *) fail "the routine referral was not declined with its onward route" ;;
esac
case "$OUT" in *"is ACCEPTED"*) ;; *) fail "not accepted" ;; esac
case "$OUT" in
  *"sent by the referring team: "*"sent by the referring team: "*) ;;
  *) fail "the sent list was not read" ;;
esac
case "$OUT" in *"care team: "*"$TO"*) ;; *) fail "no care team" ;; esac
# carectl agrees with the example's sent list.
expect_eq "$(as "$T_SAM" --json referral sent --person="$PERSON" |
  py 'sorted(r["state"] for r in d["referrals"])')" "['ACCEPTED', 'DECLINED']" \
  "two referrals, one declined and one accepted; the retry made none"
echo "PASS"
