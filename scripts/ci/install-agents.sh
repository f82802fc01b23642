#!/usr/bin/env bash
# Installs Debian's Neutron 21 agents (Open vSwitch, DHCP, L3), Open vSwitch and dhclient for the
# end-to-end suite (test/e2e), without letting maintainer scripts start any service.
# Idempotent: returns at once when everything is already installed. Never fails the CI run: where
# the packages cannot be had, the suite itself says it is skipped (or fails with CI=true).
set -uo pipefail

packages=(neutron-openvswitch-agent neutron-dhcp-agent neutron-l3-agent openvswitch-switch
  isc-dhcp-client dnsmasq-base iputils-ping iproute2 conntrack ethtool sudo)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "agents: already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then exec sudo -E "$0" "$@"; fi
  echo "install-agents.sh: not root, the end-to-end suite will be skipped" >&2
  exit 0
fi

# Keep maintainer scripts from starting daemons; restore any existing policy-rc.d afterwards.
policy=/usr/sbin/policy-rc.d
backup=""
if [ -e "$policy" ]; then backup=$(mktemp); cp -p "$policy" "$backup"; fi
restore() { if [ -n "$backup" ]; then mv -f "$backup" "$policy"; else rm -f "$policy"; fi; }
trap restore EXIT
printf '#!/bin/sh\nexit 101\n' > "$policy"
chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
apt_install() {
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
}
if ! apt_install; then
  apt-get update -q -o DPkg::Lock::Timeout=600 && apt_install || {
    echo "agents: could not install ${missing[*]}; the end-to-end suite will be skipped" >&2
    exit 0
  }
fi
echo "agents: installed ${missing[*]}"
