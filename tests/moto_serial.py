"""moto's server, applying one request at a time.

DynamoDB applies each conditional write atomically. moto's stock `moto_server` serves requests
on many threads and checks conditions without a lock, so racing conditional writes can both
succeed and concurrent counter updates can be lost (seen: 2 winners of one version race, 42 of
50 increments). Serialising requests restores DynamoDB's per-item atomicity; clients still race
each other in flight exactly as before.

It also answers `GET /stratum/sent-mail` with the e-mails SES "sent", as JSON. moto's own
`/moto-api/data.json` walks every model instance moto ever created (every DynamoDB item
version included, kept for that page alone), so it slows down and grows without bound as a
test process runs; this server stops that tracking and reads SES's backends directly.

It also rolls a failed transaction back from an undo log of the items the transaction names,
where moto deep-copies every table it touches before each transaction: a cost that grows with
the table, so a test that writes thousands of items through transactions (1,200 companies,
5,000 memberships) took minutes per thousand. Requests are applied one at a time, so the undo
log sees exactly what the transaction changes.

It also answers the IoT data plane's `DeleteConnection` (`DELETE /connections/{clientId}`),
which moto does not implement, as IoT Core answers it for a client that is not connected (404
`ResourceNotFoundException`), and lists the client ids asked for at
`GET /stratum/deleted-connections`, so a spec can see that revoking credentials ends the
device's open connection.

Usage: python3 moto_serial.py HOST PORT
"""

import copy
import json
import sys
import threading

from moto.core.common_models import BaseModel
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.server import DomainDispatcherApplication, create_backend_app
from moto.ses.models import ses_backends
from werkzeug.serving import run_simple


def untracked(cls, *args, **kwargs):
    return object.__new__(cls)


class TablesNotCopied:
    """`copy` as moto's DynamoDB backend uses it, except that a whole table is not copied
    (the backup `transact_write_items` takes); any other value is."""

    @staticmethod
    def deepcopy(value, memo=None):
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def transactions_with_an_undo_log() -> None:
    original = dynamodb_models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            try:
                operation = next(iter(entry.values()))
                table = self.get_table(operation["TableName"])
                key = operation.get("Item") or operation["Key"]
                hash_value = DynamoType(key[table.hash_key_attr])
                range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            except Exception:  # a malformed entry: the transaction itself refuses it
                continue
            current = table.get_item(hash_value, range_value)
            saved.append((table, hash_value, range_value, copy.deepcopy(current)))
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, item in reversed(saved):
                if range_value is None:
                    if item is None:
                        table.items.pop(hash_value, None)
                    else:
                        table.items[hash_value] = item
                elif item is None:
                    table.items[hash_value].pop(range_value, None)
                else:
                    table.items[hash_value][range_value] = item
            raise

    dynamodb_models.copy = TablesNotCopied
    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items


def sent_mail() -> bytes:
    messages = [
        {"subject": message.subject, "body": message.body, "destinations": message.destinations}
        for regions in ses_backends.values()
        for backend in regions.values()
        for message in backend.sent_messages
        if hasattr(message, "subject")
    ]
    return json.dumps(messages).encode()


DELETED_CONNECTIONS = []


def delete_connection(environ, start_response) -> list:
    """IoT Core's answer to DeleteConnection for a client with no open connection."""
    DELETED_CONNECTIONS.append(environ["PATH_INFO"].removeprefix("/connections/"))
    body = json.dumps({"message": "No connection for this client id"}).encode()
    start_response(
        "404 Not Found",
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", "ResourceNotFoundException")],
    )
    return [body]


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    BaseModel.__new__ = staticmethod(untracked)
    transactions_with_an_undo_log()
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):
        with lock:
            path = environ.get("PATH_INFO", "")
            if path == "/stratum/sent-mail":
                start_response("200 OK", [("Content-Type", "application/json")])
                return [sent_mail()]
            if path == "/stratum/deleted-connections":
                start_response("200 OK", [("Content-Type", "application/json")])
                return [json.dumps(DELETED_CONNECTIONS).encode()]
            if environ.get("REQUEST_METHOD") == "DELETE" and path.startswith("/connections/"):
                return delete_connection(environ, start_response)
            return list(app(environ, start_response))

    run_simple(host, port, one_at_a_time, threaded=True)


if __name__ == "__main__":
    main()
