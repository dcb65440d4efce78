#!/usr/bin/env bash
# Closed loops across processes: the directory, referral, care plan and
# handover services each in their own carebridge-server, sharing one token
# key. The care plan service follows the referral and handover feeds:
# - an accepted referral adds the receiving team to the care team, an
#   accepted transfer handover moves the lead (with read-back);
# - with the care plan service stopped, referrals and handovers are still
#   accepted; when it starts again the care team and lead catch up, with no
#   duplicate member and no lost effect;
# - killed with SIGKILL in the middle of applying a backlog, it resumes from
#   its durable cursor and applies nothing twice.
# usage: closed_loop_multi_process.sh SERVER_BIN CARECTL_BIN

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

start_split_deployment

# careplan_events TYPE: how many events of TYPE the care plan feed holds
# (read as the admin: metadata only).
careplan_events() {
  at "$CAREPLAN_ADDR" "$ADMIN" --json events --feed=careplan --type="$1" |
    /usr/bin/python3 -c 'import sys; print(sum(1 for line in sys.stdin if line.strip()))'
}

step "set up two teams, a clinician in each, and a person"
CMHT=$(at "$DIRECTORY" "$ADMIN" --name_only team create \
  --display_name="North CMHT" --sector=community_mental_health)
CRISIS=$(at "$DIRECTORY" "$ADMIN" --name_only team create \
  --display_name="Crisis team" --sector=crisis)
PRIYA=$(at "$DIRECTORY" "$(manager_of "$CMHT" "$DIRECTORY")" --name_only member create \
  --display_name="Priya" --team="$CMHT" --role=care_coordinator)
JON=$(at "$DIRECTORY" "$(manager_of "$CRISIS" "$DIRECTORY")" --name_only member create \
  --display_name="Jon" --team="$CRISIS" --role=clinician)
T_PRIYA=$(issue_token "$PRIYA" "$DIRECTORY")
T_JON=$(issue_token "$JON" "$DIRECTORY")
ALEX=$(at "$DIRECTORY" "$T_PRIYA" --name_only person register \
  --given_name=Alex --family_name=Morgan --birth_date=1994-03-12)

step "the community team starts Alex's plan and leads it"
at "$CAREPLAN_ADDR" "$T_PRIYA" careplan update "$ALEX" \
  --what_helps="Her sister Jo" --reason="First plan with Alex" >/dev/null
expect_eq "$(team_state "$T_PRIYA" "$ALEX")" "$CMHT $CMHT" "lead after the first write"

step "an accepted referral adds the crisis team to the care team"
R1=$(at "$REFERRAL" "$T_PRIYA" --name_only referral create --person="$ALEX" \
  --to="$CRISIS" --urgency=crisis --reason="Rising distress")
at "$REFERRAL" "$T_JON" referral accept "$R1" --note="Home treatment" >/dev/null
EXPECTED=$(printf '%s\n' "$CMHT" "$CRISIS" | sort | tr '\n' ' ')
EXPECTED="$CMHT ${EXPECTED% }"
crisis_joined() { [ "$(team_state "$T_PRIYA" "$ALEX")" = "$EXPECTED" ]; }
wait_until 15 "the crisis team joins Alex's care team" crisis_joined

step "a transfer needs the lead team, and a read-back to be accepted"
HANDOVER_ARGS=(--person="$ALEX" --kind=transfer --urgency=urgent
  --severity=unstable --situation="Alex is in crisis after an eviction notice"
  --assessment="Risk of self-harm; Jo and walking the dog help"
  --recommendation="Home treatment for two weeks"
  --action="Daily visits|$CRISIS|" --contingency="If Alex stops answering|Call Jo, then visit")
TOKEN=$T_JON ADDR=$HANDOVER expect_rpc_error FAILED_PRECONDITION handover create \
  --to="$CMHT" "${HANDOVER_ARGS[@]}"
H1=$(at "$HANDOVER" "$T_PRIYA" --name_only handover create --to="$CRISIS" \
  "${HANDOVER_ARGS[@]}" --request_id=alex-to-crisis)
TOKEN=$T_JON ADDR=$HANDOVER expect_rpc_error INVALID_ARGUMENT handover accept "$H1"
case "$ERR" in *read_back*) ;; *) fail "accept without read-back: $ERR" ;; esac
expect_eq "$(team_state "$T_PRIYA" "$ALEX")" "$EXPECTED" \
  "the community team still leads while the handover is pending"
at "$HANDOVER" "$T_JON" handover accept "$H1" \
  --summary="Alex is in crisis after the eviction notice; Jo helps" \
  --taking_on="Daily home visits for two weeks" >/dev/null
EXPECTED_CRISIS="$CRISIS ${EXPECTED#* }"
crisis_leads() { [ "$(team_state "$T_JON" "$ALEX")" = "$EXPECTED_CRISIS" ]; }
wait_until 15 "the lead moves to the crisis team" crisis_leads
expect_eq "$(careplan_events careplan.lead_changed)" 1 "lead changes so far"

step "with the care plan service stopped, answers are still accepted"
H2=$(at "$HANDOVER" "$T_JON" --name_only handover create --to="$CMHT" \
  --person="$ALEX" --kind=transfer --urgency=routine --severity=stable \
  --situation="The crisis has passed" --assessment="Settled; sleeping again" \
  --recommendation="Back to care coordination" --action="Weekly call|$CMHT|")
kill -TERM "$CAREPLAN_PID"
wait_for_exit "$CAREPLAN_PID" 30
TOKEN=$T_JON ADDR=$HANDOVER expect_rpc_error UNAVAILABLE handover create \
  --to="$CMHT" --person="$ALEX" --kind=info --urgency=routine --severity=stable \
  --situation="x" --assessment="x" --recommendation="x"
at "$HANDOVER" "$T_PRIYA" handover accept "$H2" \
  --summary="Alex is settled and sleeping again" \
  --taking_on="Weekly call with Alex" >/dev/null
PERSONS=()
for i in 1 2 3 4 5; do
  P=$(at "$DIRECTORY" "$T_PRIYA" --name_only person register \
    --given_name="Sam$i" --family_name=Lee --birth_date=1990-01-0$i)
  R=$(at "$REFERRAL" "$T_PRIYA" --name_only referral create --person="$P" \
    --to="$CRISIS" --urgency=urgent --reason="Needs support")
  at "$REFERRAL" "$T_JON" referral accept "$R" >/dev/null
  PERSONS+=("$P")
done

step "the care plan service starts again and catches up, once each"
start_named careplan "${CAREPLAN_FLAGS[@]}"
CAREPLAN_PID=$LAST_PID
EXPECTED_BACK="$CMHT ${EXPECTED#* }"
community_leads_again() { [ "$(team_state "$T_PRIYA" "$ALEX")" = "$EXPECTED_BACK" ]; }
wait_until 30 "the lead moves back to the community team" community_leads_again
for P in "${PERSONS[@]}"; do
  crisis_leads_p() { [ "$(team_state "$T_JON" "$P")" = "$CRISIS $CRISIS" ]; }
  wait_until 30 "the crisis team leads $P's new plan" crisis_leads_p
  expect_eq "$(at "$CAREPLAN_ADDR" "$T_JON" --json careplan versions "$P" --all |
    py 'len(d["versions"])')" 1 "versions of $P's plan"
done
expect_eq "$(careplan_events careplan.lead_changed)" 2 "lead changes after catching up"
expect_eq "$(careplan_events careplan.care_team_changed)" 6 \
  "care team changes after catching up (Alex's crisis team + five new plans)"

step "SIGKILL in the middle of applying a backlog: resumes, nothing twice"
kill -TERM "$CAREPLAN_PID"
wait_for_exit "$CAREPLAN_PID" 30
BACKLOG=60
for i in $(seq "$BACKLOG"); do
  P=$(at "$DIRECTORY" "$T_PRIYA" --name_only person register \
    --given_name="Kim$i" --family_name=Backlog --birth_date=1980-02-03)
  R=$(at "$REFERRAL" "$T_PRIYA" --name_only referral create --person="$P" \
    --to="$CRISIS" --urgency=routine --reason="Backlog $i")
  at "$REFERRAL" "$T_JON" referral accept "$R" >/dev/null
done
# A pause before each event (a flag for fault-injection tests only) makes the
# backlog take ~1.5 s to apply, so the kill lands part-way through.
start_named careplan "${CAREPLAN_FLAGS[@]}" --testing_consumer_apply_delay=25ms
CAREPLAN_PID=$LAST_PID
# Kill it as soon as it has applied part of the backlog.
deadline=$((SECONDS + 30))
while :; do
  AT_KILL=$(careplan_events careplan.care_team_changed)
  [ "$AT_KILL" -gt 6 ] && break
  [ "$SECONDS" -lt "$deadline" ] || fail "the backlog is not being applied"
  sleep 0.02
done
kill -9 "$CAREPLAN_PID"
wait_for_exit "$CAREPLAN_PID" 30
[ "$AT_KILL" -lt $((6 + BACKLOG)) ] ||
  fail "the whole backlog was applied before the kill"
echo "    killed after about $((AT_KILL - 6)) of $BACKLOG were applied"
start_named careplan "${CAREPLAN_FLAGS[@]}"
CAREPLAN_PID=$LAST_PID
all_applied() {
  [ "$(careplan_events careplan.care_team_changed)" -ge $((6 + BACKLOG)) ]
}
wait_until 60 "the whole backlog applied after the restart" all_applied
expect_eq "$(careplan_events careplan.care_team_changed)" $((6 + BACKLOG)) \
  "one care team change per accepted referral, none twice"
DUPLICATES=$(at "$CAREPLAN_ADDR" "$ADMIN" --json events --feed=careplan \
  --type=careplan.care_team_changed |
  /usr/bin/python3 -c 'import collections, json, sys
people = collections.Counter(json.loads(l)["person"] for l in sys.stdin if l.strip())
print(sum(1 for n in people.values() if n > 1))')
# Every person has exactly one care team change: Alex's when the crisis team
# joined (the rest of Alex's were content and lead changes), everyone else's
# when their plan began with the accepted referral.
expect_eq "$DUPLICATES" 0 "persons with a care team change applied twice"
echo "PASS closed_loop_multi_process"
