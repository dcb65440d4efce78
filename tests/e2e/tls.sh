#!/usr/bin/env bash
# shellcheck disable=SC2119  # start_server takes optional server flags
# TLS on the listener: deploy/tls/gen-certs.sh makes a CA and a server
# certificate, the server serves TLS with them (gRPC and HTTP), carectl and
# curl connect trusting the CA, and a plaintext client is refused.
# usage: tls.sh SERVER_BIN CARECTL_BIN

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

step "generate TLS material"
OUT_DIR=$WORK/tls bash "$(dirname "$0")/../../deploy/tls/gen-certs.sh" >/dev/null
for f in ca.pem server.pem server.key; do
  [ -s "$WORK/tls/$f" ] || fail "gen-certs.sh did not write $f"
done
[ "$(stat -c %a "$WORK/tls/server.key")" = 600 ] || fail "server.key is not 0600"

start_server --tls_cert_file="$WORK/tls/server.pem" \
  --tls_key_file="$WORK/tls/server.key" --http_listen=127.0.0.1:0 \
  --http_port_file="$WORK/http.port"
ADMIN=$(cat "$DATA/bootstrap-admin.token")
grep -q "TLS" "$WORK/server.log" || fail "server did not say it serves TLS"

step "carectl over TLS, trusting the CA"
as "$ADMIN" --tls_ca_file="$WORK/tls/ca.pem" health >/dev/null ||
  fail "health over TLS failed"
TEAM=$(as "$ADMIN" --tls_ca_file="$WORK/tls/ca.pem" --name_only team create \
  --display_name="Crisis team" --sector=crisis)
case "$TEAM" in teams/*) ;; *) fail "no team created over TLS: $TEAM" ;; esac

step "the HTTP listener serves TLS with the same certificate"
HTTPS=https://localhost:$(cat "$WORK/http.port")
got=$(curl -s --cacert "$WORK/tls/ca.pem" -H "Authorization: Bearer $ADMIN" \
  "$HTTPS/v1/$TEAM") || fail "HTTPS GET failed"
expect_eq "$(echo "$got" | py 'd["name"]')" "$TEAM" "the team over HTTPS"
base=$(curl -s --cacert "$WORK/tls/ca.pem" "$HTTPS/fhir/metadata" |
  py 'd["implementation"]["url"]')
case "$base" in https://*) ;; *) fail "the FHIR base URL is not https: $base" ;; esac
status=0
curl -s -o /dev/null "http://localhost:$(cat "$WORK/http.port")/fhir/metadata" ||
  status=$?
[ "$status" -ne 0 ] || fail "plaintext HTTP succeeded against the TLS listener"

step "a plaintext client gets nowhere"
status=0
as "$ADMIN" --timeout=3s team list >/dev/null 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "a plaintext call succeeded against a TLS listener"
echo "PASS"
