#!/usr/bin/env bash
# FHIR R4 over carebridge-server's HTTP listener, end to end: a care
# network set up with carectl (teams, clinicians, a person with an NHS
# number, referrals sent, declined with an onward route and redirected) is
# read back as FHIR -- the CapabilityStatement, Patient, Organization,
# HealthcareService, ServiceRequest and Task, read and searched with paging
# -- and every resource and error is validated by an independent FHIR
# validator (the `fhir` npm package in tests/fhir, installed by
# tests/run_all.sh). Need-to-know holds over HTTP: no token is 401, an
# admin reads no referral, another team's worklist is empty.
# usage: fhir.sh SERVER_BIN CARECTL_BIN

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
FHIR_DIR=$(cd "$(dirname "$0")/../fhir" && pwd)
[ -d "$FHIR_DIR/node_modules/fhir" ] ||
  fail "the FHIR validator is not installed: npm ci --prefix $FHIR_DIR"
OUT=$WORK/fhir
mkdir -p "$OUT"

step "a server with the HTTP listener"
start_server --http_listen=127.0.0.1:0 --http_port_file="$WORK/http.port"
HTTP=http://127.0.0.1:$(cat "$WORK/http.port")
ADMIN=$(cat "$DATA/bootstrap-admin.token")

# get FILE TOKEN PATH: GET $HTTP/fhir/PATH as TOKEN into $OUT/FILE; prints
# the HTTP status.
get() {
  curl -s -o "$OUT/$1" -w '%{http_code}' ${2:+-H "Authorization: Bearer $2"} \
    "$HTTP/fhir/$3"
}
# fhir_ok FILE TOKEN PATH: the GET must be 200 with FHIR JSON.
fhir_ok() {
  local status
  status=$(get "$@")
  [ "$status" = 200 ] || fail "GET $3: HTTP $status: $(cat "$OUT/$1")"
}
field() { py "$2" <"$OUT/$1"; }

step "a care network: two teams, a clinician each, a person, referrals"
care_network --nhs_number=9434765919 --preferred_name=Al \
  --local_id=https://trust.example/mrn=MRN123
OTHER=$(as "$ADMIN" --name_only team create --display_name="Recovery college" \
  --sector=voluntary_sector)
SENT=$(as "$T_SAM" --name_only referral create --person="$PERSON" --to="$TO" \
  --urgency=crisis --reason="Escalating distress" --wishes="Prefers calls")
DECLINED=$(as "$T_SAM" --name_only referral create --person="$PERSON" \
  --to="$TO" --urgency=routine --reason="Housing support")
as "$T_KIM" referral decline "$DECLINED" --reason="Not a crisis need" \
  --signpost="Local housing advice line" --suggest_team="$OTHER" >/dev/null
MOVED=$(as "$T_SAM" --name_only referral create --person="$PERSON" \
  --to="$TO" --urgency=urgent --reason="Needs a care coordinator")
NEW=$(as "$T_KIM" --json referral redirect "$MOVED" --to="$OTHER" \
  --reason="Better placed there" | py 'd["created"]["name"]')
id() { echo "${1##*/}"; }

step "the CapabilityStatement"
fhir_ok metadata.json "" metadata
expect_eq "$(field metadata.json 'd["fhirVersion"], sorted(r["type"] for r in d["rest"][0]["resource"])')" \
  "4.0.1 ['CarePlan', 'CareTeam', 'Communication', 'HealthcareService', 'Organization', 'Patient', 'Provenance', 'ServiceRequest', 'Task']" \
  "what the CapabilityStatement lists"
# interactions TYPE: the interactions the CapabilityStatement lists for TYPE.
interactions() {
  field metadata.json "[sorted(i['code'] for i in r['interaction']) for r in d['rest'][0]['resource'] if r['type'] == '$1'][0]"
}
expect_eq "$(interactions ServiceRequest)" "['create', 'read', 'search-type', 'vread']" \
  "ServiceRequest: made by POST, read, searched"
expect_eq "$(field metadata.json "[r.get('conditionalCreate') for r in d['rest'][0]['resource'] if r['type'] == 'ServiceRequest'][0]")" \
  True "a conditional create (If-None-Exist)"
expect_eq "$(interactions Task)" "['patch', 'read', 'search-type', 'update', 'vread']" \
  "Task: moved by PUT or PATCH"
expect_eq "$(field metadata.json "[r['versioning'] for r in d['rest'][0]['resource'] if r['type'] == 'Task'][0]")" \
  versioned-update "Task updates take If-Match"
expect_eq "$(interactions CarePlan)" "['history-instance', 'read', 'vread']" \
  "CarePlan: read with its history"

step "Patient: read, by NHS number, by family name and birth date"
fhir_ok patient.json "$T_SAM" "Patient/$(id "$PERSON")"
expect_eq "$(field patient.json '[i["value"] for i in d["identifier"] if i["system"] == "https://fhir.nhs.uk/Id/nhs-number"][0], d["name"][0]["family"], d["name"][1]["given"][0], d["birthDate"]')" \
  "9434765919 Morgan Al 1990-04-12" "the Patient"
fhir_ok patients.json "$T_SAM" \
  "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"
expect_eq "$(field patients.json 'd["type"], d["total"], d["entry"][0]["resource"]["id"]')" \
  "searchset 1 $(id "$PERSON")" "Patient by NHS number"
fhir_ok patients2.json "$T_SAM" "Patient?family=morgan&birthdate=1990-04-12"
expect_eq "$(field patients2.json 'd["total"]')" 1 "Patient by name and birth date"

step "teams as Organization and HealthcareService, paged"
fhir_ok organization.json "$T_SAM" "Organization/$(id "$TO")"
fhir_ok service.json "$T_SAM" "HealthcareService/$(id "$TO")"
expect_eq "$(field service.json 'd["name"], d["providedBy"]["reference"]')" \
  "Crisis team Organization/$(id "$TO")" "the HealthcareService"
# A team that says everything a referrer reads, and has paused referrals:
# every element of its HealthcareService goes past the validator too.
PAUSED=$(as "$ADMIN" --name_only team create --display_name="Eating disorders service" \
  --sector=community_mental_health --accepting_referrals=false --routine=28d \
  --urgent=36h --crisis=4h --service_description="Assessment and family-based treatment" \
  --eligibility="Adults 18+ registered with a GP in the borough" \
  --contact="0300 555 0199 (weekdays 9-5)")
fhir_ok paused.json "$T_SAM" "HealthcareService/$(id "$PAUSED")"
expect_eq "$(field paused.json 'd["active"], d["availabilityExceptions"], d["extraDetails"], d["eligibility"][0]["comment"], d["telecom"][0]["value"], d["comment"]')" \
  "True Not accepting referrals now. Answers referrals within: crisis 4 hours, urgent 36 hours, routine 28 days. Not accepting referrals now. Adults 18+ registered with a GP in the borough 0300 555 0199 (weekdays 9-5) Assessment and family-based treatment" \
  "a team that paused referrals, as HealthcareService"
fhir_ok services1.json "$T_SAM" "HealthcareService?_count=2"
NEXT=$(field services1.json '[l["url"] for l in d["link"] if l["relation"] == "next"][0]')
expect_eq "$(field services1.json 'len(d["entry"])')" 2 "first page"
fhir_ok services2.json "$T_SAM" "${NEXT#"$HTTP/fhir/"}"
expect_eq "$(field services1.json '"total" in d') $(field services2.json 'len(d["entry"]), "total" in d')" \
  "False 2 False" "paged: no page claims a total it does not know"

step "a referral as ServiceRequest and Task"
fhir_ok request.json "$T_KIM" "ServiceRequest/$(id "$SENT")"
expect_eq "$(field request.json 'd["status"], d["priority"], d["subject"]["reference"], d["performer"][0]["reference"]')" \
  "active stat Patient/$(id "$PERSON") HealthcareService/$(id "$TO")" \
  "the ServiceRequest"
fhir_ok task.json "$T_KIM" "Task/$(id "$SENT")"
expect_eq "$(field task.json 'd["status"], d["businessStatus"]["text"], d["focus"]["reference"], d["owner"]["reference"]')" \
  "requested Sent ServiceRequest/$(id "$SENT") HealthcareService/$(id "$TO")" \
  "the Task"
fhir_ok declined.json "$T_SAM" "Task/$(id "$DECLINED")"
expect_eq "$(field declined.json 'd["status"], d["statusReason"]["text"], d["output"][0]["valueString"], d["output"][1]["valueReference"]["reference"]')" \
  "rejected Not a crisis need Local housing advice line HealthcareService/$(id "$OTHER")" \
  "the declined Task"
fhir_ok moved.json "$T_SAM" "Task/$(id "$MOVED")"
expect_eq "$(field moved.json 'd["status"], d["output"][0]["valueReference"]["reference"]')" \
  "cancelled Task/$(id "$NEW")" "the redirected Task links its successor"
fhir_ok successor.json "$T_SAM" "ServiceRequest/$(id "$NEW")"
expect_eq "$(field successor.json 'd["replaces"][0]["reference"]')" \
  "ServiceRequest/$(id "$MOVED")" "the successor replaces it"

step "the worklist: Task by owner and status, ServiceRequest by requester"
fhir_ok worklist.json "$T_KIM" \
  "Task?owner=HealthcareService/$(id "$TO")&status=requested"
expect_eq "$(field worklist.json '[e["resource"]["id"] for e in d["entry"]]')" \
  "['$(id "$SENT")']" "the crisis team's requested Tasks"
fhir_ok sent.json "$T_SAM" \
  "ServiceRequest?requester=Organization/$(id "$FROM")&patient=Patient/$(id "$PERSON")"
expect_eq "$(field sent.json 'd["total"]')" 4 \
  "the referrals North sent for Alex (the redirected one's successor too)"
fhir_ok recent.json "$T_KIM" \
  "Task?owner=HealthcareService/$(id "$TO")&_lastUpdated=ge2020-01-01&_lastUpdated=lt2099-01-01"
expect_eq "$(field recent.json 'd["total"]')" 3 "the crisis team's Tasks updated since 2020"
fhir_ok future.json "$T_KIM" "Task?owner=HealthcareService/$(id "$TO")&_lastUpdated=gt2099-01-01"
expect_eq "$(field future.json 'd["total"]')" 0 "none updated after 2099"
fhir_ok elsewhere.json "$T_KIM" "Task?owner=HealthcareService/$(id "$FROM")"
expect_eq "$(field elsewhere.json 'd["total"]')" 0 "another team's worklist"

step "errors are OperationOutcomes with the HTTP status"
# expect_outcome FILE STATUS CODE TOKEN PATH
expect_outcome() {
  local status
  status=$(get "$1" "$4" "$5")
  expect_eq "$status" "$2" "HTTP status of GET $5"
  expect_eq "$(field "$1" 'd["resourceType"], d["issue"][0]["code"]')" \
    "OperationOutcome $3" "the outcome of GET $5"
}
expect_outcome e401.json 401 login "" "Patient/$(id "$PERSON")"
expect_outcome e403.json 403 forbidden "$ADMIN" "Task/$(id "$SENT")"
expect_outcome e404.json 404 not-found "$T_SAM" "Patient/nosuchperson"
expect_outcome e400.json 400 invalid "$T_SAM" "Task?owner=HealthcareService/x&colour=red"
expect_outcome e400b.json 400 invalid "$T_SAM" "Task?status=requested"
expect_outcome e400c.json 400 invalid "$T_KIM" "Task?owner=HealthcareService/$(id "$TO")&_lastUpdated=yesterday"
expect_outcome e404b.json 404 not-found "$T_SAM" "Observation/o1"
expect_outcome e404c.json 404 not-found "$T_SAM" "Patient/$(id "$PERSON")/_history"
expect_outcome e404d.json 404 not-found "$T_SAM" "Task/not_an_id!"
# A body over the server's 4 MiB limit is refused before it is read.
head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' x >"$WORK/huge.body"
status=$(curl -s -o "$OUT/e413.json" -w '%{http_code}' -X POST \
  -H "Authorization: Bearer $T_SAM" -H "Content-Type: application/fhir+json" \
  --data-binary @"$WORK/huge.body" "$HTTP/fhir/ServiceRequest")
expect_eq "$status" 413 "a body over 4 MiB"
expect_eq "$(field e413.json 'd["resourceType"], d["issue"][0]["code"]')" \
  "OperationOutcome invalid" "the outcome of a body too large"
status=$(curl -s -o "$OUT/e405.json" -w '%{http_code}' -X DELETE \
  -H "Authorization: Bearer $T_SAM" "$HTTP/fhir/Patient/$(id "$PERSON")")
expect_eq "$status" 405 "DELETE is not offered"

step "the care plan, its history and provenance, the care team"
as "$T_SAM" careplan update "$PERSON" --reason="First plan with Alex" \
  --what_helps="Her sister Jo; walking the dog" --early_warning_signs="Stops eating" \
  --crisis_contact="Jo Morgan|sister|07700 900123|any time" \
  --contact_methods=phone_call,text_message --review_date=2027-03-01 \
  --add_goal="Back to work part-time" --goal_target_date=2027-06-30 \
  --add_action="Weekly check-in call|$FROM|2027-01-15" >/dev/null
ETAG=$(as "$T_SAM" --json careplan show "$PERSON" | py 'd["etag"]')
as "$T_SAM" careplan update "$PERSON" --etag="$ETAG" \
  --reason="Alex asked to add what to avoid" --what_to_avoid="Loud places" >/dev/null
PID=$(id "$PERSON")
fhir_ok careplan.json "$T_SAM" "CarePlan/$PID"
expect_eq "$(field careplan.json 'd["meta"]["versionId"], d["subject"]["reference"], d["contained"][0]["description"]["text"], d["activity"][0]["detail"]["performer"][0]["reference"]')" \
  "2 Patient/$PID Back to work part-time HealthcareService/$(id "$FROM")" \
  "the CarePlan"
# (Read whole, then matched: grep -q stopping early would break the pipe.)
case "$(field careplan.json '"\n".join(n["text"] for n in d["note"])')" in
  *"Crisis plan: what helps: Her sister Jo"*) ;;
  *) fail "the crisis plan is in the CarePlan" ;;
esac
fhir_ok careteam.json "$T_SAM" "CareTeam/$PID"
expect_eq "$(field careteam.json 'd["participant"][0]["role"][0]["text"], d["managingOrganization"][0]["reference"]')" \
  "Lead team: care coordination Organization/$(id "$FROM")" "the CareTeam"
fhir_ok history.json "$T_SAM" "CarePlan/$PID/_history"
expect_eq "$(field history.json 'd["type"], [e["resource"]["meta"]["versionId"] for e in d["entry"]], [e["request"]["method"] for e in d["entry"]]')" \
  "history ['2', '1'] ['PUT', 'POST']" "the plan's history"
fhir_ok version1.json "$T_SAM" "CarePlan/$PID/_history/1"
expect_eq "$(field version1.json 'd["meta"]["versionId"]')" 1 "version 1"
fhir_ok provenance.json "$T_SAM" "Provenance?target=CarePlan/$PID"
expect_eq "$(field provenance.json '[e["resource"]["reason"][0]["text"] for e in d["entry"]]')" \
  "['Alex asked to add what to avoid', 'First plan with Alex']" "who changed the plan and why"
expect_eq "$(field provenance.json 'd["entry"][0]["resource"]["agent"][0]["onBehalfOf"]["reference"]')" \
  "Organization/$(id "$FROM")" "on behalf of the team"

step "a plan at full size: 20 goals and 20 actions of nearly 2,000 characters (their limit), a 4,000-character crisis plan field"
LONG=$(printf 'x%.0s' $(seq 2000))
BIG=()
for i in $(seq 19); do BIG+=(--add_goal="Goal $i: ${LONG:0:1990}"); done
for i in $(seq 19); do BIG+=(--add_action="Action $i: ${LONG:0:1900}|$FROM|2027-02-01"); done
ETAG=$(as "$T_SAM" --json careplan show "$PERSON" | py 'd["etag"]')
as "$T_SAM" careplan update "$PERSON" --etag="$ETAG" --reason="The whole plan" \
  --advance_statements="$(printf 'y%.0s' $(seq 4000))" "${BIG[@]}" >/dev/null
fhir_ok bigplan.json "$T_SAM" "CarePlan/$PID"
expect_eq "$(field bigplan.json 'len(d["contained"]), len(d["activity"]), max(len(n["text"]) for n in d["note"])')" \
  "20 20 4033" "the full plan as FHIR"

step "a handover as Communication, and the person's \$everything"
H=$(as "$T_SAM" --name_only handover create --person="$PERSON" --to="$TO" \
  --kind=transfer --urgency=urgent --severity=unstable \
  --situation="Alex is in crisis after an eviction notice" \
  --assessment="Risk of self-harm; Jo helps" \
  --recommendation="Home treatment for two weeks" \
  --action="Daily visits|$TO|" --contingency="If Alex stops answering|Call Jo")
as "$T_KIM" handover accept "$H" --summary="Alex in crisis; Jo helps" \
  --taking_on="Daily visits" >/dev/null
fhir_ok communication.json "$T_KIM" "Communication/$(id "$H")"
expect_eq "$(field communication.json 'd["status"], d["payload"][0]["contentString"], d["note"][0]["text"]')" \
  "completed Situation: Alex is in crisis after an eviction notice Read back: Alex in crisis; Jo helps" \
  "the handover"
fhir_ok handovers.json "$T_KIM" "Communication?recipient=HealthcareService/$(id "$TO")"
expect_eq "$(field handovers.json 'd["total"]')" 1 "the crisis team's handovers"
fhir_ok everything.json "$T_SAM" "Patient/$PID/\$everything"
expect_eq "$(field everything.json 'sorted(set(e["resource"]["resourceType"] for e in d["entry"]))')" \
  "['CarePlan', 'CareTeam', 'Communication', 'Patient', 'ServiceRequest', 'Task']" \
  "everything about Alex that North may see"

step "an EHR refers in: POST ServiceRequest, retried safely"
# send FILE TOKEN METHOD PATH CONTENT_TYPE BODY [HEADER...]: the request's
# HTTP status; the reply in $OUT/FILE, its headers in $OUT/FILE.headers.
send() {
  local file=$1 token=$2 method=$3 path=$4 type=$5 body=$6
  shift 6
  local extra=() h
  for h in "$@"; do extra+=(-H "$h"); done
  curl -s -o "$OUT/$file" -D "$OUT/$file.headers" -w '%{http_code}' \
    -X "$method" -H "Authorization: Bearer $token" -H "Content-Type: $type" \
    "${extra[@]}" --data-binary "$body" "$HTTP/fhir/$path"
}
SR=$(cat <<JSON
{"resourceType":"ServiceRequest","status":"active","intent":"order",
 "priority":"urgent","subject":{"reference":"Patient/$(id "$PERSON")"},
 "performer":[{"reference":"HealthcareService/$(id "$TO")"}],
 "reasonCode":[{"text":"Discharged from the ward; needs follow-up in 72h"}],
 "note":[{"text":"Would rather be seen at home"}],
 "authoredOn":"2026-12-06T09:00:00Z"}
JSON
)
SENT_BEFORE=$(get count.json "$T_SAM" "ServiceRequest?requester=Organization/$(id "$FROM")" >/dev/null; field count.json 'd["total"]')
LONG_SR=$(cat <<JSON
{"resourceType":"ServiceRequest","intent":"order","priority":"routine",
 "subject":{"reference":"Patient/$(id "$PERSON")"},
 "performer":[{"reference":"HealthcareService/$(id "$TO")"}],
 "reasonCode":[{"text":"$(printf 'r%.0s' $(seq 4000))"}],
 "note":[{"text":"$(printf 'w%.0s' $(seq 4000))"}]}
JSON
)
expect_eq "$(send longest.json "$T_SAM" POST ServiceRequest application/fhir+json "$LONG_SR")" \
  201 "a referral with the longest reason and wishes"
expect_eq "$(field longest.json 'len(d["reasonCode"][0]["text"])')" 4000 "the whole reason"
TOO_LONG=${LONG_SR/\"reasonCode\":\[\{\"text\":\"/\"reasonCode\":[{\"text\":\"r}
expect_eq "$(send toolong.json "$T_SAM" POST ServiceRequest application/fhir+json "$TOO_LONG")" \
  400 "a reason of 4,001 characters"
expect_eq "$(send created.json "$T_SAM" POST ServiceRequest application/fhir+json "$SR" "X-Request-ID: ehr-42")" \
  201 "POST ServiceRequest"
CREATED=$(field created.json 'd["id"]')
LOCATION=$(tr -d '\r' <"$OUT/created.json.headers" | sed -n 's/^[Ll]ocation: //p')
case "$LOCATION" in
  "$HTTP/fhir/ServiceRequest/$CREATED/_history/"*) ;;
  *) fail "no Location for the new ServiceRequest: '$LOCATION'" ;;
esac
fhir_ok located.json "$T_SAM" "${LOCATION#"$HTTP/fhir/"}"
expect_eq "$(field located.json 'd["id"]')" "$CREATED" "the Location reads the referral (vread)"
expect_outcome e404e.json 404 not-found "$T_SAM" "ServiceRequest/$CREATED/_history/0"
expect_eq "$(field created.json 'd["status"], d["priority"], d["requester"]["reference"], d["note"][0]["text"]')" \
  "active urgent Organization/$(id "$FROM") What the person wants: Would rather be seen at home" \
  "the referral made from the ServiceRequest"
expect_eq "$(send retried.json "$T_SAM" POST ServiceRequest application/fhir+json "$SR" "X-Request-ID: ehr-42")" \
  201 "the retry"
expect_eq "$(field retried.json 'd["id"]')" "$CREATED" "a retry makes no second referral"
# Each attempt with its own X-Request-ID (as NHS APIs ask), the same
# If-None-Exist: the identifier decides. FHIR's conditional create: the
# first makes the referral (201), the replay finds it (200) and makes none.
expect_eq "$(send conditional.json "$T_SAM" POST ServiceRequest application/fhir+json "$SR" \
  "If-None-Exist: identifier=https://ehr.example/orders|42" "X-Request-ID: try-1")" \
  201 "a conditional create that matches nothing"
expect_eq "$(send conditional2.json "$T_SAM" POST ServiceRequest application/fhir+json "$SR" \
  "If-None-Exist: identifier=https://ehr.example/orders|42" "X-Request-ID: try-2")" \
  200 "the same conditional create again: it matches the first"
expect_eq "$(field conditional2.json 'd["id"]')" "$(field conditional.json 'd["id"]')" \
  "If-None-Exist makes one referral"
fhir_ok newtask.json "$T_KIM" "Task/$CREATED"
expect_eq "$(field newtask.json 'd["status"]')" requested "its Task"

step "bad ServiceRequests are OperationOutcomes and store nothing"
# bad FILE STATUS TEXT BODY [CONTENT_TYPE]
bad() {
  expect_eq "$(send "$1" "$T_SAM" POST ServiceRequest "${5:-application/fhir+json}" "$4")" \
    "$2" "HTTP status of $1"
  case "$(field "$1" 'd["issue"][0]["diagnostics"]')" in
    *"$3"*) ;;
    *) fail "$1: expected '$3' in: $(cat "$OUT/$1")" ;;
  esac
}
bad bad-json.json 400 "not a JSON object" '{"resourceType":'
bad bad-type.json 400 "resourceType must be ServiceRequest" '{"resourceType":"Patient"}'
bad bad-element.json 400 "ServiceRequest.colour is not supported" \
  "${SR%\}}, \"colour\":\"red\"}"
bad bad-subject.json 400 "ServiceRequest.subject: required" \
  '{"resourceType":"ServiceRequest","intent":"order","priority":"routine","performer":[{"reference":"HealthcareService/x"}],"reasonCode":[{"text":"x"}]}'
bad bad-performer.json 400 "ServiceRequest.performer: required" \
  "{\"resourceType\":\"ServiceRequest\",\"intent\":\"order\",\"priority\":\"routine\",\"subject\":{\"reference\":\"Patient/$(id "$PERSON")\"},\"reasonCode\":[{\"text\":\"x\"}]}"
bad bad-team.json 404 "teams/nosuchteam" \
  "{\"resourceType\":\"ServiceRequest\",\"intent\":\"order\",\"priority\":\"routine\",\"subject\":{\"reference\":\"Patient/$(id "$PERSON")\"},\"performer\":[{\"reference\":\"HealthcareService/nosuchteam\"}],\"reasonCode\":[{\"text\":\"x\"}]}"
bad bad-identifier.json 400 "ServiceRequest.identifier[0].system: required" \
  "${SR%\}}, \"identifier\":[{\"value\":\"7\"}]}"
bad bad-identifier2.json 400 "ServiceRequest.identifier[0].system: a URI, without" \
  "${SR%\}}, \"identifier\":[{\"system\":\"urn:a b\",\"value\":\"7\"}]}"
bad bad-ctype.json 415 "Content-Type must be application/fhir+json" "$SR" text/plain
expect_eq "$(send bad-kind.json "$T_SAM" POST Patient application/fhir+json '{}')" 405 \
  "POST Patient"
get count.json "$T_SAM" "ServiceRequest?requester=Organization/$(id "$FROM")" >/dev/null
expect_eq "$(field count.json 'd["total"]')" "$((SENT_BEFORE + 3))" \
  "only the three good POSTs made referrals"

step "conditional create: the sending system's identifier, kept, searched, matched"
# header FILE NAME: the value of response header NAME saved with FILE.
header() {
  tr -d '\r' <"$OUT/$1.headers" | sed -n "s/^$2: //Ip"
}
# written FILE: the reply's Location, ETag and Last-Modified must name the
# ServiceRequest in it: its version, and when it last changed.
written() {
  local id version modified
  id=$(field "$1" 'd["id"]')
  version=$(field "$1" 'd["meta"]["versionId"]')
  expect_eq "$(header "$1" Location)" \
    "$HTTP/fhir/ServiceRequest/$id/_history/$version" "the Location of $1"
  expect_eq "$(header "$1" ETag)" "W/\"$version\"" "the ETag of $1"
  modified=$(header "$1" Last-Modified)
  expect_eq "$(/usr/bin/python3 -c 'import email.utils, sys
print(email.utils.parsedate_to_datetime(sys.argv[1]).strftime("%Y-%m-%dT%H:%M:%S"))' \
    "$modified" 2>/dev/null)" \
    "$(field "$1" 'd["meta"]["lastUpdated"][:19]')" \
    "the Last-Modified of $1 ('$modified')"
}
written conditional.json
written conditional2.json
ORDER42=$(field conditional.json 'd["id"]')
expect_eq "$(field conditional.json 'd["identifier"]')" \
  "[{'system': 'https://ehr.example/orders', 'value': '42'}]" \
  "the If-None-Exist identifier is the new ServiceRequest's"
fhir_ok order42.json "$T_SAM" "ServiceRequest/$ORDER42"
expect_eq "$(field order42.json 'd["identifier"]')" \
  "[{'system': 'https://ehr.example/orders', 'value': '42'}]" \
  "the identifier, read back"
fhir_ok by-identifier.json "$T_SAM" \
  "ServiceRequest?identifier=https%3A%2F%2Fehr.example%2Forders%7C42"
expect_eq "$(field by-identifier.json 'd["total"], [e["resource"]["id"] for e in d["entry"]]')" \
  "1 ['$ORDER42']" "ServiceRequest by identifier"
fhir_ok by-identifier2.json "$T_KIM" \
  "ServiceRequest?performer=HealthcareService/$(id "$TO")&identifier=https://ehr.example/orders|42"
expect_eq "$(field by-identifier2.json 'd["total"]')" 1 \
  "the receiving team finds it by the sender's identifier too"
fhir_ok by-identifier3.json "$T_SAM" "ServiceRequest?identifier=https://ehr.example/orders|41"
expect_eq "$(field by-identifier3.json 'd["total"]')" 0 "another identifier finds none"
# Percent-encoded, as a query string is: the same identifier.
expect_eq "$(send encoded.json "$T_SAM" POST ServiceRequest application/fhir+json "$SR" \
  "If-None-Exist: identifier=https%3A%2F%2Fehr.example%2Forders%7C42")" \
  200 "an encoded If-None-Exist matches the decoded one"
expect_eq "$(field encoded.json 'd["id"]')" "$ORDER42" "the same referral"
written encoded.json
# Made by a plain POST with the identifier in its body: matched all the same.
WITH_ID=${SR%\}}', "identifier":[{"use":"official","system":"https://ehr.example/orders","value":"43"}]}'
expect_eq "$(send plain43.json "$T_SAM" POST ServiceRequest application/fhir+json "$WITH_ID")" \
  201 "a ServiceRequest with an identifier in its body"
expect_eq "$(send conditional43.json "$T_SAM" POST ServiceRequest application/fhir+json "$SR" \
  "If-None-Exist: identifier=https://ehr.example/orders|43")" \
  200 "a conditional create finds what a plain POST made"
expect_eq "$(field conditional43.json 'd["id"]')" "$(field plain43.json 'd["id"]')" \
  "the plain POST's referral"
# Two referrals with one identifier (nothing stops a plain POST): a
# conditional create cannot choose, 412.
WITH_46=${SR%\}}', "identifier":[{"system":"https://ehr.example/orders","value":"46"}]}'
send dup46a.json "$T_SAM" POST ServiceRequest application/fhir+json "$WITH_46" >/dev/null
send dup46b.json "$T_SAM" POST ServiceRequest application/fhir+json "$WITH_46" >/dev/null
get count.json "$T_SAM" "ServiceRequest?requester=Organization/$(id "$FROM")" >/dev/null
MADE=$(field count.json 'd["total"]')
expect_eq "$(send several.json "$T_SAM" POST ServiceRequest application/fhir+json "$SR" \
  "If-None-Exist: identifier=https://ehr.example/orders|46")" \
  412 "a conditional create matching two referrals"
case "$(field several.json 'd["issue"][0]["diagnostics"]')" in
  *"If-None-Exist: identifier \`https://ehr.example/orders|46\` matches more than one"*) ;;
  *) fail "the 412 says why: $(cat "$OUT/several.json")" ;;
esac
# Refused, storing nothing: a malformed escape, an identifier the body does
# not carry, a search that is not an identifier's.
bad_conditional() {
  expect_eq "$(send "$1" "$T_SAM" POST ServiceRequest application/fhir+json "$3" \
    "If-None-Exist: $2")" 400 "If-None-Exist: $2"
  case "$(field "$1" 'd["resourceType"], d["issue"][0]["diagnostics"]')" in
    "OperationOutcome If-None-Exist: "*) ;;
    *) fail "$1 names If-None-Exist: $(cat "$OUT/$1")" ;;
  esac
}
bad_conditional bad-escape.json "identifier=https://ehr.example/orders|4%2" "$SR"
bad_conditional bad-escape2.json "identifier=https%3A%2F%2Fehr.example%2Forders%7C%ZZ" "$SR"
bad_conditional bad-disagree.json "identifier=https://ehr.example/orders|45" "$WITH_ID"
bad_conditional bad-search.json "status=active" "$SR"
bad_conditional bad-nosystem.json "identifier=45" "$SR"
get count.json "$T_SAM" "ServiceRequest?requester=Organization/$(id "$FROM")" >/dev/null
expect_eq "$(field count.json 'd["total"]')" "$MADE" \
  "the refused conditional creates made nothing"

step "the receiving team answers: PATCH and PUT Task through the state machine"
PATCH_RECEIVED='[{"op":"replace","path":"/status","value":"received"}]'
expect_eq "$(send received.json "$T_KIM" PATCH "Task/$CREATED" application/json-patch+json "$PATCH_RECEIVED")" \
  200 "PATCH Task received"
expect_eq "$(field received.json 'd["status"], d["businessStatus"]["text"]')" \
  "received Acknowledged" "acknowledged"
STALE=$(field newtask.json 'd["meta"]["versionId"]')
PATCH_ACCEPTED='[{"op":"replace","path":"/status","value":"accepted"}]'
expect_eq "$(send stale.json "$T_KIM" PATCH "Task/$CREATED" application/json-patch+json "$PATCH_ACCEPTED" "If-Match: W/\"$STALE\"")" \
  412 "a stale If-Match"
FRESH=$(field received.json 'd["meta"]["versionId"]')
# The whole Task back, rejected, but without saying why.
REJECT=$(/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); d["status"] = "rejected"; print(json.dumps(d))' \
  "$OUT/received.json")
expect_eq "$(send noreason.json "$T_KIM" PUT "Task/$CREATED" application/fhir+json "$REJECT")" \
  400 "a decline without its reason"
case "$(field noreason.json 'd["issue"][0]["diagnostics"]')" in
  *"Task.statusReason.text: must be set"*) ;;
  *) fail "the decline's missing reason is named: $(cat "$OUT/noreason.json")" ;;
esac
expect_eq "$(send accepted.json "$T_KIM" PATCH "Task/$CREATED" application/json-patch+json "$PATCH_ACCEPTED" "If-Match: W/\"$FRESH\"")" \
  200 "PATCH Task accepted"
expect_eq "$(field accepted.json 'd["status"]')" accepted "accepted"
expect_eq "$(send backwards.json "$T_KIM" PATCH "Task/$CREATED" application/json-patch+json '[{"op":"replace","path":"/status","value":"requested"}]')" \
  400 "a step backwards"
DEEP="[{\"op\":\"add\",\"path\":\"/note\",\"value\":$(printf '[%.0s' $(seq 100))$(printf ']%.0s' $(seq 100))}]"
expect_eq "$(send deep.json "$T_KIM" PATCH "Task/$CREATED" application/json-patch+json "$DEEP")" \
  400 "a body nested 100 deep"
expect_eq "$(send owner.json "$T_KIM" PATCH "Task/$CREATED" application/json-patch+json '[{"op":"replace","path":"/owner","value":{"reference":"HealthcareService/x"}}]')" \
  400 "changing the owner"
# A PUT that changes anything but the step is refused, not half applied.
MOVE_OWNER=$(/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); d["status"] = "completed"
d["owner"] = {"reference": "HealthcareService/elsewhere"}; print(json.dumps(d))' \
  "$OUT/accepted.json")
expect_eq "$(send putowner.json "$T_KIM" PUT "Task/$CREATED" application/fhir+json "$MOVE_OWNER")" \
  400 "a PUT moving the Task to another owner"
case "$(field putowner.json 'd["issue"][0]["diagnostics"]')" in
  *"Task.owner: differs from the stored Task"*) ;;
  *) fail "the changed element is named: $(cat "$OUT/putowner.json")" ;;
esac
expect_eq "$(send noteonly.json "$T_KIM" PATCH "Task/$CREATED" application/json-patch+json '[{"op":"add","path":"/note","value":[{"text":"Seen today"}]}]')" \
  400 "a note without a step"
fhir_ok unmoved.json "$T_KIM" "Task/$CREATED"
expect_eq "$(field unmoved.json 'd["status"], d["owner"]["reference"], d["meta"]["versionId"]')" \
  "accepted HealthcareService/$(id "$TO") $(field accepted.json 'd["meta"]["versionId"]')" \
  "the refused writes changed nothing"
expect_eq "$(send same.json "$T_KIM" PUT "Task/$CREATED" application/fhir+json "$(cat "$OUT/accepted.json")" "If-Match: W/\"$STALE\"")" \
  412 "a PUT of the Task as read, at a stale version"
expect_eq "$(send same2.json "$T_KIM" PUT "Task/$CREATED" application/fhir+json "$(cat "$OUT/accepted.json")")" \
  200 "a PUT of the Task as read: nothing to do"

step "every answer through FHIR: complete, decline with an onward route, withdraw"
DONE=$(/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); d["status"] = "completed"
d["note"] = [{"text": "Seen for six weeks; discharged to the GP"}]; print(json.dumps(d))' \
  "$OUT/accepted.json")
expect_eq "$(send accepted-out.json "$T_KIM" PUT "Task/$CREATED" application/fhir+json "$(/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); d["status"] = "completed"
d["output"] = [{"type": {"text": "x"}, "valueString": "Talking therapies"}]; print(json.dumps(d))' "$OUT/accepted.json")")" \
  400 "an onward route with a step other than a decline"
# From a copy read two steps ago (its businessStatus out of date), with
# If-Match: the precondition fails first.
expect_eq "$(send oldcopy.json "$T_KIM" PUT "Task/$CREATED" application/fhir+json "$(/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); d["status"] = "completed"; print(json.dumps(d))' "$OUT/received.json")" "If-Match: W/\"$FRESH\"")" \
  412 "a PUT from an out-of-date copy"
expect_eq "$(send completed.json "$T_KIM" PUT "Task/$CREATED" application/fhir+json "$DONE")" \
  200 "PUT Task completed"
# The response was lost; the EHR sends the same PUT again: the step is
# done already, nothing changes.
expect_eq "$(send completed-again.json "$T_KIM" PUT "Task/$CREATED" application/fhir+json "$DONE")" \
  200 "the same PUT again"
expect_eq "$(field completed-again.json 'd["status"], d["meta"]["versionId"]')" \
  "completed $(field completed.json 'd["meta"]["versionId"]')" "one completion"
expect_eq "$(field completed.json 'd["status"], d["businessStatus"]["text"]')" \
  "completed Completed" "completed"
TO_DECLINE=$(as "$T_SAM" --name_only referral create --person="$PERSON" --to="$TO" \
  --urgency=routine --reason="Low mood since the winter")
TO_WITHDRAW=$(as "$T_SAM" --name_only referral create --person="$PERSON" --to="$TO" \
  --urgency=routine --reason="Help with benefits forms")
DECLINE="[{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"rejected\"},
 {\"op\":\"add\",\"path\":\"/statusReason\",\"value\":{\"text\":\"Not a crisis need\"}},
 {\"op\":\"add\",\"path\":\"/output\",\"value\":[
   {\"type\":{\"text\":\"Signposting\"},\"valueString\":\"Talking therapies self-referral\"},
   {\"type\":{\"text\":\"Suggested team\"},\"valueReference\":{\"reference\":\"HealthcareService/$(id "$OTHER")\"}}]}]"
expect_eq "$(send rejected.json "$T_KIM" PATCH "Task/$(id "$TO_DECLINE")" application/json-patch+json "$DECLINE")" \
  200 "PATCH Task rejected with an onward route"
expect_eq "$(send rejected-again.json "$T_KIM" PATCH "Task/$(id "$TO_DECLINE")" application/json-patch+json "$DECLINE")" \
  200 "the same decline again (its reason and onward route as the Task shows them)"
fhir_ok rejected2.json "$T_SAM" "Task/$(id "$TO_DECLINE")"
expect_eq "$(field rejected2.json 'd["status"], d["statusReason"]["text"], d["output"][0]["valueString"], d["output"][1]["valueReference"]["reference"]')" \
  "rejected Not a crisis need Talking therapies self-referral HealthcareService/$(id "$OTHER")" \
  "the decline, its reason and onward route, read back by the sending team"
WITHDRAW='[{"op":"replace","path":"/status","value":"cancelled"},{"op":"add","path":"/statusReason","value":{"text":"Alex found help elsewhere"}}]'
expect_eq "$(send withdrawn.json "$T_SAM" PATCH "Task/$(id "$TO_WITHDRAW")" application/json-patch+json "$WITHDRAW")" \
  200 "PATCH Task cancelled by the sending team"
expect_eq "$(field withdrawn.json 'd["status"], d["statusReason"]["text"]')" \
  "cancelled Alex found help elsewhere" "withdrawn, with why"
rm -f "$OUT"/*.headers

step "an independent FHIR validator accepts every resource and outcome"
node "$FHIR_DIR/validate.js" "$OUT"/*.json || fail "FHIR validation"
echo "PASS"
