#!/usr/bin/env bash
# shellcheck disable=SC2119  # start_server takes optional server flags, not ours
# Nothing acknowledged is lost: a stream of CreateReferral calls runs while the
# server is killed with SIGKILL and restarted on the same data directory.
# Afterwards every create that returned OK is there exactly once, and
# retrying every request id never makes a duplicate.
#
# usage: crash_durability.sh SERVER_BIN CARECTL_BIN [N]

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

N=${3:-200}
KILL_AFTER=$((N / 3))  # acknowledged creates before the kill

start_server
ADMIN=$(cat "$DATA/bootstrap-admin.token")

step "set-up: two teams, a sender, a person"
SENDER_TEAM=$(as "$ADMIN" --json team create --display_name="North CMHT" \
  --sector=community_mental_health | py 'd["name"]')
RECEIVER_TEAM=$(as "$ADMIN" --json team create --display_name="Crisis" \
  --sector=crisis | py 'd["name"]')
SENDER=$(as "$(manager_of "$SENDER_TEAM")" --json member create --team="$SENDER_TEAM" \
  --role=clinician --display_name="Sam" | py 'd["name"]')
T_SENDER=$(issue_token "$SENDER" "$ADDR")
PERSON=$(as "$T_SENDER" --json person register --given_name=Alex \
  --family_name=Morgan --birth_date=1990-04-12 | py 'd["name"]')

# create RQ: one CreateReferral; the request id is also in the reason, so a
# listing shows which request made which referral. Prints the name on OK.
create() {
  local out
  out=$(as "$T_SENDER" --json --timeout=5s referral create --person="$PERSON" \
    --to="$RECEIVER_TEAM" --urgency=routine --reason="crash test $1" \
    --request_id="$1" 2>/dev/null) || return 1
  py 'd["name"]' <<<"$out"
}

step "creating $N referrals; SIGKILL after $KILL_AFTER acknowledged, then restart"
ACKED=$WORK/acked  # "rq-i referrals/x" for every create that returned OK
: >"$ACKED"
FAILED=$WORK/failed  # request ids whose create did not return OK
: >"$FAILED"
(
  for i in $(seq 1 "$N"); do
    if name=$(create "rq-$i"); then
      echo "rq-$i $name" >>"$ACKED"
    else
      echo "rq-$i" >>"$FAILED"
    fi
  done
) &
LOOP_PID=$!
STARTED_PIDS+=("$LOOP_PID")

deadline=$((SECONDS + 120))
until [ "$(wc -l <"$ACKED")" -ge "$KILL_AFTER" ]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "fewer than $KILL_AFTER creates in 120s"
  exited "$LOOP_PID" && fail "the create loop ended early"
  sleep 0.02
done
# (stderr hidden: bash reports the killed job there)
{
  kill -9 "$SERVER_PID"
  wait_for_exit "$SERVER_PID" 10
} 2>/dev/null
ACKED_AT_KILL=$(wc -l <"$ACKED")
# Let a few creates fail against the dead server before it comes back.
deadline=$((SECONDS + 60))
until [ "$(wc -l <"$FAILED")" -ge 3 ]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "no create failed while the server was down"
  sleep 0.02
done
start_server
wait_for_exit "$LOOP_PID" 300
[ "$EXIT_CODE" -eq 0 ] || fail "create loop failed"

ACKED_TOTAL=$(wc -l <"$ACKED")
echo "acknowledged: $ACKED_AT_KILL before the kill, $ACKED_TOTAL in all, of $N"
[ "$ACKED_TOTAL" -lt "$N" ] || fail "no create failed while the server was down"
[ "$ACKED_TOTAL" -gt "$ACKED_AT_KILL" ] || fail "no create succeeded after the restart"

# check_listing FILE: every acknowledged create appears exactly once under
# its name, and no request id appears twice.
check_listing() {
  /usr/bin/python3 - "$ACKED" "$1" <<'PY'
import collections, json, sys
acked = dict(line.split() for line in open(sys.argv[1]))
referrals = json.load(open(sys.argv[2]))["referrals"]
by_request = collections.defaultdict(list)
for r in referrals:
    by_request[r["reason"].removeprefix("crash test ")].append(r["name"])
dupes = {rq: names for rq, names in by_request.items() if len(names) > 1}
assert not dupes, f"duplicates: {dupes}"
lost = {rq: name for rq, name in acked.items() if by_request.get(rq) != [name]}
assert not lost, f"acknowledged but missing or renamed: {lost}"
names = [r["name"] for r in referrals]
assert len(names) == len(set(names)), "a referral is listed twice"
print(f"{len(referrals)} referrals, {len(acked)} acknowledged, no duplicates")
PY
}

step "after the restart every acknowledged create is present exactly once"
as "$T_SENDER" --json referral sent --all --page_size=37 >"$WORK/before_retry.json"
check_listing "$WORK/before_retry.json"

step "retrying every request id never makes a duplicate"
RETRIED=$WORK/retried
: >"$RETRIED"
for i in $(seq 1 "$N"); do
  name=$(create "rq-$i") || fail "retry of rq-$i failed"
  echo "rq-$i $name" >>"$RETRIED"
done
/usr/bin/python3 - "$ACKED" "$RETRIED" "$WORK/before_retry.json" <<'PY'
import json, sys
acked = dict(line.split() for line in open(sys.argv[1]))
retried = dict(line.split() for line in open(sys.argv[2]))
before = {r["reason"].removeprefix("crash test "): r["name"]
          for r in json.load(open(sys.argv[3]))["referrals"]}
changed = {rq: (name, retried[rq]) for rq, name in acked.items() if retried[rq] != name}
assert not changed, f"a retry of an acknowledged create changed its name: {changed}"
# Creates committed before the kill whose answer was lost keep their name too.
changed = {rq: (name, retried[rq]) for rq, name in before.items() if retried[rq] != name}
assert not changed, f"a retry of a committed create changed its name: {changed}"
assert len(set(retried.values())) == len(retried), "two request ids share a referral"
PY
as "$T_SENDER" --json referral sent --all >"$WORK/after_retry.json"
cp "$RETRIED" "$ACKED"  # now every request id is acknowledged
check_listing "$WORK/after_retry.json"
expect_eq "$(py 'len(d["referrals"])' <"$WORK/after_retry.json")" "$N" \
  "referrals after retrying $N distinct request ids"

echo "PASS crash_durability"
