#!/usr/bin/env bash
# Two directory replicas on one PostgreSQL database:
# - hub: every service (directory, referral, care plan, handover, record);
# - dir2: a second directory process (--services=directory),
# sharing the token keys and the audit key. Then:
# - a token issued through either replica is accepted by the other's
#   services, also for a member created through the other a moment before;
# - a token revoked through one replica, every token of a member whose
#   tokens were all revoked, and every token of a member deactivated are
#   refused (UNAUTHENTICATED) by both within 10 s; a deactivated member gets
#   no token from either until reactivated;
# - the same NHS number registered through both at once makes one person
#   (the other ALREADY_EXISTS naming it), the same person without one makes
#   one person (the other FAILED_PRECONDITION naming it), and one request id
#   sent to both makes one person, answered to both;
# - four clients register persons, half through each replica, with a request
#   id; dir2 is killed with SIGKILL meanwhile and its clients go to the hub
#   with the same request id; dir2 starts again (still refusing the tokens
#   ended before). Every acknowledged person is
#   stored once and found through the hub, the directory feed read through
#   either replica is the same and gap-free with one person.created for each
#   person stored, and the directory's audit log (written by both) verifies
#   through either.
# - a member's person lookups (60 an hour) are counted once across both
#   replicas: the 61st is refused by either.
# Needs the test cluster: run as e2e_directory_replicas_postgresql.
# usage: directory_replicas.sh SERVER_BIN CARECTL_BIN [SECONDS_OF_LOAD]

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

PHASE=${3:-3} # seconds of load before and after the kill
CLIENTS=4
use_shared_database

for name in hub dir2; do reserve_port "$name"; done
HUB=127.0.0.1:$(cat "$WORK/hub.port")
DIR2=127.0.0.1:$(cat "$WORK/dir2.port")
# One flag naming five services (not array elements).
# shellcheck disable=SC2054
HUB_FLAGS=(--services=directory,referral,careplan,handover,record)
DIR2_FLAGS=(--services=directory --record_address="$HUB")

step "start the hub and a second directory process on one database"
start_process hub "${HUB_FLAGS[@]}"
cp "$WORK/hub/audit.key" "$WORK/audit.key"
start_process dir2 "${DIR2_FLAGS[@]}"
ADMIN=$(cat "$WORK/hub/bootstrap-admin.token")

# answers ADDRESS TOKEN: the token is accepted there (the directory's
# GetMember, and the hub's referral service too when ADDRESS is the hub).
answers() {
  at "$1" "$2" whoami >/dev/null || return 1
  [ "$1" != "$HUB" ] || at "$1" "$2" referral sent >/dev/null
}
# answered_by_both TOKEN WHAT: both replicas accept the token (before it
# is ended, so that a refusal after is the ending's doing).
answered_by_both() {
  answers "$HUB" "$1" || fail "the hub refused $2"
  answers "$DIR2" "$1" || fail "dir2 refused $2"
}
# refused ADDRESS TOKEN: the token is refused there with UNAUTHENTICATED.
refused() {
  local err status=0
  err=$(at "$1" "$2" whoami 2>&1 >/dev/null) || status=$?
  [ "$status" -eq 2 ] && [[ "$err" == "carectl: UNAUTHENTICATED: "* ]]
}
# refused_by_both TOKEN WHAT: within 10 s, both replicas refuse the token.
refused_by_both() {
  local start=$EPOCHREALTIME
  wait_until 10 "the hub refuses $2" refused "$HUB" "$1"
  wait_until 10 "dir2 refuses $2" refused "$DIR2" "$1"
  /usr/bin/python3 -c 'import sys; print(f"refused by both within {float(sys.argv[2]) - float(sys.argv[1]):.2f}s: {sys.argv[3]}")' \
    "$start" "$EPOCHREALTIME" "$2"
}
# token_issued ADDRESS MEMBER: "TOKEN TOKEN_ID", issued there by the
# member's manager.
token_issued() {
  issue_token "$2" "$1" --json | py 'd["token"] + " " + d["token_id"]'
}

step "teams and members, each made through one replica or the other"
FROM=$(at "$HUB" "$ADMIN" --name_only team create --display_name="North CMHT" \
  --sector=community_mental_health)
TO=$(at "$DIR2" "$ADMIN" --name_only team create --display_name="Crisis team" \
  --sector=crisis)
SAM=$(at "$HUB" "$(manager_of "$FROM" "$HUB")" --name_only member create \
  --display_name="Sam" --team="$FROM" --role=clinician)
KIM=$(at "$DIR2" "$(manager_of "$TO" "$DIR2")" --name_only member create \
  --display_name="Kim" --team="$TO" --role=clinician)

step "a token issued through either replica is accepted by the other"
T_SAM=$(issue_token "$SAM" "$DIR2")
T_KIM=$(issue_token "$KIM" "$HUB")
answers "$HUB" "$T_SAM" || fail "the hub refused Sam's token issued by dir2"
answers "$DIR2" "$T_KIM" || fail "dir2 refused Kim's token issued by the hub"
PERSON=$(at "$HUB" "$T_SAM" --name_only person register --given_name=Alex \
  --family_name=Morgan --birth_date=1990-04-12) ||
  fail "the hub's directory refused a registration with dir2's token"
at "$HUB" "$T_SAM" --name_only referral create --person="$PERSON" --to="$TO" \
  --urgency=urgent --reason="token from dir2" >/dev/null ||
  fail "the hub's referral service refused a token issued by dir2"
at "$DIR2" "$T_KIM" --name_only person register --given_name=Robin \
  --family_name=Hart --birth_date=1985-03-02 >/dev/null ||
  fail "dir2 refused a registration with the hub's token"
# A member made and given a token through dir2, used at once at the hub.
LEE=$(at "$DIR2" "$(manager_of "$FROM" "$HUB")" --name_only member create \
  --display_name="Lee" --team="$FROM" --role=clinician)
read -r T_LEE_DIR2 _ <<<"$(token_issued "$DIR2" "$LEE")"
answers "$HUB" "$T_LEE_DIR2" ||
  fail "the hub refused a token dir2 issued to a member dir2 had just made"

step "a token revoked through one replica is refused by both within 10 s"
read -r T_REVOKED REVOKED_ID <<<"$(token_issued "$HUB" "$SAM")"
answered_by_both "$T_REVOKED" "Sam's token issued by the hub"
at "$DIR2" "$(manager_of "$FROM" "$HUB")" token revoke "$SAM" "$REVOKED_ID" \
  --reason="left on a shared PC" >/dev/null || fail "token revoke through dir2"
refused_by_both "$T_REVOKED" "a token revoked through dir2"
FIRST_REVOKED=$T_REVOKED
answers "$HUB" "$T_SAM" || fail "the hub refused Sam's other token"
answers "$DIR2" "$T_SAM" || fail "dir2 refused Sam's other token"
read -r T_REVOKED REVOKED_ID <<<"$(token_issued "$DIR2" "$SAM")"
answered_by_both "$T_REVOKED" "Sam's token issued by dir2"
at "$HUB" "$(manager_of "$FROM" "$HUB")" token revoke "$SAM" "$REVOKED_ID" \
  --reason="phone lost" >/dev/null || fail "token revoke through the hub"
refused_by_both "$T_REVOKED" "a token revoked through the hub"

step "every token of a member, revoked through dir2, is refused by both; a new one works"
T_KIM_DIR2=$(issue_token "$KIM" "$DIR2")
answered_by_both "$T_KIM" "Kim's token issued by the hub"
answered_by_both "$T_KIM_DIR2" "Kim's token issued by dir2"
at "$DIR2" "$T_KIM" token revoke-all "$KIM" --reason="sign out everywhere" \
  >/dev/null || fail "token revoke-all through dir2"
refused_by_both "$T_KIM" "Kim's token issued by the hub, after revoke-all"
refused_by_both "$T_KIM_DIR2" "Kim's token issued by dir2, after revoke-all"
T_KIM=$(issue_token "$KIM" "$HUB")
wait_until 10 "dir2 accepts Kim's token issued after revoke-all" \
  answers "$DIR2" "$T_KIM"
answers "$HUB" "$T_KIM" || fail "the hub refused Kim's token issued after revoke-all"

step "a member deactivated through the hub: dir2 refuses their tokens and issues none"
T_LEE_HUB=$(issue_token "$LEE" "$HUB")
answered_by_both "$T_LEE_HUB" "Lee's token issued by the hub"
answered_by_both "$T_LEE_DIR2" "Lee's token issued by dir2"
at "$HUB" "$ADMIN" member deactivate "$LEE" --reason="suspended pending review" \
  >/dev/null || fail "member deactivate through the hub"
refused_by_both "$T_LEE_DIR2" "a deactivated member's token issued by dir2"
refused_by_both "$T_LEE_HUB" "a deactivated member's token issued by the hub"
ADDR=$DIR2 TOKEN=$(manager_of "$FROM" "$HUB") expect_rpc_error \
  FAILED_PRECONDITION token issue "$LEE"
at "$DIR2" "$(manager_of "$FROM" "$HUB")" member reactivate "$LEE" >/dev/null ||
  fail "member reactivate through dir2"
T_LEE=$(issue_token "$LEE" "$DIR2")
wait_until 10 "the hub accepts Lee's token after reactivation" \
  answers "$HUB" "$T_LEE"
refused "$HUB" "$T_LEE_HUB" || fail "a token from before the deactivation works again"

# nhs_number K: a valid NHS number (check digit by modulus 11), unique to K.
nhs_number() {
  /usr/bin/python3 - "$1" <<'PY'
import sys
k = int(sys.argv[1])
n = 900000000 + k * 7919
while True:
    d = [int(c) for c in f"{n:09d}"]
    check = 11 - sum(x * (10 - i) for i, x in enumerate(d)) % 11
    check = 0 if check == 11 else check
    if check != 10:
        print(f"{n:09d}{check}")
        break
    n += 1
PY
}
# race NAME ARGS...: `person register ARGS` as Sam at the hub and as Kim at
# dir2 at once; each replica's stdout and stderr in race.NAME.{hub,dir2}
# and its exit status in race.NAME.{hub,dir2}.status.
race() {
  local name=$1 side
  shift
  at "$HUB" "$T_SAM" --name_only person register "$@" \
    >"$WORK/race.$name.hub" 2>&1 &
  local hub_pid=$!
  at "$DIR2" "$T_KIM" --name_only person register "$@" \
    >"$WORK/race.$name.dir2" 2>&1 &
  local dir2_pid=$!
  for side in hub dir2; do
    local pid=$hub_pid
    [ "$side" = dir2 ] && pid=$dir2_pid
    local status=0
    wait "$pid" || status=$?
    echo "$status" >"$WORK/race.$name.$side.status"
  done
}
# one_won NAME CODE MESSAGE: of the race NAME, one replica made a person and
# the other failed with CODE and MESSAGE naming that person.
one_won() {
  local name=$1 code=$2 message=$3 winner loser
  if [ "$(cat "$WORK/race.$name.hub.status")" = 0 ]; then
    winner=hub loser=dir2
  else
    winner=dir2 loser=hub
  fi
  expect_eq "$(cat "$WORK/race.$name.$winner.status")" 0 \
    "race $name: neither replica registered ($(cat "$WORK"/race."$name".hub))"
  expect_eq "$(cat "$WORK/race.$name.$loser.status")" 2 \
    "race $name: the other replica's exit code ($(cat "$WORK"/race."$name".$loser))"
  local person err
  WINNERS+=("$winner")
  person=$(cat "$WORK/race.$name.$winner")
  err=$(head -n 1 "$WORK/race.$name.$loser")
  case "$err" in
    "carectl: $code: $message $person"*) ;;
    *) fail "race $name: $winner made $person, $loser answered: $err" ;;
  esac
}

step "the same NHS number registered through both at once makes one person"
WINNERS=()
for k in 1 2 3 4 5; do
  NHS=$(nhs_number "$k")
  race "nhs-$k" --given_name=Nia --family_name="Race$k" \
    --birth_date=1970-01-0"$k" --nhs_number="$NHS"
  one_won "nhs-$k" ALREADY_EXISTS "person.nhs_number: already registered as"
  expect_eq "$(psql -qAt "$DB_URL" -c \
    "SELECT count(*) FROM directory.persons WHERE nhs_number = '$NHS'")" 1 \
    "persons stored with NHS number $NHS"
done

echo "registered by: ${WINNERS[*]}"
step "the same person without an NHS number registered through both at once makes one"
WINNERS=()
for k in 1 2 3 4 5; do
  race "dup-$k" --given_name=Ola --family_name="Twice$k" \
    --birth_date=1960-02-0"$k"
  one_won "dup-$k" FAILED_PRECONDITION "person: may be registered already as"
  expect_eq "$(psql -qAt "$DB_URL" -c \
    "SELECT count(*) FROM directory.persons WHERE family_name_key = 'twice$k'")" \
    1 "persons stored as Ola Twice$k"
done

echo "registered by: ${WINNERS[*]}"
step "one request id sent to both replicas at once makes one person"
for k in 1 2 3; do
  pids=()
  for replica in "$HUB" "$DIR2"; do
    at "$replica" "$T_SAM" --name_only person register --given_name=Jo \
      --family_name="Both$k" --birth_date=1980-03-0"$k" \
      --request_id="both-$k" >"$WORK/both-$k-${replica##*:}" 2>&1 &
    pids+=("$!")
  done
  wait "${pids[@]}" || fail "request both-$k: $(cat "$WORK"/both-"$k"-*)"
  a=$(cat "$WORK/both-$k-${HUB##*:}")
  b=$(cat "$WORK/both-$k-${DIR2##*:}")
  [[ "$a" == persons/* ]] || fail "request both-$k at the hub: $a"
  expect_eq "$b" "$a" "request both-$k answered by each replica"
  expect_eq "$(psql -qAt "$DB_URL" -c \
    "SELECT count(*) FROM directory.persons WHERE family_name_key = 'both$k'")" \
    1 "persons stored by request both-$k"
done


# load CLIENT: until $WORK/stop-load appears, registers a person (request
# id load-CLIENT-I) through its replica (dir2 for odd clients, the hub for
# even), going to the other while its own does not answer; "REQUEST_ID
# PERSON FAMILY_NAME BIRTH_DATE" in acked.CLIENT once acknowledged.
load() {
  local c=$1 i=0 rid person birth mine other
  if ((c % 2)); then mine=$DIR2 other=$HUB; else mine=$HUB other=$DIR2; fi
  while [ ! -e "$WORK/stop-load" ]; do
    i=$((i + 1))
    rid=load-$c-$i
    birth=$(date -u -d "1940-01-01 +$i days" +%F)
    person=$(call_any "$mine" "$other" "$T_SAM" --name_only person register \
      --given_name=Alex --family_name="Client$c" --birth_date="$birth" \
      --request_id="$rid") || exit 1
    echo "$rid $person Client$c $birth" >>"$WORK/acked.$c"
  done
}


step "$CLIENTS clients register persons, half through each replica"
LOAD_PIDS=()
for c in $(seq 1 "$CLIENTS"); do
  : >"$WORK/acked.$c"
  load "$c" &
  LOAD_PIDS+=("$!")
  STARTED_PIDS+=("$!")
done
sleep "$PHASE"
wait_acked 8 30

step "kill -9 dir2 under load (its clients go to the hub), then start it again"
DIR2_PID_VAR=PID_dir2
{
  kill -9 "${!DIR2_PID_VAR}"
  wait_for_exit "${!DIR2_PID_VAR}" 10
} 2>/dev/null
wait_acked 12 30
start_process dir2 "${DIR2_FLAGS[@]}"
wait_until 10 "dir2 answers after its restart" answers "$DIR2" "$T_SAM"
# It learnt the ended tokens again from the feed before it listened.
refused "$DIR2" "$FIRST_REVOKED" || fail "dir2 accepts a revoked token after its restart"
refused "$DIR2" "$T_LEE_HUB" ||
  fail "dir2 accepts a token from before a deactivation after its restart"
sleep "$PHASE"
wait_acked 8 30
touch "$WORK/stop-load"
for pid in "${LOAD_PIDS[@]}"; do
  wait_for_exit "$pid" 60
  [ "$EXIT_CODE" -eq 0 ] || fail "a load client failed (see above)"
done
FAILOVERS=$(wc -l <"$WORK/failovers" 2>/dev/null || echo 0)
[ "$FAILOVERS" -gt 0 ] || fail "no client went to the other replica while dir2 was down"
echo "acknowledged: $(acked) persons; $FAILOVERS calls sent again to the other replica"

step "every acknowledged person is stored once and found through the hub"
cat "$WORK"/acked.* >"$WORK/acked"
psql -qAt -F ' ' "$DB_URL" -c "SELECT name, family_name_key, birth_date \
  FROM directory.persons WHERE family_name_key LIKE 'client%'" >"$WORK/stored"
/usr/bin/python3 - "$WORK/acked" "$WORK/stored" <<'PY'
import collections, sys
acked = [line.split() for line in open(sys.argv[1]) if line.strip()]
stored = [line.split() for line in open(sys.argv[2]) if line.strip()]
rids = collections.Counter(rid for rid, *_ in acked)
assert all(n == 1 for n in rids.values()), "a request id acknowledged twice"
by_key = collections.defaultdict(list)
for name, family, birth in stored:
    by_key[(family, birth)].append(name)
twice = {k: v for k, v in by_key.items() if len(v) > 1}
assert not twice, f"registered more than once: {twice}"
for rid, person, family, birth in acked:
    names = by_key.get((family.lower(), birth), [])
    assert names == [person], f"{rid}: acknowledged {person}, stored {names}"
assert len(stored) == len(acked), \
    f"{len(stored)} load persons stored for {len(acked)} acknowledged"
print(f"{len(acked)} acknowledged persons, each stored once")
PY
# A clinician of its own: lookups are limited per member (60 an hour).
ASH=$(at "$HUB" "$(manager_of "$FROM" "$HUB")" --name_only member create \
  --display_name="Ash" --team="$FROM" --role=clinician)
T_ASH=$(issue_token "$ASH" "$HUB")
# Every fourth acknowledged person, at most 20.
awk 'NR % 4 == 1 && ++n <= 20' "$WORK/acked" >"$WORK/sample"
while read -r rid person family birth; do
  found=$(at "$HUB" "$T_ASH" --json person find --family_name="$family" \
    --birth_date="$birth" | py '" ".join(p["name"] for p in d.get("persons", []))')
  expect_eq "$found" "$person" "persons found through the hub for $rid"
done <"$WORK/sample"

step "a member's person lookups are counted once across both replicas"
# Ash made one per sampled person above, through the hub; the rest of the
# hour's 60 alternate between the replicas, then the 61st is refused by
# either (before, each process counted them in its own memory, so two
# replicas allowed 120).
made=$(wc -l <"$WORK/sample")
for ((i = made + 1; i <= 60; i++)); do
  target=$HUB
  ((i % 2)) && target=$DIR2
  at "$target" "$T_ASH" person find --family_name=Nobody \
    --birth_date=1970-01-01 >/dev/null || fail "lookup $i of 60 was refused"
done
for target in "$DIR2" "$HUB"; do
  if err=$(at "$target" "$T_ASH" person find --family_name=Nobody \
    --birth_date=1970-01-01 2>&1 >/dev/null); then
    fail "a 61st lookup within the hour was allowed at $target"
  fi
  [[ $err == *RESOURCE_EXHAUSTED* ]] ||
    fail "the 61st lookup at $target failed otherwise: $err"
done

step "the directory feed is the same through either replica, gap-free"
at "$HUB" "$ADMIN" --json events --feed=directory >"$WORK/feed-hub.jsonl"
at "$DIR2" "$ADMIN" --json events --feed=directory >"$WORK/feed-dir2.jsonl"
psql -qAt "$DB_URL" -c "SELECT name FROM directory.persons" >"$WORK/all-persons"
/usr/bin/python3 - "$WORK/acked" "$WORK/all-persons" "$WORK/feed-hub.jsonl" \
  "$WORK/feed-dir2.jsonl" "$SAM" "$KIM" "$LEE" <<'PY'
import collections, json, sys
acked = [line.split() for line in open(sys.argv[1]) if line.strip()]
bare = lambda name: name.removeprefix("persons/")
persons = {bare(l.strip()) for l in open(sys.argv[2]) if l.strip()}
feeds = [[json.loads(l) for l in open(p) if l.strip()] for p in sys.argv[3:5]]
sam, kim, lee = sys.argv[5:8]
seqs = [int(e["sequence"]) for e in feeds[0]]
assert seqs == list(range(1, len(seqs) + 1)), "the feed has a gap or repeat"
key = lambda e: (e["sequence"], e["type"], e["subject"])
assert [key(e) for e in feeds[0]] == [key(e) for e in feeds[1]], \
    "the feed differs between the replicas"
created = collections.Counter(
    bare(e["subject"]) for e in feeds[0] if e["type"] == "person.created")
assert all(n == 1 for n in created.values()), \
    f"person.created twice: {[p for p, n in created.items() if n > 1]}"
assert set(created) == persons, \
    f"persons stored without person.created: {sorted(persons - set(created))[:5]}; " \
    f"person.created without a person: {sorted(set(created) - persons)[:5]}"
for rid, person, *_ in acked:
    assert created[bare(person)] == 1, f"{rid}: {person}"
types = collections.Counter((e["type"], e["subject"]) for e in feeds[0])
assert types[("token.revoked", sam)] == 2, "Sam's two revocations"
assert types[("member.tokens_revoked", kim)] == 1, "Kim's revoke-all"
assert types[("member.deactivated", lee)] == 1, "Lee's deactivation"
assert types[("member.reactivated", lee)] == 1, "Lee's reactivation"
print(f"feed 1..{len(seqs)} the same through both replicas; "
      f"{len(persons)} persons, one person.created each")
PY
step "the directory's audit log, written by both replicas, verifies through either"
at "$HUB" "$ADMIN" admin audit verify >/dev/null ||
  fail "the audit logs do not verify through the hub"
at "$DIR2" "$ADMIN" admin audit verify >/dev/null ||
  fail "the audit logs do not verify through dir2"

echo "PASS directory_replicas"
