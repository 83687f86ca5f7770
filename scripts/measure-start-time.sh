#!/usr/bin/env bash
# Seconds from launching `serve` on DATA_DIR=$1 to the first 200 from /ready on port 3000, then SIGTERM.
# An empty or missing directory measures a first start; an existing one a restart.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s.%N)
DATA_DIR="$1" LOG_LEVEL=warn node bin/unitrain.js serve > /dev/null 2>&1 &
pid=$!
until curl -sf localhost:3000/ready > /dev/null 2>&1; do sleep 0.05; done
end=$(date +%s.%N)
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
echo "$end - $start" | bc
