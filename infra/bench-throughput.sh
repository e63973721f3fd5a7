#!/usr/bin/env bash
# Requests per second of the local server (the binary given as $1) for a read route and a
# write route under wrk on loopback; prints a Markdown table. Part of infra/bench.sh.
set -euo pipefail
server="$1"
seconds="${BENCH_SECONDS:-10}"
source "$(dirname "$0")/bench-server.sh" "$server"

token="$(curl -sf -X POST "$base/api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"

cat >"$data/patch.lua" <<EOF
wrk.method = "PATCH"
wrk.body = '{"name":"Bench Admin"}'
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer $token"
EOF

# wrk --latency prints `Requests/sec:` and a latency distribution; keep the rate, p50 and p99.
measure() {
    local label="$1"
    shift
    wrk --latency -t2 -c16 -d"${seconds}s" "$@" | python3 -c '
import re, sys
text = sys.stdin.read()
rate = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1)
p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1)
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"| {sys.argv[1]} | {float(rate):.0f} | {p50} | {p99} | {errors.group(1) if errors else 0} |")
' "$label"
}

echo "2 wrk threads, 16 connections, ${seconds} s each; server and load generator share the machine's cores."
echo
echo "| request | requests/s | p50 latency | p99 latency | non-2xx |"
echo "|---|---:|---:|---:|---:|"
measure '`GET /api/me` (read)' -H "authorization: Bearer $token" "$base/api/me"
measure '`PATCH /api/me` (write: one transaction with audit)' -s "$data/patch.lua" "$base/api/me"
