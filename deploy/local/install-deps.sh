#!/usr/bin/env bash
# Installs everything carebridge needs to build, run and test on Debian 12.
# Safe to run again: apt-get skips what is already there.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  grpc-proto libabsl-dev libgtest-dev libgmock-dev libsqlite3-dev libssl-dev
  postgresql libpq-dev
  libcpp-httplib-dev nlohmann-json3-dev prometheus-cpp-dev
  python3 python3-grpcio python3-protobuf python3-yaml procps openssl curl
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
