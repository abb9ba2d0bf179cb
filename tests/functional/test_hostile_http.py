"""Hostile HTTP (issue 10, items 13-15): smuggling, Host rules, absolute-form targets, bad
chunks, WebSocket handshake errors, conditional requests on static files, invalid UTF-8."""
import base64
import json
import socket
import time

import requests

from conftest import assert_problem


def exchange(server, raw, timeout=3):
    """Sends raw bytes, reads until the server closes (or the timeout); returns everything read."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as c:
        c.sendall(raw)
        data = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                chunk = c.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                return data, True
            data += chunk
        return data, False


def trickle(server, pieces, delay):
    """Sends each piece in a segment of its own, `delay` seconds apart, then reads until the
    server closes; returns everything read."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as c:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in pieces:
            c.sendall(piece)
            time.sleep(delay)
        data = b""
        while chunk := c.recv(65536):
            data += chunk
        return data


def statuses(data):
    return [int(line.split(b" ")[1]) for line in data.split(b"\r\n") if line.startswith(b"HTTP/1.")]


SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


def test_transfer_encoding_other_than_chunked_is_refused_and_closed(server):
    for te, want in ((b"identity", 400), (b"chunked, identity", 400), (b"xchunked", 400), (b"gzip, chunked", 501)):
        for length in (True, False):
            body = SMUGGLED if want == 400 else b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED
            raw = (b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   b"Transfer-Encoding: " + te + b"\r\n" +
                   (b"Content-Length: " + str(len(body)).encode() + b"\r\n" if length else b"") + b"\r\n" + body)
            data, closed = exchange(server, raw)
            # With a Content-Length as well the message is ambiguous: 400 whatever the coding.
            assert statuses(data) == [want if not length else 400], (te, length, data[:300])
            assert closed, te
            assert b"application/problem+json" in data


def test_two_transfer_encoding_lines_are_refused(server):
    raw = (b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n"
           b"0\r\n\r\n" + SMUGGLED)
    data, closed = exchange(server, raw)
    assert statuses(data) == [400] and closed


def test_host_rules(server):
    data, closed = exchange(server, b"GET /healthz HTTP/1.1\r\n\r\n")
    assert statuses(data) == [400] and closed
    data, closed = exchange(server, b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    assert statuses(data) == [400] and closed
    data, _ = exchange(server, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert statuses(data) == [200]


def test_a_repeated_credential_or_idempotency_key_is_refused(server):
    # Which one counts would be a guess (a proxy may pick the other): neither is used.
    for header in (b"Authorization: Bearer a", b"Idempotency-Key: k"):
        twice = header + b"\r\n" + header + b"2\r\n"
        data, closed = exchange(server, b"GET /api/v1/holds HTTP/1.1\r\nHost: x\r\n" + twice + b"\r\n")
        assert statuses(data) == [400] and closed, data[:300]


def test_a_repeated_websocket_key_or_version_is_refused(server):
    for extra in (b"Sec-WebSocket-Key: c2Vjb25kIGtleSBoZXJlIQ==\r\n", b"Sec-WebSocket-Version: 13\r\n"):
        raw = (b"GET /api/v1/shows/1/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + extra + b"\r\n")
        data, closed = exchange(server, raw)
        assert statuses(data) == [400] and closed, data[:300]


def test_http_1_0_gets_no_100_continue(server):
    body = b'{"email": "a@example.com", "password": "whatever-pass"}'
    raw = (b"POST /api/v1/sessions HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
           b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    data, _ = exchange(server, raw)
    assert statuses(data) == [401], data[:300]


def test_empty_lines_before_a_request_line_are_ignored(server):
    data, _ = exchange(server, b"\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert statuses(data) == [200], data[:300]
    # After a request on the same connection, as some clients send after a POST body.
    data, _ = exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n\r\n"
                               b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert data.count(b"HTTP/1.1 200 OK\r\n") == 2 and b" 400 " not in data, data[:400]
    # Line ends alone, one at a time, do not keep a connection: the fifth goes to the parser.
    assert statuses(trickle(server, [b"\r\n"] * 5, 0.05)) == [400]


def test_absolute_form_target_is_served(server):
    data, _ = exchange(server, b"GET http://example.com/healthz HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
    assert statuses(data) == [200], data[:200]
    assert b'{"status":"ok"}' in data


def test_bad_chunk_size_gets_400_before_close(server):
    raw = (b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
    data, closed = exchange(server, raw)
    assert statuses(data) == [400], data[:300]
    assert closed


def test_bare_line_feeds_in_chunk_framing_get_400_at_once(server):
    # The parser waits for a CRLF that never comes: without the check the connection sat until
    # the 30 s body timeout and closed without an answer.
    for body in (b"2\n{}\n0\n\n", b"2\r\n{}\n0\r\n\r\n", b"2\r\n{}\r\n0\r\nX-T: 1\n\n",
                 b"2\r\n{}\r\n0\n\n"):
        raw = (b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n" + body)
        started = time.time()
        data, closed = exchange(server, raw)
        assert statuses(data) == [400], (body, data[:300])
        assert closed and time.time() - started < 2.5, body
        assert b"application/problem+json" in data


def test_an_endless_chunk_extension_is_cut_off(server):
    # Beast bounds neither chunk extensions nor trailers: the server buffered all of them (561
    # MiB in 4 s from one connection) until the body timeout.
    pid = server.proc.pid

    def rss_kib():
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

    before = rss_kib()
    for head in (b"1;", b"1\r\nx\r\n0\r\nX-Trailer: "):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as c:
            c.sendall(b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n" + head)
            sent, data, refused = 0, b"", False
            try:
                while sent < 256 * 1024 * 1024:
                    c.sendall(b"a" * 65536)
                    sent += 65536
            except (ConnectionResetError, BrokenPipeError):
                refused = True  # refused and closed: what should happen
            try:
                while True:
                    chunk = c.recv(65536)
                    if not chunk:
                        refused = True
                        break
                    data += chunk
            except ConnectionResetError:
                refused = True
            assert sent < 64 * 1024 * 1024, f"the server took {sent >> 20} MiB of framing"
            # A server that merely stopped reading would leave the socket open: a timeout here.
            assert refused, "the connection was neither answered nor closed"
            assert statuses(data) in ([400], []), data[:300]
    assert rss_kib() - before < 64 * 1024


def test_line_feeds_inside_chunk_data_are_data(server):
    # A chunk's data may hold line feeds (pretty-printed JSON); only the framing must use CRLF.
    body = b'{\n "email": "nobody@example.com",\n "password": "wrong-password"\n}'
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:3], body[3:9], body[9:])) + b"0\r\n\r\n"
    raw = (b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks)
    data, _ = exchange(server, raw)
    assert statuses(data) == [401], data[:300]
    # Byte by byte, so the server parses after every byte and checks what is left each time.
    data = trickle(server, [raw[i:i + 1] for i in range(len(raw))], 0.002)
    assert statuses(data) == [401], data[:300]


def test_a_content_encoded_request_body_is_415(server):
    import gzip
    body = gzip.compress(b'{"email": "a@example.com", "password": "whatever-pass"}')
    for coding in ("gzip", "identity, br"):
        r = requests.post(server.url + "/api/v1/sessions", data=body,
                          headers={"Content-Type": "application/json", "Content-Encoding": coding})
        assert_problem(r, 415, "unsupported-media-type")
    r = requests.post(server.url + "/api/v1/sessions", json={"email": "a@example.com", "password": "whatever-pass"},
                      headers={"Content-Encoding": "identity"})
    assert r.status_code == 401


def ws_handshake(key, version=b"13"):
    return (b"GET /api/v1/shows/1/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Version: " + version + b"\r\nSec-WebSocket-Key: " + key + b"\r\nX-Request-Id: ws-check-1\r\n\r\n")


def test_frames_sent_before_the_handshake_answer_are_refused_not_dropped(server, admin):
    from conftest import make_show
    show = make_show(admin)
    close_frame = bytes([0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xE8 ^ 2])  # masked close 1000
    raw = ws_handshake(b"dGhlIHNhbXBsZSBub25jZQ==").replace(b"/shows/1/", f"/shows/{show['id']}/".encode())
    data, closed = exchange(server, raw + close_frame)
    assert statuses(data) == [400] and closed, data[:300]
    assert b"application/problem+json" in data
    # Without the early frame the same handshake is accepted.
    data, _ = exchange(server, raw, timeout=1)
    assert statuses(data) == [101], data[:300]


def test_websocket_handshake_errors_are_problems(server, admin):
    from conftest import make_show
    show = make_show(admin)
    for key in (b"short", base64.b64encode(b"x" * 15), base64.b64encode(b"x" * 17), b"!!!!!!!!!!!!!!!!!!!!!!==" ):
        raw = ws_handshake(key).replace(b"/shows/1/", f"/shows/{show['id']}/".encode())
        data, _ = exchange(server, raw, timeout=2)
        head, _, body = data.partition(b"\r\n\r\n")
        assert statuses(data)[:1] == [400], (key, data[:300])
        assert b"application/problem+json" in head and b"X-Request-Id: ws-check-1" in head
        assert json.loads(body)["status"] == 400
    raw = ws_handshake(base64.b64encode(b"k" * 16), b"8").replace(b"/shows/1/", f"/shows/{show['id']}/".encode())
    data, _ = exchange(server, raw, timeout=2)
    assert statuses(data)[:1] == [426] and b"Sec-WebSocket-Version: 13" in data
    good = ws_handshake(base64.b64encode(b"k" * 16)).replace(b"/shows/1/", f"/shows/{show['id']}/".encode())
    data, _ = exchange(server, good, timeout=1)
    assert statuses(data)[:1] == [101]


def test_static_files_honour_if_none_match_forms(server):
    r = requests.get(server.url + "/static/app.js", timeout=5)
    etag = r.headers["ETag"]
    for inm in (etag, "W/" + etag, '"other", ' + etag, "*"):
        assert requests.get(server.url + "/static/app.js", headers={"If-None-Match": inm}, timeout=5).status_code == 304, inm
    assert requests.get(server.url + "/static/app.js", headers={"If-None-Match": '"other"'}, timeout=5).status_code == 200


def test_invalid_utf8_is_never_echoed(server):
    data, _ = exchange(server, b"GET /api/v1/movies/%ff%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert statuses(data) == [404] or statuses(data) == [400]
    body.decode("utf-8")  # raises on invalid UTF-8
    data, _ = exchange(server, b"GET /nope/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    _, _, body = data.partition(b"\r\n\r\n")
    body.decode("utf-8")
    time.sleep(0.3)
    with open(server.log_path, "rb") as f:
        for line in f.read().splitlines():
            line.decode("utf-8")


def test_unauthorized_carries_www_authenticate(server):
    r = requests.get(server.url + "/api/v1/users/me", timeout=5)
    assert_problem(r, 401)
    assert r.headers["WWW-Authenticate"] == "Bearer"
    r = requests.get(server.url + "/api/v1/users/me", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert_problem(r, 401)
    assert r.headers["WWW-Authenticate"] == "Bearer"
