#!/usr/bin/env bash
# Makes a private CA and a server certificate for carebridge-server's TLS
# listener: OUT_DIR (default ./tls) gets ca.pem, ca.key, server.pem,
# server.key. Names: HOSTS (comma-separated DNS names, default localhost) and
# 127.0.0.1. For production use your organisation's PKI instead.
set -euo pipefail
out=${OUT_DIR:-tls}
hosts=${HOSTS:-localhost}
mkdir -p "$out"
cd "$out"
san="IP:127.0.0.1,IP:::1"
IFS=, read -ra names <<<"$hosts"
for n in "${names[@]}"; do san="$san,DNS:$n"; done
openssl req -x509 -newkey rsa:3072 -nodes -days 825 -subj "/CN=carebridge CA" \
  -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:3072 -nodes -subj "/CN=${names[0]}" \
  -keyout server.key -out server.csr 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -days 825 -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth' "$san") \
  -out server.pem 2>/dev/null
rm -f server.csr ca.srl
chmod 600 ca.key server.key
echo "wrote $(pwd)/{ca.pem,ca.key,server.pem,server.key}"
echo "serve: carebridge-server --tls_cert_file=$(pwd)/server.pem --tls_key_file=$(pwd)/server.key"
echo "call:  carectl --tls_ca_file=$(pwd)/ca.pem ..."
