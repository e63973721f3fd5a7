#!/usr/bin/env bash
# The bench command: builds every Lambda function and a lambda_runtime hello-world with the
# release profile, then measures and writes the tables of docs/performance.md (between its
# `bench:begin` / `bench:end` markers; the analysis around them is prose kept by hand):
#   - cold start, size, zip and peak memory of each function, side by side with hello-world
#     (stratum-bench: a loopback Lambda Runtime API, DynamoDB/SQS/SES on a moto server);
#   - DynamoDB requests per route (the round-trip spec, which also asserts them in CI);
#   - handler overhead, p50/p99 (criterion benchmark over an in-memory store);
#   - requests per second of the local server under wrk;
#   - SIMs: a 100,000-row import and listing 10,000 SIMs on the local server, and requests and
#     write units per 1,000 imported SIMs on DynamoDB (moto);
#   - telemetry through the local broker, one tenant's alert fan-out beside another's
#     acknowledgements, and how long a confirmation mail waits behind a full notice backlog;
#   - a time-boxed schemathesis exploration (reported, never failing the bench).
# Not part of the test command. Usage: infra/bench.sh [cold-start runs] [warm invocations]
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-30}"
warm="${2:-1000}"
target="${CARGO_TARGET_DIR:-target}"
release="$target/release"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

export PATH="$HOME/.local/bin:$PATH"
python3 -c "import moto.server, werkzeug" 2>/dev/null || python3 -m pip install --quiet --user "moto[server]"
command -v wrk >/dev/null || { echo "bench.sh: wrk is missing; install it with: apt-get install wrk" >&2; exit 1; }

step() { printf '\n== %s\n' "$*" >&2; }

step "release builds, one package at a time (so each binary links only the features it asks for)"
for package in stratum-system stratum-identity stratum-organisations stratum-invitations \
    stratum-housekeeping stratum-notifier stratum-relay stratum-bench-hello stratum; do
    cargo build --release --locked -p "$package"
done

step "cold start, size and memory ($runs cold starts, $warm warm invocations)"
cargo run --locked -p stratum-bench -- "$release" "$runs" "$warm" >"$out/functions.md"

step "DynamoDB requests per route"
STRATUM_ROUND_TRIPS_TABLE="$out/round-trips.md" \
    cargo test --locked -p stratum-tests --test spec round_trips -- --quiet

step "SIM import cost on DynamoDB"
STRATUM_SIM_IMPORT_TABLE="$out/sim-import.md" \
    cargo test --locked -p stratum-tests --test spec importing_1000 -- --quiet

step "telemetry ingest cost on DynamoDB, and message to alert"
STRATUM_INGEST_TABLE="$out/ingest-dynamodb.md" \
    cargo test --locked -p stratum-tests --test spec ingesting_on_dynamodb -- --quiet

step "handler overhead"
STRATUM_BENCH_TABLE="$out/handler.md" cargo bench --locked -p stratum-bench --bench handler

step "local server throughput"
infra/bench-throughput.sh "$release/stratum" >"$out/throughput.md"

step "SIM import and listing on the local server"
infra/bench-sims.sh "$release/stratum" >"$out/sims.md"

step "device import and the map on the local server"
infra/bench-devices.sh "$release/stratum" >"$out/devices.md"

step "telemetry ingest through the local broker"
# The local server built for speed (the speed profile), as one would run it for load; the
# Lambda binaries above stay optimised for size.
cargo build --profile speed --locked -p stratum -p stratum-mqtt-load
infra/bench-ingest.sh "$target/speed/stratum" "$target/speed/mqtt-load" >"$out/ingest.md"

step "one tenant's alert fan-out beside another tenant's acknowledgements"
infra/bench-fanout.sh "$target/speed/stratum" "$target/speed/mqtt-load" >"$out/fanout.md"

step "a confirmation mail behind a full notice backlog"
printf '| entry point | registration to sent confirmation | notices still waiting |\n|---|---:|---:|\n' >"$out/mail-backlog.md"
STRATUM_MAIL_BACKLOG_TABLE="$out/mail-backlog.md" \
    cargo test --locked -p stratum-tests --test spec a_confirmation_goes_out_ahead -- --quiet

step "schemathesis exploration (${BENCH_FUZZ_SECONDS:-300} s)"
if infra/fuzz.sh "${BENCH_FUZZ_SECONDS:-300}" >"$out/fuzz.log" 2>&1; then
    fuzz="passed"
else
    fuzz="FOUND FAILURES (see the fuzz output of this run)"
    cat "$out/fuzz.log" >&2
fi

step "writing docs/performance.md"
{
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
    echo "$(rustc --version), commit $(git rev-parse --short HEAD), by \`infra/bench.sh $runs $warm\`."
    echo
    cat "$out/functions.md"
    echo
    echo "### DynamoDB requests per route (success path, against moto)"
    echo
    cat "$out/round-trips.md"
    echo
    echo "### Handler overhead (criterion, in-memory store, store time taken out)"
    echo
    cat "$out/handler.md"
    echo
    echo "### Local server throughput (wrk on loopback, release build, embedded store)"
    echo
    cat "$out/throughput.md"
    echo
    echo "### SIMs: import and listing (local server, release build, embedded store)"
    echo
    cat "$out/sims.md"
    echo
    echo "### SIMs: requests and write units per 1,000 imported (through the Lambda handler, moto)"
    echo
    cat "$out/sim-import.md"
    echo
    echo "### Devices: import and the map (local server, release build, embedded store)"
    echo
    cat "$out/devices.md"
    echo
    echo "### Telemetry: ingest through the local MQTT broker (speed profile, embedded store)"
    echo
    cat "$out/ingest.md"
    echo
    echo "### Telemetry: write requests per message and message to alert (through the worker's handler, moto)"
    echo
    cat "$out/ingest-dynamodb.md"
    echo
    echo "### Telemetry: one tenant's alert fan-out beside another's acknowledgements (local broker, speed profile)"
    echo
    cat "$out/fanout.md"
    echo
    echo "### Mail: a confirmation behind a full notice backlog (through the relay and notifier handlers, moto)"
    echo
    cat "$out/mail-backlog.md"
    echo
    echo "### Contract: schemathesis exploration, ${BENCH_FUZZ_SECONDS:-300} s"
    echo
    echo "$fuzz"
} >"$out/generated.md"
python3 - "$out/generated.md" docs/performance.md <<'EOF'
import re, sys
generated = open(sys.argv[1]).read()
document = open(sys.argv[2]).read()
begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
head, rest = document.split(begin)
_, tail = rest.split(end)
open(sys.argv[2], "w").write(f"{head}{begin}\n{generated}\n{end}{tail}")
EOF
step "docs/performance.md updated"
