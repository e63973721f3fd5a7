# Sourced by the bench scripts: starts the local server binary "$1" on free ports with a
# bootstrap platform admin ($email / $password) on a fresh data dir, waits for it, and stops
# it and removes the data dir on exit. Sets $base (its HTTP address), $mqtt_port and $data.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
data="$(mktemp -d)"
port="$(free_port)"
mqtt_port="$(free_port)"
base="http://127.0.0.1:$port"
email="bench.admin@example.com"
password="correct horse battery staple"
STRATUM_ADDR="127.0.0.1:$port" STRATUM_MQTT_ADDR="127.0.0.1:$mqtt_port" STRATUM_DATA_DIR="$data" \
    STRATUM_BOOTSTRAP_ADMIN_EMAIL="$email" STRATUM_BOOTSTRAP_ADMIN_PASSWORD="$password" \
    "$1" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "$base/api/health" >/dev/null && break; sleep 0.1; done
