#!/usr/bin/env bash
# shellcheck disable=SC2119  # start_server takes optional server flags, not ours
# The README walk-through, end to end: an admin sets up three teams and their
# members, a clinician registers a person and refers them; the receiving
# teams acknowledge, accept, decline with an onward route and redirect; the
# sender withdraws. Every step is checked through carectl --json.
#
# usage: walkthrough.sh SERVER_BIN CARECTL_BIN

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

start_server
ADMIN=$(cat "$DATA/bootstrap-admin.token")
[ -n "$ADMIN" ] || fail "no bootstrap admin token in $DATA"

step "health"
cc health >/dev/null || fail "health is not SERVING"

step "no token, or a bad one, is UNAUTHENTICATED"
TOKEN='' expect_rpc_error UNAUTHENTICATED team list
TOKEN=not-a-token expect_rpc_error UNAUTHENTICATED team list

step "the admin creates three teams"
CMHT=$(as "$ADMIN" --json team create --display_name="North CMHT" \
  --sector=community_mental_health --routine=14d --urgent=72h \
  --service_description="Community mental health care for adults" | py 'd["name"]')
CRISIS=$(as "$ADMIN" --json team create --display_name="Crisis Resolution" \
  --sector=crisis --crisis=4h | py 'd["name"]')
VOLUNTARY=$(as "$ADMIN" --json team create --display_name="Safe Haven" \
  --sector=voluntary_sector --eligibility="Anyone over 16" | py 'd["name"]')
expect_eq "$(as "$ADMIN" --json team get "$CRISIS" | py 'd["sector"], d["accepting_referrals"]')" \
  "CRISIS True" "crisis team"
expect_eq "$(as "$ADMIN" --json team list --all | py 'len(d["teams"])')" 3 "team count"

step "members for each team, and their tokens"
member() {  # member TEAM ROLE DISPLAY_NAME -> prints the member name
  as "$(manager_of "$1")" --json member create --team="$1" --role="$2" \
    --display_name="$3" | py 'd["name"]'
}
CMHT_CLINICIAN=$(member "$CMHT" clinician "Sam Okafor")
CRISIS_LEAD=$(member "$CRISIS" team_lead "Priya Shah")
VOLUNTARY_WORKER=$(member "$VOLUNTARY" peer_support_worker "Jo Evans")
T_CMHT=$(issue_token "$CMHT_CLINICIAN" "$ADDR")
T_CRISIS=$(issue_token "$CRISIS_LEAD" "$ADDR" --ttl=1h)
T_VOLUNTARY=$(issue_token "$VOLUNTARY_WORKER" "$ADDR")
case "$T_CMHT" in *" "* | "") fail "token issue printed more than a token: $T_CMHT" ;; esac

step "separated duties: an admin adds no clinical staff and issues them no token"
TOKEN=$ADMIN expect_rpc_error PERMISSION_DENIED member create --team="$CMHT" \
  --role=clinician --display_name="Admin's own clinician"
TOKEN=$ADMIN expect_rpc_error PERMISSION_DENIED token issue "$CMHT_CLINICIAN"
# A team manager manages only their own team, and reads no clinical record.
TOKEN=$(manager_of "$CMHT") expect_rpc_error PERMISSION_DENIED token issue \
  "$CRISIS_LEAD"
TOKEN=$(manager_of "$CMHT") expect_rpc_error PERMISSION_DENIED referral inbox
expect_eq "$(as "$T_CRISIS" --json member get "$CRISIS_LEAD" | py 'd["role"], d["team"]')" \
  "TEAM_LEAD $CRISIS" "crisis lead"

step "a clinician registers a person"
PERSON=$(as "$T_CMHT" --json person register --given_name=Alex \
  --family_name=Morgan --preferred_name=Lex --birth_date=1990-04-12 \
  --nhs_number="943 476 5919" --local_id=https://trust.example/mrn=A123 | py 'd["name"]')
expect_eq "$(as "$T_CMHT" --json person find --nhs_number=9434765919 | py 'd["persons"][0]["name"]')" \
  "$PERSON" "find by NHS number"
expect_eq "$(as "$T_CMHT" --json person find --family_name=morgan --birth_date=1990-04-12 | py 'len(d["persons"])')" \
  1 "find by name and birth date"
TOKEN=$T_CMHT expect_rpc_error ALREADY_EXISTS person register --given_name=A \
  --family_name=B --birth_date=1990-01-01 --nhs_number=9434765919
case "$ERR" in *"$PERSON"*) ;; *) fail "ALREADY_EXISTS does not name $PERSON: $ERR" ;; esac
TOKEN=$T_CMHT expect_rpc_error INVALID_ARGUMENT person register --given_name=A \
  --family_name=B --birth_date=1990-01-01 --nhs_number=9434765918
# The same person typed again without the NHS number: refused, naming the
# record to use; confirmed as someone else, registered.
TOKEN=$T_CMHT expect_rpc_error FAILED_PRECONDITION person register \
  --given_name=lex --family_name=MORGAN --birth_date=1990-04-12
case "$ERR" in *"$PERSON (Alex Morgan, born 1990-04-12)"*"--allow_duplicate"*) ;;
  *) fail "a possible duplicate does not name $PERSON and --allow_duplicate: $ERR" ;; esac
expect_eq "$(as "$T_CMHT" --json person find --family_name=morgan --birth_date=1990-04-12 | py 'len(d["persons"])')" \
  1 "a refused registration wrote nothing"
OTHER_ALEX=$(as "$T_CMHT" --name_only person register --given_name=Alex \
  --family_name=Morgan --birth_date=1990-04-12 --allow_duplicate)
[ "$OTHER_ALEX" != "$PERSON" ] || fail "--allow_duplicate did not register another person"

# No team cares for the other Alex: nobody may change the details.
TOKEN=$T_CMHT expect_rpc_error PERMISSION_DENIED person update "$OTHER_ALEX" \
  --etag=any --preferred_name=Al

refer() {  # refer TEAM REQUEST_ID -> prints the referral name
  as "$T_CMHT" --json referral create --person="$PERSON" --to="$1" \
    --urgency=crisis --reason="Rising distress after discharge" \
    --wishes="I want someone to call me back today" \
    --risk="Safer with a friend nearby; plan agreed with CMHT" \
    --request_id="$2" | py 'd["name"]'
}

step "referral 1: sent to the crisis team, acknowledged, accepted"
R1=$(refer "$CRISIS" walk-1)
as "$T_CMHT" --json referral get "$R1" >"$WORK/r1.json"
expect_eq "$(py 'd["state"], d["sending_team"], d["receiving_team"], d["created_by"]' <"$WORK/r1.json")" \
  "SENT $CMHT $CRISIS $CMHT_CLINICIAN" "referral 1 as sent"
expect_eq "$(py 'bool(d["response_due_time"])' <"$WORK/r1.json")" True "response deadline"
expect_eq "$(refer "$CRISIS" walk-1)" "$R1" "retry with the same request id"
expect_eq "$(as "$T_CRISIS" --json referral inbox --state=sent | py '[r["name"] for r in d["referrals"]]')" \
  "['$R1']" "crisis inbox"
expect_eq "$(as "$T_CMHT" --json referral sent | py 'len(d["referrals"])')" 1 "CMHT sent list"
expect_eq "$(as "$T_VOLUNTARY" --json referral inbox | py 'len(d["referrals"])')" 0 "voluntary inbox"
expect_eq "$(as "$T_CRISIS" --json referral ack "$R1" --note="Seen by duty worker" | py 'd["state"]')" \
  ACKNOWLEDGED "after ack"
ETAG=$(as "$T_CRISIS" --json referral get "$R1" | py 'd["etag"]')
expect_eq "$(as "$T_CRISIS" --json referral accept "$R1" --etag="$ETAG" --note="Home visit today" | py 'd["state"]')" \
  ACCEPTED "after accept"
TOKEN=$T_CRISIS expect_rpc_error FAILED_PRECONDITION referral accept "$R1"
TOKEN=$T_CRISIS expect_rpc_error ABORTED referral complete "$R1" --etag="$ETAG"
as "$T_CMHT" --json referral get "$R1" >"$WORK/r1.json"
expect_eq "$(py '" ".join(e["action"] for e in d["history"])' <"$WORK/r1.json")" \
  "CREATED ACKNOWLEDGED ACCEPTED" "referral 1 history"
expect_eq "$(py '" ".join(e["actor"] + "@" + e["actor_team"] for e in d["history"])' <"$WORK/r1.json")" \
  "$CMHT_CLINICIAN@$CMHT $CRISIS_LEAD@$CRISIS $CRISIS_LEAD@$CRISIS" "referral 1 actors"
expect_eq "$(py 'd["history"][2]["from_state"], d["history"][2]["to_state"], d["history"][2]["note"]' <"$WORK/r1.json")" \
  "ACKNOWLEDGED ACCEPTED Home visit today" "accept step"
HUMAN=$(as "$T_CMHT" referral get "$R1")
for want in "state:" "accepted" "history:" "Home visit today"; do
  case "$HUMAN" in *"$want"*) ;; *) fail "referral get lacks '$want': $HUMAN" ;; esac
done

step "the crisis team, now caring for Alex, corrects her registered details"
# The record learns of the accepted referral within moments.
correct_preferred_name() {
  local etag
  etag=$(as "$T_CRISIS" --json person get "$PERSON" | py 'd.get("etag", "")')
  [ -n "$etag" ] && as "$T_CRISIS" --json person update "$PERSON" \
    --etag="$etag" --preferred_name=Lexi >"$WORK/person.json" 2>/dev/null
}
wait_until 10 "the crisis team corrects Alex's preferred name" correct_preferred_name
expect_eq "$(py 'd["preferred_name"], d["nhs_number"]' <"$WORK/person.json")" \
  "Lexi 9434765919" "corrected details"
TOKEN=$T_CRISIS expect_rpc_error ABORTED person update "$PERSON" --etag=stale \
  --preferred_name=Lex

step "registered again in a hurry, merged by the team leading Alex's care"
DUP=$(as "$T_CMHT" --name_only person register --given_name=Alex \
  --family_name=Morgan --birth_date=1990-04-12 --allow_duplicate)
DUP_ETAG=$(as "$T_CRISIS" --json person get "$DUP" | py 'd["etag"]')
TOKEN=$T_CMHT expect_rpc_error PERMISSION_DENIED person merge "$DUP" \
  --into="$PERSON" --etag="$DUP_ETAG"
merge_dup() {  # the record learns who leads Alex's care within moments
  as "$T_CRISIS" person merge "$DUP" --into="$PERSON" --etag="$DUP_ETAG" \
    >"$WORK/merge.txt" 2>/dev/null
}
wait_until 10 "the crisis team merges the second registration" merge_dup
grep -q "merged $DUP into $PERSON" "$WORK/merge.txt" || fail "merge output: $(cat "$WORK/merge.txt")"
expect_eq "$(as "$T_CMHT" --json person get "$DUP" | py 'd["merged_into"]')" "$PERSON" \
  "the duplicate names the person kept"
case "$(as "$T_CMHT" person get "$DUP")" in *"Merged into: "*"$PERSON"*) ;;
  *) fail "person get of the duplicate does not say which record to use" ;; esac
expect_eq "$(as "$T_CMHT" --json person find --family_name=morgan --birth_date=1990-04-12 | py 'len(d["persons"])')" \
  2 "the merged registration is no longer found (Alex and the other Alex)"
TOKEN=$T_CRISIS expect_rpc_error FAILED_PRECONDITION person merge "$OTHER_ALEX" \
  --into="$DUP" --etag=any
case "$ERR" in *"$DUP was merged into $PERSON"*) ;; *) fail "merge into a merged person: $ERR" ;; esac
TOKEN=$T_CMHT expect_rpc_error FAILED_PRECONDITION referral create --person="$DUP" \
  --to="$CRISIS" --urgency=routine --reason="Low mood"
case "$ERR" in *"was merged into $PERSON"*) ;; *) fail "new referral for the duplicate: $ERR" ;; esac

step "referral 2: a wrong-team accept is refused; declined with an onward route"
R2=$(refer "$CRISIS" walk-2)
TOKEN=$T_CMHT expect_rpc_error PERMISSION_DENIED referral accept "$R2"
TOKEN=$T_VOLUNTARY expect_rpc_error PERMISSION_DENIED referral accept "$R2"
status=0
as "$T_CRISIS" referral decline "$R2" --reason="Not a crisis" >/dev/null 2>&1 || status=$?
expect_eq "$status" 2 "decline without an onward route"
expect_eq "$(as "$T_CRISIS" --json referral get "$R2" | py 'd["state"]')" SENT "after refused decline"
as "$T_CRISIS" --json referral decline "$R2" --reason="Needs longer-term support, not crisis care" \
  --signpost="Safe Haven drop-in, evenings" --suggest_team="$VOLUNTARY" >"$WORK/r2.json"
expect_eq "$(py 'd["state"], d["onward_route"]["suggested_team"]' <"$WORK/r2.json")" \
  "DECLINED $VOLUNTARY" "referral 2 declined"
expect_eq "$(py 'd["onward_route"]["signposting"]' <"$WORK/r2.json")" \
  "Safe Haven drop-in, evenings" "signposting"
expect_eq "$(py 'd["history"][-1]["action"], d["history"][-1]["note"]' <"$WORK/r2.json")" \
  "DECLINED Needs longer-term support, not crisis care" "decline step"

step "referral 3: redirected to the voluntary-sector team"
R3=$(refer "$CRISIS" walk-3)
as "$T_CRISIS" --json referral redirect "$R3" --to="$VOLUNTARY" \
  --reason="Better placed for ongoing peer support" >"$WORK/r3.json"
R3B=$(py 'd["created"]["name"]' <"$WORK/r3.json")
expect_eq "$(py 'd["redirected"]["state"], d["redirected"]["redirected_to"]' <"$WORK/r3.json")" \
  "REDIRECTED $R3B" "referral 3 redirected"
expect_eq "$(py 'd["created"]["state"], d["created"]["receiving_team"], d["created"]["sending_team"], d["created"]["redirected_from"]' <"$WORK/r3.json")" \
  "SENT $VOLUNTARY $CMHT $R3" "redirected referral"
expect_eq "$(as "$T_VOLUNTARY" --json referral inbox | py '[r["name"] for r in d["referrals"]]')" \
  "['$R3B']" "voluntary inbox"
expect_eq "$(as "$T_VOLUNTARY" --json referral accept "$R3B" | py 'd["state"]')" ACCEPTED \
  "voluntary team accepts"

step "referral 4: withdrawn by the sender"
R4=$(refer "$CRISIS" walk-4)
TOKEN=$T_CRISIS expect_rpc_error PERMISSION_DENIED referral withdraw "$R4" --reason=x
as "$T_CMHT" --json referral withdraw "$R4" --reason="Person has moved out of area" >"$WORK/r4.json"
expect_eq "$(py 'd["state"], d["history"][-1]["action"], d["history"][-1]["actor"]' <"$WORK/r4.json")" \
  "WITHDRAWN WITHDRAWN $CMHT_CLINICIAN" "referral 4 withdrawn"

step "lists by state, and completing the accepted referral"
expect_eq "$(as "$T_CMHT" --json referral sent --state=declined,withdrawn | py 'sorted(r["name"] for r in d["referrals"])')" \
  "$(printf '%s\n' "$R2" "$R4" | sort | /usr/bin/python3 -c 'import sys; print(sorted(sys.stdin.read().split()))')" \
  "declined and withdrawn"
expect_eq "$(as "$T_CMHT" --json referral sent --page_size=2 | py 'len(d["referrals"]), bool(d["next_page_token"])')" \
  "2 True" "first page"
expect_eq "$(as "$T_CMHT" --json referral sent --page_size=2 --all | py 'len(d["referrals"])')" \
  5 "all pages"
expect_eq "$(as "$T_CRISIS" --json referral complete "$R1" --note="Back to CMHT" | py 'd["state"]')" \
  COMPLETED "referral 1 completed"

echo "PASS walkthrough"
