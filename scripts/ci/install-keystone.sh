#!/usr/bin/env bash
# Installs Debian's Keystone and uwsgi for the Keystone integration tests, without letting the
# packages start services or configure databases/endpoints (see shared/notes/keystone-on-debian.md).
# Idempotent: returns at once when everything is already installed.
set -euo pipefail

packages=(keystone python3-keystone uwsgi uwsgi-plugin-python3 python3-openstackclient)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "keystone: already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then exec sudo -E "$0" "$@"; fi
  echo "install-keystone.sh: must run as root" >&2
  exit 1
fi

# Keep maintainer scripts from starting daemons; restore any existing policy-rc.d afterwards.
policy=/usr/sbin/policy-rc.d
backup=""
if [ -e "$policy" ]; then backup=$(mktemp); cp -p "$policy" "$backup"; fi
restore() { if [ -n "$backup" ]; then mv -f "$backup" "$policy"; else rm -f "$policy"; fi; }
trap restore EXIT
printf '#!/bin/sh\nexit 101\n' > "$policy"
chmod 755 "$policy"

debconf-set-selections <<'SEL'
keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false
SEL

export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"; }
if ! apt_install; then
  apt-get update -q -o DPkg::Lock::Timeout=600
  apt_install
fi
echo "keystone: installed ${missing[*]}"
