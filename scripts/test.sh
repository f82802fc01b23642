#!/usr/bin/env bash
# Runs the suite with node's test runner (TypeScript through tsx).
#
#   npm test                the typecheck and the import rules (scripts/check-imports.mjs), every test on
#                           SQLite, then the API and database tests (test/api, test/db)
#                           on PostgreSQL and on MariaDB, each server in a database of its own
#   npm test -- PATH ...    those tests only, on NEUTRON_TS_TEST_DB (sqlite, postgresql or mysql;
#                           default sqlite)
#
# PostgreSQL and MariaDB are taken from NEUTRON_TS_TEST_POSTGRESQL_URL / NEUTRON_TS_TEST_MYSQL_URL
# (default: the local servers on 127.0.0.1). One that does not answer is skipped with a message,
# except with CI=true, where it fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."

files_of() { find "$@" -name '*.test.ts' 2>/dev/null | sort; }

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
reporter=tap
[ -t 1 ] && reporter=spec

# run LABEL FILE...: one pass of the runner; its TAP summary is kept for the closing line
run() {
  local label=$1; shift
  echo "== tests on $label"
  node --import tsx --test --test-concurrency=1 \
    --test-reporter="$reporter" --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$logs/$label.tap" "$@"
}

if [ $# -gt 0 ]; then
  mapfile -t files < <(files_of "$@")
  [ ${#files[@]} -gt 0 ] || { echo "no *.test.ts under: $*" >&2; exit 1; }
  run "${NEUTRON_TS_TEST_DB:-sqlite}" "${files[@]}"
  exit $?
fi

status=0
echo "== typecheck and import rules"
npx tsc -p tsconfig.json --noEmit || status=1
node scripts/check-imports.mjs || status=1

mapfile -t all < <(files_of test)
NEUTRON_TS_TEST_DB=sqlite run sqlite "${all[@]}" || status=1

mapfile -t server_db_tests < <(files_of test/api test/db)
for backend in postgresql mysql; do
  if reason=$(node --import tsx test/support/databases.ts "$backend"); then
    [ -n "$reason" ] && echo "$reason"
    NEUTRON_TS_TEST_DB=$backend run "$backend" "${server_db_tests[@]}" || status=1
  elif [ "${CI:-}" = true ]; then
    echo "FAILED: the API tests cannot run on $backend: $reason" >&2
    status=1
  else
    echo "SKIPPED: the API tests on $backend: $reason"
  fi
done

# one closing line for all the passes
sum() { cat "$logs"/*.tap 2>/dev/null | sed -n "s/^# $1 \([0-9]*\)$/\1/p" | awk '{ s += $1 } END { print s + 0 }'; }
echo "$(sum pass) passed, $(( $(sum fail) + $(sum cancelled) )) failed, $(sum skipped) skipped"
exit $status
