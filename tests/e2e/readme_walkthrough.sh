#!/usr/bin/env bash
# shellcheck disable=SC2119  # start_server takes optional server flags, not ours
# Runs the README's carectl walk-through exactly as written, against a fresh
# server, so the README cannot drift from what carebridge does. Then checks
# the outcome it describes: every referral answered, with its onward route
# or link; the crisis team leading Alex's plan through the accepted
# referral, then handing responsibility back with a read-back; and a log
# line per call.
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

step "the crisis team led while it treated Alex, then handed back to the CMHT"
person=$(echo "$sent" | py 'd["referrals"][0]["person"]')
cmht=$(echo "$sent" | py 'd["referrals"][0]["sending_team"]')
crisis=$(echo "$sent" | py '[r for r in d["referrals"] if r["state"]=="ACCEPTED"][0]["receiving_team"]')
versions=$(as "$TOKEN" --json careplan versions "$person" --all)
expect_eq "$(echo "$versions" | py '" ".join(v["change"]["kind"] for v in reversed(d["versions"]))')" \
  "CARE_TEAM_CHANGED CONTENT_UPDATED AGREEMENT_RECORDED LEAD_CHANGED CARE_TEAM_CHANGED CONTENT_UPDATED AGREEMENT_RECORDED CARE_TEAM_CHANGED" \
  "the plan's versions, oldest first"
expect_eq "$(echo "$versions" | py '[v for v in d["versions"] if v["version"] == "1"][0]["change"]["actor"]')" \
  services/careplan "who made version 1 (the accepted referral's effect)"
plan=$(as "$TOKEN" --json careplan show "$person")
expect_eq "$(echo "$plan" | py 'd["version"]')" 8 "care plan version"
expect_eq "$(echo "$plan" | py 'd.get("agreed", False)')" True "agreed again"
expect_eq "$(echo "$plan" | py 'd["agreement"]["agreed_version"].rsplit("/", 1)[1]')" 6 \
  "the version agreed"
expect_eq "$(echo "$plan" | py 'd["lead_team"]')" "$cmht" "lead team"
peer=$(echo "$sent" | py '[r for r in d["referrals"] if r["state"]=="SENT"][0]["receiving_team"]')
expect_eq "$(echo "$plan" | py '[m["team"] for m in d["care_team"] if "end_time" not in m]')" \
  "['$cmht', '$peer']" "teams involved"
expect_eq "$(echo "$plan" | py '[m["team"] for m in d["care_team"] if "end_time" in m]')" \
  "['$crisis']" "teams that ended their involvement"
case "$(echo "$plan" | py 'd["crisis_plan"]["what_helps"]')" in
  *"a text before every visit"*) ;;
  *) fail "the crisis team's crisis plan is missing" ;;
esac
grep -q "NOT agreed: changed since the person agreed version 2" "$WORK/walkthrough.out" ||
  fail "the plan did not show that the change cleared the agreement"
grep -q "Help with the housing appeal letter" "$WORK/walkthrough.out" ||
  fail "the diff did not show the actions the community team took on"

step "Alex's sharing choice is hers, and holds"
ALEX_TOKEN=$(cat "$WORK/alex.token")
sharing=$(as "$ALEX_TOKEN" --json person sharing "$person")
expect_eq "$(echo "$sharing" | py 'd["updated_by"]')" "$person" "who made the choice"
expect_eq "$(echo "$sharing" | py 'd["rules"][0]["team"]')" "$peer" "whom it is about"
expect_eq "$(echo "$sharing" | py 'd["rules"][0]["parts"]')" \
  "['SHARED_GOALS', 'SHARED_OWN_ACTIONS', 'SHARED_CRISIS_PLAN', 'SHARED_COMMUNICATION_PREFERENCES', 'SHARED_CARE_TEAM']" \
  "what Alex shares with Open Door"
TOKEN=$(cat "$WORK/jon.token") expect_rpc_error PERMISSION_DENIED person share "$person" \
  --rules= --reason="not Jon's to change"

step "the handover was accepted with the community team's read-back"
handovers=$(as "$TOKEN" --json handover inbox --all)
expect_eq "$(echo "$handovers" | py '[h["state"] for h in d["handovers"]]')" "['ACCEPTED']" \
  "the community team's handover inbox"
expect_eq "$(echo "$handovers" | py 'len(d["handovers"][0]["read_back"]["actions_taken_on"])')" 2 \
  "actions taken on in the read-back"
expect_eq "$(echo "$handovers" | py 'd["handovers"][0]["sending_team"]')" "$crisis" \
  "who handed over"

step "one log line per call, naming method, principal, code and latency"
grep -Eq "call method=/carebridge.referral.v1.ReferralService/AcceptReferral principal=members/[a-z0-9]+ code=OK latency_ms=[0-9.]+" \
  "$WORK/server.log" || fail "no call log line for AcceptReferral"
grep -Eq "call method=/carebridge.directory.v1.DirectoryService/CreateTeam principal=members/bootstrap-admin code=OK" \
  "$WORK/server.log" || fail "no call log line for CreateTeam by the bootstrap admin"
step "the night line's break-glass is listed for Alex's lead team, with its reason"
TOKEN=$(cat "$WORK/priya.token")
accesses=$(as "$TOKEN" --json careplan break-glass list "$person")
expect_eq "$(echo "$accesses" | py 'len(d["accesses"])')" 1 "break-glass accesses"
case "$(echo "$accesses" | py 'd["accesses"][0]["reason"]')" in
  *"night line at 3am"*) ;;
  *) fail "the break-glass reason is missing" ;;
esac
grep -q "open until:.*audited; the lead team" "$WORK/walkthrough.out" ||
  fail "break-glass did not show the crisis plan"
step "Priya's team reviewed the access once: justified, by her, and nothing is left to review"
expect_eq "$(echo "$accesses" | py 'd["accesses"][0].get("review", {}).get("outcome", "none")')" \
  JUSTIFIED "the break-glass review"
expect_eq "$(as "$TOKEN" --json careplan break-glass list "$person" --unreviewed |
  py 'len(d.get("accesses", []))')" 0 "unreviewed break-glass accesses"
echo "PASS"
