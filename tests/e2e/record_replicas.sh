#!/usr/bin/env bash
# The record service as two processes on one PostgreSQL database:
# - hub: every service (directory, referral, care plan, handover, record);
# - rec2: the record alone (--services=record), following the hub's feeds,
# sharing the token keys and the audit key. One replica's consumers follow
# the four feeds and write the record; the other's stand by. rec2 starts
# first, so it follows and the hub's record stands by. Then:
# - the replica standing by says the record is caught up once the follower
#   is, and both serve the same timeline and care summary;
# - two clients register a person, refer them and accept the referral
#   through the hub; rec2, following the referral feed, is killed with
#   SIGKILL meanwhile; the hub's record takes over the four feeds, rec2
#   starts again and stands by;
# - an inbox watch on the hub's record (standing by, then following) and one
#   on rec2 after its restart (standing by: the items are written by the
#   hub) receive the item of every referral made, once, up to one made with
#   the load stopped (which only a commit notice from the other process
#   can wake the watch for);
# - every acknowledged referral is in its person's timeline exactly once
#   (sent, accepted) through either replica, the two timelines and care
#   summaries are the same, both say caught_up, and nothing is parked.
# Needs the test cluster: run as e2e_record_replicas_postgresql.
# usage: record_replicas.sh SERVER_BIN CARECTL_BIN [SECONDS_OF_LOAD]

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

PHASE=${3:-3} # seconds of load before and after the kill
CLIENTS=2
use_shared_database

for name in hub rec2; do reserve_port "$name"; done
HUB=127.0.0.1:$(cat "$WORK/hub.port")
REC2=127.0.0.1:$(cat "$WORK/rec2.port")
# One flag naming five services (not array elements).
# shellcheck disable=SC2054
HUB_FLAGS=(--services=directory,referral,careplan,handover,record)
REC2_FLAGS=(--services=record --directory_address="$HUB"
  --referral_address="$HUB" --careplan_address="$HUB"
  --handover_address="$HUB")

# pid_of NAME: the process start_process started last as NAME.
pid_of() {
  local var="PID_$1"
  echo "${!var}"
}
# record_states ADDRESS: the states of the record's four consumers there,
# sorted ("FOLLOWING FOLLOWING FOLLOWING FOLLOWING"); empty when it does not
# answer.
record_states() {
  at "$1" "$ADMIN" --json admin feeds 2>/dev/null |
    py "' '.join(sorted(c.get('state', '') for c in d['consumers'] if c['name'].startswith('consumers/record.')))" \
      2>/dev/null || true
}
# all_record ADDRESS STATE: the record's four consumers there are in STATE.
all_record() { [ "$(record_states "$1")" = "$2 $2 $2 $2" ]; }
# consumer_state ADDRESS: the state of record.referral there.
consumer_state() {
  at "$1" "$ADMIN" --json admin feeds 2>/dev/null |
    py "[c for c in d['consumers'] if c['name'] == 'consumers/record.referral'][0].get('state', '')" \
      2>/dev/null || true
}
# caught_up ADDRESS PERSON: the record there says (reading PERSON's
# timeline) that it has every event of every feed.
caught_up() {
  [ "$(at "$1" "$T_SAM" --json person timeline "$2" 2>/dev/null |
    py 'd["freshness"].get("caught_up", False)' 2>/dev/null)" = True ]
}
# same_view PERSON [any]: both replicas show PERSON's timeline and care
# summary alike (freshness aside), each read saying caught up (with `any`,
# whatever they say: under load a read may land between a commit and its
# apply).
same_view() {
  local replica what
  for replica in hub rec2; do
    local address=$HUB
    [ "$replica" = rec2 ] && address=$REC2
    for what in timeline summary; do
      at "$address" "$T_SAM" --json person "$what" "$1" \
        >"$WORK/view.$what.$replica" 2>/dev/null || return 1
    done
  done
  /usr/bin/python3 - "$WORK" "${2:-}" <<'PY'
import json, sys
w, any_freshness = sys.argv[1], sys.argv[2] == "any"
for what in ("timeline", "summary"):
    hub, rec2 = (json.load(open(f"{w}/view.{what}.{r}")) for r in ("hub", "rec2"))
    if not any_freshness and not (hub["freshness"].get("caught_up") and
                                  rec2["freshness"].get("caught_up")):
        sys.exit(1)
    hub.pop("freshness"), rec2.pop("freshness")
    if hub != rec2:
        sys.exit(1)
PY
}

step "start rec2 (the record alone) on the shared database, then the hub; rec2's record follows, the hub's stands by"
# The hub without its record first, so that rec2's consumers take the
# feeds' locks; then the hub again with every service.
start_process hub --services=directory,referral,careplan,handover \
  --record_address="$REC2"
cp "$WORK/hub/audit.key" "$WORK/audit.key"
ADMIN=$(cat "$WORK/hub/bootstrap-admin.token")
start_process rec2 "${REC2_FLAGS[@]}"
wait_until 15 "rec2 follows the four feeds" all_record "$REC2" FOLLOWING
kill -TERM "$(pid_of hub)"
wait_for_exit "$(pid_of hub)" 30
start_process hub "${HUB_FLAGS[@]}"
wait_until 15 "the hub's record stands by" all_record "$HUB" STANDING_BY
wait_until 15 "rec2 follows the four feeds again" all_record "$REC2" FOLLOWING

step "set up two teams, a clinician in each, and a referral"
# shellcheck disable=SC2119  # care_network takes person flags, not ours
ADDR=$HUB care_network
ALEX=$PERSON
FIRST=$(at "$HUB" "$T_SAM" --name_only referral create --person="$ALEX" \
  --to="$TO" --urgency=urgent --reason="first")
echo "first $FIRST $ALEX" >"$WORK/acked.first"

step "the replica standing by says the record is caught up once the follower is"
wait_until 10 "the hub's record (standing by) says caught up" caught_up "$HUB" "$ALEX"
wait_until 10 "both replicas show Alex alike" same_view "$ALEX"
at "$HUB" "$T_SAM" person summary "$ALEX"

# watch_inbox NAME ADDRESS: Kim's inbox watched at ADDRESS from the start
# (one JSON line an item) into $WORK/inbox.NAME; sets WATCH_<NAME>.
watch_inbox() {
  "$CARECTL_BIN" --server="$2" --token="$T_KIM" --json inbox --watch \
    >"$WORK/inbox.$1" 2>"$WORK/inbox.$1.err" &
  STARTED_PIDS+=("$!")
  printf -v "WATCH_$1" '%s' "$!"
}
watch_inbox hub "$HUB"

# load CLIENT: until $WORK/stop-load appears, registers a person, refers
# them (request id load-CLIENT-I) and accepts the referral, through the
# hub; "REQUEST_ID REFERRAL PERSON" in acked.CLIENT once accepted.
load() {
  local c=$1 i=0 rid person referral
  while [ ! -e "$WORK/stop-load" ]; do
    i=$((i + 1))
    rid=load-$c-$i
    person=$(at "$HUB" "$T_SAM" --name_only --timeout=5s person register \
      --given_name=Alex --family_name="Client$c" \
      --birth_date="$(date -u -d "1950-01-01 +$i days" +%F)" \
      --request_id="$rid") || exit 1
    referral=$(at "$HUB" "$T_SAM" --name_only --timeout=5s referral create \
      --person="$person" --to="$TO" --urgency=urgent \
      --reason="record replicas $rid" --request_id="$rid") || exit 1
    at "$HUB" "$T_KIM" --timeout=5s referral accept "$referral" \
      --note="Taken on ($rid)" >/dev/null || exit 1
    echo "$rid $referral $person" >>"$WORK/acked.$c"
    # A steady load, not a flood: the checks read every referral back.
    sleep 0.1
  done
}

step "$CLIENTS clients refer and accept through the hub"
LOAD_PIDS=()
for c in $(seq 1 "$CLIENTS"); do
  : >"$WORK/acked.$c"
  load "$c" &
  LOAD_PIDS+=("$!")
  STARTED_PIDS+=("$!")
done
sleep "$PHASE"
wait_acked 3 30
# Under load each replica says it is caught up now and then, and both show
# a person whose referral was answered before now alike.
# (awk reads the files itself: under pipefail a cat it stopped reading from
# early could die of SIGPIPE and fail the script.)
EARLY=$(awk 'NR == 1 {print $3; exit}' "$WORK"/acked.[0-9]*)
wait_until 10 "rec2 (following) says caught up under load" caught_up "$REC2" "$EARLY"
wait_until 10 "the hub (standing by) says caught up under load" caught_up "$HUB" "$EARLY"
wait_until 10 "both replicas show $EARLY alike under load" same_view "$EARLY" any

step "kill -9 rec2, which follows the referral feed, while referrals are made"
expect_eq "$(consumer_state "$REC2")" FOLLOWING "rec2's record.referral"
expect_eq "$(consumer_state "$HUB")" STANDING_BY "the hub's record.referral"
# Disowned first, so bash does not report the killed job on stderr; stderr
# stays shown, for wait_for_exit's failure if rec2 outlives SIGKILL.
disown "$(pid_of rec2)"
kill -9 "$(pid_of rec2)"
wait_for_exit "$(pid_of rec2)" 10
KILLED_AT=$(acked)
wait_until 10 "the hub's record takes over the four feeds" all_record "$HUB" FOLLOWING
wait_acked 3 30
echo "    the hub took over; $(($(acked) - KILLED_AT)) referrals made since the kill"
start_process rec2 "${REC2_FLAGS[@]}"
wait_until 10 "rec2 stands by after its restart" all_record "$REC2" STANDING_BY
watch_inbox rec2 "$REC2"
sleep "$PHASE"
wait_acked 3 30
touch "$WORK/stop-load"
for pid in "${LOAD_PIDS[@]}"; do
  wait_for_exit "$pid" 60
  [ "$EXIT_CODE" -eq 0 ] || fail "a load client failed (see above)"
done
echo "acknowledged and accepted: $(acked) referrals"

step "a referral made with the load stopped reaches both inbox watches"
LAST_PERSON=$(at "$HUB" "$T_SAM" --name_only person register --given_name=Sky \
  --family_name=Last --birth_date=1988-08-08)
LAST=$(at "$HUB" "$T_SAM" --name_only referral create --person="$LAST_PERSON" \
  --to="$TO" --urgency=urgent --reason="last")
echo "last $LAST $LAST_PERSON" >"$WORK/acked.last"
# watched NAME: the inbox watch NAME received the last referral's item.
watched() { grep -q "\"resource\":\"$LAST\"" "$WORK/inbox.$1"; }
wait_until 10 "the hub's inbox watch receives the last referral" watched hub
wait_until 10 "rec2's inbox watch (standing by) receives the last referral" \
  watched rec2
for name in hub rec2; do
  watch_var="WATCH_$name"
  kill -INT "${!watch_var}"
  wait_for_exit "${!watch_var}" 10
  expect_eq "$EXIT_CODE" 0 "carectl inbox --watch at $name ($(cat "$WORK/inbox.$name.err"))"
done

step "both replicas caught up; every referral in the timeline once, alike through either"
wait_until 15 "rec2 (standing by) says caught up" caught_up "$REC2" "$LAST_PERSON"
wait_until 15 "the hub says caught up" caught_up "$HUB" "$LAST_PERSON"
cat "$WORK"/acked.* >"$WORK/acked"
while read -r rid referral person; do
  for replica in hub rec2; do
    address=$HUB
    [ "$replica" = rec2 ] && address=$REC2
    at "$address" "$T_SAM" --json person timeline "$person" --page_size=1000 \
      >"$WORK/timeline.$replica.${person#persons/}" ||
      fail "$rid: reading the timeline of $person at $replica"
  done
done <"$WORK/acked"
at "$HUB" "$ADMIN" --json admin feeds >"$WORK/feeds.hub.json"
/usr/bin/python3 - "$WORK" <<'PY'
import collections, json, sys
w = sys.argv[1]
acked = [line.split() for line in open(f"{w}/acked") if line.strip()]
freshness = {}
for rid, referral, person in acked:
    pid = person.removeprefix("persons/")
    views = {r: json.load(open(f"{w}/timeline.{r}.{pid}")) for r in ("hub", "rec2")}
    for replica, view in views.items():
        assert view["freshness"].get("caught_up"), f"{replica} not caught up: {view['freshness']}"
        freshness[replica] = view.pop("freshness")
        entries = view.get("entries", [])
        names = collections.Counter(e["name"] for e in entries)
        assert all(n == 1 for n in names.values()), f"{rid}: an entry twice at {replica}"
        events = collections.Counter(e["event"] for e in entries)
        assert all(n == 1 for n in events.values()), f"{rid}: an event twice at {replica}"
        steps = [e["type"] for e in entries if e.get("resource") == referral]
        want = ["referral.created"] + (["referral.accepted"] if rid.startswith("load-") else [])
        assert steps == want, f"{rid}: {referral} at {replica}: {steps}"
    assert views["hub"] == views["rec2"], f"{rid}: the replicas' timelines of {person} differ"
for replica, f in freshness.items():
    for feed in f["feeds"]:
        assert not feed.get("problem"), f"{replica}: {feed}"
assert freshness["hub"]["feeds"] == freshness["rec2"]["feeds"], \
    f"the replicas' freshness differs: {freshness}"
parked = {c["name"]: c.get("parked_count", "0") for c in
          json.load(open(f"{w}/feeds.hub.json"))["consumers"]
          if c["name"].startswith("consumers/record.")}
assert all(n == "0" for n in parked.values()), f"parked: {parked}"
# Every referral's item once in each inbox watch.
for name in ("hub", "rec2"):
    items = [json.loads(l) for l in open(f"{w}/inbox.{name}") if l.strip()]
    received = collections.Counter(i["payload"]["resource"] for i in items
                                   if i["type"] == "inbox.referral_received")
    seqs = [int(i["sequence"]) for i in items]
    assert len(seqs) == len(set(seqs)), f"inbox watch at {name}: an item twice"
    for rid, referral, _ in acked:
        assert received[referral] == 1, \
            f"inbox watch at {name}: {rid} {referral} received {received[referral]} times"
print(f"{len(acked)} referrals each once in its person's timeline, the same "
      "through both replicas, both caught up; every referral's item once in "
      "each inbox watch; nothing parked")
PY

echo "PASS record_replicas"
