#!/usr/bin/env bash
# Installs what the RPC integration tests (test/rpc) need besides Node: RabbitMQ and Debian's
# oslo.messaging for /usr/bin/python3 (the Python peer). Idempotent: returns at once when installed.
set -euo pipefail

packages=(rabbitmq-server python3-oslo.messaging)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "rpc deps: already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then exec sudo -E "$0" "$@"; fi
  echo "install-rpc-deps.sh: must run as root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" || { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
