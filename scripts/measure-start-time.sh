#!/usr/bin/env bash
# Seconds from launching `serve` on DATA_DIR=$1 to the first 200 from /ready on PORT (default 3000), then
# SIGTERM. An empty or missing directory measures a first start; an existing one a restart. Also prints the
# process's CPU time until then (user + system; less sensitive to other load than the wall time) and its
# resident memory when /ready answered and its peak until then (VmRSS, VmHWM), in MB.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${PORT:-3000}"
start=$(date +%s.%N)
DATA_DIR="$1" PORT="$port" LOG_LEVEL=warn node bin/unitrain.js serve > /dev/null 2>&1 &
pid=$!
until curl -sf "localhost:$port/ready" > /dev/null 2>&1; do
  kill -0 "$pid" 2> /dev/null || { wait "$pid" || true; echo "serve exited before /ready" >&2; exit 1; }
  sleep 0.05
done
end=$(date +%s.%N)
memory() { awk -v field="$1:" '$1 == field { printf "%d", $2 / 1024 }' "/proc/$pid/status"; }
# Fields 14 and 15 of /proc/PID/stat: user and system time in clock ticks (the name before them has no spaces).
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$pid/stat")
rss=$(memory VmRSS)
peak=$(memory VmHWM)
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
printf '%.2f s  cpu %s s  rss %s MB  peak %s MB\n' "$(echo "$end - $start" | bc)" "$cpu" "$rss" "$peak"
