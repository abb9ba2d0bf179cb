import json
import signal
import socket
import struct
import threading
import time

import pytest
import requests
import websocket

from conftest import Server, assert_problem, login_admin, make_show, register


# Live sockets on the I/O threads that accepted them (the default) and on a thread of their own.
@pytest.fixture(scope="module", params=["0", "1"], ids=["io-threads", "live-thread"])
def live(request):
    s = Server(env={"BOXOFFICE_HOLD_TTL": "1s", "BOXOFFICE_LIVE_THREADS": request.param}).start()
    yield s
    s.cleanup()


def ws_url(server, show_id):
    return f"ws://127.0.0.1:{server.port}/api/v1/shows/{show_id}/live"


def next_changes(ws, timeout=5):
    ws.settimeout(timeout)
    msg = json.loads(ws.recv())
    assert msg["type"] == "seats"
    return msg


def collect(ws, want, timeout=5):
    """Reads frames until every (seat, status) in `want` was seen in order per seat."""
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        msg = next_changes(ws, max(0.1, deadline - time.time()))
        seen += [(c["seat"], c["status"]) for c in msg["changes"]]
        if all(w in seen for w in want):
            return seen
    raise AssertionError(f"wanted {want}, saw {seen}")


def test_snapshot_then_every_kind_of_change(live):
    admin = login_admin(live.url)
    show = make_show(admin)
    ws = websocket.create_connection(ws_url(live, show["id"]), timeout=5)
    snap = json.loads(ws.recv())
    assert snap["type"] == "snapshot" and snap["show_id"] == show["id"]
    assert len(snap["seats"]) == 15 and set(snap["seats"].values()) == {"available"}

    u = register(live.url)
    hold = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1", "A2"]}).json()
    assert collect(ws, [("A1", "held"), ("A2", "held")])
    booking = u.post("/api/v1/bookings", {"hold_id": hold["hold_id"]}).json()
    assert collect(ws, [("A1", "booked"), ("A2", "booked")])
    u.post(f"/api/v1/bookings/{booking['id']}/cancel")
    assert collect(ws, [("A1", "available"), ("A2", "available")])
    h2 = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["B1"]}).json()
    assert collect(ws, [("B1", "held")])
    u.delete(f"/api/v1/holds/{h2['hold_id']}")
    assert collect(ws, [("B1", "available")])
    # Expiry: nobody sends a request; the change must arrive within about a second of the expiry.
    u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["B2"]})
    assert collect(ws, [("B2", "held")])
    start = time.time()
    assert collect(ws, [("B2", "available")], timeout=4)
    assert time.time() - start < 1.0 + 1.0
    ws.close()


def test_snapshot_reflects_current_state(live):
    admin = login_admin(live.url)
    show = make_show(admin)
    u = register(live.url)
    hold = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A5"]}).json()
    u.post("/api/v1/bookings", {"hold_id": hold["hold_id"]})
    ws = websocket.create_connection(ws_url(live, show["id"]), timeout=5)
    snap = json.loads(ws.recv())
    assert snap["seats"]["A5"] == "booked" and snap["seats"]["A4"] == "available"
    ws.close()


def test_unknown_show_is_404_before_upgrade(live):
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        websocket.create_connection(ws_url(live, 987654), timeout=5)
    assert e.value.status_code == 404
    assert_problem(requests.get(f"{live.url}/api/v1/shows/987654/live"), 404)
    admin = login_admin(live.url)
    show = make_show(admin)
    assert_problem(requests.get(f"{live.url}/api/v1/shows/{show['id']}/live"), 400, "websocket-required")


def open_gauge(server):
    for line in requests.get(server.url + "/metrics").text.splitlines():
        if line.startswith("boxoffice_websockets_open "):
            return int(float(line.split()[1]))
    raise AssertionError("no websocket gauge")


def test_slow_reader_is_disconnected_while_others_keep_receiving(live):
    admin = login_admin(live.url)
    show = make_show(admin, rows=[{"row": "A", "seats": 10}, {"row": "B", "seats": 10}])
    # A raw client with a tiny receive window that completes the handshake and never reads again.
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", live.port))
    slow.sendall((f"GET /api/v1/shows/{show['id']}/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    assert slow.recv(12) == b"HTTP/1.1 101"
    good = websocket.create_connection(ws_url(live, show["id"]), timeout=5)
    json.loads(good.recv())
    before = open_gauge(live)
    assert before >= 2

    received = []
    stop = threading.Event()

    def reader():
        good.settimeout(1)
        while not stop.is_set():
            try:
                received.append(json.loads(good.recv()))
            except websocket.WebSocketTimeoutException:
                continue
            except Exception:
                return

    t = threading.Thread(target=reader)
    t.start()
    users = [register(live.url) for _ in range(4)]
    seats = [[f"A{i}" for i in range(1, 11)], [f"B{i}" for i in range(1, 11)]]
    deadline = time.time() + 40
    disconnected = False
    while time.time() < deadline and not disconnected:
        for i, u in enumerate(users):
            h = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": seats[i % 2]})
            if h.status_code == 201:
                u.delete(f"/api/v1/holds/{h.json()['hold_id']}")
        disconnected = open_gauge(live) == before - 1
    stop.set()
    t.join()
    assert disconnected, "the client that never reads was not disconnected"
    assert len(received) > 50 and good.connected
    good.close()
    slow.close()


@pytest.mark.parametrize("live_threads", ["0", "1"])
def test_clients_get_1001_on_shutdown(live_threads):
    s = Server(env={"BOXOFFICE_LIVE_THREADS": live_threads}).start()
    try:
        show = make_show(login_admin(s.url))
        ws = websocket.create_connection(ws_url(s, show["id"]), timeout=5)
        json.loads(ws.recv())
        s.proc.send_signal(signal.SIGTERM)
        opcode, data = ws.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE
        assert struct.unpack("!H", data[:2])[0] == 1001
        assert s.proc.wait(timeout=10) == 0
    finally:
        s.cleanup()
