#!/usr/bin/env bash
# Makes sure the services the test suite talks to answer on loopback, starting those that do not
# (with the commands this machine's services are started with), and waits for them.
set -euo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  local name=$1 port=$2
  for _ in $(seq 1 60); do
    if answers "$port"; then echo "$name: up (port $port)"; return 0; fi
    sleep 1
  done
  echo "$name: did not come up on port $port" >&2
  return 1
}

ensure() {
  local name=$1 port=$2; shift 2
  if answers "$port"; then echo "$name: up (port $port)"; return 0; fi
  echo "$name: starting"
  "$@" || true
  wait_for "$name" "$port"
}

ensure postgresql 5432 bash -c 'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start'
ensure mariadb 3306 start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
ensure rabbitmq 5672 rabbitmq-server -detached
