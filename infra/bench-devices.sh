#!/usr/bin/env bash
# Device import and the map on the local server (the binary given as $1): 10,000 IMEIs
# imported as a job and handed to an organisation (time to completed, rows/s), 1,000 of them
# placed, and the map of the organisation read page by page (200 features a page). Prints a
# Markdown table. Part of infra/bench.sh.
set -euo pipefail
server="$1"
rows="${BENCH_DEVICE_ROWS:-10000}"
source "$(dirname "$0")/bench-server.sh" "$server"

PYTHONPATH="$(dirname "$0")" python3 - "$base" "$email" "$password" "$rows" <<'PY'
import json, sys, time

base, email, password, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

from bench_api import call as call_api, sign_in


def call(method, path, body=None, token=None, content_type="application/json"):
    status, answer = call_api(base, method, path, body, token, content_type)
    return status, answer

token = sign_in(base, email, password)
_, organisation = call("POST", "/api/organisations", {"name": "Bench devices"}, token)
root = organisation["id"]
model = {"name": "Bench", "manufacturer": "Acme", "inactivity_timeout_seconds": 900,
         "ports": [{"number": 1, "name": "Temperature", "kind": "analog"}]}
_, model = call("POST", "/api/device-models", model, token)

# 14-digit IMEIs: the server completes the check digit.
csv = "imei,model_id,organisation_id\n" + "".join(f"35{n:012d},{model['id']},{root}\n" for n in range(rows))
started = time.monotonic()
status, job = call("POST", "/api/devices/imports", csv.encode(), token, "text/csv")
accepted = time.monotonic() - started
assert status == 202, (status, job)
while True:
    _, job = call("GET", f"/api/devices/imports/{job['id']}?limit=1", token=token)
    if job["state"] in ("completed", "failed"):
        break
    time.sleep(0.05)
elapsed = time.monotonic() - started
assert job["state"] == "completed" and job["counts"]["created"] == rows, job

devices = f"/api/organisations/{root}/devices"
placed, cursor = 0, None
while placed < 1_000:
    _, page = call("GET", devices + "?limit=200" + (f"&cursor={cursor}" if cursor else ""), token=token)
    for device in page["items"]:
        lat, lon = 52.0 + (placed % 100) / 100, 13.0 + (placed // 100) / 10
        call("PATCH", f"{devices}/{device['id']}", {"location": {"lat": lat, "lon": lon}}, token)
        placed += 1
        if placed == 1_000:
            break
    cursor = page["next_cursor"]

features, pages, latencies, cursor = 0, 0, [], None
while True:
    page_started = time.monotonic()
    _, page = call("GET", f"/api/organisations/{root}/map?limit=200" + (f"&cursor={cursor}" if cursor else ""), token=token)
    latencies.append(time.monotonic() - page_started)
    pages += 1
    features += len(page["features"])
    cursor = page["next_cursor"]
    if not cursor:
        break
latencies.sort()
assert features == 1_000, features

print(f"{rows:,} IMEIs with their model and organisation; the job's chunks run in the server's one job task.")
print()
print("| measurement | value |")
print("|---|---:|")
print(f"| import: file accepted (202) | {accepted * 1000:.0f} ms |")
print(f"| import: file to `completed` | {elapsed:.1f} s |")
print(f"| import rate | {rows / elapsed:,.0f} rows/s |")
print(f"| map of {rows:,} devices, 1,000 placed: {pages} pages of ≤ 200 features | {sum(latencies) * 1000:.0f} ms |")
print(f"| map: page p50 / max | {latencies[len(latencies) // 2] * 1000:.1f} ms / {latencies[-1] * 1000:.1f} ms |")
PY
