#!/usr/bin/env bash
# Telemetry ingest through the local broker (the server binary given as $1, the load
# generator as $2): DEVICES devices get credentials, then each publishes MESSAGES messages at
# QoS 1 over its own connection; the rate is messages acknowledged (stored) per second. Prints
# a Markdown table. Part of infra/bench.sh.
set -euo pipefail
server="$1"
load="$2"
devices="${BENCH_INGEST_DEVICES:-200}"
messages="${BENCH_INGEST_MESSAGES:-500}"
source "$(dirname "$0")/bench-server.sh" "$server"

PYTHONPATH="$(dirname "$0")" python3 - "$base" "$email" "$password" "$devices" "$data/logins.json" <<'PY'
import json, sys

base, email, password, devices, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]

from bench_api import call as call_api, sign_in


def call(method, path, body=None, token=None, content_type="application/json"):
    status, answer = call_api(base, method, path, body, token, content_type)
    return answer

token = sign_in(base, email, password)
root = call("POST", "/api/organisations", {"name": "Bench telemetry"}, token)["id"]
model = call("POST", "/api/device-models", {"name": "Bench", "manufacturer": "Acme", "inactivity_timeout_seconds": 900,
             "ports": [{"number": 1, "name": "Temperature", "kind": "analog", "scale": 0.1}]}, token)["id"]
call("POST", "/api/devices/imports", {"devices": [{"imei": f"35{n:012d}", "model_id": model, "organisation_id": root}
     for n in range(devices)]}, token)
ids, cursor = [], None
while True:
    page = call("GET", f"/api/organisations/{root}/devices?limit=200" + (f"&cursor={cursor}" if cursor else ""), token=token)
    ids += [d["id"] for d in page["items"]]
    cursor = page["next_cursor"]
    if not cursor:
        break
logins = [{"id": i, "password": call("POST", f"/api/organisations/{root}/devices/{i}/credentials", token=token)["mqtt"]["password"]}
          for i in ids]
json.dump(logins, open(out, "w"))
PY
result="$("$load" "127.0.0.1:$mqtt_port" "$data/logins.json" "$messages")"
echo "$devices device connections, $messages messages each at QoS 1; the broker acknowledges a message once it is stored."
echo
echo "| measurement | value |"
echo "|---|---:|"
echo "| $result | |"
