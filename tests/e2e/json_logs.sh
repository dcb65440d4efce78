#!/usr/bin/env bash
# --log_format=json, as the Kubernetes manifests run each service: from
# start-up to the exit after SIGTERM, every line a process writes (stderr,
# and stdout, which a container's log collector reads too) is one JSON
# object with a time, a severity and a message; each call served has its
# method, principal, code, latency and trace id, and an HTTP request's id
# is the trace id of the calls it makes, in the process it reaches too.
# Two processes, as deployed: the directory, and the referral service
# reaching it (which warns that no --careplan_address is set).
#
# usage: json_logs.sh SERVER_BIN CARECTL_BIN

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

# start_json NAME FLAG...: carebridge-server with --log_format=json, data in
# $WORK/NAME, stdout and stderr kept apart in $WORK/NAME.out and
# $WORK/NAME.err; waits (with a deadline) for its gRPC and HTTP ports and
# sets LAST_PID, LAST_ADDR and LAST_HTTP.
start_json() {
  local name=$1
  shift
  mkdir -p "$WORK/$name"
  database_flags "$name"
  "$SERVER_BIN" --log_format=json --listen=127.0.0.1:0 \
    --data_dir="$WORK/$name" --port_file="$WORK/$name.port" \
    --http_listen=127.0.0.1:0 --http_port_file="$WORK/$name.http" \
    --token_keys_dir="$WORK/token-keys" "${DATABASE_FLAGS[@]}" "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" &
  LAST_PID=$!
  STARTED_PIDS+=("$LAST_PID")
  local deadline=$((SECONDS + 30))
  until [ -s "$WORK/$name.port" ] && [ -s "$WORK/$name.http" ]; do
    exited "$LAST_PID" && {
      cat "$WORK/$name.err" >&2
      fail "$name exited during start-up"
    }
    [ "$SECONDS" -lt "$deadline" ] || fail "$name not listening after 30s"
    sleep 0.05
  done
  LAST_ADDR=127.0.0.1:$(cat "$WORK/$name.port")
  LAST_HTTP=http://127.0.0.1:$(cat "$WORK/$name.http")
}

step "the directory and the referral service, logging JSON"
start_json directory --services=directory
DIRECTORY_PID=$LAST_PID
ADDR=$LAST_ADDR
DIRECTORY_HTTP=$LAST_HTTP
start_json referral --services=referral --directory_address="$ADDR"
REFERRAL_PID=$LAST_PID
REFERRAL_HTTP=$LAST_HTTP
ADMIN=$(cat "$WORK/directory/bootstrap-admin.token")

step "calls: one answered, one refused, and HTTP requests with their ids"
as "$ADMIN" --name_only team create --display_name="North CMHT" \
  --sector=community_mental_health >/dev/null
TOKEN=$ADMIN expect_rpc_error NOT_FOUND team get teams/nosuchteam
for front in "$DIRECTORY_HTTP json-logs-direct" \
  "$REFERRAL_HTTP json-logs-via-referral"; do
  read -r url id <<<"$front"
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Request-ID: $id" \
    -H "Authorization: Bearer $ADMIN" "$url/v1/teams")
  expect_eq "$status" 200 "GET $url/v1/teams"
done

step "SIGTERM: both stop and exit 0"
kill -TERM "$REFERRAL_PID" "$DIRECTORY_PID"
wait_for_exit "$REFERRAL_PID" 30
expect_eq "$EXIT_CODE" 0 "the referral process's exit code"
wait_for_exit "$DIRECTORY_PID" 30
expect_eq "$EXIT_CODE" 0 "the directory process's exit code"

step "every line each wrote is a JSON log object"
/usr/bin/python3 - "$WORK" <<'PY' || fail "the JSON logs are not as expected"
import json, re, sys

work = sys.argv[1]
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SEVERITIES = {"INFO", "NOTICE", "WARNING", "ERROR"}
CALL_FIELDS = {"method": str, "principal": str, "code": str,
               "latency_ms": (int, float), "trace_id": str}
HTTP_FIELDS = {"method": str, "path": str, "status": int,
               "latency_ms": (int, float), "trace_id": str}
DIRECTORY = "/carebridge.directory.v1.DirectoryService/"
problems = []


def read(name):
    """Each line of the process's output, parsed and checked."""
    with open(f"{work}/{name}.out", "rb") as out:
        if out.read():
            problems.append(f"{name} wrote to stdout")
    entries = []
    with open(f"{work}/{name}.err", "rb") as err:
        lines = err.read().split(b"\n")
    if lines[-1] != b"":
        problems.append(f"{name}: the last line has no newline")
    for number, raw in enumerate(lines[:-1], 1):
        where = f"{name}.err line {number}"
        try:
            entry = json.loads(raw.decode("utf-8"))
        except ValueError as e:
            problems.append(f"{where} is not JSON ({e}): {raw[:200]!r}")
            continue
        if not isinstance(entry, dict):
            problems.append(f"{where} is not an object: {raw[:200]!r}")
            continue
        if not TIME.match(str(entry.get("time"))):
            problems.append(f"{where}: time {entry.get('time')!r}")
        if entry.get("severity") not in SEVERITIES:
            problems.append(f"{where}: severity {entry.get('severity')!r}")
        if not isinstance(entry.get("message"), str) or not entry["message"]:
            problems.append(f"{where}: message {entry.get('message')!r}")
        fields = {"call": CALL_FIELDS, "http": HTTP_FIELDS}.get(
            entry.get("message"), {})
        for field, kind in fields.items():
            if not isinstance(entry.get(field), kind) or isinstance(
                    entry.get(field), bool):
                problems.append(f"{where}: {field} {entry.get(field)!r}")
        entries.append(entry)
    if not entries or entries[-1].get("message") != "stopped":
        problems.append(f"{name}: the last line is not 'stopped'")
    return entries


def find(entries, name, what, **wanted):
    """The entries with every field as `wanted`; a problem when none."""
    found = [e for e in entries
             if all(e.get(k) == v for k, v in wanted.items())]
    if not found:
        problems.append(f"{name}: no line for {what} ({wanted})")
    return found


directory = read("directory")
referral = read("referral")
created = find(directory, "directory", "the team created", message="call",
               method=DIRECTORY + "CreateTeam", code="OK", severity="INFO")
if created and created[0]["principal"] in ("", "-"):
    problems.append(f"the team's creation names no principal: {created[0]}")
find(directory, "directory", "the team not found", message="call",
     method=DIRECTORY + "GetTeam", code="NOT_FOUND", severity="NOTICE")
find(directory, "directory", "the HTTP request", message="http",
     method="GET", path="/v1/teams", status=200,
     trace_id="json-logs-direct")
find(directory, "directory", "the HTTP request's call", message="call",
     method=DIRECTORY + "ListTeams", code="OK",
     trace_id="json-logs-direct")
# The referral process's HTTP front asks the directory, under the same id.
find(referral, "referral", "the HTTP request", message="http",
     method="GET", path="/v1/teams", status=200,
     trace_id="json-logs-via-referral")
find(directory, "directory", "the call the referral process made",
     message="call", method=DIRECTORY + "ListTeams", code="OK",
     trace_id="json-logs-via-referral")
warned = find(referral, "referral", "the warning", severity="WARNING")
if warned and "--careplan_address" not in warned[0]["message"]:
    problems.append(f"unexpected warning: {warned[0]}")
for name, entries in (("directory", directory), ("referral", referral)):
    find(entries, name, "the signal", message="received signal 15")

for problem in problems:
    print("FAIL:", problem, file=sys.stderr)
print(f"{len(directory)} + {len(referral)} lines, each a JSON log object")
sys.exit(1 if problems else 0)
PY
echo "PASS"
