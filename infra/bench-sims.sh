#!/usr/bin/env bash
# SIM import and listing on the local server (the binary given as $1): a 100,000-row CSV
# imported as a job (time to completed, rows/s), and 10,000 SIMs listed page by page (200 a
# page). Prints a Markdown table. Part of infra/bench.sh.
set -euo pipefail
server="$1"
rows="${BENCH_SIM_ROWS:-100000}"
source "$(dirname "$0")/bench-server.sh" "$server"

PYTHONPATH="$(dirname "$0")" python3 - "$base" "$email" "$password" "$rows" <<'PY'
import json, sys, time

base, email, password, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

from bench_api import call as call_api, sign_in


def call(method, path, body=None, token=None, content_type="application/json"):
    status, answer = call_api(base, method, path, body, token, content_type)
    return status, answer

def iccid(n):
    payload = f"8949{n:014d}"
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return payload + str((10 - total % 10) % 10)

token = sign_in(base, email, password)
_, organisation = call("POST", "/api/organisations", {"name": "Bench SIMs"}, token)
sims = f"/api/organisations/{organisation['id']}/sims"

csv = "iccid,imsi,labels\n" + "".join(f"{iccid(n)},26201{n:010d},bench\n" for n in range(rows))
started = time.monotonic()
status, job = call("POST", f"{sims}/import", csv.encode(), token, "text/csv")
accepted = time.monotonic() - started
assert status == 202, (status, job)
while True:
    _, job = call("GET", f"{sims}/imports/{job['id']}?limit=1", token=token)
    if job["state"] in ("completed", "failed"):
        break
    time.sleep(0.05)
elapsed = time.monotonic() - started
assert job["state"] == "completed" and job["counts"]["created"] == rows, job

pages, listed, latencies = 0, 0, []
cursor = None
while listed < 10_000:
    query = f"?limit=200" + (f"&cursor={cursor}" if cursor else "")
    page_started = time.monotonic()
    _, page = call("GET", sims + query, token=token)
    latencies.append(time.monotonic() - page_started)
    pages += 1
    listed += len(page["items"])
    cursor = page["next_cursor"]
latencies.sort()
_, summary = call("GET", f"{sims}/summary", token=token)
assert summary["total"] == rows, summary

print(f"{rows:,} rows of ICCID, IMSI and a label; the job's chunks run in the server's one job task.")
print()
print("| measurement | value |")
print("|---|---:|")
print(f"| import: file accepted (202) | {accepted * 1000:.0f} ms |")
print(f"| import: file to `completed` | {elapsed:.1f} s |")
print(f"| import rate | {rows / elapsed:,.0f} rows/s |")
print(f"| listing 10,000 SIMs, 200 a page: {pages} pages | {sum(latencies) * 1000:.0f} ms |")
print(f"| listing: page p50 / max | {latencies[len(latencies) // 2] * 1000:.1f} ms / {latencies[-1] * 1000:.1f} ms |")
PY
