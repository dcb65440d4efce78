# shellcheck shell=bash
# Shared by the end-to-end scripts: sourced as `. lib.sh SERVER_BIN CARECTL_BIN`.
# Gives a fresh work directory, starts and stops carebridge-server on a free
# port, runs carectl against it, reads its --json output, and on exit kills
# every process it started and removes the work directory.

set -euo pipefail

SERVER_BIN=${1:?usage: $0 SERVER_BIN CARECTL_BIN}
CARECTL_BIN=${2:?usage: $0 SERVER_BIN CARECTL_BIN}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/carebridge-e2e.XXXXXX")
DATA=$WORK/data
mkdir -p "$DATA"
SERVER_PID=""
ADDR=""
STARTED_PIDS=()
# Flags every carectl call gets (e.g. --tls_ca_file against TLS listeners).
CARECTL_EXTRA=()

# Under CAREBRIDGE_TEST_DATABASE=postgresql (ctest's e2e_*_postgresql
# entries) each server keeps its data in a database of its own on the test
# cluster (--database; one per NAME, so a restart finds its data again),
# created on first use and dropped on exit.
PG_ADMIN_URL=""
PG_DATABASES=()
if [ "${CAREBRIDGE_TEST_DATABASE:-}" = postgresql ]; then
  PG_ADMIN_URL=$(cat "${CAREBRIDGE_TEST_POSTGRESQL_URL_FILE:?no test cluster}")
fi

# database_flags NAME: sets DATABASE_FLAGS to --database=URL of NAME's
# database on the test cluster, or to nothing on SQLite.
DATABASE_FLAGS=()
database_flags() {
  DATABASE_FLAGS=()
  [ -n "$PG_ADMIN_URL" ] || return 0
  local db
  db="e2e_$(basename "$WORK")_$1"
  db=${db,,}
  db=${db//[^a-z0-9_]/_}
  if [[ " ${PG_DATABASES[*]} " != *" $db "* ]]; then
    psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $db" >/dev/null ||
      fail "cannot create the test database $db"
    PG_DATABASES+=("$db")
  fi
  DATABASE_FLAGS=(--database="${PG_ADMIN_URL%/*}/$db")
}

# Replicas (replicas.sh, directory_replicas.sh): every process on one
# PostgreSQL database of the test cluster; SHARED holds its --database flag
# and DB_URL its URL. Fails on SQLite, where replicas cannot share one.
use_shared_database() {
  [ -n "$PG_ADMIN_URL" ] ||
    fail "replicas share a PostgreSQL database: run with CAREBRIDGE_TEST_DATABASE=postgresql"
  database_flags replicas
  SHARED=("${DATABASE_FLAGS[@]}")
  # shellcheck disable=SC2034 # read by the scripts sourcing this
  DB_URL=${SHARED[0]#--database=}
}

# start_process NAME FLAG...: one carebridge-server on the shared database
# (use_shared_database), data (keys) in $WORK/NAME, listening on the port
# reserved for NAME (so it comes back on it after a kill), token keys in
# $WORK/token-keys and the audit key $WORK/audit.key (once there) shared by
# all. Sets PID_<NAME>.
start_process() {
  local name=$1
  shift
  mkdir -p "$WORK/$name"
  # Replicas of a service must share the audit log's key.
  [ -s "$WORK/audit.key" ] && [ ! -e "$WORK/$name/audit.key" ] &&
    cp "$WORK/audit.key" "$WORK/$name/audit.key"
  rm -f "$WORK/$name.ready"
  "$SERVER_BIN" --listen="127.0.0.1:$(cat "$WORK/$name.port")" \
    --data_dir="$WORK/$name" --port_file="$WORK/$name.ready" \
    --token_keys_dir="$WORK/token-keys" "${SHARED[@]}" "$@" \
    >>"$WORK/server.log" 2>&1 &
  local pid=$!
  STARTED_PIDS+=("$pid")
  printf -v "PID_$name" '%s' "$pid"
  local deadline=$((SECONDS + 30))
  until [ -s "$WORK/$name.ready" ]; do
    exited "$pid" && fail "$name exited during start-up"
    [ "$SECONDS" -lt "$deadline" ] || fail "$name not listening after 30s"
    sleep 0.05
  done
}

# call_any FIRST OTHER TOKEN CARECTL_ARGS...: the call at replica FIRST,
# then (while no replica answers) at each in turn, with the same arguments
# (as a load balancer would; each failover noted in $WORK/failovers);
# prints its output. Fails on any other error, except that
# FAILED_PRECONDITION saying ACCEPTED (an accept whose answer was lost)
# prints nothing and succeeds.
call_any() {
  local first=$1 other=$2 token=$3 out status err
  local errors="$WORK/call.$BASHPID.err"
  shift 3
  local targets=("$first" "$other") turn=0 deadline=$((SECONDS + 60))
  while :; do
    status=0
    out=$(at "${targets[$((turn % 2))]}" "$token" --timeout=5s "$@" \
      2>"$errors") || status=$?
    [ "$status" -eq 0 ] && {
      echo "$out"
      return 0
    }
    err=$(cat "$errors")
    case "$err" in
      "carectl: UNAVAILABLE: "* | "carectl: DEADLINE_EXCEEDED: "*)
        echo "$*" >>"$WORK/failovers"
        ;;
      "carectl: FAILED_PRECONDITION: "*ACCEPTED*) return 0 ;;
      *)
        echo "carectl $*: $err" >&2
        return 1
        ;;
    esac
    [ "$SECONDS" -lt "$deadline" ] || {
      echo "carectl $*: no replica answered for 60s: $err" >&2
      return 1
    }
    turn=$((turn + 1))
    sleep 0.05
  done
}

# What the load clients (pids in LOAD_PIDS) acknowledged so far: one line
# each in $WORK/acked.CLIENT.
acked() { cat "$WORK"/acked.* 2>/dev/null | wc -l; }
# wait_acked N [SECONDS]: until N more are acknowledged; fails after
# SECONDS (60) or when a load client failed.
wait_acked() {
  local target=$(($(acked) + $1)) limit=${2:-60} pid
  local deadline=$((SECONDS + limit))
  until [ "$(acked)" -ge "$target" ]; do
    [ "$SECONDS" -lt "$deadline" ] ||
      fail "fewer than $1 acknowledged in ${limit}s"
    # shellcheck disable=SC2153 # set by the scripts running load clients
    for pid in "${LOAD_PIDS[@]}"; do
      exited "$pid" && fail "a load client failed (see above)"
    done
    sleep 0.1
  done
}

# count_rows NAME SERVICE TABLE: the rows of TABLE in the data SERVICE keeps
# for the server NAME (start_named): its SQLite file, or its schema in
# NAME's PostgreSQL database.
count_rows() {
  if [ -n "$PG_ADMIN_URL" ]; then
    database_flags "$1"
    psql -qAt "${DATABASE_FLAGS[0]#--database=}" -c "SELECT count(*) FROM $2.$3"
  else
    /usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from " + sys.argv[2]).fetchone()[0])' "$WORK/$1/$2.db" "$3"
  fi
}

cleanup() {
  local status=$?
  local pid db
  # Output may go to a closed pipe by now; clean up regardless.
  trap '' PIPE INT TERM HUP
  for pid in "${STARTED_PIDS[@]}"; do
    # Children first (a carectl call of a background loop), then the process.
    pkill -9 -P "$pid" 2>/dev/null || true
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for db in "${PG_DATABASES[@]}"; do
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
      >/dev/null 2>&1 || true
  done
  if [ "$status" -ne 0 ] && [ -f "$WORK/server.log" ]; then
    echo "--- last lines of the server log ---" >&2 || true
    tail -n 40 "$WORK/server.log" >&2 || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

step() {
  echo "--- $*"
}

# Whether process $1 has exited (gone, or a zombie not yet reaped).
exited() {
  [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# start_server [FLAG...]: starts carebridge-server on DATA and waits (with a
# deadline) for its port file. Reuses the previous port when ADDR is set, so
# clients keep working across a restart. Sets SERVER_PID and ADDR.
start_server() {
  local listen=127.0.0.1:0
  [ -n "$ADDR" ] && listen=$ADDR
  rm -f "$WORK/port"
  database_flags main
  "$SERVER_BIN" --listen="$listen" --data_dir="$DATA" \
    --port_file="$WORK/port" "${DATABASE_FLAGS[@]}" "$@" \
    >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  local deadline=$((SECONDS + 30))
  until [ -s "$WORK/port" ]; do
    exited "$SERVER_PID" && fail "carebridge-server exited during start-up"
    [ "$SECONDS" -lt "$deadline" ] || fail "no port file after 30s"
    sleep 0.05
  done
  ADDR=127.0.0.1:$(cat "$WORK/port")
}

# start_named NAME FLAG...: one of several servers (one service per process),
# with data in $WORK/NAME and the token keys $WORK/token-keys that they all
# share, unless FLAG gives --token_jwks_file (public keys only). Listens on a free port the first time and on the same port when NAME
# is started again, so its clients find it after a restart. Waits (with a
# deadline) for it to listen; sets LAST_PID and LAST_ADDR.
# shellcheck disable=SC2034  # LAST_PID and LAST_ADDR are read by the callers
start_named() {
  local name=$1
  shift
  local listen=127.0.0.1:0
  [ -s "$WORK/$name.port" ] && listen=127.0.0.1:$(cat "$WORK/$name.port")
  rm -f "$WORK/$name.port"
  mkdir -p "$WORK/$name"
  local keys=(--token_keys_dir="$WORK/token-keys")
  case " $* " in *" --token_jwks_file="*) keys=() ;; esac
  database_flags "$name"
  "$SERVER_BIN" --listen="$listen" --data_dir="$WORK/$name" \
    --port_file="$WORK/$name.port" "${keys[@]}" "${DATABASE_FLAGS[@]}" "$@" \
    >>"$WORK/server.log" 2>&1 &
  STARTED_PIDS+=("$!")
  local pid=$! deadline=$((SECONDS + 30))
  until [ -s "$WORK/$name.port" ]; do
    exited "$pid" && fail "$name server exited during start-up"
    [ "$SECONDS" -lt "$deadline" ] || fail "no port file for $name after 30s"
    sleep 0.05
  done
  LAST_PID=$pid
  LAST_ADDR=127.0.0.1:$(cat "$WORK/$name.port")
}

# wait_for_exit PID SECONDS: waits for a child to exit and sets EXIT_CODE;
# fails after SECONDS.
# shellcheck disable=SC2034  # EXIT_CODE is read by the sourcing scripts
wait_for_exit() {
  local deadline=$((SECONDS + $2))
  until exited "$1"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "process $1 still running after $2s"
    sleep 0.05
  done
  EXIT_CODE=0
  wait "$1" 2>/dev/null || EXIT_CODE=$?
}

# carectl against the server, with the token in $TOKEN if set.
cc() {
  "$CARECTL_BIN" "${CARECTL_EXTRA[@]}" --server="$ADDR" \
    ${TOKEN:+--token="$TOKEN"} "$@"
}

# as TOKEN CARECTL_ARGS...: carectl with the given token.
as() {
  local token=$1
  shift
  TOKEN=$token cc "$@"
}

# manager_of TEAM [ADDRESS]: a token of TEAM's manager (a TEAM_MANAGER
# member that $ADMIN appoints the first time it is asked), who adds the
# team's clinical members and issues their tokens: admins may not
# (separated duties). Against ADDRESS (default $ADDR).
manager_of() {
  local team=$1 addr=${2:-$ADDR} file member
  file="$WORK/manager-${team##*/}.token"
  if [ ! -s "$file" ]; then
    member=$("$CARECTL_BIN" "${CARECTL_EXTRA[@]}" --server="$addr" \
      --token="$ADMIN" --name_only \
      member create --display_name="Manager" --team="$team" \
      --role=team_manager) || fail "appointing the manager of $team"
    "$CARECTL_BIN" "${CARECTL_EXTRA[@]}" --server="$addr" --token="$ADMIN" \
      token issue "$member" --out="$file" \
      >/dev/null || fail "issuing the manager of $team a token"
  fi
  cat "$file"
}

# issue_token MEMBER [ADDRESS] [TOKEN_ISSUE_FLAGS...]: a token for MEMBER,
# issued by their team's manager (carectl token issue's output).
issue_token() {
  local member=$1 addr=${2:-$ADDR} team
  shift $(($# < 2 ? $# : 2))
  team=$("$CARECTL_BIN" "${CARECTL_EXTRA[@]}" --server="$addr" \
    --token="$ADMIN" --json member get \
    "$member" | py 'd["team"]') || fail "reading $member"
  "$CARECTL_BIN" "${CARECTL_EXTRA[@]}" --server="$addr" \
    --token="$(manager_of "$team" "$addr")" \
    token issue "$member" "$@"
}

# care_network [PERSON_REGISTER_FLAGS...]: as $ADMIN at $ADDR, a community
# team FROM and a crisis team TO with a clinician each (SAM, KIM; tokens
# T_SAM, T_KIM, issued by each team's manager) and a person PERSON (Alex
# Morgan) registered by Sam with the flags given.
# shellcheck disable=SC2034  # the variables are read by the callers
care_network() {
  FROM=$(as "$ADMIN" --name_only team create --display_name="North CMHT" \
    --sector=community_mental_health)
  TO=$(as "$ADMIN" --name_only team create --display_name="Crisis team" \
    --sector=crisis)
  SAM=$(as "$(manager_of "$FROM")" --name_only member create \
    --display_name="Sam" --team="$FROM" --role=clinician)
  KIM=$(as "$(manager_of "$TO")" --name_only member create \
    --display_name="Kim" --team="$TO" --role=clinician)
  T_SAM=$(issue_token "$SAM")
  T_KIM=$(issue_token "$KIM")
  PERSON=$(as "$T_SAM" --name_only person register --given_name=Alex \
    --family_name=Morgan --birth_date=1990-04-12 "$@")
}

# py EXPR: evaluates a Python expression over the JSON on stdin, bound to d.
py() {
  /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

expect_eq() {
  [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

# expect_rpc_error CODE CARECTL_ARGS...: the call must fail with exit code 2
# and `carectl: CODE: ...` on stderr. Leaves stderr in ERR.
expect_rpc_error() {
  local code=$1
  shift
  local status=0
  ERR=$(cc "$@" 2>&1 >/dev/null) || status=$?
  expect_eq "$status" 2 "exit code of carectl $*"
  case "$ERR" in
    "carectl: $code: "*) ;;
    *) fail "carectl $*: expected $code, got: $ERR" ;;
  esac
}

# reserve_port NAME: a free port for NAME's next start (start_named listens
# on the port in $WORK/NAME.port when it exists), so the care plan and
# handover services can each be told where the other is before either runs.
reserve_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' \
    >"$WORK/$1.port"
}

# start_split_deployment: the documented split deployment
# (deploy/local/multi-process.sh's shape): the directory, referral, care plan
# and handover services each in their own carebridge-server, sharing one
# token keys. Sets DIRECTORY, REFERRAL, CAREPLAN_ADDR, HANDOVER (addresses),
# CAREPLAN_PID, CAREPLAN_FLAGS (to start the care plan service again with
# start_named careplan "${CAREPLAN_FLAGS[@]}") and ADMIN (a token).
# shellcheck disable=SC2034  # the variables are read by the sourcing scripts
start_split_deployment() {
  reserve_port careplan
  reserve_port handover
  CAREPLAN_FLAGS=(--services=careplan)
  start_named directory --services=directory
  DIRECTORY=$LAST_ADDR
  start_named referral --services=referral --directory_address="$DIRECTORY"
  REFERRAL=$LAST_ADDR
  CAREPLAN_ADDR=127.0.0.1:$(cat "$WORK/careplan.port")
  local handover_addr
  handover_addr=127.0.0.1:$(cat "$WORK/handover.port")
  CAREPLAN_FLAGS+=(--directory_address="$DIRECTORY"
    --referral_address="$REFERRAL" --handover_address="$handover_addr")
  start_named careplan "${CAREPLAN_FLAGS[@]}"
  CAREPLAN_PID=$LAST_PID
  [ "$LAST_ADDR" = "$CAREPLAN_ADDR" ] || fail "care plan not on its reserved port"
  start_named handover --services=handover --directory_address="$DIRECTORY" \
    --careplan_address="$CAREPLAN_ADDR"
  HANDOVER=$LAST_ADDR
  ADMIN=$(cat "$WORK/directory/bootstrap-admin.token")
}

# at ADDRESS TOKEN CARECTL_ARGS...: carectl against one of the processes.
at() {
  local address=$1 token=$2
  shift 2
  "$CARECTL_BIN" "${CARECTL_EXTRA[@]}" --server="$address" --token="$token" \
    "$@"
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND (every 0.1 s)
# until it succeeds; fails after SECONDS. Effects across services are
# eventual, so tests wait for them with a deadline, never a blind sleep.
wait_until() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "not within ${seconds}s: $what"
    sleep 0.1
  done
}

# team_state TOKEN PERSON: "LEAD INVOLVED..." of the person's plan, as TOKEN
# sees it from the care plan service at CAREPLAN_ADDR; empty when it cannot
# be read (yet).
team_state() {
  at "$CAREPLAN_ADDR" "$1" --json careplan show "$2" 2>/dev/null |
    py '" ".join([d.get("lead_team", "")] + sorted(t["team"] for t in d.get("care_team", []) if not t.get("end_time")))' \
      2>/dev/null || true
}
