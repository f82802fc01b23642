#!/usr/bin/env bash
# Installs Debian's Neutron 21 agents (Open vSwitch, DHCP, L3), Open vSwitch and dhclient for the
# end-to-end suite (test/e2e), without letting maintainer scripts start any service.
# Idempotent: returns at once when everything is already installed. Never fails the CI run: where
# the packages cannot be had, the suite itself says it is skipped (or fails with CI=true).
set -uo pipefail

. "$(dirname "$0")/apt.sh"

missing_packages neutron-openvswitch-agent neutron-dhcp-agent neutron-l3-agent openvswitch-switch \
  isc-dhcp-client dnsmasq-base iputils-ping iproute2 conntrack ethtool sudo
if [ ${#missing[@]} -eq 0 ]; then
  echo "agents: already installed"
  exit 0
fi
as_root "$@" || { echo "install-agents.sh: not root, the end-to-end suite will be skipped" >&2; exit 0; }
no_service_starts
apt_install || {
  echo "agents: could not install ${missing[*]}; the end-to-end suite will be skipped" >&2
  exit 0
}
echo "agents: installed ${missing[*]}"
