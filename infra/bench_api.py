"""The bench scripts' HTTP client of the local server: JSON calls, and the admin's sign-in."""

import json
import urllib.request


def call(base, method, path, body=None, token=None, content_type="application/json"):
    """Sends `body` (JSON, or bytes as `content_type`) and answers (status, decoded JSON)."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("content-type", content_type)
    if token:
        request.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        return response.status, json.loads(response.read() or b"null")


def sign_in(base, email, password):
    """The access token of the bench's platform admin."""
    return call(base, "POST", "/api/auth/login", {"email": email, "password": password})[1]["access_token"]
