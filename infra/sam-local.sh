#!/usr/bin/env bash
# `sam local` against moto, in one command: starts moto_server, creates the table, the outbox
# queues and the verified sender, and writes .aws-sam/local-env.json (every function's
# variables, pointed at moto). Leave it running; in another shell, where a container runtime
# (Docker) exists:
#   AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
#     sam local invoke IdentityFunction -e events/apigw-v2-register.json --env-vars .aws-sam/local-env.json
#   … sam local start-api --env-vars .aws-sam/local-env.json
# Ctrl-C stops moto. STRATUM_MOTO_PORT (default 5055) and STRATUM_MOTO_BIND (default
# 127.0.0.1; on Linux, the docker bridge address, e.g. 172.17.0.1, so containers reach it)
# choose where it listens; STRATUM_CONTAINER_HOST (default host.docker.internal) is how a
# function's container names this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${STRATUM_MOTO_PORT:-5055}"
bind="${STRATUM_MOTO_BIND:-127.0.0.1}"
command -v moto_server >/dev/null 2>&1 || { echo "sam-local.sh: moto is missing; install it with: pip install 'moto[server]'" >&2; exit 1; }
mkdir -p .aws-sam
moto_server -H "$bind" -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null' EXIT
for _ in $(seq 1 100); do
    python3 -c "import socket,sys; socket.create_connection(('$bind', $port), 0.2)" 2>/dev/null && break
    sleep 0.1
done
python3 infra/sam_local/prepare.py --endpoint "http://$bind:$port" --out .aws-sam/local-env.json \
    --container-host "${STRATUM_CONTAINER_HOST:-host.docker.internal}"
echo "moto on http://$bind:$port; Ctrl-C stops it"
wait "$moto"
