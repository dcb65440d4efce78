#!/usr/bin/env bash
# Issue 9's first failure, as a new user met it: in the split deployment,
# with the care plan service stopped, 20 SHARED_CARE handovers (large, as
# real ones with full SBAR and many actions are) are accepted for persons
# with large care plans. When the care plan service starts again it must
# catch up: every receiving team joins, and a small handover accepted
# afterwards for someone else is applied too. Before feed responses were
# bounded, the first batch (about 7 MB here) was over the 4 MB a gRPC client
# accepts, the consumer logged RESOURCE_EXHAUSTED for ever and no effect
# landed, while health said SERVING.
# usage: feed_catch_up_multi_process.sh SERVER_BIN CARECTL_BIN

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

start_split_deployment
PERSONS_COUNT=20

step "two teams, a member of each"
CMHT=$(at "$DIRECTORY" "$ADMIN" --name_only team create \
  --display_name="North CMHT" --sector=community_mental_health)
PEER=$(at "$DIRECTORY" "$ADMIN" --name_only team create \
  --display_name="Peer Café" --sector=voluntary_sector)
PRIYA=$(at "$DIRECTORY" "$(manager_of "$CMHT" "$DIRECTORY")" --name_only member create \
  --display_name="Priya" --team="$CMHT" --role=care_coordinator)
VAL=$(at "$DIRECTORY" "$(manager_of "$PEER" "$DIRECTORY")" --name_only member create \
  --display_name="Val" --team="$PEER" --role=peer_support_worker)
T_PRIYA=$(issue_token "$PRIYA" "$DIRECTORY")
T_VAL=$(issue_token "$VAL" "$DIRECTORY")
# team_state's form: the lead, then the teams involved, sorted.
JOINED=$(printf '%s\n' "$CMHT" "$PEER" | sort | tr '\n' ' ')
JOINED="$CMHT ${JOINED% }"

# Text in the person's words, in a script of three-byte characters: within
# every field's character limit, large on the wire.
/usr/bin/python3 - "$WORK" "$CMHT" <<'EOF'
import json, sys
work, cmht = sys.argv[1], sys.argv[2]
words = "私は夜に不安になります。姉のジョーと犬の散歩が助けになります。"
def text(n):
    return (words * (n // len(words) + 1))[:n]
plan = {
    "goals": [{"description": text(2000)} for _ in range(30)],
    "actions": [{"description": text(1500), "owningTeam": cmht} for _ in range(20)],
    "crisisPlan": {"whatHelps": text(4000), "earlyWarningSigns": text(4000)},
}
with open(f"{work}/plan.json", "w") as f:
    json.dump(plan, f, ensure_ascii=False)
handover = {
    "kind": "SHARED_CARE", "urgency": "ROUTINE", "illnessSeverity": "STABLE",
    "situation": text(4000), "background": text(4000),
    "assessment": text(4000), "recommendation": text(4000),
    "actions": [{"description": text(2000)} for _ in range(50)],
}
with open(f"{work}/handover.json", "w") as f:
    json.dump(handover, f, ensure_ascii=False)
EOF

step "$PERSONS_COUNT persons, each with a large plan led by the community team"
PERSONS=()
HANDOVERS=()
for i in $(seq "$PERSONS_COUNT"); do
  P=$(at "$DIRECTORY" "$T_PRIYA" --name_only person register \
    --given_name="Ren$i" --family_name=Sato --birth_date=1988-05-0$((i % 9 + 1)))
  at "$CAREPLAN_ADDR" "$T_PRIYA" careplan update "$P" --from_file="$WORK/plan.json" \
    --reason="Plan written with Ren" >/dev/null
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["person"]=sys.argv[2]; d["receivingTeam"]=sys.argv[3]; [a.update(owningTeam=sys.argv[3]) for a in d["actions"]]; json.dump(d, open(sys.argv[4], "w"), ensure_ascii=False)' \
    "$WORK/handover.json" "$P" "$PEER" "$WORK/handover-$i.json"
  H=$(at "$HANDOVER" "$T_PRIYA" --name_only handover create \
    --from_file="$WORK/handover-$i.json")
  PERSONS+=("$P")
  HANDOVERS+=("$H")
done
PLAN_BYTES=$(at "$CAREPLAN_ADDR" "$T_PRIYA" --json careplan show "${PERSONS[0]}" | wc -c)
HANDOVER_BYTES=$(at "$HANDOVER" "$T_PRIYA" --json handover show "${HANDOVERS[0]}" | wc -c)
echo "    each plan is about $((PLAN_BYTES / 1024)) KiB, each handover $((HANDOVER_BYTES / 1024)) KiB as JSON"

step "the care plan service stops; the peer team accepts all $PERSONS_COUNT"
kill -TERM "$CAREPLAN_PID"
wait_for_exit "$CAREPLAN_PID" 30
for H in "${HANDOVERS[@]}"; do
  at "$HANDOVER" "$T_VAL" handover accept "$H" >/dev/null
done

step "the care plan service starts again and catches up on every one"
start_named careplan "${CAREPLAN_FLAGS[@]}"
CAREPLAN_PID=$LAST_PID
for P in "${PERSONS[@]}"; do
  peer_joined() { [ "$(team_state "$T_PRIYA" "$P")" = "$JOINED" ]; }
  wait_until 60 "the peer team joins $P's care team" peer_joined
done

step "a small handover accepted afterwards, for someone else, is applied too"
SOLO=$(at "$DIRECTORY" "$T_PRIYA" --name_only person register \
  --given_name=Noa --family_name=Levi --birth_date=1999-09-09)
at "$CAREPLAN_ADDR" "$T_PRIYA" careplan update "$SOLO" --what_helps="Music" \
  --reason="First plan with Noa" >/dev/null
H=$(at "$HANDOVER" "$T_PRIYA" --name_only handover create --person="$SOLO" \
  --to="$PEER" --kind=shared --urgency=routine --severity=stable \
  --situation="Noa would like peer support" --assessment="Settled" \
  --recommendation="Weekly peer group")
at "$HANDOVER" "$T_VAL" handover accept "$H" >/dev/null
solo_joined() { [ "$(team_state "$T_PRIYA" "$SOLO")" = "$JOINED" ]; }
wait_until 30 "the peer team joins Noa's care team" solo_joined

step "the consumers report no lag, nothing parked, no error"
CONSUMERS=$(at "$CAREPLAN_ADDR" "$ADMIN" --json admin feeds)
state() {
  echo "$CONSUMERS" | py "[c for c in d['consumers'] if c['name'] == 'consumers/careplan.$1'][0]['$2']"
}
caught_up() {
  CONSUMERS=$(at "$CAREPLAN_ADDR" "$ADMIN" --json admin feeds)
  [ "$(state handover lag_events)" = 0 ]
}
wait_until 10 "the handover consumer reports no lag" caught_up
expect_eq "$(state handover state)" FOLLOWING "the handover consumer's state"
expect_eq "$(state handover head_sequence)" 42 \
  "the handover feed's head (20 created, 20 accepted, 1 + 1 more)"
expect_eq "$(state handover cursor)" 42 "the handover consumer's cursor"
expect_eq "$(state handover parked_count)" 0 "parked handover events"
expect_eq "$(state handover last_error)" "" "the handover consumer's last error"
at "$CAREPLAN_ADDR" "$ADMIN" admin feeds | sed 's/^/    /'
TOKEN=$T_PRIYA ADDR=$CAREPLAN_ADDR expect_rpc_error PERMISSION_DENIED admin feeds
if grep -q RESOURCE_EXHAUSTED "$WORK/server.log"; then
  fail "a consumer met RESOURCE_EXHAUSTED"
fi
step "the referral service comes back on a new database: reported, not followed"
REFERRAL_PID=$(pgrep -f -- "--data_dir=$WORK/referral " | head -1)
[ -n "$REFERRAL_PID" ] || fail "no referral process"
kill -TERM "$REFERRAL_PID"
wait_for_exit "$REFERRAL_PID" 30
mv "$WORK/referral" "$WORK/referral.old"
# On PostgreSQL the new database is the referral's, dropped and made again.
if [ -n "$PG_ADMIN_URL" ]; then
  database_flags referral
  REFERRAL_DB=${DATABASE_FLAGS[0]##*/}
  psql -q "$PG_ADMIN_URL" -c "DROP DATABASE $REFERRAL_DB WITH (FORCE)" \
    -c "CREATE DATABASE $REFERRAL_DB" >/dev/null ||
    fail "cannot make the referral's database again"
fi
start_named referral --services=referral --directory_address="$DIRECTORY"
producer_reset() {
  CONSUMERS=$(at "$CAREPLAN_ADDR" "$ADMIN" --json admin feeds)
  [ "$(state referral state)" = PRODUCER_RESET ]
}
wait_until 30 "the referral consumer reports its producer reset" producer_reset
at "$CAREPLAN_ADDR" "$ADMIN" admin feeds | sed 's/^/    /'
KAI=$(at "$DIRECTORY" "$T_PRIYA" --name_only person register \
  --given_name=Kai --family_name=Moss --birth_date=2001-02-03)
R=$(at "$REFERRAL" "$T_PRIYA" --name_only referral create --person="$KAI" \
  --to="$PEER" --urgency=routine --reason="Kai asked for the café group")
at "$REFERRAL" "$T_VAL" referral accept "$R" >/dev/null
sleep 1
# An accepted referral for someone without a plan starts one, led by the
# receiving team: not while the referral feed's new database is not followed.
TOKEN=$T_VAL ADDR=$CAREPLAN_ADDR expect_rpc_error NOT_FOUND careplan show "$KAI"
EPOCH=$(state referral producer_epoch)
at "$CAREPLAN_ADDR" "$ADMIN" admin feeds reset careplan.referral --after=0 \
  --epoch="$EPOCH" >/dev/null
referral_applied() { [ "$(team_state "$T_VAL" "$KAI")" = "$PEER $PEER" ]; }
wait_until 30 "the accepted referral applied after the reset" referral_applied
CONSUMERS=$(at "$CAREPLAN_ADDR" "$ADMIN" --json admin feeds)
expect_eq "$(state referral state)" FOLLOWING "the referral consumer after the reset"
expect_eq "$(state referral epoch)" "$EPOCH" "the epoch the referral cursor follows"
echo "PASS feed_catch_up_multi_process"
