#!/usr/bin/env bash
# The split deployment with TLS end to end: deploy/tls/gen-certs.sh makes a
# CA and a certificate per service; every process listens with TLS and calls
# its peers with mutual TLS, its certificate its service identity. Only the
# directory holds the token signing keys; the others get the public keys
# (jwks.json) and cannot mint a token, not even their own. A referral, its
# acceptance reaching the care plan process, and a revocation all cross
# processes this way; a caller without a client certificate, with one from
# another CA or with one that names no service gets no service identity.
# usage: mtls_multi_process.sh SERVER_BIN CARECTL_BIN

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

step "certificates from the deployment's CA, one per service"
GEN=$(dirname "$0")/../../deploy/tls/gen-certs.sh
OUT_DIR=$WORK/tls bash "$GEN" >/dev/null
OUT_DIR=$WORK/other-ca bash "$GEN" >/dev/null
T=$WORK/tls
CARECTL_EXTRA=(--tls_ca_file="$T/ca.pem")
# tls SERVICE: the flags of a process serving and calling with mutual TLS.
tls() {
  echo "--tls_cert_file=$T/$1.pem --tls_key_file=$T/$1.key --tls_ca_file=$T/ca.pem"
}

step "the directory holds the signing keys; the others only the public keys"
reserve_port careplan
CAREPLAN_ADDR=127.0.0.1:$(cat "$WORK/careplan.port")
# shellcheck disable=SC2046  # tls's words are flags
start_named directory --services=directory $(tls directory)
DIRECTORY=$LAST_ADDR
ADMIN=$(cat "$WORK/directory/bootstrap-admin.token")
# What an operator copies to the other hosts.
cp "$WORK/token-keys/jwks.json" "$WORK/jwks.json"
# shellcheck disable=SC2046
start_named referral --services=referral --directory_address="$DIRECTORY" \
  --careplan_address="$CAREPLAN_ADDR" --token_jwks_file="$WORK/jwks.json" \
  $(tls referral)
REFERRAL=$LAST_ADDR
# shellcheck disable=SC2046
start_named careplan --services=careplan --directory_address="$DIRECTORY" \
  --referral_address="$REFERRAL" --handover_address=127.0.0.1:1 \
  --token_jwks_file="$WORK/jwks.json" $(tls careplan)
grep -q "mutual TLS" "$WORK/server.log" || fail "no process said mutual TLS"
[ "$(grep -c "verifying tokens only" "$WORK/server.log")" -eq 2 ] ||
  fail "the referral and care plan processes should only verify tokens"
for p in referral careplan; do
  [ ! -e "$WORK/$p/bootstrap-admin.token" ] || fail "$p minted an admin token"
  [ -z "$(find "$WORK/$p" -name '*.pem')" ] || fail "$p holds a key file"
done
grep -q "could not be read within" "$WORK/server.log" &&
  fail "a process could not read the directory's feed over mutual TLS"

step "staff work across processes, services reaching each other by certificate"
ADDR=$DIRECTORY
# shellcheck disable=SC2119  # no person flags
care_network
# The care plan process asks the directory (its certificate its identity).
at "$CAREPLAN_ADDR" "$T_SAM" careplan update "$PERSON" \
  --what_helps="Her sister Jo" --reason="First plan with Alex" >/dev/null ||
  fail "the first plan write"
expect_eq "$(team_state "$T_SAM" "$PERSON")" "$FROM $FROM" "lead after the first write"
# So does the referral process.
R=$(at "$REFERRAL" "$T_SAM" --name_only referral create --person="$PERSON" \
  --to="$TO" --urgency=urgent --reason="Needs support this week")
at "$REFERRAL" "$T_KIM" referral accept "$R" >/dev/null ||
  fail "the receiving team could not accept"
# The care plan process follows the referral feed over mutual TLS.
EXPECTED=$(printf '%s\n' "$FROM" "$TO" | sort | tr '\n' ' ')
EXPECTED="$FROM ${EXPECTED% }"
joined() { [ "$(team_state "$T_SAM" "$PERSON")" = "$EXPECTED" ]; }
wait_until 20 "the acceptance reaches the care plan process" joined
# A process without the signing keys issues no person tokens.
ERR=$(at "$CAREPLAN_ADDR" "$T_SAM" person token "$PERSON" 2>&1 >/dev/null) &&
  fail "the care plan process minted a person token"
case "$ERR" in *FAILED_PRECONDITION*"no signing key"*) ;;
  *) fail "person token without keys: $ERR" ;; esac

step "a revocation reaches the referral process within 5s over mutual TLS"
at "$DIRECTORY" "$T_SAM" token revoke-all "$SAM" --reason="lost phone" \
  >/dev/null || fail "revoke-all"
deadline=$((SECONDS + 5))
while :; do
  ERR=$(at "$REFERRAL" "$T_SAM" referral inbox 2>&1 >/dev/null) && ERR=""
  case "$ERR" in *UNAUTHENTICATED*"lost phone"*) break ;; esac
  [ "$SECONDS" -le "$deadline" ] || fail "revoked token still accepted: $ERR"
  sleep 0.1
done

step "without a service's certificate there is no service identity"
# call CERT KEY CA: ListTeams on the directory over TLS with no token,
# presenting CERT/KEY (none when empty) and trusting CA; prints the code.
call() {
  /usr/bin/python3 - "$DIRECTORY" "$1" "$2" "$3" <<'PY'
import sys, grpc
addr, cert, key, ca = sys.argv[1:5]
read = lambda p: open(p, "rb").read() if p else None
creds = grpc.ssl_channel_credentials(
    root_certificates=read(ca), private_key=read(key),
    certificate_chain=read(cert))
with grpc.secure_channel(addr, creds) as channel:
    method = channel.unary_unary(
        "/carebridge.directory.v1.DirectoryService/ListTeams",
        request_serializer=lambda m: m, response_deserializer=lambda m: m)
    try:
        method(b"", timeout=5)
        print("OK")
    except grpc.RpcError as e:
        print(e.code().name, e.details())
PY
}
out=$(call "$T/referral.pem" "$T/referral.key" "$T/ca.pem")
expect_eq "$out" "OK" "a service certificate is a service identity"
out=$(call "" "" "$T/ca.pem")
case "$out" in "UNAUTHENTICATED no credentials"*) ;;
  *) fail "no certificate, no token: $out" ;; esac
out=$(call "$WORK/other-ca/referral.pem" "$WORK/other-ca/referral.key" "$T/ca.pem")
case "$out" in UNAVAILABLE*) ;;  # the handshake fails
  *) fail "a certificate from another CA: $out" ;; esac
out=$(call "$T/server.pem" "$T/server.key" "$T/ca.pem")
case "$out" in UNAVAILABLE* | "UNAUTHENTICATED no credentials"*) ;;
  *) fail "a certificate naming no service: $out" ;; esac
grep -q "principal=services/referral" "$WORK/server.log" ||
  fail "the call log does not name the certificate's service"

step "a plaintext peer cannot reach a process at all"
status=0
"$CARECTL_BIN" --server="$DIRECTORY" --token="$ADMIN" --timeout=3s team list \
  >/dev/null 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "a plaintext call reached a mutual-TLS listener"
step "all in one process with mutual TLS on: services inside it still reach each other"
ADDR=""
# shellcheck disable=SC2046
start_server $(tls directory)
ADMIN=$(cat "$DATA/bootstrap-admin.token")
rm -f "$WORK"/manager-*.token
# shellcheck disable=SC2119  # no person flags
care_network
as "$T_SAM" careplan update "$PERSON" --what_helps="Music" \
  --reason="First plan" >/dev/null || fail "plan write all-in-one"
R=$(as "$T_SAM" --name_only referral create --person="$PERSON" --to="$TO" \
  --urgency=urgent --reason="Needs support")
as "$T_KIM" referral accept "$R" >/dev/null || fail "accept all-in-one"
CAREPLAN_ADDR=$ADDR
EXPECTED=$(printf '%s\n' "$FROM" "$TO" | sort | tr '\n' ' ')
EXPECTED="$FROM ${EXPECTED% }"
wait_until 20 "the acceptance reaches the plan in the same process" joined
echo "PASS"
