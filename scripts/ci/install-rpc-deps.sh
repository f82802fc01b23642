#!/usr/bin/env bash
# Installs what the RPC integration tests (test/rpc) need besides Node: RabbitMQ and Debian's
# oslo.messaging for /usr/bin/python3 (the Python peer). Idempotent: returns at once when installed.
set -euo pipefail
. "$(dirname "$0")/apt.sh"

missing_packages rabbitmq-server python3-oslo.messaging
if [ ${#missing[@]} -eq 0 ]; then
  echo "rpc deps: already installed"
  exit 0
fi
as_root "$@" || { echo "install-rpc-deps.sh: must run as root" >&2; exit 1; }
apt_install
echo "rpc deps: installed ${missing[*]}"
