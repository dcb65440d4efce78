#!/usr/bin/env bash
# shellcheck disable=SC2119  # start_server takes optional server flags, not ours
# SIGTERM and SIGINT: health stops reporting SERVING, calls in flight finish,
# the server exits 0 within its grace period and then refuses connections;
# every create that returned OK during the shutdown is there after a restart.
#
# usage: graceful_shutdown.sh SERVER_BIN CARECTL_BIN

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

GRACE=5
start_server --shutdown_grace="${GRACE}s"
ADMIN=$(cat "$DATA/bootstrap-admin.token")
cc health >/dev/null || fail "health is not SERVING after start"

SENDER_TEAM=$(as "$ADMIN" --json team create --display_name="North CMHT" \
  --sector=community_mental_health | py 'd["name"]')
RECEIVER_TEAM=$(as "$ADMIN" --json team create --display_name="Crisis" \
  --sector=crisis | py 'd["name"]')
SENDER=$(as "$(manager_of "$SENDER_TEAM")" --json member create --team="$SENDER_TEAM" \
  --role=clinician --display_name="Sam" | py 'd["name"]')
T_SENDER=$(issue_token "$SENDER" "$ADDR")
PERSON=$(as "$T_SENDER" --json person register --given_name=Alex \
  --family_name=Morgan --birth_date=1990-04-12 | py 'd["name"]')

step "SIGTERM while creates are in flight"
ACKED=$WORK/acked
: >"$ACKED"
(
  for i in $(seq 1 400); do
    [ -e "$WORK/stop" ] && break
    if out=$(as "$T_SENDER" --json --timeout=5s referral create \
      --person="$PERSON" --to="$RECEIVER_TEAM" --urgency=urgent \
      --reason="shutdown test" --request_id="sd-$i" 2>/dev/null); then
      py 'd["name"]' <<<"$out" >>"$ACKED"
    fi
  done
) &
LOOP_PID=$!
STARTED_PIDS+=("$LOOP_PID")
deadline=$((SECONDS + 60))
until [ "$(wc -l <"$ACKED")" -ge 20 ]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "fewer than 20 creates in 60s"
  sleep 0.02
done

kill -TERM "$SERVER_PID"
# Health must stop saying SERVING: NOT_SERVING (exit 3) or no connection
# (exit 2), never SERVING again.
deadline=$((SECONDS + GRACE + 5))
while cc --timeout=2s health >/dev/null 2>&1; do
  [ "$SECONDS" -lt "$deadline" ] || fail "health still SERVING after SIGTERM"
  sleep 0.02
done
wait_for_exit "$SERVER_PID" $((GRACE + 5))
expect_eq "$EXIT_CODE" 0 "exit code after SIGTERM"

status=0
ERR=$(cc --timeout=2s health 2>&1) || status=$?
expect_eq "$status" 2 "health after exit"
case "$ERR" in "carectl: UNAVAILABLE: "*) ;; *) fail "health after exit: $ERR" ;; esac
touch "$WORK/stop"
wait_for_exit "$LOOP_PID" 30

step "every create acknowledged before the shutdown survives it"
start_server --shutdown_grace="${GRACE}s"
as "$T_SENDER" --json referral sent --all >"$WORK/sent.json"
/usr/bin/python3 - "$ACKED" "$WORK/sent.json" <<'PY'
import json, sys
acked = [line.strip() for line in open(sys.argv[1]) if line.strip()]
names = [r["name"] for r in json.load(open(sys.argv[2]))["referrals"]]
missing = set(acked) - set(names)
assert not missing, f"acknowledged but missing: {sorted(missing)}"
assert len(names) == len(set(names)), "a referral is listed twice"
print(f"{len(acked)} acknowledged, all present")
PY

step "SIGINT also shuts down cleanly"
cc health >/dev/null || fail "health is not SERVING after restart"
kill -INT "$SERVER_PID"
wait_for_exit "$SERVER_PID" $((GRACE + 5))
expect_eq "$EXIT_CODE" 0 "exit code after SIGINT"

echo "PASS graceful_shutdown"
