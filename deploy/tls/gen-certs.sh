#!/usr/bin/env bash
# Makes a private CA and the certificates carebridge-server needs. OUT_DIR
# (default ./tls) gets:
#   ca.pem, ca.key                the deployment's CA (keep ca.key offline)
#   server.pem, server.key        a listener certificate (all-in-one server)
#   <service>.pem, <service>.key  one per service in SERVICES (default
#       directory,referral,careplan,handover,record): usable to listen and,
#       for mutual TLS between processes, as that process's client
#       certificate; its URI name spiffe://carebridge/services/<service> is
#       its service identity.
# Names: HOSTS (comma-separated DNS names, default localhost), 127.0.0.1 and
# ::1. For production use your organisation's PKI, with the same URI names.
set -euo pipefail
out=${OUT_DIR:-tls}
hosts=${HOSTS:-localhost}
services=${SERVICES:-directory,referral,careplan,handover,record}
mkdir -p "$out"
cd "$out"
san="IP:127.0.0.1,IP:::1"
IFS=, read -ra names <<<"$hosts"
for n in "${names[@]}"; do san="$san,DNS:$n"; done
openssl req -x509 -newkey rsa:3072 -nodes -days 825 -subj "/CN=carebridge CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout ca.key -out ca.pem 2>/dev/null

# sign NAME CN SAN EKU: NAME.key and NAME.pem, signed by the CA.
sign() {
  local name=$1 cn=$2 names=$3 eku=$4
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=$cn" -keyout "$name.key" -out "$name.csr" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key \
    -CAcreateserial -days 825 \
    -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' \
      "$names" "$eku") \
    -out "$name.pem" 2>/dev/null
  rm -f "$name.csr"
  chmod 600 "$name.key"
}

sign server "${names[0]}" "$san" serverAuth
IFS=, read -ra wanted <<<"$services"
for s in "${wanted[@]}"; do
  case "$s" in
    *[!a-z0-9-]* | "") echo "gen-certs.sh: bad service name '$s'" >&2; exit 2 ;;
  esac
  sign "$s" "carebridge $s" "$san,URI:spiffe://carebridge/services/$s" \
    serverAuth,clientAuth
done
rm -f ca.srl
chmod 600 ca.key
echo "wrote $(pwd)/{ca.pem,ca.key,server.pem,server.key} and a certificate per service (${services})"
echo "serve: carebridge-server --tls_cert_file=$(pwd)/server.pem --tls_key_file=$(pwd)/server.key"
echo "split, mutual TLS: carebridge-server --services=S --tls_cert_file=$(pwd)/S.pem --tls_key_file=$(pwd)/S.key --tls_ca_file=$(pwd)/ca.pem"
echo "call:  carectl --tls_ca_file=$(pwd)/ca.pem ..."
