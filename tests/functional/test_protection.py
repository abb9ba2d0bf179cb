import re
import socket
import time

import pytest
import requests

from conftest import Server, assert_problem, login_admin, make_show


def running(env):
    """A server of its own with these settings, for a module fixture."""
    s = Server(env=env).start()
    yield s
    s.cleanup()


@pytest.fixture(scope="module")
def limited():
    yield from running({"BOXOFFICE_RATE_LIMIT_PER_MIN": "30", "BOXOFFICE_HEADER_TIMEOUT": "1s",
                        "BOXOFFICE_MAX_CONNECTIONS": "40"})


@pytest.fixture(scope="module")
def proxied():
    yield from running({"BOXOFFICE_RATE_LIMIT_PER_MIN": "5", "BOXOFFICE_TRUSTED_PROXIES": "127.0.0.1/32, ::1/128"})


def test_31st_request_in_a_minute_is_429(limited):
    s = requests.Session()
    for i in range(30):
        r = s.get(limited.url + "/api/v1/movies")
        assert r.status_code == 200, (i, r.text)
        assert r.headers["X-RateLimit-Limit"] == "30"
        assert r.headers["X-RateLimit-Remaining"] == str(29 - i)
    r = s.get(limited.url + "/api/v1/movies")
    body = assert_problem(r, 429, "rate-limited")
    assert int(r.headers["Retry-After"]) >= 1 and r.headers["X-RateLimit-Remaining"] == "0"
    # A forged X-Forwarded-For from an untrusted peer changes nothing.
    r = s.get(limited.url + "/api/v1/movies", headers={"X-Forwarded-For": "203.0.113.9"})
    assert r.status_code == 429
    # Operations are never limited.
    for path in ("/healthz", "/readyz", "/metrics"):
        assert s.get(limited.url + path).status_code == 200


def test_trusted_proxy_header_is_honoured(proxied):
    for client in ("198.51.100.1", "198.51.100.2"):
        for _ in range(5):
            r = requests.get(proxied.url + "/api/v1/movies", headers={"X-Forwarded-For": client})
            assert r.status_code == 200
        r = requests.get(proxied.url + "/api/v1/movies", headers={"X-Forwarded-For": "6.6.6.6, " + client})
        assert r.status_code == 429  # the left part is the client's to forge; the right-most untrusted counts


def test_metrics_are_prometheus_text_with_every_family(limited):
    requests.get(limited.url + "/healthz")
    r = requests.get(limited.url + "/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families, samples = {}, []
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*)?\})? (-?[0-9.eE+-]+|\+Inf|NaN)$')
    for line in r.text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            families[name] = kind
        elif line.startswith("# HELP ") or not line:
            continue
        else:
            m = sample.match(line)
            assert m, f"not a Prometheus sample line: {line!r}"
            samples.append(m.group(1))
    for name, kind in {
        "boxoffice_http_requests_total": "counter",
        "boxoffice_http_request_duration_seconds": "histogram",
        "boxoffice_holds_total": "counter",
        "boxoffice_bookings_total": "counter",
        "boxoffice_cache_hits_total": "counter",
        "boxoffice_cache_misses_total": "counter",
        "boxoffice_rate_limited_total": "counter",
        "boxoffice_websockets_open": "gauge",
        "boxoffice_db_pool_connections": "gauge",
        "process_resident_memory_bytes": "gauge",
        "process_open_fds": "gauge",
        "process_uptime_seconds": "gauge",
    }.items():
        assert families.get(name) == kind, name
    assert 'route="/healthz"' in r.text
    assert "boxoffice_http_request_duration_seconds_bucket" in samples
    # Route labels are templates, never raw paths.
    requests.get(limited.url + "/api/v1/movies/12345")
    text = requests.get(limited.url + "/metrics").text
    assert "/api/v1/movies/12345" not in text


def test_slowloris_is_cut_off_while_others_are_served(limited):
    slow = socket.create_connection(("127.0.0.1", limited.port))
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    start = time.time()
    closed = False
    while time.time() - start < 4:
        try:
            slow.sendall(b"X-Slow: 1\r\n")
        except OSError:
            closed = True
            break
        assert requests.get(limited.url + "/healthz").status_code == 200
        slow.settimeout(0.3)
        try:
            if slow.recv(1024) == b"":
                closed = True
                break
        except socket.timeout:
            pass
        except OSError:
            closed = True
            break
    assert closed, "a client trickling headers kept its connection"
    assert time.time() - start < 3


def test_connection_limit_holds(limited):
    idle = [socket.create_connection(("127.0.0.1", limited.port)) for _ in range(40)]
    time.sleep(0.3)
    extra = socket.create_connection(("127.0.0.1", limited.port))
    extra.settimeout(2)
    try:
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        got = extra.recv(1024)
    except OSError:
        got = b""
    assert got == b"", "a connection over the limit was served"
    for s in idle:
        s.close()
    time.sleep(0.3)
    assert requests.get(limited.url + "/healthz").status_code == 200


@pytest.fixture(scope="module")
def per_client():
    yield from running({"BOXOFFICE_HEADER_TIMEOUT": "1s", "BOXOFFICE_MAX_CONNECTIONS": "40",
                        "BOXOFFICE_MAX_CONNECTIONS_PER_CLIENT": "10"})


def served(port, source):
    """Whether a new connection from `source` gets an answer to GET /healthz."""
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=2, source_address=(source, 0))
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        got = c.recv(1024)
        c.close()
        return got.startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def test_one_address_cannot_take_every_connection(per_client):
    hog = [socket.create_connection(("127.0.0.1", per_client.port), source_address=("127.0.0.5", 0))
           for _ in range(10)]
    time.sleep(0.2)
    assert not served(per_client.port, "127.0.0.5"), "an 11th connection from one address was served"
    assert served(per_client.port, "127.0.0.6")
    for s in hog:
        s.close()
    time.sleep(0.3)
    assert served(per_client.port, "127.0.0.5")


def test_a_silent_new_connection_gets_the_header_timeout_not_the_idle_one(per_client):
    c = socket.create_connection(("127.0.0.1", per_client.port), source_address=("127.0.0.7", 0))
    c.settimeout(10)
    started = time.time()
    try:
        got = c.recv(1024)
    except OSError:
        got = b""
    took = time.time() - started
    assert got == b"" and took < 5, f"a connection that sent nothing stayed open {took:.1f} s"
    # A keep-alive connection that has been served waits the idle timeout (60 s) as before.
    k = socket.create_connection(("127.0.0.1", per_client.port), source_address=("127.0.0.7", 0))
    k.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert k.recv(1024).startswith(b"HTTP/1.1 200")
    k.settimeout(2.5)
    with pytest.raises(socket.timeout):
        k.recv(1024)
    k.close()


def test_live_sockets_count_against_their_address(per_client):
    show = make_show(login_admin(per_client.url))
    live = []
    for _ in range(10):
        c = socket.create_connection(("127.0.0.1", per_client.port), timeout=5, source_address=("127.0.0.8", 0))
        c.sendall(f"GET /api/v1/shows/{show['id']}/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode())
        assert c.recv(12) == b"HTTP/1.1 101"
        live.append(c)
    time.sleep(0.2)
    assert not served(per_client.port, "127.0.0.8"), "an 11th connection beside 10 live sockets was served"
    for c in live:
        c.close()
    time.sleep(0.5)
    assert served(per_client.port, "127.0.0.8")
