#!/usr/bin/env bash
# shellcheck disable=SC2119  # start_server takes optional server flags, not ours
# `carectl admin audit verify` against a real server whose audit logs were
# altered in their SQLite files while it was stopped, as someone with the
# files (not the audit key) could: a break-glass record edited to hide who
# opened Alex's crisis plan, the same record deleted, two records swapped,
# a replayed record inserted, and a log's newest record cut off. Each time the
# command exits 4, prints the alert and names the altered log (and only
# it) with what was done; the untouched logs verify and exit 0, before the
# tampering and after it is undone.
#
# SQLite only: it rewrites the database files directly, with Python's
# sqlite3 module (deploy/local/install-deps.sh installs no sqlite3 CLI).
# On PostgreSQL, tests/audit's audit_integration_test edits a record
# through SQL and sees it found.
#
# usage: audit_tamper.sh SERVER_BIN CARECTL_BIN

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

[ -z "$PG_ADMIN_URL" ] ||
  fail "audit_tamper.sh rewrites SQLite files: run it without CAREBRIDGE_TEST_DATABASE"

# sql LOG SQL [ARG...]: runs SQL (statements separated by `;`, each bound
# to the ARGs it names as ?1, ?2...) on LOG's database file in one
# transaction; prints the first column of the last statement's rows.
sql() {
  /usr/bin/python3 - "$DATA/$1.db" "$2" "${@:3}" <<'EOF'
import re, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
args = [int(a) if re.fullmatch(r"-?[0-9]+", a) else a for a in sys.argv[3:]]
db.execute("BEGIN IMMEDIATE")
rows = []
for statement in filter(str.strip, sys.argv[2].split(";")):
    named = max(map(int, re.findall(r"\?([0-9]+)", statement)), default=0)
    rows = db.execute(statement, args[:named]).fetchall()
db.execute("COMMIT")
for row in rows:
    print(row[0])
EOF
}

stop_server() {
  kill -TERM "$SERVER_PID"
  wait_for_exit "$SERVER_PID" 30
  expect_eq "$EXIT_CODE" 0 "exit code after SIGTERM"
}

# verify_logs: `admin audit verify`'s output in OUT and exit status in
# STATUS; BROKEN lists the logs it marks BROKEN.
verify_logs() {
  STATUS=0
  OUT=$(as "$ADMIN" admin audit verify) || STATUS=$?
  BROKEN=$(awk '{ for (i = 2; i <= NF; i++) if ($i == "BROKEN") print $1 }' \
    <<<"$OUT" | xargs)
}

expect_intact() {
  verify_logs
  expect_eq "$STATUS" 0 "exit status of audit verify $1"
  expect_eq "$BROKEN" "" "logs marked BROKEN $1"
  grep -qxF "every audit log is intact" <<<"$OUT" ||
    fail "audit verify $1 did not say every log is intact: $OUT"
}

# expect_altered LOG PROBLEM...: verify exits 4 with the alert, LOG alone
# marked BROKEN, and each PROBLEM printed as `LOG: PROBLEM`.
expect_altered() {
  local log=$1 problem
  shift
  verify_logs
  expect_eq "$STATUS" 4 "exit status of audit verify with $log altered"
  grep -qxF "AN AUDIT LOG HAS BEEN ALTERED: see above" <<<"$OUT" ||
    fail "audit verify printed no alert with $log altered: $OUT"
  expect_eq "$BROKEN" "$log" "logs marked BROKEN"
  for problem in "$@"; do
    grep -qxF "$log: $problem" <<<"$OUT" ||
      fail "audit verify did not report '$log: $problem': $OUT"
  done
}

# untampered: the server stopped and its data put back as it was before
# any tampering, for the caller to alter and `restart`.
untampered() {
  stop_server
  rm -rf "$DATA"
  cp -a "$WORK/pristine" "$DATA"
}
restart() { start_server; }

start_server
ADMIN=$(cat "$DATA/bootstrap-admin.token")

step "audited calls: a plan written and read, glass broken, a referral made"
care_network
as "$T_SAM" careplan update "$PERSON" --what_helps="A quiet room" \
  --reason="First plan, agreed with Alex" >/dev/null
as "$T_SAM" careplan show "$PERSON" >/dev/null
as "$T_KIM" careplan break-glass open "$PERSON" \
  --reason="Found in distress at 3am; needs the crisis plan" >/dev/null
as "$T_KIM" careplan show "$PERSON" >/dev/null
REFERRAL=$(as "$T_SAM" --name_only referral create --person="$PERSON" \
  --to="$TO" --urgency=urgent --reason="Crisis follow-up")
as "$T_KIM" referral get "$REFERRAL" >/dev/null
as "$T_KIM" referral ack "$REFERRAL" >/dev/null
# Asked of the audit service: recorded in its own log.
as "$T_SAM" person accesses "$PERSON" >/dev/null

step "untampered, every log verifies: exit 0"
expect_intact "before tampering"

step "stopped, its data kept as it was"
stop_server
cp -a "$DATA" "$WORK/pristine"
BREAK_GLASS=$(sql careplan "SELECT seq FROM audit_log WHERE method = \
  'carebridge.careplan.v1.BreakGlass' AND actor = ?1 AND outcome = 'OK'" \
  "$KIM")
[ -n "$BREAK_GLASS" ] || fail "Kim's break-glass is not in the care plan's audit log"
restart

step "a break-glass record edited to hide who opened the plan: exit 4"
untampered
sql careplan "UPDATE audit_log SET actor = ?1, team = ?2, reason = '' \
  WHERE seq = ?3" "$SAM" "$FROM" "$BREAK_GLASS"
restart
expect_altered careplan \
  "record $BREAK_GLASS: its contents do not match its hash (edited)"

step "the break-glass record deleted: exit 4"
untampered
sql careplan "DELETE FROM audit_log WHERE seq = ?1" "$BREAK_GLASS"
restart
expect_altered careplan \
  "records $BREAK_GLASS to $BREAK_GLASS are missing (deleted)"

step "the break-glass record swapped with the next: exit 4"
untampered
sql careplan "UPDATE audit_log SET seq = -1 WHERE seq = ?1;
  UPDATE audit_log SET seq = ?1 WHERE seq = ?1 + 1;
  UPDATE audit_log SET seq = ?1 + 1 WHERE seq = -1" "$BREAK_GLASS"
restart
expect_altered careplan "record $BREAK_GLASS: does not follow the record \
before it (inserted, deleted or reordered)"

# Each start appends records (the services subscribing to each other's
# feeds) after the head: the inserted record's number is taken, so they
# are refused (nothing is served without its record) and the head stays.
step "a copy of the referral's record inserted after it: exit 4"
untampered
CREATED=$(sql referral "SELECT seq FROM audit_log WHERE method = \
  'carebridge.referral.v1.CreateReferral' AND actor = ?1" "$SAM")
[ -n "$CREATED" ] || fail "the referral's creation is not in its audit log"
LAST=$(sql referral "SELECT MAX(seq) FROM audit_log")
# Later records move up one (through negative numbers: seq is unique).
sql referral "UPDATE audit_log SET seq = -(seq + 1) WHERE seq > ?1;
  UPDATE audit_log SET seq = -seq WHERE seq < 0;
  INSERT INTO audit_log SELECT seq + 1, time_us, actor, team, role,
    on_behalf_of, method, resource, person, sections, reason, outcome, prev,
    hash FROM audit_log WHERE seq = ?1" "$CREATED"
restart
expect_altered referral "record $((CREATED + 1)): does not follow the record \
before it (inserted, deleted or reordered)" \
  "the log ends at record $((LAST + 1)) but its head says $LAST (cut short or added to)"

# The audit service's own log: nothing is appended to it at start-up (the
# verify call's record is written after its answer), so the cut shows as
# the head left past the end.
step "the audit service's newest record cut off: exit 4"
untampered
LAST=$(sql audit "SELECT MAX(seq) FROM audit_log")
[ "${LAST:-0}" -ge 2 ] || fail "the audit service's log has fewer than 2 records"
sql audit "DELETE FROM audit_log WHERE seq = ?1" "$LAST"
restart
expect_altered audit "the log ends at record $((LAST - 1)) but its head \
says $LAST (cut short or added to)"

step "put back as it was, every log verifies again: exit 0"
untampered
restart
expect_intact "with the tampering undone"
