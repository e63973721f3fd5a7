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

Usage: python3 moto_serial.py HOST PORT
"""

import json
import sys
import threading

from moto.core.common_models import BaseModel
from moto.server import DomainDispatcherApplication, create_backend_app
from moto.ses.models import ses_backends
from werkzeug.serving import run_simple


def untracked(cls, *args, **kwargs):
    return object.__new__(cls)


def sent_mail() -> bytes:
    messages = [
        {"subject": message.subject, "body": message.body, "destinations": message.destinations}
        for regions in ses_backends.values()
        for backend in regions.values()
        for message in backend.sent_messages
        if hasattr(message, "subject")
    ]
    return json.dumps(messages).encode()


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    BaseModel.__new__ = staticmethod(untracked)
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):
        with lock:
            if environ.get("PATH_INFO") == "/stratum/sent-mail":
                start_response("200 OK", [("Content-Type", "application/json")])
                return [sent_mail()]
            return list(app(environ, start_response))

    run_simple(host, port, one_at_a_time, threaded=True)


if __name__ == "__main__":
    main()
