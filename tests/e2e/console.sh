#!/usr/bin/env bash
# The web console in a real browser, end to end: carebridge-server with its
# HTTP listener, a care network made with carectl (three teams, a clinician
# in two of them, a person), then tests/console/story.mjs drives Debian's
# chromium (puppeteer-core, installed by tests/run_all.sh) through the
# README walk-through's story: refer, decline with an onward route, accept,
# plan with the person (and a stale edit), agreement, handover with
# read-back, the team report, the person's own view; axe-core checks every
# page (WCAG 2.1 AA) and it saves screenshots. carebridge-test-idp stands in
# for the organisation's identity provider, so a clinician also signs in
# through it from the browser.
# usage: console.sh SERVER_BIN CARECTL_BIN IDP_BIN [SCREENSHOT_DIR]

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
CONSOLE_TESTS=$(cd "$(dirname "$0")/../console" && pwd)
[ -d "$CONSOLE_TESTS/node_modules/puppeteer-core" ] ||
  fail "puppeteer-core is not installed: npm ci --prefix $CONSOLE_TESTS"
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
[ -n "$CHROMIUM" ] || fail "chromium is not installed: apt-get install chromium"
IDP_BIN=${3:?usage: $0 SERVER_BIN CARECTL_BIN IDP_BIN [SCREENSHOT_DIR]}
SHOTS=${4:-$WORK/screenshots}
mkdir -p "$SHOTS"

step "the identity provider (carebridge-test-idp) signs in priya@crisis.example"
ISSUER=https://login.trust.example
"$IDP_BIN" keygen --key="$WORK/idp.pem"
"$IDP_BIN" jwks --key="$WORK/idp.pem" --kid=idp-1 >"$WORK/idp-jwks.json"
"$IDP_BIN" serve --key="$WORK/idp.pem" --kid=idp-1 --issuer="$ISSUER" \
  --audience=carebridge-console --email=priya@crisis.example \
  --port_file="$WORK/idp.port" >>"$WORK/server.log" 2>&1 &
STARTED_PIDS+=("$!")
wait_until 10 "the identity provider serving" test -s "$WORK/idp.port"
IDP=http://127.0.0.1:$(cat "$WORK/idp.port")

step "a server with the HTTP listener and sign-in with the provider"
start_server --http_listen=127.0.0.1:0 --http_port_file="$WORK/http.port" \
  --oidc_issuer="$ISSUER" --oidc_audience=carebridge-console \
  --oidc_jwks_file="$WORK/idp-jwks.json" \
  --oidc_authorization_endpoint="$IDP/authorize"
HTTP=http://127.0.0.1:$(cat "$WORK/http.port")
ADMIN=$(cat "$DATA/bootstrap-admin.token")

step "a care network: North CMHT (Sam), Crisis team (Kim), a voluntary service"
care_network --nhs_number="943 476 5919"
VOLUNTARY=$(as "$ADMIN" --name_only team create --display_name="Safe Haven" \
  --sector=voluntary_sector --eligibility="Adults in distress, evenings and weekends; no referral needed" \
  --service_description="A calm place to talk, 6pm to midnight")

as "$(manager_of "$TO")" member create --display_name="Priya" --team="$TO" \
  --role=care_coordinator --email=priya@crisis.example >/dev/null

step "the story in chromium"
cat >"$WORK/console.json" <<JSON
{
  "http": "$HTTP",
  "chromium": "$CHROMIUM",
  "screenshots": "$SHOTS",
  "tokens": { "sam": "$T_SAM", "kim": "$T_KIM", "admin": "$ADMIN" },
  "teams": { "north": "$FROM", "crisis": "$TO", "voluntary": "$VOLUNTARY" },
  "person": "$PERSON",
  "nhsNumber": "9434765919"
}
JSON
node "$CONSOLE_TESTS/story.mjs" "$WORK/console.json" ||
  fail "the console story failed"
echo "PASS: the console story; screenshots in $SHOTS"
