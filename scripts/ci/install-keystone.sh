#!/usr/bin/env bash
# Installs Debian's Keystone and uwsgi for the Keystone integration tests, without letting the
# packages start services or configure databases/endpoints (see shared/notes/keystone-on-debian.md).
# Idempotent: returns at once when everything is already installed.
set -euo pipefail

. "$(dirname "$0")/apt.sh"

missing_packages keystone python3-keystone uwsgi uwsgi-plugin-python3 python3-openstackclient
if [ ${#missing[@]} -eq 0 ]; then
  echo "keystone: already installed"
  exit 0
fi
as_root "$@" || { echo "install-keystone.sh: must run as root" >&2; exit 1; }
no_service_starts
debconf-set-selections <<'SEL'
keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false
SEL

apt_install
echo "keystone: installed ${missing[*]}"
