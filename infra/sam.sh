#!/usr/bin/env bash
# The deploy path, checked offline: `sam validate --lint`, then `sam build` of one function
# (default SystemFunction; pass another logical id, or `all`) through cargo-lambda and zig.
# The SAM CLI, cargo-lambda and ziglang come from PyPI into their own virtualenv
# (~/.cache/stratum/venv-sam) the first time: a global SAM install would upgrade the boto3
# that moto needs.
set -euo pipefail
cd "$(dirname "$0")/.."
function="${1:-SystemFunction}"
venv="${STRATUM_SAM_VENV:-$HOME/.cache/stratum/venv-sam}"
if [ ! -x "$venv/bin/sam" ] || [ ! -x "$venv/bin/cargo-lambda" ]; then
    echo "sam.sh: installing aws-sam-cli, cargo-lambda and ziglang from PyPI into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "aws-sam-cli==1.170.0" "cargo-lambda==1.9.2" "ziglang==0.17.1" || {
        echo "sam.sh: could not install the SAM CLI; install it with: python3 -m venv $venv && $venv/bin/pip install aws-sam-cli==1.170.0 cargo-lambda==1.9.2 ziglang==0.17.1" >&2
        exit 1
    }
fi
export PATH="$venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0
sam validate --lint
if [ "$function" = all ]; then
    sam build
else
    sam build "$function"
fi
test -x ".aws-sam/build/$([ "$function" = all ] && echo SystemFunction || echo "$function")/bootstrap"
echo "sam.sh: built $function"
