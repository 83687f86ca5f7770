#!/usr/bin/env bash
# The console's end-to-end tests drive Debian's chromium through playwright-core (no browser download).
# `npm test` (pretest) and .ci/run install it when it is missing; the server-engine run does not need it.
set -euo pipefail
[ -n "${DATABASE_URL:-}" ] && exit 0
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "the console's end-to-end tests need Debian's chromium at /usr/bin/chromium: sudo apt-get install -y chromium" >&2
  exit 1
fi
echo "installing Debian's chromium for the console's end-to-end tests"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; }
[ -x /usr/bin/chromium ]
