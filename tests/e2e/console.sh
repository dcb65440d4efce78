#!/usr/bin/env bash
# The web console in a real browser, end to end: carebridge-server with its
# HTTP listener, a care network made with carectl (three teams, a clinician
# in two of them, a person), then tests/console/story.mjs drives Debian's
# chromium (puppeteer-core, installed by tests/run_all.sh) through the
# README walk-through's story: refer, decline with an onward route, accept,
# plan with the person (and a stale edit), agreement, handover with
# read-back, the team report, the person's own view; axe-core checks every
# page (WCAG 2.1 AA) and it saves screenshots.
# usage: console.sh SERVER_BIN CARECTL_BIN [SCREENSHOT_DIR]

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
CONSOLE_TESTS=$(cd "$(dirname "$0")/../console" && pwd)
[ -d "$CONSOLE_TESTS/node_modules/puppeteer-core" ] ||
  fail "puppeteer-core is not installed: npm ci --prefix $CONSOLE_TESTS"
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
[ -n "$CHROMIUM" ] || fail "chromium is not installed: apt-get install chromium"
SHOTS=${3:-$WORK/screenshots}
mkdir -p "$SHOTS"

step "a server with the HTTP listener"
start_server --http_listen=127.0.0.1:0 --http_port_file="$WORK/http.port"
HTTP=http://127.0.0.1:$(cat "$WORK/http.port")
ADMIN=$(cat "$DATA/bootstrap-admin.token")

step "a care network: North CMHT (Sam), Crisis team (Kim), a voluntary service"
care_network --nhs_number="943 476 5919"
VOLUNTARY=$(as "$ADMIN" --name_only team create --display_name="Safe Haven" \
  --sector=voluntary_sector --eligibility="Adults in distress, evenings and weekends; no referral needed" \
  --service_description="A calm place to talk, 6pm to midnight")

step "the story in chromium"
cat >"$WORK/console.json" <<JSON
{
  "http": "$HTTP",
  "chromium": "$CHROMIUM",
  "screenshots": "$SHOTS",
  "tokens": { "sam": "$T_SAM", "kim": "$T_KIM" },
  "teams": { "north": "$FROM", "crisis": "$TO", "voluntary": "$VOLUNTARY" },
  "person": "$PERSON",
  "nhsNumber": "9434765919"
}
JSON
node "$CONSOLE_TESTS/story.mjs" "$WORK/console.json" ||
  fail "the console story failed"
echo "PASS: the console story; screenshots in $SHOTS"
