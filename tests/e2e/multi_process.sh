#!/usr/bin/env bash
# One service per process: the directory in one carebridge-server, the
# referral service in another that reaches it with --directory_address; both
# share the token keys. A referral made through the referral process is
# checked against the directory process, and stopping the directory makes
# creates fail with UNAVAILABLE and store nothing.
# usage: multi_process.sh SERVER_BIN CARECTL_BIN

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

start_named directory --services=directory
DIRECTORY_PID=$LAST_PID
DIRECTORY=$LAST_ADDR
start_named referral --services=referral --directory_address="$DIRECTORY"
REFERRAL=$LAST_ADDR
ADMIN=$(cat "$WORK/directory/bootstrap-admin.token")

step "each process serves only its own service"
"$CARECTL_BIN" --server="$DIRECTORY" health \
  --service=carebridge.directory.v1.DirectoryService >/dev/null ||
  fail "directory process does not serve the directory"
status=0
"$CARECTL_BIN" --server="$DIRECTORY" health \
  --service=carebridge.referral.v1.ReferralService >/dev/null 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "directory process claims the referral service"

step "set up teams, a member and a person in the directory process"
ADDR=$DIRECTORY
FROM=$(as "$ADMIN" --name_only team create --display_name="CMHT" \
  --sector=community_mental_health)
TO=$(as "$ADMIN" --name_only team create --display_name="Crisis" --sector=crisis)
SAM=$(as "$(manager_of "$FROM")" --name_only member create --display_name="Sam" \
  --team="$FROM" --role=clinician)
T_SAM=$(issue_token "$SAM" "$ADDR")
PERSON=$(as "$T_SAM" --name_only person register --given_name=Alex \
  --family_name=Morgan --birth_date=1990-04-12)

step "a referral through the referral process, checked against the directory"
ADDR=$REFERRAL
R=$(as "$T_SAM" --json referral create --person="$PERSON" --to="$TO" \
  --urgency=urgent --reason="Needs support this week")
expect_eq "$(echo "$R" | py 'd["state"], d["sending_team"]')" "SENT $FROM" \
  "referral made across processes"
TOKEN=$T_SAM expect_rpc_error NOT_FOUND referral create \
  --person=persons/nobody --to="$TO" --urgency=urgent --reason="x"

# refused_soon TOKEN TEXT: the referral process refuses TOKEN with
# UNAUTHENTICATED saying TEXT within 5 seconds.
refused_soon() {
  local deadline=$((SECONDS + 5)) err
  while :; do
    err=$(ADDR=$REFERRAL as "$1" referral inbox 2>&1 >/dev/null) && err=""
    case "$err" in *UNAUTHENTICATED*"$2"*) return 0 ;; esac
    [ "$SECONDS" -le "$deadline" ] || fail "token still accepted after 5s: $err"
    sleep 0.1
  done
}

step "a revoked token and a deactivated member are refused by the referral process within 5s"
ADDR=$DIRECTORY
KIM=$(as "$(manager_of "$FROM")" --name_only member create --display_name="Kim" \
  --team="$FROM" --role=clinician)
ISSUED=$(as "$(manager_of "$FROM")" --json token issue "$KIM")
T_KIM=$(echo "$ISSUED" | py 'd["token"]')
KIM_TOKEN_ID=$(echo "$ISSUED" | py 'd["token_id"]')
T_KIM2=$(issue_token "$KIM" "$ADDR")
ADDR=$REFERRAL as "$T_KIM" referral inbox >/dev/null || fail "Kim's token refused"
as "$ADMIN" token revoke "$KIM" "$KIM_TOKEN_ID" --reason="left on a shared PC" \
  >/dev/null || fail "token revoke failed"
refused_soon "$T_KIM" "left on a shared PC"
ADDR=$REFERRAL as "$T_KIM2" referral inbox >/dev/null ||
  fail "Kim's other token was refused too"
as "$ADMIN" member deactivate "$KIM" --reason="suspended pending review" \
  >/dev/null || fail "member deactivate failed"
refused_soon "$T_KIM2" "deactivated"
TOKEN=$(manager_of "$FROM") expect_rpc_error FAILED_PRECONDITION token issue "$KIM"
expect_eq "$(as "$ADMIN" --json member get "$KIM" | py 'd["state"]')" \
  DEACTIVATED "Kim's state"
ADDR=$REFERRAL

# Each process keys its audit logs with its own audit.key: on one PostgreSQL
# database the two must not write one chain (each would find the other's
# records altered).
step "each process's audit logs verify, the other process's calls apart"
for addr in "$DIRECTORY" "$REFERRAL" "$DIRECTORY" "$REFERRAL"; do
  ADDR=$addr as "$ADMIN" admin audit verify >/dev/null ||
    fail "the audit logs of the process at $addr do not verify"
done
ADDR=$REFERRAL

step "with the directory down, creates fail UNAVAILABLE and store nothing"
kill -TERM "$DIRECTORY_PID"
wait_for_exit "$DIRECTORY_PID" 30
status=0
"$CARECTL_BIN" --server="$DIRECTORY" --token="$ADMIN" --timeout=1s team list \
  >/dev/null 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "directory still answering after SIGTERM"
# A person not seen before cannot be served from the referral service's cache.
TOKEN=$T_SAM expect_rpc_error UNAVAILABLE referral create \
  --person=persons/someoneelse --to="$TO" --urgency=urgent --reason="x"
expect_eq "$(as "$T_SAM" --json referral sent --all | py 'len(d["referrals"])')" 1 \
  "referrals stored while the directory was down"
echo "PASS"
