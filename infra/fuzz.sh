#!/usr/bin/env bash
# The contract fuzz run: schemathesis (every check, seed 42) against the local server's OpenAPI
# document, as a signed-in owner and as a platform admin. schemathesis is installed from PyPI
# into its own virtualenv (~/.cache/stratum/venv-schemathesis) the first time.
#
#   infra/fuzz.sh --fixed [examples]   the test command's run: the same cases on every machine
#                                      (seed 42, 40 examples per operation by default, one
#                                      worker, no example database, no time bound)
#   infra/fuzz.sh [seconds]            exploration: fuzzes each caller until the time is spent
#                                      (default 600 s), to find what the fixed run does not;
#                                      a finding is printed and the exit status is non-zero
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--fixed" ]; then
    mode=fixed
    amount="${2:-40}"
else
    mode=explore
    amount="${1:-600}"
fi
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
exec python3 infra/fuzz/run.py "$target/debug/stratum" "$venv/bin/schemathesis" "$mode" "$amount"
