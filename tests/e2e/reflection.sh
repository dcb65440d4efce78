#!/usr/bin/env bash
# shellcheck disable=SC2119  # start_server takes optional server flags, not ours
# Server reflection and per-service health, as a generic gRPC tool (grpcurl,
# Postman, an integration engine) would use them: lists the services and
# fetches the descriptor of ReferralService, using Debian's python3-grpcio
# with raw protobuf bytes so no generated code is involved.
# Usage: reflection.sh SERVER_BIN CARECTL_BIN
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh" "$@"

start_server
step "reflection lists every hosted service and serves their descriptors"
/usr/bin/python3 - "$ADDR" <<'PY' || fail "reflection check failed"
import sys
import grpc

channel = grpc.insecure_channel(sys.argv[1])
grpc.channel_ready_future(channel).result(timeout=10)
call = channel.stream_stream(
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    request_serializer=lambda b: b, response_deserializer=lambda b: b)

def ask(request):
    return list(call(iter([request]), timeout=10))[0]

# ServerReflectionRequest.list_services = "" (field 7).
listing = ask(b"\x3a\x00")
for name in (b"carebridge.directory.v1.DirectoryService",
             b"carebridge.referral.v1.ReferralService",
             b"grpc.health.v1.Health"):
    if name not in listing:
        sys.exit("service missing from reflection: %s" % name.decode())
# ServerReflectionRequest.file_containing_symbol (field 4).
symbol = b"carebridge.referral.v1.ReferralService"
descriptor = ask(b"\x22" + bytes([len(symbol)]) + symbol)
if b"carebridge/referral/v1/referral.proto" not in descriptor:
    sys.exit("no descriptor for ReferralService")
if b"DeclineReferral" not in descriptor:
    sys.exit("descriptor lacks DeclineReferral")
PY

step "health reports each hosted service"
cc health | grep -q SERVING || fail "health is not SERVING"
cc health --service=carebridge.handover.v1.HandoverService | grep -q SERVING ||
  fail "health does not report the handover service"
status=0
cc health --service=carebridge.fhir.v1.FhirService >/dev/null 2>&1 ||
  status=$?
[ "$status" -ne 0 ] || fail "health claims a service this server does not host"
for service in carebridge.directory.v1.DirectoryService \
  carebridge.referral.v1.ReferralService \
  carebridge.careplan.v1.CarePlanService \
  carebridge.record.v1.RecordService; do
  cc health --service="$service" >/dev/null || fail "$service is not SERVING"
done
echo "PASS"
