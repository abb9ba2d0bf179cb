"""Loads the shared black-box harness (tests/harness) for this suite."""
import os
import sys
import urllib.parse

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))

from boxoffice_harness import *  # noqa: E402,F401,F403  (fixtures and helpers for the tests)
from boxoffice_harness import admin, pg_cluster, server  # noqa: E402,F401  (pytest finds fixtures by name)


# Every HTTP response the suite receives from the server under test, for the check against
# docs/openapi.yaml in test_openapi.py (which runs after every other test of the session).
RECORDED_RESPONSES = []
_current_test = {"id": "(session setup)"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _current_test["id"] = item.nodeid
    yield


def pytest_collection_modifyitems(session, config, items):
    # Tests marked with `run_last = True` (the recorded-response check) go after all others.
    items.sort(key=lambda item: bool(getattr(getattr(item, "function", None), "run_last", False)))


@pytest.fixture(scope="session", autouse=True)
def recorded_responses():
    """Records (test, method, path, status, headers, body) of every response that any
    requests.Session (the harness's Client and plain requests.get/post alike) gets from a server
    on loopback. The body is read here only when the caller did not ask to stream it (else None)."""
    original = requests.Session.send

    def send(self, request, **kwargs):
        response = original(self, request, **kwargs)
        url = urllib.parse.urlsplit(request.url)
        if url.hostname in ("127.0.0.1", "localhost", "::1"):
            body = None if kwargs.get("stream") else response.content
            RECORDED_RESPONSES.append({
                "test": _current_test["id"],
                "method": request.method,
                "path": url.path + ("?" + url.query if url.query else ""),
                "status": response.status_code,
                "headers": dict(response.headers),
                "body": body,
            })
        return response

    requests.Session.send = send
    try:
        yield RECORDED_RESPONSES
    finally:
        requests.Session.send = original
