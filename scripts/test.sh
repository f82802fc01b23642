#!/usr/bin/env bash
# Runs the whole suite with node's test runner (TypeScript through tsx).
# Usage: npm test [-- file-or-dir ...]
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(test)
mapfile -t files < <(find "${targets[@]}" -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
