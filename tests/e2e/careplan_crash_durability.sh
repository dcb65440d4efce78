#!/usr/bin/env bash
# shellcheck disable=SC2119  # start_server takes optional server flags, not ours
# No acknowledged care plan version is lost: one writer makes N updates to
# one plan, each with its own marker, request id and the etag of the last
# acknowledged version, retrying the SAME request while the server is down.
# The server is killed with SIGKILL part-way and restarted on the same data
# directory. Afterwards the history holds versions 1..N, version i made by
# request i, each marker exactly once: an update whose answer was lost was
# answered on retry with the version it had made, not applied twice.
#
# usage: careplan_crash_durability.sh SERVER_BIN CARECTL_BIN [N]

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

N=${3:-150}
KILL_AFTER=$((N / 3)) # acknowledged updates before the kill
RETRYABLE=75          # update's exit status for "server not there: retry"

start_server
ADMIN=$(cat "$DATA/bootstrap-admin.token")

step "set-up: a team, a clinician, a person"
TEAM=$(as "$ADMIN" --name_only team create --display_name="North CMHT" \
  --sector=community_mental_health)
SAM=$(as "$(manager_of "$TEAM")" --name_only member create --team="$TEAM" \
  --role=clinician --display_name="Sam")
T_SAM=$(issue_token "$SAM" "$ADDR")
PERSON=$(as "$T_SAM" --name_only person register --given_name=Alex \
  --family_name=Morgan --birth_date=1990-04-12)

# update I ETAG [MARKER]: UpdateCarePlan request I (request id rq-I) on the
# plan, sent with ETAG (none when empty). Prints "VERSION ETAG" on OK;
# returns RETRYABLE when the server could not be reached or did not answer,
# and 1 (saying why) on any other error.
update() {
  local i=$1 etag=$2 marker=${3:-marker $1} out status=0
  out=$(as "$T_SAM" --json --timeout=5s careplan update "$PERSON" \
    --what_helps="$marker" --reason="crash test $i" --request_id="rq-$i" \
    ${etag:+--etag="$etag"} 2>"$WORK/update.err") || status=$?
  if [ "$status" -ne 0 ]; then
    case "$(cat "$WORK/update.err")" in
      "carectl: UNAVAILABLE: "* | "carectl: DEADLINE_EXCEEDED: "*)
        return "$RETRYABLE" ;;
    esac
    echo "rq-$i (etag '$etag'): $(cat "$WORK/update.err")" >&2
    return 1
  fi
  py 'd["version"], d["etag"]' <<<"$out"
}

step "$N updates; SIGKILL after $KILL_AFTER acknowledged, then restart"
ACKED=$WORK/acked # "I VERSION ETAG SENT_ETAG" per acknowledged update
: >"$ACKED"
FAILED=$WORK/failed # one line per attempt that got no answer
: >"$FAILED"
(
  etag=""
  for i in $(seq 1 "$N"); do
    while :; do
      status=0
      reply=$(update "$i" "$etag") || status=$?
      [ "$status" -eq 0 ] && break
      [ "$status" -eq "$RETRYABLE" ] || exit 1
      echo "rq-$i" >>"$FAILED"
      sleep 0.05
    done
    read -r version new_etag <<<"$reply"
    echo "$i $version $new_etag ${etag:--}" >>"$ACKED"
    etag=$new_etag
  done
) &
LOOP_PID=$!
STARTED_PIDS+=("$LOOP_PID")

deadline=$((SECONDS + 60))
until [ "$(wc -l <"$ACKED")" -ge "$KILL_AFTER" ]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "fewer than $KILL_AFTER updates in 60s"
  exited "$LOOP_PID" && fail "the update loop ended early"
  sleep 0.02
done
# (stderr hidden: bash reports the killed job there)
{
  kill -9 "$SERVER_PID"
  wait_for_exit "$SERVER_PID" 10
} 2>/dev/null
ACKED_AT_KILL=$(wc -l <"$ACKED")
# Let a few attempts fail against the dead server before it comes back.
deadline=$((SECONDS + 30))
until [ "$(wc -l <"$FAILED")" -ge 3 ]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "no update failed while the server was down"
  exited "$LOOP_PID" && fail "the update loop ended while the server was down"
  sleep 0.02
done
start_server
wait_for_exit "$LOOP_PID" 120
[ "$EXIT_CODE" -eq 0 ] || fail "update loop failed"

echo "acknowledged: $ACKED_AT_KILL before the kill, $(wc -l <"$ACKED") in all;" \
  "$(wc -l <"$FAILED") attempts got no answer and were retried"
[ "$(wc -l <"$ACKED")" -eq "$N" ] || fail "not every update was acknowledged"

# check_history FILE: FILE (`careplan versions --full --json`) holds versions
# 1..N, version i made by request i with its marker and reason, and every
# acknowledged (i, version, etag) agrees.
check_history() {
  /usr/bin/python3 - "$ACKED" "$1" "$N" <<'PY'
import collections, json, sys
acked = {}
for line in open(sys.argv[1]):
    i, version, etag, _ = line.split()
    assert i not in acked, f"rq-{i} acknowledged twice"
    assert etag == version, f"rq-{i}: etag {etag} for version {version}"
    acked[i] = int(version)
versions = json.load(open(sys.argv[2]))["versions"]
n = int(sys.argv[3])
numbers = [int(v["version"]) for v in versions]
assert numbers == list(range(len(numbers), 0, -1)), \
    f"versions are not consecutive, newest first: {numbers}"
by_marker = collections.defaultdict(list)
for v in versions:
    helps = v["crisis_plan"]["what_helps"]
    assert helps.startswith("marker "), f"version {v['version']}: {helps!r}"
    i = helps.removeprefix("marker ")
    by_marker[i].append(int(v["version"]))
    assert v["change"]["reason"] == f"crash test {i}", \
        f"version {v['version']}: marker {i} with reason {v['change']['reason']!r}"
    assert v["name"].endswith(f"/carePlan/versions/{v['version']}"), v["name"]
dupes = {i: vs for i, vs in by_marker.items() if len(vs) > 1}
assert not dupes, f"markers in more than one version: {dupes}"
lost = {i: (version, by_marker.get(i)) for i, version in acked.items()
        if by_marker.get(i) != [version]}
assert not lost, f"acknowledged (version) but history has: {lost}"
assert len(versions) == n, f"{len(versions)} versions for {n} updates"
out_of_order = {i: v for i, v in acked.items() if v != int(i)}
assert not out_of_order, f"update i did not make version i: {out_of_order}"
print(f"{len(versions)} versions, {len(acked)} acknowledged, each marker once")
PY
}

step "after the restart every acknowledged version is in the history"
as "$T_SAM" --json careplan versions "$PERSON" --full --all --page_size=37 \
  >"$WORK/history.json"
check_history "$WORK/history.json"
CURRENT=$(as "$T_SAM" --json careplan show "$PERSON")
expect_eq "$(py 'd["version"], d["etag"], d["crisis_plan"]["what_helps"]' \
  <<<"$CURRENT")" "$N $N marker $N" "current plan after the restart"

step "retrying every request id returns its version and makes none"
while read -r i version _ sent; do
  [ "$sent" = - ] && sent=""
  reply=$(update "$i" "$sent") || fail "retry of rq-$i failed"
  expect_eq "$reply" "$version $version" "retry of rq-$i (sent with etag '$sent')"
done <"$ACKED"
TOKEN=$T_SAM expect_rpc_error ALREADY_EXISTS careplan update "$PERSON" \
  --what_helps="something else" --reason="crash test 1" --request_id=rq-1
as "$T_SAM" --json careplan versions "$PERSON" --full --all >"$WORK/history.json"
check_history "$WORK/history.json"

echo "PASS careplan_crash_durability"
