#!/usr/bin/env bash
# One tenant's alerts against another's acknowledgements (issue 21, item 5), through the local
# broker (the server binary given as $1, the load generator as $2): tenant A's device has 100
# alert rules (the default cap) that each of its messages trips or clears, and publishes as
# fast as it can; tenant B's device meanwhile publishes one message at a time. B's
# acknowledgement latency is measured alone first, then beside A. Prints a Markdown table.
# Part of infra/bench.sh.
set -euo pipefail
server="$1"
load="$2"
messages="${BENCH_FANOUT_MESSAGES:-20000}"
source "$(dirname "$0")/bench-server.sh" "$server"

PYTHONPATH="$(dirname "$0")" python3 - "$base" "$email" "$password" "$data" <<'PY'
import json, sys

base, email, password, data = sys.argv[1:5]

from bench_api import call as call_api, sign_in


def call(method, path, body=None, token=None):
    return call_api(base, method, path, body, token)[1]

token = sign_in(base, email, password)
model = call("POST", "/api/device-models", {"name": "Bench", "manufacturer": "Acme", "inactivity_timeout_seconds": 900,
             "ports": [{"number": 1, "name": "Temperature", "kind": "analog", "scale": 0.1}]}, token)["id"]
for tenant, imei, rules in (("a", "35100000000000", 100), ("b", "35100000000001", 0)):
    root = call("POST", "/api/organisations", {"name": f"Bench tenant {tenant}"}, token)["id"]
    call("POST", "/api/devices/imports", {"devices": [{"imei": imei, "model_id": model, "organisation_id": root}]}, token)
    device = call("GET", f"/api/organisations/{root}/devices", token=token)["items"][0]["id"]
    for n in range(rules):
        call("POST", f"/api/organisations/{root}/alert-rules", {"name": f"Rule {n}", "port": 1, "condition": ">",
             "value": n % 50, "severity": ["critical", "major", "minor", "warning", "info"][n % 5],
             "recipients": {"roles": ["owner"]}}, token)
    password = call("POST", f"/api/organisations/{root}/devices/{device}/credentials", token=token)["mqtt"]["password"]
    json.dump([{"id": device, "password": password}], open(f"{data}/{tenant}.json", "w"))
PY
alone="$("$load" latency "127.0.0.1:$mqtt_port" "$data/b.json" 200)"
"$load" "127.0.0.1:$mqtt_port" "$data/a.json" "$messages" alternate >"$data/a.out" &
flood=$!
sleep 0.2
beside="$("$load" latency "127.0.0.1:$mqtt_port" "$data/b.json" 200)"
wait $flood
[ -s "$data/a.out" ] || { echo "bench-fanout.sh: tenant A's load generator reported nothing" >&2; exit 1; }
echo "Tenant A: one device, 100 alert rules, $messages messages at QoS 1 each tripping or clearing all of them ($(cat "$data/a.out")). Tenant B: one device, 200 messages one at a time."
echo
echo "| tenant B's acknowledgement latency | value |"
echo "|---|---:|"
echo "| alone | $alone |"
echo "| while tenant A's device trips its rules | $beside |"
