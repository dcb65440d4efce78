#!/usr/bin/env bash
# Sign-in with the organisation's identity provider, end to end, in a split
# deployment (directory and referral services in processes of their own):
# carebridge-test-idp stands in for the provider, making its key, its key
# set (the file the admin points --oidc_jwks_file to) and access tokens for
# a member's email. Nobody is handed a carebridge token but the bootstrap
# admin: the manager and the clinician sign in with the provider. Their
# directory role decides what they may do, a deactivation ends their
# sign-in in every process, and a rotated provider key is picked up from
# the replaced key set file.
# usage: oidc_sign_in.sh SERVER_BIN CARECTL_BIN TEST_IDP_BIN

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
IDP_BIN=${3:?usage: $0 SERVER_BIN CARECTL_BIN TEST_IDP_BIN}
ISSUER=https://login.trust.example
AUDIENCE=carebridge

# signin EMAIL [KID]: the provider's access token for EMAIL.
signin() {
  local kid=${2:-trust-1}
  "$IDP_BIN" sign --key="$WORK/$kid.pem" --kid="$kid" --issuer="$ISSUER" \
    --audience="$AUDIENCE" --email="$1"
}

step "the identity provider's key and key set"
"$IDP_BIN" keygen --key="$WORK/trust-1.pem"
"$IDP_BIN" keygen --key="$WORK/trust-2.pem" --ec
"$IDP_BIN" jwks --key="$WORK/trust-1.pem" --kid=trust-1 >"$WORK/idp-jwks.json"
OIDC=(--oidc_issuer="$ISSUER" --oidc_audience="$AUDIENCE"
  --oidc_jwks_file="$WORK/idp-jwks.json" --token_keys_reload_interval=1s)

step "a split deployment that accepts the provider's tokens"
start_named directory --services=directory "${OIDC[@]}"
DIRECTORY=$LAST_ADDR
start_named referral --services=referral --directory_address="$DIRECTORY" \
  "${OIDC[@]}"
REFERRAL=$LAST_ADDR
ADMIN=$(cat "$WORK/directory/bootstrap-admin.token")
ADDR=$DIRECTORY
[ "$(grep -c "sign-in with the identity provider $ISSUER" "$WORK/server.log")" -eq 2 ] ||
  fail "both processes should say they accept the provider's tokens"

step "the admin appoints the team's manager by email; the manager signs in"
TEAM=$(as "$ADMIN" --name_only team create --display_name="North CMHT" \
  --sector=community_mental_health)
OTHER=$(as "$ADMIN" --name_only team create --display_name="Crisis" \
  --sector=crisis)
as "$ADMIN" member create --display_name="Team manager" --team="$TEAM" \
  --role=team_manager --email=Manager@Trust.example >/dev/null
MANAGER=$(signin manager@trust.example)
wait_until 5 "the manager signed in" as "$MANAGER" member list --team="$TEAM" >/dev/null
SAM=$(as "$MANAGER" --name_only member create --display_name="Sam Okafor" \
  --team="$TEAM" --role=clinician --email=sam@trust.example)
as "$MANAGER" member create --display_name="Kim" --team="$TEAM" \
  --role=clinician --email=kim@trust.example >/dev/null

step "the clinician signs in and works across processes"
T_SAM=$(signin sam@trust.example)
wait_until 5 "Sam signed in at the referral process" \
  at "$REFERRAL" "$T_SAM" referral inbox >/dev/null
PERSON=$(as "$T_SAM" --name_only person register --given_name=Alex \
  --family_name=Morgan --birth_date=1990-04-12)
at "$REFERRAL" "$T_SAM" --name_only referral create --person="$PERSON" \
  --to="$OTHER" --urgency=urgent --reason="Needs support this week" \
  >/dev/null || fail "a referral by a clinician signed in with the provider"
expect_eq "$(at "$REFERRAL" "$T_SAM" --json referral sent | py 'len(d["referrals"])')" \
  1 "Sam's sent referrals"

step "the role table holds: the manager reads no clinical record"
ADDR=$REFERRAL TOKEN=$MANAGER expect_rpc_error PERMISSION_DENIED referral inbox

step "bad tokens are refused, saying why"
ADDR=$REFERRAL TOKEN=$(signin eve@trust.example) \
  expect_rpc_error UNAUTHENTICATED referral inbox
case "$ERR" in *"no carebridge member has the email"*) ;; *) fail "unknown email: $ERR" ;; esac
ADDR=$REFERRAL TOKEN=$(signin sam@trust.example trust-2) \
  expect_rpc_error UNAUTHENTICATED referral inbox
case "$ERR" in *"key \`trust-2\` is not in"*) ;; *) fail "unknown key: $ERR" ;; esac
ADDR=$REFERRAL TOKEN=$(AUDIENCE=another-app signin sam@trust.example) \
  expect_rpc_error UNAUTHENTICATED referral inbox
case "$ERR" in *"audience does not include"*) ;; *) fail "audience: $ERR" ;; esac

step "the provider rotates its key: the admin replaces the key set file"
"$IDP_BIN" jwks --key="$WORK/trust-1.pem" --kid=trust-1 >"$WORK/k1.json"
"$IDP_BIN" jwks --key="$WORK/trust-2.pem" --kid=trust-2 >"$WORK/k2.json"
/usr/bin/python3 -c 'import json, sys
print(json.dumps({"keys": [k for f in sys.argv[1:] for k in json.load(open(f))["keys"]]}))' \
  "$WORK/k1.json" "$WORK/k2.json" >"$WORK/idp-jwks.json.new"
mv "$WORK/idp-jwks.json.new" "$WORK/idp-jwks.json"
T_KIM=$(signin kim@trust.example trust-2)
wait_until 5 "the new key trusted at the referral process" \
  at "$REFERRAL" "$T_KIM" referral inbox >/dev/null
at "$REFERRAL" "$T_SAM" referral inbox >/dev/null ||
  fail "the old key still signs until the provider retires it"

step "a deactivated member's sign-in ends in every process"
as "$MANAGER" member deactivate "$SAM" --reason="left the trust" >/dev/null
# refused ADDRESS CARECTL_ARGS...: Sam, signing in again, is refused there.
refused() {
  local address=$1 err
  shift
  err=$(at "$address" "$(signin sam@trust.example)" "$@" 2>&1 >/dev/null) &&
    return 1
  case "$err" in *UNAUTHENTICATED*"left the trust"*) return 0 ;; esac
  return 1
}
wait_until 5 "Sam refused at the referral process" \
  refused "$REFERRAL" referral inbox
wait_until 5 "Sam refused at the directory" refused "$DIRECTORY" member list --team="$TEAM"
at "$REFERRAL" "$T_KIM" referral inbox >/dev/null || fail "Kim still works"
echo "PASS"
