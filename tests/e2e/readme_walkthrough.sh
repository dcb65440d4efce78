#!/usr/bin/env bash
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

step "one log line per call, naming method, principal, code and latency"
grep -Eq "call method=/carebridge.referral.v1.ReferralService/AcceptReferral principal=members/[a-z0-9]+ code=OK latency_ms=[0-9.]+" \
  "$WORK/server.log" || fail "no call log line for AcceptReferral"
grep -Eq "call method=/carebridge.directory.v1.DirectoryService/CreateTeam principal=members/bootstrap-admin code=OK" \
  "$WORK/server.log" || fail "no call log line for CreateTeam by the bootstrap admin"
echo "PASS"
