# Sourced by the install-*.sh scripts: Debian packages, installed once, as root.

# missing_packages PKG...: sets `missing` to the packages not installed yet
missing_packages() {
  missing=()
  for p in "$@"; do
    dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
  done
}

# as_root ARG...: runs the calling script again under sudo when not root; returns 1 when it cannot
as_root() {
  [ "$(id -u)" -eq 0 ] && return 0
  if command -v sudo >/dev/null; then exec sudo -E "$0" "$@"; fi
  return 1
}

# no_service_starts: keeps maintainer scripts from starting daemons until the script exits
# (an existing policy-rc.d is put back)
no_service_starts() {
  policy=/usr/sbin/policy-rc.d
  policy_backup=""
  if [ -e "$policy" ]; then policy_backup=$(mktemp); cp -p "$policy" "$policy_backup"; fi
  trap 'if [ -n "$policy_backup" ]; then mv -f "$policy_backup" "$policy"; else rm -f "$policy"; fi' EXIT
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
}

# apt_install: installs "${missing[@]}", reading the package lists again if the first try fails
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  local opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  apt-get install "${opts[@]}" "${missing[@]}" && return 0
  apt-get update -q -o DPkg::Lock::Timeout=600 && apt-get install "${opts[@]}" "${missing[@]}"
}
