#!/usr/bin/env bash
# The contract fuzz run: schemathesis (every check, fixed seed) against the local server's
# OpenAPI document, as a signed-in owner and as a platform admin. The test command runs it for
# 60 s per caller; a longer run is `infra/fuzz.sh 600`. schemathesis is installed from PyPI into
# its own virtualenv (~/.cache/stratum/venv-schemathesis) the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
venv="${STRATUM_SCHEMATHESIS_VENV:-$HOME/.cache/stratum/venv-schemathesis}"
if [ ! -x "$venv/bin/schemathesis" ]; then
    echo "fuzz.sh: installing schemathesis 4.32.5 from PyPI into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==4.32.5" || {
        echo "fuzz.sh: could not install schemathesis; install it with: python3 -m venv $venv && $venv/bin/pip install schemathesis==4.32.5" >&2
        exit 1
    }
fi
cargo build --quiet --locked -p stratum
target="${CARGO_TARGET_DIR:-target}"
exec python3 infra/fuzz/run.py "$target/debug/stratum" "$venv/bin/schemathesis" "$seconds"
