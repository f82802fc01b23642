#!/usr/bin/env bash
# The end-to-end suite with the real Neutron agents (test/e2e/*.e2e.ts), apart from `npm test`: it
# needs root, Open vSwitch and Debian's agents (scripts/ci/install-agents.sh), and takes minutes.
# Without them it says it is skipped (with CI=true it fails instead).
#
#   npm run test:e2e                     the suite; step times and RPC call counts on stdout
#   E2E_REPORT=/tmp/e2e.json npm run test:e2e   also writes them as JSON
set -uo pipefail
cd "$(dirname "$0")/.."

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
reporter=tap
[ -t 1 ] && reporter=spec

echo "== end-to-end tests with the real agents"
mapfile -t files < <(find test/e2e -name '*.e2e.ts' | sort)
node --import tsx --test --test-concurrency=1 \
  --test-reporter="$reporter" --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$logs/e2e.tap" "${files[@]}"
status=$?

sum() { sed -n "s/^# $1 \([0-9]*\)$/\1/p" "$logs/e2e.tap" | awk '{ s += $1 } END { print s + 0 }'; }
echo "e2e: $(sum pass) passed, $(( $(sum fail) + $(sum cancelled) )) failed, $(sum skipped) skipped"
exit $status
