#!/usr/bin/env bash
# Make sure a Java runtime (Debian's default-jre-headless) is present for Spark in local mode: the test comparing the
# cluster path (PySpark) with DuckDB cell for cell (tests/test_spark_sql.py). Called by `make java-deps`, which
# `make test` runs first.
#   present               -> exit 0, silently
#   missing and root      -> apt-get install default-jre-headless quietly (apt's log shown only on failure)
#   missing and not root  -> one line saying what to install, exit 1
set -euo pipefail

if command -v java >/dev/null 2>&1; then
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "java-deps: no Java runtime for Spark's local mode; run: sudo apt-get install -y default-jre-headless" >&2
    exit 1
fi

echo "java-deps: installing default-jre-headless with apt-get (for the Spark vs DuckDB check)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq default-jre-headless; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "java-deps: apt-get failed (log above)" >&2
    exit 1
fi
if ! command -v java >/dev/null 2>&1; then
    echo "java-deps: apt-get finished but java is still not on PATH" >&2
    exit 1
fi
