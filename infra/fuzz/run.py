"""The contract fuzz run: starts the local server on a fresh data dir, signs in a platform admin
and an organisation owner, and runs schemathesis (every check, seed 42) against the served
OpenAPI document once as each. Exits non-zero on any failure.

Usage: run.py <stratum binary> <schemathesis executable> fixed <examples per operation>
       run.py <stratum binary> <schemathesis executable> explore <seconds per caller>

`fixed` (the test command's) generates the same cases on every machine: a fixed seed and
number of examples per operation, one worker, no example database and no time bound deciding
what runs. `explore` (infra/fuzz.sh, the bench command) keeps fuzzing until its time is spent,
on two workers, to find what the fixed run does not.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADMIN = ("fuzz-admin@stratum.test", "fuzzing admin passphrase 7731")
OWNER = ("fuzz-owner@stratum.test", "fuzzing owner passphrase 4410")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(base: str, method: str, path: str, body=None, token=None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        text = response.read()
        return json.loads(text) if text else {}


def confirmation_token(mail_dir: Path, address: str) -> str:
    for _ in range(100):
        for mail in sorted(mail_dir.glob("*.eml")):
            text = mail.read_text(errors="replace")
            if address in text:
                found = re.search(r"token=([A-Za-z0-9_\-]+)", text)
                if found:
                    return found.group(1)
        time.sleep(0.1)
    sys.exit(f"fuzz: no confirmation mail for {address} in {mail_dir}")


def with_known_ids(root: str, company: str, owner: str) -> str:
    """The run's configuration, with ids that exist: half the generated organisation ids are the
    owner's root or company and some user ids the owner's, so success paths (and their answers'
    schemas) are exercised, not only 404s."""
    return (HERE / "schemathesis.toml").read_text() + f"""
[dictionaries.organisations]
values = ["{root}", "{company}"]

[dictionaries.users]
values = ["{owner}"]

[parameters]
"path.organisation_id" = {{ dictionary = "organisations", probability = 0.5 }}
"path.user_id" = {{ dictionary = "users", probability = 0.3 }}
"""


def main() -> int:
    binary, schemathesis, mode, amount = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if mode == "fixed":
        # Cases decided by the seed and the counts alone, so every machine runs the same ones.
        budget_options = lambda share: [
            "--max-examples", str(max(1, amount // share)), "--workers", "1", "--generation-database", "none",
        ]
        describe = lambda share: f"{max(1, amount // share)} examples per operation"
    elif mode == "explore":
        budget_options = lambda share: ["--max-time", str(max(10, amount // share)), "--workers", "2"]
        describe = lambda share: f"{max(10, amount // share)} s"
    else:
        sys.exit(f"fuzz: unknown mode {mode!r}: fixed <examples> or explore <seconds>")
    data_dir = Path(tempfile.mkdtemp(prefix="stratum-fuzz-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        STRATUM_ADDR=f"127.0.0.1:{port}",
        STRATUM_MQTT_ADDR="127.0.0.1:0",
        STRATUM_DATA_DIR=str(data_dir),
        STRATUM_BOOTSTRAP_ADMIN_EMAIL=ADMIN[0],
        STRATUM_BOOTSTRAP_ADMIN_PASSWORD=ADMIN[1],
        RUST_LOG="warn",
    )
    server = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                call(base, "GET", "/api/health")
                break
            except OSError:
                time.sleep(0.05)
        admin = call(base, "POST", "/api/auth/login", {"email": ADMIN[0], "password": ADMIN[1]})["access_token"]
        call(base, "POST", "/api/auth/register", {"email": OWNER[0], "password": OWNER[1], "name": "Fuzz Owner"})
        token = confirmation_token(data_dir / "mail", OWNER[0])
        call(base, "POST", "/api/auth/confirm-email", {"token": token, "password": OWNER[1]})
        owner = call(base, "POST", "/api/auth/login", {"email": OWNER[0], "password": OWNER[1]})["access_token"]
        organisation = call(base, "POST", "/api/organisations", {"name": "Fuzz Holdings"}, owner)
        company = call(base, "POST", f"/api/organisations/{organisation['id']}/suborganisations", {"name": "Fuzz Company"}, owner)
        owner_id = call(base, "GET", "/api/me", token=owner)["id"]
        config = data_dir / "schemathesis.toml"
        config.write_text(with_known_ids(organisation["id"], company["id"], owner_id))
        failed = False
        for who, bearer in (("owner", owner), ("platform admin", admin)):
            # Revoking a session the fuzzer learnt from GET /api/me/sessions ends the run's own
            # session, so that operation is fuzzed last, on its own.
            for operations, share in (
                (["--exclude-operation-id", "revokeSession"], 1),
                (["--include-operation-id", "revokeSession"], 6),
            ):
                print(f"\n== schemathesis as the {who} ({describe(share)})", flush=True)
                command = [
                    schemathesis, "--config-file", str(config), "run", f"{base}/api/openapi.json",
                    "-H", f"Authorization: Bearer {bearer}",
                    "--checks", "all",
                    "--phases", "examples,coverage,fuzzing",
                    *budget_options(share),
                    "--no-color",
                    *operations,
                ]
                run = echoed(command)
                if run.returncode != 0 and "Failures:" not in run.stdout and "Runtime Error" in run.stdout:
                    # schemathesis's own generator broke (Hypothesis calls it flaky), with no
                    # failure of the API: that run says nothing of the API, so it runs again once.
                    print("\n== schemathesis failed inside its generator, not on the API; once more", flush=True)
                    run = echoed(command)
                failed |= run.returncode != 0
        return 1 if failed else 0
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


def echoed(command):
    """Runs `command`, printing its output and keeping it to read."""
    run = subprocess.run(command, capture_output=True, text=True)
    sys.stdout.write(run.stdout)
    sys.stderr.write(run.stderr)
    sys.stdout.flush()
    return run


if __name__ == "__main__":
    sys.exit(main())
