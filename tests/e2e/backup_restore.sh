#!/usr/bin/env bash
# shellcheck disable=SC2119  # start_server takes optional server flags, not ours
# Backup and restore of the SQLite stores (docs/backup.md), end to end:
# - carebridge-backup copies a running all-in-one server's data directory
#   while referrals are being created;
# - a restore refuses a data directory that is not empty and a damaged
#   backup;
# - restored into a fresh data directory, the server has every referral
#   acknowledged before the backup began, its tokens still work, its audit
#   logs verify and list who accessed the person (the audit indexes, left
#   out of the backup, rebuilt), its referral feed's head is the one
#   backup.json recorded, with a NEW epoch, and its own record service
#   (restored with it) follows on;
# - a record service in another process, that had applied events the backup
#   lacks, comes back after the restored feed's new events have reused those
#   sequence numbers and gone past its cursor: it does not skip them as
#   applied but stops with PRODUCER_RESET in `carectl admin feeds` and
#   applies nothing; reset as docs/backup.md says, it catches up on every
#   one of them.
# On PostgreSQL (e2e_backup_restore_postgresql: the server's services in
# one database, a schema each; the record process in another) the backup is
# PostgreSQL's own, as docs/backup.md says: pg_dump under load, pg_restore
# into a new, empty database, then the SQL docs/backup.md gives, read from
# it and run as written in psql (where no service has set the search_path):
# a new epoch for each feed's schema, the restored record's cursors moved.
#
# usage: backup_restore.sh SERVER_BIN CARECTL_BIN BACKUP_BIN

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

BACKUP_BIN=${3:?usage: $0 SERVER_BIN CARECTL_BIN BACKUP_BIN}
DOCS=$(dirname "$0")/../../docs/backup.md
MAX_CREATES=400  # the load loop's bound

start_server
ADMIN=$(cat "$DATA/bootstrap-admin.token")
ORIGINAL=$DATA
# The schemas holding a feed, as docs/backup.md lists them.
FEED_SCHEMAS=(directory referral careplan handover record)
if [ -n "$PG_ADMIN_URL" ]; then
  database_flags main
  MAIN_URL=${DATABASE_FLAGS[0]#--database=}
fi
# shellcheck source=backup_restore_steps.sh source-path=SCRIPTDIR
. "$(dirname "$0")/backup_restore_steps.sh"

step "set-up: two teams, a sender, a person"
SENDER_TEAM=$(as "$ADMIN" --name_only team create --display_name="North CMHT" \
  --sector=community_mental_health)
RECEIVER_TEAM=$(as "$ADMIN" --name_only team create --display_name="Crisis" \
  --sector=crisis)
SENDER=$(as "$(manager_of "$SENDER_TEAM")" --name_only member create \
  --team="$SENDER_TEAM" --role=clinician --display_name="Sam")
T_SENDER=$(issue_token "$SENDER")
PERSON=$(as "$T_SENDER" --name_only person register --given_name=Alex \
  --family_name=Morgan --birth_date=1990-04-12)

step "a record service in its own process follows the server's feeds"
# It checks tokens with the server's keys (in the original data directory).
RECORD_FLAGS=(--services=record --directory_address="$ADDR"
  --referral_address="$ADDR" --careplan_address="$ADDR"
  --handover_address="$ADDR" --token_keys_dir="$ORIGINAL/token-keys")
start_named record "${RECORD_FLAGS[@]}"
RECORD=$LAST_ADDR
RECORD_PID=$LAST_PID

# consumers ADDRESS: `carectl admin feeds --json` of that process.
consumers() {
  at "$1" "$ADMIN" --json admin feeds
}
# field JSON CONSUMER FIELD: one field of one consumer.
field() {
  py "[c for c in d['consumers'] if c['name'] == 'consumers/$2'][0].get('$3', '')" <<<"$1"
}

step "creating referrals in a loop; the backup runs while they are created"
ACKED=$WORK/acked  # "rq-i referrals/x" for every create that returned OK
: >"$ACKED"
(
  for i in $(seq 1 "$MAX_CREATES"); do
    [ -e "$WORK/stop-load" ] && break
    if out=$(as "$T_SENDER" --json --timeout=5s referral create \
      --person="$PERSON" --to="$RECEIVER_TEAM" --urgency=routine \
      --reason="backup test rq-$i" --request_id="rq-$i" 2>/dev/null); then
      echo "rq-$i $(py 'd["name"]' <<<"$out")" >>"$ACKED"
    fi
  done
) &
LOOP_PID=$!
STARTED_PIDS+=("$LOOP_PID")
acked() { wc -l <"$ACKED"; }
at_least() { [ "$(acked)" -ge "$1" ]; }
wait_until 120 "20 referrals acknowledged" at_least 20

cp "$ACKED" "$WORK/acked-before-backup"
BEFORE=$(wc -l <"$WORK/acked-before-backup")
if [ -n "$PG_ADMIN_URL" ]; then backup_postgresql; else backup_sqlite; fi
AFTER=$(acked)
exited "$LOOP_PID" && fail "the load loop ended before the backup did"
echo "    acknowledged: $BEFORE when the backup began, $AFTER when it ended"
[ "$HEAD" -ge "$BEFORE" ] || fail "the backup's referral head $HEAD < $BEFORE acknowledged"
[ -n "$OLD_EPOCH" ] || fail "no epoch of the referral feed in the backup"

# More referrals after the backup: acknowledged, then lost by the restore,
# and applied by the record process (whose cursor goes past the backup).
wait_until 120 "10 more referrals after the backup" at_least $((AFTER + 10))
touch "$WORK/stop-load"
wait_for_exit "$LOOP_PID" 60
FINAL_HEAD=0  # the referral feed's head before the server stops
record_past_backup() {
  local json
  json=$(consumers "$RECORD") || return 1
  FINAL_HEAD=$(field "$json" record.referral head_sequence)
  [ "$(field "$json" record.referral cursor)" = "$FINAL_HEAD" ] &&
    [ "$FINAL_HEAD" -gt "$HEAD" ]
}
wait_until 60 "the record process applies the referrals after the backup" \
  record_past_backup
echo "    the referral feed's head: $HEAD in the backup, $FINAL_HEAD at the end"

step "the server and the record process stop"
kill -TERM "$SERVER_PID" "$RECORD_PID"
wait_for_exit "$SERVER_PID" 30
wait_for_exit "$RECORD_PID" 30

if [ -n "$PG_ADMIN_URL" ]; then
  REFERRAL_PATH=referral RECORD_PATH=record
else
  REFERRAL_PATH=referral.db RECORD_PATH=record.db
  refusals_sqlite
fi

step "restore into a fresh data directory (on PostgreSQL a new database too) and start the server on it"
if [ -n "$PG_ADMIN_URL" ]; then restore_postgresql; else restore_sqlite; fi
# restored EXPR: over the restore's report (d), with f the referral feed.
restored() {
  py "(lambda f: $1)([x for x in d['feeds'] if x['path'] == '$REFERRAL_PATH'][0])" \
    <"$WORK/restore.json"
}
NEW_EPOCH=$(restored "f['new_epoch']")
expect_eq "$(restored "f['head_sequence']")" "$HEAD" "the restored head"
expect_eq "$(restored "f['old_epoch']")" "$OLD_EPOCH" "the old epoch"
if [ -z "$NEW_EPOCH" ] || [ "$NEW_EPOCH" = "$OLD_EPOCH" ]; then
  fail "the restored feed kept its epoch $OLD_EPOCH"
fi
expect_eq "$(py "[c['reanchored'] for c in d['cursors'] if c['path'] == '$RECORD_PATH' and c['producer_path'] == '$REFERRAL_PATH']" \
  <"$WORK/restore.json")" "[True]" \
  "the restored record's cursor moved to the restored feed's new epoch"
DATA=$WORK/restored
start_server

step "every referral acknowledged before the backup began is there, once"
as "$T_SENDER" --json referral sent --all --page_size=100 >"$WORK/listing.json"
/usr/bin/python3 - "$WORK/acked-before-backup" "$WORK/listing.json" <<'PY'
import collections, json, sys
acked = dict(line.split() for line in open(sys.argv[1]))
referrals = json.load(open(sys.argv[2]))["referrals"]
by_request = collections.defaultdict(list)
for r in referrals:
    by_request[r["reason"].removeprefix("backup test ")].append(r["name"])
lost = {rq: name for rq, name in acked.items() if by_request.get(rq) != [name]}
assert not lost, f"acknowledged before the backup but missing: {lost}"
assert all(len(v) == 1 for v in by_request.values()), "a duplicate"
print(f"    {len(acked)} acknowledged before the backup, {len(referrals)} restored")
PY

step "the restored audit logs verify; their per-person index, rebuilt, answers"
as "$ADMIN" admin audit verify >/dev/null || fail "the restored audit logs do not verify"
ACCESSES=$(as "$ADMIN" --json person accesses "$PERSON" --all | py 'len(d["accesses"])')
[ "$ACCESSES" -ge "$BEFORE" ] ||
  fail "$ACCESSES accesses to $PERSON listed, fewer than the $BEFORE referrals"

step "the restored feed: the backup's head, a new epoch, its record following"
own_record_follows() {
  local json
  json=$(consumers "$ADDR") || return 1
  [ "$(field "$json" record.referral state)" = FOLLOWING ] &&
    [ "$(field "$json" record.referral head_sequence)" = "$HEAD" ] &&
    [ "$(field "$json" record.referral lag_events)" = 0 ]
}
wait_until 30 "the restored server's record follows its referral feed" \
  own_record_follows
JSON=$(consumers "$ADDR")
expect_eq "$(field "$JSON" record.referral producer_epoch)" "$NEW_EPOCH" \
  "the restored feed's epoch"
expect_eq "$(field "$JSON" record.referral epoch)" "$NEW_EPOCH" \
  "the epoch the restored record's cursor belongs to"

step "new referrals on the restored server reuse the sequences up to $FINAL_HEAD"
# While the record process is down, as after any outage: when it comes back
# the feed's head is past its cursor, and only the epoch tells it that
# sequences $((HEAD + 1))..$FINAL_HEAD are not the events it applied.
: >"$WORK/after-restore"
past_record_cursor() {
  [ "$(field "$(consumers "$ADDR")" record.referral head_sequence)" -gt "$FINAL_HEAD" ]
}
i=0
until past_record_cursor; do
  i=$((i + 1))
  [ "$i" -le 100 ] || fail "the restored feed's head did not pass $FINAL_HEAD"
  as "$T_SENDER" --name_only referral create --person="$PERSON" \
    --to="$RECEIVER_TEAM" --urgency=routine --reason="after the restore $i" \
    >>"$WORK/after-restore"
done
echo "    $(wc -l <"$WORK/after-restore") referrals after the restore"

step "the record process, past the backup, stops instead of skipping"
start_named record "${RECORD_FLAGS[@]}"
record_stopped() {
  local json
  json=$(consumers "$RECORD") || return 1
  [ "$(field "$json" record.referral state)" = PRODUCER_RESET ]
}
wait_until 60 "the record process reports its producer reset" record_stopped
at "$RECORD" "$ADMIN" admin feeds | sed 's/^/    /'
sleep 1
JSON=$(consumers "$RECORD")
expect_eq "$(field "$JSON" record.referral state)" PRODUCER_RESET \
  "the record process's referral consumer"
expect_eq "$(field "$JSON" record.referral producer_epoch)" "$NEW_EPOCH" \
  "the producer epoch the record process sees"
expect_eq "$(field "$JSON" record.referral epoch)" "$OLD_EPOCH" \
  "the epoch of the record process's cursor"
case "$(field "$JSON" record.referral last_error)" in
  *"another database"*) ;;
  *) fail "no epoch error in: $(field "$JSON" record.referral last_error)" ;;
esac
expect_eq "$(field "$JSON" record.referral cursor)" "$FINAL_HEAD" \
  "the record process's cursor (nothing applied from the new database)"

step "reset as docs/backup.md says: each to min(cursor, restored head), new epoch"
# Each stopped consumer's producer is the restored feed whose OLD epoch its
# cursor belongs to.
at "$RECORD" "$ADMIN" --json admin feeds >"$WORK/record-feeds.json"
/usr/bin/python3 - "$WORK/record-feeds.json" "$WORK/restore.json" \
  >"$WORK/resets" <<'PY'
import json, sys
consumers = json.load(open(sys.argv[1]))["consumers"]
restored = {f["old_epoch"]: f for f in json.load(open(sys.argv[2]))["feeds"]}
for c in consumers:
    if c["state"] != "PRODUCER_RESET":
        continue
    feed = restored[c["epoch"]]
    after = min(int(c["cursor"]), int(feed["head_sequence"]))
    print(c["name"].removeprefix("consumers/"), after, feed["new_epoch"])
PY
grep -q "^record.referral $HEAD $NEW_EPOCH\$" "$WORK/resets" ||
  fail "unexpected resets: $(cat "$WORK/resets")"
while read -r consumer after epoch; do
  at "$RECORD" "$ADMIN" admin feeds reset "$consumer" --after="$after" \
    --epoch="$epoch" >/dev/null
done <"$WORK/resets"
record_caught_up() {
  local json
  json=$(consumers "$RECORD") || return 1
  [ "$(field "$json" record.referral state)" = FOLLOWING ] &&
    [ "$(field "$json" record.referral lag_events)" = 0 ] &&
    [ "$(field "$json" record.referral head_sequence)" -gt "$HEAD" ]
}
wait_until 60 "the record process follows the restored feed" record_caught_up
JSON=$(consumers "$RECORD")
expect_eq "$(field "$JSON" record.referral epoch)" "$NEW_EPOCH" \
  "the record process's epoch after the reset"
expect_eq "$(field "$JSON" record.referral cursor)" \
  "$(field "$JSON" record.referral head_sequence)" "the record process's cursor"
expect_eq "$(field "$JSON" record.referral parked_count)" 0 "parked events"
# Every referral made after the restore, those whose sequences the record
# process had applied from the old database first.
at "$RECORD" "$T_SENDER" --json person timeline "$PERSON" --page_size=1000 \
  >"$WORK/timeline.json"
while read -r referral; do
  grep -q "${referral#referrals/}" "$WORK/timeline.json" ||
    fail "$referral, made after the restore, is not in the record process"
done <"$WORK/after-restore"
echo "PASS backup_restore"
