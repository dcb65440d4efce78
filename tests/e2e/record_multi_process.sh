#!/usr/bin/env bash
# The record service in its own process, following the directory, referral,
# care plan and handover services of the split deployment:
# - a person's timeline and care summary across services, per team;
# - a team a referral awaits reads the person's crisis plan before it
#   answers (the care plan service asks the record), and no more after;
# - with the record stopped, work goes on; started again it catches up;
# - killed with SIGKILL in the middle of catching up on a backlog, it
#   resumes from its cursors and loses and duplicates nothing: its timeline
#   entries, inbox items and care gaps are those of a record that read the
#   feeds without interruption;
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
# caught_up [ADDRESS]: the record (at ADDRESS, default $RECORD) has every
# event of every feed.
caught_up() {
  [ "$(at "${1:-$RECORD}" "$T_SERVICE" --json person timeline "$ALEX" 2>/dev/null |
    py 'd["freshness"].get("caught_up", False)' 2>/dev/null)" = True ]
}
# feed_applied ADDRESS FEED: the record at ADDRESS has applied FEED through
# the newest event it has seen of it.
feed_applied() {
  [ "$(at "$1" "$T_SERVICE" --json person timeline "$ALEX" 2>/dev/null |
    py "[int(f.get('applied_through', 0)) >= int(f.get('head_sequence', 0)) > 0 for f in d['freshness']['feeds'] if f['feed'] == '$2'] == [True]" \
      2>/dev/null)" = True ]
}
# inbox_items ADDRESS TOKEN: TOKEN's team's inbox items at the record at
# ADDRESS, one "type subject" line each, sorted.
inbox_items() {
  at "$1" "$2" --json inbox | /usr/bin/python3 -c '
import json, sys
for line in sorted(json.loads(l)["type"] + " " + json.loads(l)["subject"]
                   for l in sys.stdin if l.strip()):
    print(line)'
}
# gap_lines ADDRESS TOKEN TEAM: TEAM's care gaps, open and closed, at the
# record at ADDRESS, one "name kind opened closed (why)" line each, sorted.
gap_lines() {
  at "$1" "$2" --json gaps --team="$3" --closed --page_size=1000 |
    py '"\n".join(sorted("%s %s %s %s (%s)" % (g["name"], g["kind"], g["open_time"], g.get("close_time", "-"), g.get("close_reason", "")) for g in d.get("gaps", [])))'
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

step "the same inbox items and care gaps as a record never interrupted"
# A second record on a database of its own reads every feed from the start
# without a kill. It follows the directory first (its other peers are
# unreachable until it has), as the first record did, having started before
# anyone was referred. (Since 2026-12-07 the gaps that need a team's sector
# come out the same in either order, from the sectors the care plan stamps
# on its versions: tests/record/record_rebuild_integration_test.cc.)
NOWHERE=127.0.0.1:$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_named record-ref --services=record --directory_address="$DIRECTORY" \
  --referral_address="$NOWHERE" --careplan_address="$NOWHERE" \
  --handover_address="$NOWHERE"
RECORD_REF=$LAST_ADDR
wait_until 30 "the reference record has the directory feed" \
  feed_applied "$RECORD_REF" directory
kill -TERM "$LAST_PID"
wait_for_exit "$LAST_PID" 30
start_named record-ref "${RECORD_FLAGS[@]}"
wait_until 60 "the reference record caught up with every feed" \
  caught_up "$RECORD_REF"
for who in "$T_JON crisis" "$T_PRIYA community"; do
  read -r token team <<<"$who"
  ITEMS=$(inbox_items "$RECORD" "$token")
  REF_ITEMS=$(inbox_items "$RECORD_REF" "$token")
  expect_eq "$(grep -c . <<<"$ITEMS")" "$(grep -c . <<<"$REF_ITEMS")" \
    "the $team team's inbox items, against the reference"
  expect_eq "$ITEMS" "$REF_ITEMS" "the $team team's inbox, against the reference"
done
# Each referral once: Alex's, Bea's and the backlog's.
expect_eq "$(inbox_items "$RECORD" "$T_JON" | grep -c '^inbox.referral_received ')" \
  $((BACKLOG + 2)) "referrals in the crisis team's inbox"
expect_eq "$(inbox_items "$RECORD" "$T_PRIYA" | grep -c '^inbox.referral_answered ')" \
  $((BACKLOG + 2)) "answers in the community team's inbox"
for who in "$T_JON $CRISIS" "$T_PRIYA $CMHT"; do
  read -r token team <<<"$who"
  expect_eq "$(gap_lines "$RECORD" "$token" "$team")" \
    "$(gap_lines "$RECORD_REF" "$token" "$team")" "$team's care gaps, against the reference"
done
# The backlog's people, under a crisis team with no crisis plan.
[ "$(gap_lines "$RECORD" "$T_JON" "$CRISIS" | grep -c ' NO_CRISIS_PLAN ')" -ge "$BACKLOG" ] ||
  fail "the crisis team's list has fewer than $BACKLOG gaps"

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
