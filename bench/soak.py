#!/usr/bin/env python3
"""A long on-sale against one 20,000-seat show: hold/confirm/cancel, hold/release and
hold/expire churn from several processes, seat-map reads, WebSocket watchers that come and go
(and one that never reads), and a stream of unknown ids. Samples the server's RSS and its
retained-state gauges every 10 s and says whether memory levelled off.

Usage: bench/soak.py --url http://127.0.0.1:PORT --pid PID [--seconds 600] [--workers 3]"""
import argparse
import json
import multiprocessing as mp
import random
import re
import socket
import time
import uuid

import requests
import websocket

ADMIN = ("admin@bench.test", "bench-password")


def row_labels(n):
    out = []
    for i in range(n):
        label, k = "", i
        while True:
            label = chr(ord("A") + k % 26) + label
            k = k // 26 - 1
            if k < 0:
                break
        out.append(label)
    return out


def setup(url):
    s = requests.Session()
    tok = s.post(url + "/api/v1/sessions", json={"email": ADMIN[0], "password": ADMIN[1]}).json()["token"]
    h = {"Authorization": "Bearer " + tok}
    m = s.post(url + "/api/v1/movies", headers=h, json={"title": "Soak", "description": "", "duration_minutes": 120,
                                                        "rating": "PG", "genres": []}).json()
    rows = [{"row": r, "seats": 200, "category": "standard"} for r in row_labels(100)]
    t = s.post(url + "/api/v1/theaters", headers=h, json={"name": "Arena", "city": "X", "screens": [{"name": "Main", "rows": rows}]}).json()
    starts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 30 * 86400))
    show = s.post(url + "/api/v1/shows", headers=h, json={"movie_id": m["id"], "screen_id": t["screens"][0]["id"],
                                                          "starts_at": starts, "prices": {"standard": 5000}}).json()
    seats = [f"{r['row']}{n}" for r in rows for n in range(1, 201)]
    return show["id"], seats


def worker(url, show, seats, seconds, seed, counts):
    rng = random.Random(seed)
    users = []
    for _ in range(30):
        s = requests.Session()
        email = f"soak-{uuid.uuid4().hex[:12]}@example.com"
        s.post(url + "/api/v1/users", json={"email": email, "password": "password123", "name": "Soak"})
        tok = s.post(url + "/api/v1/sessions", json={"email": email, "password": "password123"}).json()["token"]
        s.headers["Authorization"] = "Bearer " + tok
        users.append(s)
    bookings = []
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        u = rng.choice(users)
        n += 1
        try:
            r = rng.random()
            if r < 0.1:
                u.get(f"{url}/api/v1/shows/{show}/seats", headers={"Accept-Encoding": "gzip"})
            elif r < 0.2:
                # Unknown ids: none of these may leave state behind.
                big = rng.randrange(10**6, 10**12)
                u.delete(f"{url}/api/v1/holds/h{big}.{uuid.uuid4().hex[:22]}")
                u.get(f"{url}/api/v1/shows/{big}/seats")
                u.post(f"{url}/api/v1/bookings", json={"hold_id": f"h{show}.{uuid.uuid4().hex[:22]}"})
            else:
                want = rng.sample(seats, rng.randint(1, 4))
                h = u.post(f"{url}/api/v1/shows/{show}/holds", json={"seats": want})
                if h.status_code != 201:
                    continue
                hold = h.json()["hold_id"]
                fate = rng.random()
                if fate < 0.4:
                    b = u.post(f"{url}/api/v1/bookings", json={"hold_id": hold}, headers={"Idempotency-Key": hold})
                    if b.status_code == 201:
                        bookings.append((u, b.json()["id"]))
                        if len(bookings) > 40:
                            ou, bid = bookings.pop(0)
                            ou.post(f"{url}/api/v1/bookings/{bid}/cancel")
                elif fate < 0.7:
                    u.delete(f"{url}/api/v1/holds/{hold}")
                # else: it expires by itself
        except requests.RequestException:
            pass
    with counts.get_lock():
        counts.value += n


def watchers(url, show, seconds):
    port = int(url.rsplit(":", 1)[1])
    end = time.time() + seconds
    # One client that connects and never reads: it must be dropped, not pin memory.
    idle = socket.create_connection(("127.0.0.1", port))
    idle.sendall(f"GET /api/v1/shows/{show}/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode())
    while time.time() < end:
        socks = []
        for _ in range(40):
            try:
                socks.append(websocket.create_connection(f"ws://127.0.0.1:{port}/api/v1/shows/{show}/live", timeout=10))
            except Exception:  # noqa: BLE001
                pass
        stop = time.time() + 20
        while time.time() < min(stop, end):
            for w in socks:
                try:
                    w.settimeout(0.01)
                    w.recv()
                except Exception:  # noqa: BLE001
                    pass
        for w in socks:
            w.close()
    idle.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def retained(url):
    text = requests.get(url + "/metrics", timeout=10).text
    out = {m.group(1): float(m.group(2)) for m in re.finditer(r'^boxoffice_retained\{part="([^"]+)"\} (\S+)$', text, re.M)}
    heap = re.search(r"^process_heap_in_use_bytes (\S+)$", text, re.M)
    if heap:
        out["heap_in_use_bytes"] = float(heap.group(1))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    show, seats = setup(a.url)
    counts = mp.Value("q", 0)
    procs = [mp.Process(target=worker, args=(a.url, show, seats, a.seconds, i, counts)) for i in range(a.workers)]
    procs.append(mp.Process(target=watchers, args=(a.url, show, a.seconds)))
    for p in procs:
        p.start()
    samples = []
    start = time.time()
    print(f"{'t_s':>5} {'rss_MiB':>8} {'heap_MiB':>8} {'seat_view_KiB':>13} {'registry_shows':>14} {'show_infos':>10} {'live_channels':>13}", flush=True)
    while any(p.is_alive() for p in procs):
        time.sleep(10)
        try:
            r = retained(a.url)
        except requests.RequestException:
            r = {}
        s = {"t": round(time.time() - start), "rss_kib": rss_kib(a.pid), **r}
        samples.append(s)
        print(f"{s['t']:>5} {s['rss_kib'] / 1024:>8.1f} {r.get('heap_in_use_bytes', 0) / 2**20:>8.1f} "
              f"{r.get('seat_view_bytes', 0) / 1024:>13.0f} "
              f"{r.get('hold_registry_shows', 0):>14.0f} {r.get('show_infos', 0):>10.0f} {r.get('live_channels', 0):>13.0f}", flush=True)
    for p in procs:
        p.join()
    peak = max(s["rss_kib"] for s in samples)
    # Levelled off: the live heap (what a leak grows; RSS also moves with what the allocator
    # keeps cached and gives back every 10 s) of the last third of the run peaks within 10% of
    # the middle third's. The RSS peak is reported as it is.
    heap = [s.get("heap_in_use_bytes", s["rss_kib"] * 1024) for s in samples]
    third = max(1, len(samples) // 3)
    mid = max(heap[third:2 * third]) if len(samples) >= 3 else max(heap)
    last = max(heap[-third:])
    level = last <= mid * 1.10
    summary = {"seconds": a.seconds, "requests": counts.value, "requests_per_s": round(counts.value / a.seconds),
               "peak_rss_mib": round(peak / 1024, 1), "heap_middle_third_peak_mib": round(mid / 2**20, 1),
               "heap_last_third_peak_mib": round(last / 2**20, 1), "levelled_off": level}
    print(json.dumps(summary))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"summary": summary, "samples": samples}, f, indent=1)
    return 0 if level else 1


if __name__ == "__main__":
    raise SystemExit(main())
