"""Prepares an AWS-compatible server (moto) for `sam local`: the table as template.yaml declares
it, the outbox, notices and SIM import queues and their dead-letter queues, the verified sender, fresh secrets, and an
env-vars file giving every function in template.yaml each variable it declares, pointed at the
server as a function container reaches it.

Usage: prepare.py --endpoint http://127.0.0.1:PORT --out env.json [--container-host host.docker.internal]
"""

import argparse
import base64
import hashlib
import json
import secrets
import sys
from pathlib import Path

import boto3
import yaml

ROOT = Path(__file__).resolve().parents[2]
MAIL_FROM = "no-reply@stratum.local"
TABLE = "stratum-local"
DEVICE_POLICY = "stratum-local-devices"


class CloudFormationLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (`!Ref`, `!Sub`, `!GetAtt`…) as plain values."""


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}


CloudFormationLoader.add_multi_constructor("!", _tag)


def template() -> dict:
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=CloudFormationLoader)


def resolve_sub(value, account="123456789012", region="us-east-1"):
    """`value` with its `!Sub`s resolved for moto's account (`${!x}` is the literal `${x}`)."""
    if isinstance(value, dict) and list(value) == ["Sub"]:
        text = value["Sub"]
        for name, actual in {"AWS::Partition": "aws", "AWS::Region": region, "AWS::AccountId": account}.items():
            text = text.replace("${" + name + "}", actual)
        return text.replace("${!", "${")
    if isinstance(value, dict):
        return {key: resolve_sub(item, account, region) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_sub(item, account, region) for item in value]
    return value


def public_key(signing_secret: str) -> str:
    """The base64 raw Ed25519 public key of a signing secret, as `cargo run -- keys` prints it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    seed = hashlib.sha256(signing_secret.encode()).digest()
    key = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def mail_public_key(mail_secret: str) -> str:
    """The base64url X25519 public key of a mail key secret, as `cargo run -- keys` prints it."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    seed = hashlib.sha256(mail_secret.encode()).digest()
    key = X25519PrivateKey.from_private_bytes(seed).public_key()
    return base64.urlsafe_b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode().rstrip("=")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--container-host", default="host.docker.internal")
    args = parser.parse_args()

    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    resources = template()["Resources"]

    table = resources["Table"]["Properties"]
    dynamodb = session.client("dynamodb", endpoint_url=args.endpoint)
    if TABLE not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(
            TableName=TABLE,
            BillingMode=table["BillingMode"],
            AttributeDefinitions=table["AttributeDefinitions"],
            KeySchema=table["KeySchema"],
            GlobalSecondaryIndexes=table["GlobalSecondaryIndexes"],
        )
        dynamodb.update_time_to_live(TableName=TABLE, TimeToLiveSpecification=table["TimeToLiveSpecification"])

    sqs = session.client("sqs", endpoint_url=args.endpoint)

    def queue_with_dead_letters(name: str) -> str:
        dead = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return sqs.create_queue(
            QueueName=name,
            Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": "5"})},
        )["QueueUrl"]

    outbox = queue_with_dead_letters("stratum-local-outbox")
    notices = queue_with_dead_letters("stratum-local-notices")
    imports = queue_with_dead_letters("stratum-local-sims-import")

    session.client("ses", endpoint_url=args.endpoint).verify_email_identity(EmailAddress=MAIL_FROM)

    iot = session.client("iot", endpoint_url=args.endpoint)
    if DEVICE_POLICY not in [p["policyName"] for p in iot.list_policies()["policies"]]:
        document = resolve_sub(resources["DevicePolicy"]["Properties"]["PolicyDocument"])
        iot.create_policy(policyName=DEVICE_POLICY, policyDocument=json.dumps(document))

    signing_key = secrets.token_urlsafe(32)
    mail_key = secrets.token_urlsafe(32)
    reachable = args.endpoint.replace("127.0.0.1", args.container_host).replace("localhost", args.container_host)
    values = {
        "STRATUM_AWS_ENDPOINT_URL": reachable,
        "STRATUM_TABLE": TABLE,
        "STRATUM_QUEUE_URL": outbox.replace("127.0.0.1", args.container_host).replace("localhost", args.container_host),
        "STRATUM_NOTICE_QUEUE_URL": notices.replace("127.0.0.1", args.container_host).replace(
            "localhost", args.container_host
        ),
        "STRATUM_NOTICE_QUEUE_ARN": sqs.get_queue_attributes(QueueUrl=notices, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"],
        "STRATUM_SIMS_IMPORT_QUEUE_URL": imports.replace("127.0.0.1", args.container_host).replace(
            "localhost", args.container_host
        ),
        "STRATUM_IOT_POLICY_NAME": DEVICE_POLICY,
        "STRATUM_WEB_URL": "http://127.0.0.1:3000",
        "STRATUM_MAIL_FROM": MAIL_FROM,
        "STRATUM_JWT_SIGNING_KEY": signing_key,
        "STRATUM_JWT_PUBLIC_KEYS": public_key(signing_key),
        "STRATUM_DATA_KEY": secrets.token_urlsafe(32),
        "STRATUM_MAIL_KEY": mail_key,
        "STRATUM_MAIL_PUBLIC_KEY": mail_public_key(mail_key),
        "STRATUM_BOOTSTRAP_ADMIN_EMAIL": "",
        "STRATUM_BOOTSTRAP_ADMIN_PASSWORD": "",
        "RUST_LOG": "info",
    }
    global_variables = template()["Globals"]["Function"]["Environment"]["Variables"]
    env = {}
    for name, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        declared = dict(global_variables)
        declared.update(resource["Properties"].get("Environment", {}).get("Variables", {}))
        missing = [variable for variable in declared if variable not in values]
        if missing:
            sys.exit(f"prepare.py: no local value for {name}'s {', '.join(missing)}")
        env[name] = {variable: values[variable] for variable in declared}
    Path(args.out).write_text(json.dumps(env, indent=2) + "\n")
    print(f"prepared {args.endpoint}: table {TABLE}, queue {outbox}, sender {MAIL_FROM}; env vars in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
