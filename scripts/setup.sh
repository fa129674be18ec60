#!/usr/bin/env bash
# Installs every Debian package yellowtail needs. Idempotent: when everything is
# present it only checks, in well under a second. Run as root (or with sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libsodium-dev libboost-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libns3-dev ns3 libgsl-dev libgoogle-perftools-dev
  pybind11-dev python3-dev python3-pytest python3-matplotlib python3-numpy python3-distributed python3-pandas
  iproute2 iptables nftables conntrack iputils-ping procps
  miniupnpd miniupnpd-nftables natpmpc miniupnpc libminiupnpc-dev
  libcli11-dev libspdlog-dev libtomlplusplus-dev nlohmann-json3-dev python3 util-linux
  clang-14 libfuzzer-14-dev
  libnetfilter-queue-dev
  chromium chromium-driver python3-selenium
  postgresql libpqxx-dev
  iperf3 wireguard-go wireguard-tools
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: these packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
