#!/usr/bin/env bash
# Requests per second of the local server (the binary given as $1) for a read route and a
# write route under wrk on loopback; prints a Markdown table. Part of infra/bench.sh.
set -euo pipefail
server="$1"
seconds="${BENCH_SECONDS:-10}"
data="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
email="bench.admin@example.com"
password="correct horse battery staple"

STRATUM_ADDR="127.0.0.1:$port" STRATUM_MQTT_ADDR="127.0.0.1:0" STRATUM_DATA_DIR="$data" \
    STRATUM_BOOTSTRAP_ADMIN_EMAIL="$email" STRATUM_BOOTSTRAP_ADMIN_PASSWORD="$password" \
    "$server" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "$base/api/health" >/dev/null && break; sleep 0.1; done

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
