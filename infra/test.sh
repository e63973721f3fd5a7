#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing (moto[server] and
# cfn-lint from PyPI), then runs formatting and lint checks, the unit tests, the store
# conformance suite on both adapters (DynamoDB on a moto server, embedded SQLite), the
# end-to-end specs (local server, Lambda handlers fed the recorded events), cfn-lint on
# template.yaml, the contract fuzz run (schemathesis, its own virtualenv) and the deploy path
# (`sam validate --lint` and `sam build` of one function; SAM CLI, cargo-lambda and zig in their
# own virtualenv). Fails on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.local/bin:$PATH"
have() { command -v "$1" >/dev/null 2>&1; }
pip_install() {
    echo "test.sh: installing $* from PyPI" >&2
    python3 -m pip install --quiet --user "$@" 2>/dev/null || python3 -m pip install --quiet "$@"
}

has_moto() { python3 -c "import moto.server, werkzeug" >/dev/null 2>&1; }
has_moto || pip_install "moto[server]"
has_moto || { echo "test.sh: moto is still missing; install it with: pip install 'moto[server]'" >&2; exit 1; }
have cfn-lint || pip_install cfn-lint
have cfn-lint || { echo "test.sh: cfn-lint is still missing; install it with: pip install cfn-lint" >&2; exit 1; }

step() { printf '\n== %s\n' "$*" >&2; }

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests: unit, store conformance (DynamoDB on moto + SQLite), end-to-end"
cargo test --workspace --locked

step "template lint"
cfn-lint template.yaml

step "contract fuzz: schemathesis against the local server (the same cases on every machine)"
infra/fuzz.sh --fixed

step "deploy path: sam validate --lint, sam build SystemFunction"
infra/sam.sh SystemFunction

step "all passed"
