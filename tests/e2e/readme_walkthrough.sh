#!/usr/bin/env bash
# shellcheck disable=SC2119  # start_server takes optional server flags, not ours
# Runs the README's carectl walk-through exactly as written, against a fresh
# server, so the README cannot drift from what carebridge does. Then checks
# the outcome it describes: every referral answered, with its onward route
# or link, and a log line per call.
# Usage: readme_walkthrough.sh SERVER_BIN CARECTL_BIN
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh" "$@"

readme=$here/../../README.md
script=$WORK/walkthrough.sh
sed -n '/<!-- walkthrough:start -->/,/<!-- walkthrough:end -->/p' "$readme" |
  sed '1,2d;$d' | sed '$d' >"$script"
grep -q "carectl referral create" "$script" || fail "no walk-through found in README.md"

start_server
step "running the README walk-through"
mkdir -p "$WORK/bin"
ln -s "$CARECTL_BIN" "$WORK/bin/carectl"
(cd "$WORK" && PATH="$WORK/bin:$PATH" CAREBRIDGE_SERVER=$ADDR \
  bash -euo pipefail "$script") >"$WORK/walkthrough.out" ||
  fail "the README walk-through failed; output: $(cat "$WORK/walkthrough.out")"

step "the sender's list shows every referral answered"
TOKEN=$(cat "$WORK/priya.token")
sent=$(as "$TOKEN" --json referral sent --all)
states=$(echo "$sent" | py '",".join(sorted(r["state"] for r in d["referrals"]))')
expect_eq "$states" "ACCEPTED,DECLINED,REDIRECTED,SENT" "states after the walk-through"
signpost=$(echo "$sent" | py '[r for r in d["referrals"] if r["state"]=="DECLINED"][0]["onward_route"]["signposting"]')
case "$signpost" in *"Open Door"*) ;; *) fail "decline lost its signposting: $signpost" ;; esac
linked=$(echo "$sent" | py '[r for r in d["referrals"] if r["state"]=="REDIRECTED"][0]["redirected_to"] in [r["name"] for r in d["referrals"] if r["state"]=="SENT"]')
expect_eq "$linked" True "redirected referral links to its successor"
grep -q "Called Alex; visiting at 19:00" "$WORK/walkthrough.out" ||
  fail "history of the accepted referral is not shown"

step "the care plan is at version 5, agreed again, led by the CMHT"
person=$(echo "$sent" | py 'd["referrals"][0]["person"]')
cmht=$(echo "$sent" | py 'd["referrals"][0]["sending_team"]')
plan=$(as "$TOKEN" --json careplan show "$person")
expect_eq "$(echo "$plan" | py 'd["version"]')" 5 "care plan version"
expect_eq "$(echo "$plan" | py 'd.get("agreed", False)')" True "agreed again"
expect_eq "$(echo "$plan" | py 'd["agreement"]["agreed_version"].rsplit("/", 1)[1]')" 4 \
  "the version agreed"
expect_eq "$(echo "$plan" | py 'd["lead_team"]')" "$cmht" "lead team"
expect_eq "$(echo "$plan" | py 'len([m for m in d["care_team"] if "end_time" not in m])')" 2 \
  "teams involved"
case "$(echo "$plan" | py 'd["crisis_plan"]["what_helps"]')" in
  *"a text before every visit"*) ;;
  *) fail "the crisis team's change to the crisis plan is missing" ;;
esac
grep -q "NOT agreed: changed since the person agreed version 1" "$WORK/walkthrough.out" ||
  fail "the plan did not show that the change cleared the agreement"
grep -q "crisis_plan.what_helps" "$WORK/walkthrough.out" ||
  fail "the diff did not show the crisis plan change"

step "one log line per call, naming method, principal, code and latency"
grep -Eq "call method=/carebridge.referral.v1.ReferralService/AcceptReferral principal=members/[a-z0-9]+ code=OK latency_ms=[0-9.]+" \
  "$WORK/server.log" || fail "no call log line for AcceptReferral"
grep -Eq "call method=/carebridge.directory.v1.DirectoryService/CreateTeam principal=members/bootstrap-admin code=OK" \
  "$WORK/server.log" || fail "no call log line for CreateTeam by the bootstrap admin"
echo "PASS"
