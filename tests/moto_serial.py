"""moto's server, applying one request at a time.

DynamoDB applies each conditional write atomically. moto's stock `moto_server` serves requests
on many threads and checks conditions without a lock, so racing conditional writes can both
succeed and concurrent counter updates can be lost (seen: 2 winners of one version race, 42 of
50 increments). Serialising requests restores DynamoDB's per-item atomicity; clients still race
each other in flight exactly as before.

Usage: python3 moto_serial.py HOST PORT
"""

import sys
import threading

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    run_simple(host, port, one_at_a_time, threaded=True)


if __name__ == "__main__":
    main()
