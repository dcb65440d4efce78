#!/usr/bin/env bash
# The record service in its own process, following the directory, referral,
# care plan and handover services of the split deployment:
# - a person's timeline and care summary across services, per team;
# - a team a referral awaits reads the person's crisis plan before it
#   answers (the care plan service asks the record), and no more after;
# - with the record stopped, work goes on; started again it catches up;
# - killed with SIGKILL in the middle of catching up on a backlog, it
#   resumes from its cursors and loses and duplicates nothing;
# - with a source service down it serves what it has and says how far
#   behind it is.
# usage: record_multi_process.sh SERVER_BIN CARECTL_BIN

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

start_split_deployment
RECORD_FLAGS=(--services=record --directory_address="$DIRECTORY"
  --referral_address="$REFERRAL" --careplan_address="$CAREPLAN_ADDR"
  --handover_address="$HANDOVER")
start_named record "${RECORD_FLAGS[@]}"
RECORD=$LAST_ADDR
RECORD_PID=$LAST_PID

# entries TOKEN PERSON: how many timeline entries of PERSON the record shows
# to TOKEN's team (empty when it cannot answer).
entries() {
  at "$RECORD" "$1" --json person timeline "$2" --page_size=1000 2>/dev/null |
    py 'len(d.get("entries", []))' 2>/dev/null || true
}
# caught_up: the record has every event of every feed.
caught_up() {
  [ "$(at "$RECORD" "$T_SERVICE" --json person timeline "$ALEX" 2>/dev/null |
    py 'd["freshness"].get("caught_up", False)' 2>/dev/null)" = True ]
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
T_SERVICE=$T_PRIYA
ALEX=$(at "$DIRECTORY" "$T_PRIYA" --name_only person register \
  --given_name=Alex --family_name=Morgan --birth_date=1994-03-12)

step "the record shows Alex's referral, its answer and the plan it started"
at "$CAREPLAN_ADDR" "$T_PRIYA" careplan update "$ALEX" \
  --what_helps="Her sister Jo" --reason="First plan with Alex" >/dev/null
R1=$(at "$REFERRAL" "$T_PRIYA" --name_only referral create --person="$ALEX" \
  --to="$CRISIS" --urgency=crisis --reason="Rising distress")
at "$REFERRAL" "$T_JON" referral accept "$R1" --note="Home treatment" >/dev/null
# Registered, the first plan, sent, accepted, the crisis team joining.
alex_complete() { [ "$(entries "$T_PRIYA" "$ALEX")" = 5 ]; }
wait_until 15 "Alex's five steps in the record" alex_complete
at "$RECORD" "$T_PRIYA" person timeline "$ALEX"
expect_eq "$(entries "$T_JON" "$ALEX")" 5 "steps the crisis team sees (on the care team)"
SUMMARY=$(at "$RECORD" "$T_JON" --json person summary "$ALEX")
expect_eq "$(echo "$SUMMARY" | py 'd["lead_team"]')" "$CMHT" "lead team"
expect_eq "$(echo "$SUMMARY" | py 'len(d["care_team"])')" 2 "teams on the care team"

step "a team a referral awaits reads the crisis plan before it answers"
# The care plan service asks the record which answers are awaited: started
# again knowing where the record is (the documented split deployment).
kill -TERM "$CAREPLAN_PID"
wait_for_exit "$CAREPLAN_PID" 30
CAREPLAN_FLAGS+=(--record_address="$RECORD")
start_named careplan "${CAREPLAN_FLAGS[@]}"
CAREPLAN_PID=$LAST_PID
BEA=$(at "$DIRECTORY" "$T_PRIYA" --name_only person register \
  --given_name=Bea --family_name=Okoro --birth_date=1988-07-21)
at "$CAREPLAN_ADDR" "$T_PRIYA" careplan update "$BEA" \
  --what_helps="A call from her brother Tom" --add_goal="Back to college" \
  --reason="First plan with Bea" >/dev/null
# bea_plan: the crisis team reads Bea's plan (into bea.json).
bea_plan() {
  at "$CAREPLAN_ADDR" "$T_JON" --json careplan show "$BEA" >"$WORK/bea.json" 2>/dev/null
}
bea_plan && fail "the crisis team read Bea's plan with nothing asked of it"
R2=$(at "$REFERRAL" "$T_PRIYA" --name_only referral create --person="$BEA" \
  --to="$CRISIS" --urgency=crisis --reason="Bea rang in distress")
wait_until 15 "the crisis team reads Bea's crisis plan while R2 waits" bea_plan
expect_eq "$(py 'd["crisis_plan"]["what_helps"], len(d.get("goals", [])), "SHARED_GOALS" in d["withheld"]' <"$WORK/bea.json")" \
  "A call from her brother Tom 0 True" "the crisis plan, not the goals"
at "$REFERRAL" "$T_JON" referral decline "$R2" --reason="Not in crisis tonight" \
  --signpost="Samaritans, 116 123" >/dev/null
bea_closed() { ! bea_plan; }
wait_until 15 "Bea's plan closes to the crisis team once it answered" bea_closed

step "with the record stopped work goes on; started again it catches up"
kill -TERM "$RECORD_PID"
wait_for_exit "$RECORD_PID" 30
# timeline_rows: the record's timeline entries, read from its database
# (the process is gone).
timeline_rows() { count_rows record record timeline; }
BEFORE_BACKLOG=$(timeline_rows)
BACKLOG=40
PERSONS=()
for i in $(seq "$BACKLOG"); do
  P=$(at "$DIRECTORY" "$T_PRIYA" --name_only person register \
    --given_name="Kim$i" --family_name=Backlog --birth_date=1980-02-03)
  R=$(at "$REFERRAL" "$T_PRIYA" --name_only referral create --person="$P" \
    --to="$CRISIS" --urgency=routine --reason="Backlog $i")
  at "$REFERRAL" "$T_JON" referral accept "$R" >/dev/null
  PERSONS+=("$P")
done

step "SIGKILL in the middle of catching up: resumes, nothing lost or twice"
# A pause before each event (a flag for fault-injection tests only) makes the
# backlog (four events per person) take a few seconds, so the kill lands
# part-way through.
start_named record "${RECORD_FLAGS[@]}" --testing_consumer_apply_delay=15ms
RECORD_PID=$LAST_PID
deadline=$((SECONDS + 30))
until [ "$(entries "$T_JON" "${PERSONS[$((BACKLOG / 2))]}")" -ge 3 ] 2>/dev/null; do
  [ "$SECONDS" -lt "$deadline" ] || fail "the backlog is not being applied"
  sleep 0.02
done
kill -9 "$RECORD_PID"
wait_for_exit "$RECORD_PID" 30
LAST=${PERSONS[$((BACKLOG - 1))]}
# How far it got.
APPLIED=$(timeline_rows)
[ "$APPLIED" -lt $((BEFORE_BACKLOG + 4 * BACKLOG)) ] ||
  fail "the whole backlog was applied before the kill"
echo "    killed with $APPLIED of $((BEFORE_BACKLOG + 4 * BACKLOG)) timeline entries applied"
start_named record "${RECORD_FLAGS[@]}"
RECORD_PID=$LAST_PID
last_complete() { [ "$(entries "$T_JON" "$LAST")" = 4 ]; }
wait_until 60 "the whole backlog in the record after the restart" last_complete
wait_until 30 "the record caught up with every feed" caught_up
for P in "${PERSONS[@]}"; do
  # Registered, referral sent, accepted, the crisis team's new plan.
  expect_eq "$(entries "$T_JON" "$P")" 4 "steps of $P"
done
expect_eq "$(entries "$T_PRIYA" "$ALEX")" 5 "Alex's steps after the restart"

step "with the referral service down the record answers and says it is behind"
REFERRAL_PID=$(pgrep -f -- "--data_dir=$WORK/referral " || true)
[ -n "$REFERRAL_PID" ] || fail "cannot find the referral process"
kill -TERM "$REFERRAL_PID"
wait_for_exit "$REFERRAL_PID" 30
behind() {
  at "$RECORD" "$T_PRIYA" person summary "$ALEX" 2>/dev/null |
    grep -q "record behind the referral feed"
}
wait_until 30 "the summary says the record is behind the referral feed" behind
at "$RECORD" "$T_PRIYA" person summary "$ALEX"
expect_eq "$(entries "$T_PRIYA" "$ALEX")" 5 "Alex's steps while referral is down"
echo "PASS"
