#!/usr/bin/env bash
# Make sure headless Chromium and its WebDriver (Debian packages) are present for the report's browser check
# (tests/test_browser.py). Called by `make browser-deps`, which `make test` runs first.
#   present               -> exit 0, silently
#   missing and root      -> apt-get install chromium chromium-driver quietly (apt's log shown only on failure)
#   missing and not root  -> one line saying what to install, exit 1
set -euo pipefail

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver

if [[ -x "$CHROMIUM" && -x "$DRIVER" ]]; then
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "browser-deps: headless Chromium is missing; run: sudo apt-get install -y chromium chromium-driver" >&2
    exit 1
fi

echo "browser-deps: installing chromium and chromium-driver with apt-get (for the report's browser check)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "browser-deps: apt-get failed (log above)" >&2
    exit 1
fi
if [[ ! -x "$CHROMIUM" || ! -x "$DRIVER" ]]; then
    echo "browser-deps: apt-get finished but $CHROMIUM or $DRIVER is still missing" >&2
    exit 1
fi
