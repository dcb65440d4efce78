#!/usr/bin/env bash
# Two replicas of a service on one PostgreSQL database, each killed with
# SIGKILL under load and started again:
# - hub: the directory, handover and record services;
# - ref1, ref2: the referral service (the record follows ref1's feed);
# - cp1, cp2: the care plan service, following the referral feed through
#   ref1 and ref2 respectively (one of them at a time: the other stands by).
# Every process keeps its data in the same database (a schema per service,
# shared by its replicas). Four clients register a person, refer them
# through one referral replica and accept the referral through the other,
# going to the other replica when theirs does not answer (as a load
# balancer would), with the same request id. Then:
# - every acknowledged referral is there, once, and was accepted;
# - the referral feed read through either replica is the same, gap-free
#   (sequences 1..head), each referral created and accepted once, created
#   first;
# - one request id sent to both replicas at once makes one referral;
# - the care plan service applied every accepted referral: one care plan
#   version per person, no event parked, its cursor at the feed's head, one
#   replica following and the other standing by.
# Needs the test cluster: run as e2e_replicas_postgresql.
# usage: replicas.sh SERVER_BIN CARECTL_BIN [SECONDS_PER_PHASE]

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

PHASE=${3:-6} # seconds of load before each kill
CLIENTS=4
use_shared_database

for name in hub ref1 ref2 cp1 cp2; do reserve_port "$name"; done
addr() { echo "127.0.0.1:$(cat "$WORK/$1.port")"; }
HUB=$(addr hub)
REF1=$(addr ref1)
REF2=$(addr ref2)
CP1=$(addr cp1)
CP2=$(addr cp2)
# One flag naming three services (not array elements).
# shellcheck disable=SC2054
HUB_FLAGS=(--services=directory,handover,record --referral_address="$REF1"
  --careplan_address="$CP1")
REF_FLAGS=(--services=referral --directory_address="$HUB")
CP_FLAGS=(--services=careplan --directory_address="$HUB"
  --handover_address="$HUB" --record_address="$HUB")

step "start the hub, two referral replicas and two care plan replicas on one database"
start_process hub "${HUB_FLAGS[@]}"
cp "$WORK/hub/audit.key" "$WORK/audit.key"
start_process ref1 "${REF_FLAGS[@]}" --careplan_address="$CP1"
start_process ref2 "${REF_FLAGS[@]}" --careplan_address="$CP2"
start_process cp1 "${CP_FLAGS[@]}" --referral_address="$REF1"
start_process cp2 "${CP_FLAGS[@]}" --referral_address="$REF2"
ADMIN=$(cat "$WORK/hub/bootstrap-admin.token")

step "set up two teams and a clinician in each"
FROM=$(at "$HUB" "$ADMIN" --name_only team create --display_name="North CMHT" \
  --sector=community_mental_health)
TO=$(at "$HUB" "$ADMIN" --name_only team create --display_name="Crisis team" \
  --sector=crisis)
SAM=$(at "$HUB" "$(manager_of "$FROM" "$HUB")" --name_only member create \
  --display_name="Sam" --team="$FROM" --role=clinician)
KIM=$(at "$HUB" "$(manager_of "$TO" "$HUB")" --name_only member create \
  --display_name="Kim" --team="$TO" --role=clinician)
T_SAM=$(issue_token "$SAM" "$HUB")
T_KIM=$(issue_token "$KIM" "$HUB")


# load CLIENT: until $WORK/stop-load appears, registers a person, refers
# them (request id load-CLIENT-I) through one referral replica and accepts
# through the other; "REQUEST_ID REFERRAL PERSON" in acked.CLIENT once both
# were acknowledged.
load() {
  local c=$1 i=0 rid person referral mine other
  if ((c % 2)); then mine=$REF1 other=$REF2; else mine=$REF2 other=$REF1; fi
  while [ ! -e "$WORK/stop-load" ]; do
    i=$((i + 1))
    rid=load-$c-$i
    person=$(at "$HUB" "$T_SAM" --name_only --timeout=5s person register \
      --given_name=Alex --family_name="Client$c" \
      --birth_date="$(date -u -d "1950-01-01 +$i days" +%F)" \
      --request_id="$rid") || exit 1
    referral=$(call_any "$mine" "$other" "$T_SAM" --name_only referral create \
      --person="$person" --to="$TO" --urgency=urgent \
      --reason="replica test $rid" --request_id="$rid") || exit 1
    call_any "$other" "$mine" "$T_KIM" referral accept "$referral" \
      --note="Taken on ($rid)" >/dev/null || exit 1
    echo "$rid $referral $person" >>"$WORK/acked.$c"
  done
}

# consumer_state ADDRESS: the care plan replica's careplan.referral state.
consumer_state() {
  at "$1" "$ADMIN" --json admin feeds 2>/dev/null |
    py "[c for c in d['consumers'] if c['name'] == 'consumers/careplan.referral'][0].get('state', '')" \
      2>/dev/null || true
}
# kill_and_restart NAME FLAG...: SIGKILL under load, some calls go to the
# other replica meanwhile, then NAME starts again on its port.
kill_and_restart() {
  local name=$1 pid_var="PID_$1"
  shift
  wait_acked 8
  {
    kill -9 "${!pid_var}"
    wait_for_exit "${!pid_var}" 10
  } 2>/dev/null
  wait_acked 8
  start_process "$name" "$@"
}

step "$CLIENTS clients refer and accept through both referral replicas"
LOAD_PIDS=()
for c in $(seq 1 "$CLIENTS"); do
  : >"$WORK/acked.$c"
  load "$c" &
  LOAD_PIDS+=("$!")
  STARTED_PIDS+=("$!")
done
sleep "$PHASE"

step "kill -9 ref1 under load, then start it again"
kill_and_restart ref1 "${REF_FLAGS[@]}" --careplan_address="$CP1"
sleep "$PHASE"
step "kill -9 ref2 under load, then start it again"
kill_and_restart ref2 "${REF_FLAGS[@]}" --careplan_address="$CP2"
sleep "$PHASE"

step "kill -9 the care plan replica that follows the referral feed"
following=""
for name in cp1 cp2; do
  [ "$(consumer_state "$(addr "$name")")" = FOLLOWING ] && following=$name
done
[ -n "$following" ] || fail "no care plan replica follows the referral feed"
standby=cp1
[ "$following" = cp1 ] && standby=cp2
expect_eq "$(consumer_state "$(addr "$standby")")" STANDING_BY \
  "the other care plan replica"
if [ "$following" = cp1 ]; then
  kill_and_restart cp1 "${CP_FLAGS[@]}" --referral_address="$REF1"
else
  kill_and_restart cp2 "${CP_FLAGS[@]}" --referral_address="$REF2"
fi
wait_acked 8
touch "$WORK/stop-load"
for pid in "${LOAD_PIDS[@]}"; do
  wait_for_exit "$pid" 60
  [ "$EXIT_CODE" -eq 0 ] || fail "a load client failed (see above)"
done
echo "acknowledged and accepted: $(acked) referrals"

step "a referral accepted through the replica the care plan follower does not follow reaches it"
# With the load stopped, one more referral, made and accepted through the
# referral replica the following care plan replica does not subscribe to:
# its feed learns of it only from the other replica's commit notice.
if [ "$(consumer_state "$CP1")" = FOLLOWING ]; then UNFOLLOWED=$REF2; else UNFOLLOWED=$REF1; fi
LAST_PERSON=$(at "$HUB" "$T_SAM" --name_only person register --given_name=Sky \
  --family_name=Last --birth_date=1988-08-08)
LAST=$(at "$UNFOLLOWED" "$T_SAM" --name_only referral create \
  --person="$LAST_PERSON" --to="$TO" --urgency=urgent --reason="replica test last" \
  --request_id=last)
at "$UNFOLLOWED" "$T_KIM" referral accept "$LAST" --note="Taken on (last)" >/dev/null
echo "last $LAST $LAST_PERSON" >>"$WORK/acked.last"
at "$REF2" "$ADMIN" --json events --feed=referral >"$WORK/feed2.jsonl"
at "$REF1" "$ADMIN" --json events --feed=referral >"$WORK/feed1.jsonl"
# The care plan service takes referral.accepted only: its cursor ends at
# the last of them.
LAST_ACCEPTED=$(/usr/bin/python3 -c 'import json,sys; print(max(int(e["sequence"]) for e in map(json.loads, filter(str.strip, open(sys.argv[1]))) if e["type"] == "referral.accepted"))' "$WORK/feed1.jsonl")

caught_up() {
  local json
  json=$(at "$CP1" "$ADMIN" --json admin feeds 2>/dev/null) || return 1
  [ "$(py "[c for c in d['consumers'] if c['name'] == 'consumers/careplan.referral'][0].get('cursor', '0')" <<<"$json")" = "$LAST_ACCEPTED" ]
}
wait_until 15 "the care plan cursor reaches the last accepted referral ($LAST_ACCEPTED)" caught_up
STATES="$(consumer_state "$CP1") $(consumer_state "$CP2")"
case "$STATES" in
  "FOLLOWING STANDING_BY" | "STANDING_BY FOLLOWING") ;;
  *) fail "care plan replicas' referral consumers: $STATES" ;;
esac
PARKED=$(at "$CP1" "$ADMIN" --json admin feeds |
  py "[c for c in d['consumers'] if c['name'] == 'consumers/careplan.referral'][0].get('parked_count', '0')")
expect_eq "$PARKED" 0 "parked referral events"

step "one request id sent to both replicas at once makes one referral"
PERSON=$(at "$HUB" "$T_SAM" --name_only person register --given_name=Jo \
  --family_name=Both --birth_date=1991-02-03)
for k in 1 2 3 4 5; do
  pids=()
  for replica in "$REF1" "$REF2"; do
    at "$replica" "$T_SAM" --name_only --timeout=10s referral create \
      --person="$PERSON" --to="$TO" --urgency=routine \
      --reason="both replicas $k" --request_id="both-$k" \
      >"$WORK/both-$k-${replica##*:}" 2>&1 &
    pids+=("$!")
  done
  wait "${pids[@]}" || fail "request both-$k: $(cat "$WORK"/both-"$k"-*)"
  expect_eq "$(cat "$WORK/both-$k-${REF1##*:}")" \
    "$(cat "$WORK/both-$k-${REF2##*:}")" "request both-$k answered by each replica"
done
BOTH=$(at "$REF1" "$T_SAM" --json referral sent --all |
  py "sum(1 for r in d['referrals'] if r['person'] == '$PERSON')")
expect_eq "$BOTH" 5 "referrals made by five request ids, each sent twice"

step "every acknowledged referral is there once, and the feed is the same through either replica"
cat "$WORK"/acked.* >"$WORK/acked"
at "$REF1" "$T_SAM" --json referral sent --all >"$WORK/sent.json"
/usr/bin/python3 - "$WORK/acked" "$WORK/sent.json" "$WORK/feed1.jsonl" \
  "$WORK/feed2.jsonl" <<'PY'
import collections, json, sys
acked = [line.split() for line in open(sys.argv[1])]
sent = json.load(open(sys.argv[2]))["referrals"]
feeds = [[json.loads(l) for l in open(p) if l.strip()] for p in sys.argv[3:5]]
by_name = {r["name"]: r for r in sent}
assert len(by_name) == len(sent), "a referral listed twice"
rids = collections.Counter(rid for rid, _, _ in acked)
assert all(n == 1 for n in rids.values()), "a request id acknowledged twice"
for rid, name, person in acked:
    r = by_name.get(name)
    assert r is not None, f"{rid}: acknowledged {name} is missing"
    assert r["person"] == person, f"{rid}: {name} is for {r['person']}"
    assert r["state"] == "ACCEPTED", f"{rid}: {name} is {r['state']}"
load = [r for r in sent if r.get("reason", "").startswith("replica test ")]
assert len(load) == len(acked), \
    f"{len(load)} load referrals stored for {len(acked)} acknowledged"
seqs = [int(e["sequence"]) for e in feeds[0]]
assert seqs == list(range(1, len(seqs) + 1)), "the feed has a gap or repeat"
assert [(e["sequence"], e["type"], e["subject"]) for e in feeds[0]] == \
    [(e["sequence"], e["type"], e["subject"]) for e in feeds[1]], \
    "the feed differs between the replicas"
seen = collections.defaultdict(list)
for e in feeds[0]:
    seen[e["subject"]].append(e["type"])
for rid, name, _ in acked:
    types = seen[name]
    assert types.count("referral.created") == 1, f"{name}: {types}"
    assert types.count("referral.accepted") == 1, f"{name}: {types}"
    assert types.index("referral.created") < types.index("referral.accepted"), \
        f"{name}: {types}"
print(f"{len(acked)} acknowledged referrals present once; feed 1..{len(seqs)} "
      "the same through both replicas")
PY
step "the care plan service applied every accepted referral, once"
psql -qAt "$DB_URL" -c \
  "SELECT person_id, count(*) FROM careplan.care_plan_versions GROUP BY person_id" \
  >"$WORK/versions"
/usr/bin/python3 - "$WORK/acked" "$WORK/versions" <<'PY'
import sys
acked = [line.split() for line in open(sys.argv[1])]
versions = dict(line.strip().split("|") for line in open(sys.argv[2]) if line.strip())
persons = {person.removeprefix("persons/") for _, _, person in acked}
missing = sorted(p for p in persons if p not in versions)
assert not missing, f"no care plan for accepted referrals of {missing[:5]}"
twice = {p: n for p, n in versions.items() if p in persons and n != "1"}
assert not twice, f"persons with more than one care plan version: {twice}"
print(f"{len(persons)} persons, each with the one care plan version their "
      "accepted referral made")
PY

echo "PASS replicas"
