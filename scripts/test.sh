#!/usr/bin/env bash
# The whole test suite, on whatever the environment configures (embedded defaults when nothing is set).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
# Tests keep their SQLite files and filesystem-broker queue apart from the dev server's var/.
export VAR_DIR="${VAR_DIR:-$PWD/var/test}"
mkdir -p "$VAR_DIR"
echo "== tests on DB_ENGINE=${DB_ENGINE:-sqlite}, broker=${CELERY_BROKER_URL:-filesystem://}"
exec pytest "$@"
