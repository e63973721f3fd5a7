#!/usr/bin/env bash
# Telemetry ingest through the local broker (the server binary given as $1, the load
# generator as $2): DEVICES devices get credentials, then each publishes MESSAGES messages at
# QoS 1 over its own connection; the rate is messages acknowledged (stored) per second. Prints
# a Markdown table. Part of infra/bench.sh.
set -euo pipefail
server="$1"
load="$2"
devices="${BENCH_INGEST_DEVICES:-200}"
messages="${BENCH_INGEST_MESSAGES:-100}"
data="$(mktemp -d)"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port="$(free_port)"
mqtt_port="$(free_port)"
base="http://127.0.0.1:$port"
email="bench.admin@example.com"
password="correct horse battery staple"

STRATUM_ADDR="127.0.0.1:$port" STRATUM_MQTT_ADDR="127.0.0.1:$mqtt_port" STRATUM_DATA_DIR="$data" \
    STRATUM_BOOTSTRAP_ADMIN_EMAIL="$email" STRATUM_BOOTSTRAP_ADMIN_PASSWORD="$password" \
    "$server" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "$base/api/health" >/dev/null && break; sleep 0.1; done

python3 - "$base" "$email" "$password" "$devices" "$data/logins.json" <<'PY'
import json, sys, urllib.request

base, email, password, devices, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]

def call(method, path, body=None, token=None, content_type="application/json"):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("content-type", content_type)
    if token:
        request.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")

token = call("POST", "/api/auth/login", {"email": email, "password": password})["access_token"]
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
