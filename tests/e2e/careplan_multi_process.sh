#!/usr/bin/env bash
# The care plan service in its own process: the directory in one
# carebridge-server, the care plan service in another that reaches it with
# --directory_address; both share the token keys. Plan writes made through
# the care plan process are checked against the directory process. With the
# directory stopped, a write that needs an answer the care plan process has
# not cached (a person it never looked up, a team it never looked up) fails
# UNAVAILABLE and stores nothing; once the directory is back the same write
# succeeds. A person's own token their lead team ends is refused by the
# care plan process within 5 seconds; one issued afterwards works.
# usage: careplan_multi_process.sh SERVER_BIN CARECTL_BIN

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

start_named directory --services=directory
DIRECTORY_PID=$LAST_PID
DIRECTORY=$LAST_ADDR
# The referral and handover feeds it follows are not running in this test
# (port 9, discard): its consumers retry in the background.
start_named careplan --services=careplan --directory_address="$DIRECTORY" \
  --referral_address=127.0.0.1:9 --handover_address=127.0.0.1:9
CAREPLAN=$LAST_ADDR
ADMIN=$(cat "$WORK/directory/bootstrap-admin.token")

# serves ADDRESS SERVICE: whether the process at ADDRESS reports SERVICE.
serves() {
  "$CARECTL_BIN" --server="$1" --timeout=5s health --service="$2" \
    >/dev/null 2>&1
}

# version_count PLAN: how many versions the plan has.
version_count() {
  as "$T_SAM" --json careplan versions "$1" --all | py 'len(d["versions"])'
}

step "each process serves only its own service"
serves "$CAREPLAN" carebridge.careplan.v1.CarePlanService ||
  fail "care plan process does not serve the care plan service"
serves "$CAREPLAN" carebridge.directory.v1.DirectoryService &&
  fail "care plan process claims the directory"
serves "$DIRECTORY" carebridge.careplan.v1.CarePlanService &&
  fail "directory process claims the care plan service"

step "set up teams, a clinician and two persons in the directory process"
ADDR=$DIRECTORY
CMHT=$(as "$ADMIN" --name_only team create --display_name="North CMHT" \
  --sector=community_mental_health)
CRISIS=$(as "$ADMIN" --name_only team create --display_name="Crisis" \
  --sector=crisis)
PEER=$(as "$ADMIN" --name_only team create --display_name="Peer support" \
  --sector=voluntary_sector)
SAM=$(as "$(manager_of "$CMHT")" --name_only member create --display_name="Sam" \
  --team="$CMHT" --role=clinician)
T_SAM=$(issue_token "$SAM" "$ADDR")
ALEX=$(as "$T_SAM" --name_only person register --given_name=Alex \
  --family_name=Morgan --birth_date=1990-04-12)
JO=$(as "$T_SAM" --name_only person register --given_name=Jo \
  --family_name=Smith --birth_date=1985-09-30)

step "plan writes through the care plan process, checked against the directory"
ADDR=$CAREPLAN
PLAN=$(as "$T_SAM" --json careplan update "$ALEX" \
  --what_helps="A walk and a quiet room" --reason="First plan with Alex")
expect_eq "$(py 'd["version"], d["lead_team"]' <<<"$PLAN")" "1 $CMHT" \
  "first version, written across processes"
PLAN=$(as "$T_SAM" --json careplan update "$ALEX" \
  --add_action="Weekly check-in call|$CRISIS|" --reason="Crisis team calls")
expect_eq "$(py 'd["version"], [a["owning_team"] for a in d["actions"]]' \
  <<<"$PLAN")" "2 ['$CRISIS']" "an action owned by a team the directory knows"
PLAN=$(as "$T_SAM" --json careplan team add "$ALEX" --team="$CRISIS" \
  --role="crisis support" --reason="Out-of-hours support" --etag=2)
expect_eq "$(py 'd["version"], len(d["care_team"])' <<<"$PLAN")" "3 2" \
  "a team added to the care team across processes"
TOKEN=$T_SAM expect_rpc_error NOT_FOUND careplan update persons/nobody \
  --what_helps="x" --reason="x"
TOKEN=$T_SAM expect_rpc_error INVALID_ARGUMENT careplan update "$ALEX" \
  --add_action="Something|teams/nosuchteam|" --reason="x"
case "$ERR" in
  *"teams/nosuchteam does not exist"*) ;;
  *) fail "an unknown owning team is not named: $ERR" ;;
esac

step "a person's own token, ended by their lead team, is refused within 5 s"
# Sam's team leads Alex's care: it gives Alex a token, then ends it. The
# directory process keeps the revocation; the care plan process learns of
# it from the directory's feed.
T_ALEX=$(as "$T_SAM" person token "$ALEX")
as "$T_ALEX" careplan show "$ALEX" >/dev/null ||
  fail "Alex's own token refused before it was ended"
as "$T_SAM" person revoke-tokens "$ALEX" --reason="phone lost" >/dev/null ||
  fail "person revoke-tokens"
# alex_refused: the care plan process refuses Alex's first token, saying why.
alex_refused() {
  ERR=$(as "$T_ALEX" careplan show "$ALEX" 2>&1 >/dev/null) && return 1
  case "$ERR" in
    "carectl: UNAUTHENTICATED: "*"phone lost"*) return 0 ;;
    *) return 1 ;;
  esac
}
wait_until 5 "Alex's ended token refused by the care plan process" alex_refused
T_ALEX=$(as "$T_SAM" person token "$ALEX")
as "$T_ALEX" careplan show "$ALEX" >/dev/null ||
  fail "a token issued after the revocation was refused"

step "with the directory down, writes needing it fail UNAVAILABLE"
kill -TERM "$DIRECTORY_PID"
wait_for_exit "$DIRECTORY_PID" 30
status=0
"$CARECTL_BIN" --server="$DIRECTORY" --token="$ADMIN" --timeout=1s team list \
  >/dev/null 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "directory still answering after SIGTERM"
# A write to an existing plan that names no team needs no directory answer.
PLAN=$(as "$T_SAM" --json careplan update "$ALEX" --etag=3 \
  --what_helps="A walk, a quiet room, and music" --reason="Alex added music")
expect_eq "$(py 'd["version"]' <<<"$PLAN")" 4 \
  "a write that needs no directory answer while the directory is down"
# expect_directory_down CARECTL_ARGS...: UNAVAILABLE, naming the directory.
expect_directory_down() {
  TOKEN=$T_SAM expect_rpc_error UNAVAILABLE "$@"
  case "$ERR" in
    *directory*) ;;
    *) fail "carectl $*: UNAVAILABLE without naming the directory: $ERR" ;;
  esac
}
# Jo was never looked up by the care plan process: nothing cached.
expect_directory_down careplan update "$JO" --what_helps="Quiet" \
  --reason="First plan with Jo" --request_id=jo-1
# The peer support team was never looked up either. The file replaces the
# actions with one owned by that team only, so no cached team is involved.
PEER_ACTIONS=$WORK/peer_actions.json
printf '{"actions": [{"description": "Peer group on Thursdays", "owning_team": "%s"}]}\n' \
  "$PEER" >"$PEER_ACTIONS"
expect_directory_down careplan update "$ALEX" --from_file="$PEER_ACTIONS" \
  --etag=4 --reason="Peer support instead" --request_id=alex-peer
expect_directory_down careplan team add "$ALEX" --team="$PEER" \
  --role="peer support" --reason="Weekly group" --etag=4
expect_eq "$(version_count "$ALEX")" 4 \
  "Alex's versions after the failed writes (read while the directory is down)"

step "with the directory back, nothing was stored and the writes succeed"
start_named directory --services=directory
[ "$LAST_ADDR" = "$DIRECTORY" ] || fail "directory came back on $LAST_ADDR"
# The care plan process reconnects with back-off: wait until it can ask.
deadline=$((SECONDS + 30))
while :; do
  status=0
  ERR=$(as "$T_SAM" careplan show "$JO" 2>&1 >/dev/null) || status=$?
  case "$ERR" in
    "carectl: UNAVAILABLE: "*) ;;
    *) break ;;
  esac
  [ "$SECONDS" -lt "$deadline" ] || fail "directory not reachable again in 30s"
  sleep 0.2
done
expect_eq "$status" 2 "exit code of careplan show for Jo"
case "$ERR" in
  "carectl: NOT_FOUND: $JO/carePlan: "*"has no care plan yet"*) ;;
  *) fail "Jo's plan after the directory is back: $ERR" ;;
esac
expect_eq "$(version_count "$ALEX")" 4 "Alex's versions after the directory is back"
PLAN=$(as "$T_SAM" --json careplan update "$JO" --what_helps="Quiet" \
  --reason="First plan with Jo" --request_id=jo-1)
expect_eq "$(py 'd["version"], d["lead_team"]' <<<"$PLAN")" "1 $CMHT" \
  "Jo's first version once the directory is back"
PLAN=$(as "$T_SAM" --json careplan update "$ALEX" --from_file="$PEER_ACTIONS" \
  --etag=4 --reason="Peer support instead" --request_id=alex-peer)
expect_eq "$(py 'd["version"], [a["owning_team"] for a in d["actions"]]' \
  <<<"$PLAN")" "5 ['$PEER']" "the peer support action once the directory is back"
expect_eq "$(version_count "$ALEX")" 5 "Alex's versions after one more write"
echo "PASS careplan_multi_process"
