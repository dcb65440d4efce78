# shellcheck shell=bash
# shellcheck disable=SC2034  # HEAD and OLD_EPOCH are read by backup_restore.sh
# What backup_restore.sh does differently on each engine, sourced by it
# after lib.sh: a backup of the running server, carebridge-backup's
# refusals (SQLite), and a restore that writes $WORK/restore.json in
# carebridge-backup --restore --json's shape. Reads the script's DATA,
# ORIGINAL, BACKUP_BIN, DOCS, MAIN_URL and FEED_SCHEMAS.

# backup_sqlite: carebridge-backup of the data directory into
# $WORK/backup, checked; sets HEAD and OLD_EPOCH, the referral feed's head
# and epoch in it.
backup_sqlite() {
  "$BACKUP_BIN" --data_dir="$DATA" --out="$WORK/backup" >"$WORK/backup.out" ||
    fail "carebridge-backup failed: $(cat "$WORK/backup.out")"
  sed 's/^/    /' "$WORK/backup.out"
  "$BACKUP_BIN" --verify --from="$WORK/backup" >/dev/null ||
    fail "the backup does not verify"
  # manifest EXPR: a Python expression over backup.json (d), with f the
  # referral database's entry.
  manifest() {
    py "(lambda f: $1)([x for x in d['files'] if x['path'] == 'referral.db'][0])" \
      <"$WORK/backup/backup.json"
  }
  HEAD=$(manifest "f['feed']['head_sequence']")
  OLD_EPOCH=$(manifest "f['feed']['epoch']")
  local f
  for f in referral.db directory.db record.db token-keys audit.key \
    bootstrap-admin.token; do
    grep -q "\"path\": \"$f" "$WORK/backup/backup.json" ||
      fail "the backup lacks $f"
  done
  if grep -q -e '-wal"' -e '-shm"' -e 'audit-index' "$WORK/backup/backup.json"; then
    fail "the backup copied a -wal, -shm or audit index file"
  fi
}

# backup_postgresql: pg_dump of the server's database as docs/backup.md
# says, into $WORK/backup with the keys and the bootstrap token (kept with
# the backup: they are not in the database); sets HEAD and OLD_EPOCH from
# the dump.
backup_postgresql() {
  mkdir "$WORK/backup"
  pg_dump "$MAIN_URL" --serializable-deferrable -Fc \
    -f "$WORK/backup/main.dump" || fail "pg_dump failed"
  cp -a "$DATA/token-keys" "$DATA/audit.key" "$DATA/bootstrap-admin.token" \
    "$WORK/backup/"
  pg_restore -l "$WORK/backup/main.dump" >"$WORK/dump.list"
  local schema
  for schema in "${FEED_SCHEMAS[@]}" audit; do
    grep -q " SCHEMA - $schema " "$WORK/dump.list" ||
      fail "the dump lacks the schema $schema"
  done
  HEAD=$(dumped referral feed_head | cut -f2)
  OLD_EPOCH=$(dumped referral feed_meta | awk -F'\t' '$1 == "epoch" {print $2}')
}
# dumped SCHEMA TABLE: the rows of SCHEMA.TABLE in the dump, tab-separated.
dumped() {
  pg_restore --data-only --schema="$1" --table="$2" -f - \
    "$WORK/backup/main.dump" | awk '/^COPY /{rows = 1; next} /^\\\.$/{rows = 0} rows'
}

# refusals_sqlite: carebridge-backup --restore refuses a data directory
# that is not empty and a damaged backup.
refusals_sqlite() {
  step "a restore refuses a data directory that is not empty"
  local status=0 sum
  sum=$(sha256sum "$ORIGINAL/referral.db")
  "$BACKUP_BIN" --restore --from="$WORK/backup" --data_dir="$ORIGINAL" \
    >/dev/null 2>"$WORK/err" || status=$?
  expect_eq "$status" 1 "exit code of a restore into a data directory in use"
  grep -q "is not empty" "$WORK/err" || fail "unexpected error: $(cat "$WORK/err")"
  expect_eq "$(sha256sum "$ORIGINAL/referral.db")" "$sum" "the data left alone"

  step "a restore refuses a damaged backup, writing nothing"
  cp -a "$WORK/backup" "$WORK/damaged"
  /usr/bin/python3 - "$WORK/damaged/referral.db" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(os.path.getsize(sys.argv[1]) // 2)
    byte = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([byte[0] ^ 0xFF]))
PY
  status=0
  "$BACKUP_BIN" --restore --from="$WORK/damaged" --data_dir="$WORK/never" \
    >/dev/null 2>"$WORK/err" || status=$?
  expect_eq "$status" 1 "exit code of a restore of a damaged backup"
  grep -q "referral.db: differs" "$WORK/err" ||
    fail "unexpected error: $(cat "$WORK/err")"
  [ ! -e "$WORK/never" ] || fail "a refused restore left $WORK/never"
}

# restore_sqlite: carebridge-backup --restore into a fresh data directory,
# its report in $WORK/restore.json.
restore_sqlite() {
  "$BACKUP_BIN" --restore --from="$WORK/backup" --data_dir="$WORK/restored" \
    --json >"$WORK/restore.json" || fail "the restore failed"
}

# restore_postgresql: as docs/backup.md says, the lost database made again,
# empty, and the dump restored into it (pg_restore), the keys and the
# bootstrap token into a fresh data directory; then that page's SQL, read
# from it and run as written in psql for each schema holding a feed (a new
# epoch) and each cursor in the database on a restored feed (moved to its
# new epoch). Writes $WORK/restore.json in carebridge-backup's shape.
restore_postgresql() {
  local db=${MAIN_URL##*/} epoch_sql cursor_sql schema row consumer
  local feed epoch old new head query out
  psql -q "$PG_ADMIN_URL" -c "DROP DATABASE $db WITH (FORCE)" \
    -c "CREATE DATABASE $db" >/dev/null ||
    fail "cannot make the server's database again"
  pg_restore -d "$MAIN_URL" --exit-on-error --single-transaction \
    "$WORK/backup/main.dump" || fail "pg_restore failed"
  mkdir "$WORK/restored"
  cp -a "$WORK/backup/token-keys" "$WORK/backup/audit.key" \
    "$WORK/backup/bootstrap-admin.token" "$WORK/restored/"
  epoch_sql=$(docs_sql 1)
  cursor_sql=$(docs_sql 2)
  [[ -n $epoch_sql && -n $cursor_sql ]] ||
    fail "$DOCS has no PostgreSQL restore SQL"
  expect_eq "$(sql "SELECT string_agg(table_schema, ' ' ORDER BY table_schema) FROM information_schema.tables WHERE table_name = 'feed_meta'")" \
    "$(printf '%s\n' "${FEED_SCHEMAS[@]}" | sort | xargs)" \
    "the schemas holding a feed"
  : >"$WORK/new-epochs"
  for schema in "${FEED_SCHEMAS[@]}"; do
    row=$(sql "${epoch_sql//referral./$schema.}") ||
      fail "docs/backup.md's new epoch SQL for the schema $schema failed"
    [[ -n $row && $(wc -l <<<"$row") == 1 ]] ||
      fail "docs/backup.md's new epoch SQL for $schema printed '$row'"
    printf '%s\t%s\n' "$schema" "$row" >>"$WORK/new-epochs"
  done
  : >"$WORK/moved"
  for consumer in $(sql "SELECT table_schema FROM information_schema.tables WHERE table_name = 'consumer_cursors' ORDER BY 1"); do
    while IFS=$'\t' read -r feed epoch; do
      IFS=$'\t' read -r old new head < <(awk -F'\t' -v f="$feed" \
        '$1 == f {print $2 "\t" $3 "\t" $4}' "$WORK/new-epochs")
      [[ -n $old && $epoch == "$old" ]] || continue
      query=${cursor_sql//record.consumer_cursors/$consumer.consumer_cursors}
      query=${query//\'referral\'/\'$feed\'}
      query=${query//NEW_EPOCH/$new}
      query=${query//OLD_EPOCH/$old}
      query=${query//HEAD/$head}
      out=$(psql -v ON_ERROR_STOP=1 -At "$MAIN_URL" -c "$query") ||
        fail "docs/backup.md's cursor SQL for $consumer.$feed failed"
      printf '%s\t%s\t%s\n' "$consumer" "$feed" \
        "$([ "$out" = "UPDATE 1" ] && echo 1 || echo 0)" >>"$WORK/moved"
    done < <(sql "SELECT feed, epoch FROM $consumer.consumer_cursors ORDER BY feed")
  done
  # One snapshot of one database: every cursor in it is within its feed.
  [ -s "$WORK/moved" ] || fail "no cursor in the restored database"
  ! grep -q $'\t0$' "$WORK/moved" ||
    fail "cursors restored with their feeds left behind: $(grep $'\t0$' "$WORK/moved")"
  sed 's/^/    new epoch (feed, old, new, head): /' "$WORK/new-epochs"
  /usr/bin/python3 - "$WORK/new-epochs" "$WORK/moved" >"$WORK/restore.json" <<'PY'
import json, sys
feeds = [dict(path=p, old_epoch=o, new_epoch=n, head_sequence=int(h))
         for p, o, n, h in (l.rstrip("\n").split("\t") for l in open(sys.argv[1]))]
cursors = [dict(path=c, producer_path=f, reanchored=m == "1")
           for c, f, m in (l.split() for l in open(sys.argv[2]))]
print(json.dumps(dict(feeds=feeds, cursors=cursors)))
PY
}
# docs_sql N: the Nth SQL block of docs/backup.md's PostgreSQL section.
docs_sql() {
  awk -v n="$1" '/^## PostgreSQL/ {pg = 1}
    pg && /^```sql$/ {if (++i == n) {on = 1; next}}
    on && /^```$/ {exit}
    on' "$DOCS"
}
# sql QUERY: its rows in the server's database, tab-separated.
sql() { psql -v ON_ERROR_STOP=1 -qAt -F $'\t' "$MAIN_URL" -c "$1"; }
