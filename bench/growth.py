#!/usr/bin/python3
"""Growth (issue 14, benchmark 5): how hold latency, seat-map build time and server memory change
with the seats per show (200, 2,000, 20,000) and with the shows on sale (1, 100, 10,000).

    bench/growth.sh            (embedded server; BOXOFFICE_BIN / BOXOFFICE_BUILD_DIR as elsewhere)

Each figure comes from requests sent one at a time over one keep-alive connection, so it is the
server's cost per request (plus one loopback round trip), not a throughput:
- first hold of a show: every show of the step gets one hold (POST /shows/{id}/holds of 2
  seats, then DELETE /holds/{id}, not timed), which loads the show's seats from the store;
- hold: then 300 more on shows picked at random;
- seat-map build: GET /shows/{id}/seats right after one of those holds changed the show (its
  cached map is stale, so it is built again); 30 of them;
- memory: the server's VmRSS after the step, its growth over the RSS before the step's shows
  were created, and that growth per show (every show of the step was loaded).
"""
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BOXOFFICE_BUILD_DIR", os.path.join(ROOT, "build", "release"))
BIN = os.environ.get("BOXOFFICE_BIN", os.path.join(BUILD, "boxoffice"))
ADMIN, PASSWORD = "admin@bench.test", "bench-password"


sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
from ports import free_port  # noqa: E402


class Api:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token = None

    def call(self, method, path, body=None, expect=(200, 201, 204)):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        started = time.perf_counter()
        self.conn.request(method, "/api/v1" + path, body=json.dumps(body) if body is not None else None,
                          headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        elapsed = (time.perf_counter() - started) * 1000
        if r.status not in expect:
            raise RuntimeError(f"{method} {path}: {r.status} {data[:300]!r}")
        return (json.loads(data) if data else None), elapsed


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def rows_for(seats):
    """Rows of at most 200 seats (labels A..Z, AA..)."""
    rows, left, r = [], seats, 0
    while left > 0:
        label = chr(ord("A") + r % 26)
        if r >= 26:
            label = chr(ord("A") + r // 26 - 1) + label
        n = min(200, left)
        rows.append({"row": label, "seats": n, "category": "standard"})
        left -= n
        r += 1
    ids = [f"{row['row']}{n}" for row in rows for n in range(1, row["seats"] + 1)]
    return rows, ids


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Growth:
    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="boxoffice-growth-")
        self.port = free_port()
        env = dict(os.environ, BOXOFFICE_DATA_DIR=os.path.join(self.work, "data"),
                   BOXOFFICE_LISTEN=f"127.0.0.1:{self.port}", BOXOFFICE_ADMIN_EMAIL=ADMIN,
                   BOXOFFICE_ADMIN_PASSWORD=PASSWORD, BOXOFFICE_LOG_LEVEL="warn",
                   BOXOFFICE_RATE_LIMIT_PER_MIN="100000000", BOXOFFICE_AUTH_RATE_LIMIT_PER_MIN="100000000")
        self.server = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        self.admin = Api(self.port)
        self.admin.token = self.admin.call("POST", "/sessions", {"email": ADMIN, "password": PASSWORD})[0]["token"]
        self.movie = self.admin.call("POST", "/movies", {"title": "Growth", "description": "d", "duration_minutes": 90,
                                                         "rating": "PG", "genres": ["drama"]})[0]["id"]
        self.user = Api(self.port)
        email = f"growth{time.time_ns()}@bench.test"
        self.user.call("POST", "/users", {"email": email, "password": "growth-password", "name": "Growth"})
        self.user.token = self.user.call("POST", "/sessions", {"email": email, "password": "growth-password"})[0]["token"]
        self.reader = Api(self.port)
        self.starts = int(time.time()) + 30 * 86400

    def stop(self):
        self.server.terminate()
        self.server.wait(timeout=30)
        shutil.rmtree(self.work, ignore_errors=True)

    def shows(self, count, seats):
        """`count` shows of `seats` seats, on one screen, three hours apart."""
        rows, ids = rows_for(seats)
        theater = self.admin.call("POST", "/theaters", {"name": f"Hall {seats} {time.time_ns()}", "city": "G",
                                                        "screens": [{"name": "S", "rows": rows}]})[0]
        screen = theater["screens"][0]["id"]
        out = []
        for _ in range(count):
            self.starts += 3 * 3600
            when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.starts))
            show = self.admin.call("POST", "/shows", {"movie_id": self.movie, "screen_id": screen, "starts_at": when,
                                                      "prices": {"standard": 1000}})[0]
            out.append(show["id"])
        return out, ids

    def hold_and_release(self, show, ids, rng):
        a = rng.randrange(0, len(ids) - 1)
        hold, ms = self.user.call("POST", f"/shows/{show}/holds", {"seats": [ids[a], ids[a + 1]]})
        self.user.call("DELETE", f"/holds/{hold['hold_id']}")
        return ms

    def measure(self, label, count, seats, holds=300, maps=30):
        rss_before = rss_kib(self.server.pid)
        started = time.time()
        shows, ids = self.shows(count, seats)
        created_s = time.time() - started
        rng = random.Random(seats * 7919 + count)
        # Every show loaded once (its first hold reads its seats from the store)...
        cold = [self.hold_and_release(show, ids, rng) for show in shows]
        # ...then holds and seat-map builds on shows picked at random.
        warm, builds = [], []
        for i in range(holds):
            show = rng.choice(shows)
            warm.append(self.hold_and_release(show, ids, rng))
            if i < maps:
                _, build_ms = self.reader.call("GET", f"/shows/{show}/seats")
                builds.append(build_ms)
        rss_after = rss_kib(self.server.pid)
        self.reader.conn.request("GET", f"/api/v1/shows/{shows[0]}/seats")
        r = self.reader.conn.getresponse()
        row = {"step": label, "shows": count, "seats": seats, "created_s": round(created_s, 1),
               "hold_p50_ms": round(statistics.median(warm), 2), "hold_p99_ms": round(pct(warm, 99), 2),
               "hold_cold_p50_ms": round(statistics.median(cold), 2),
               "map_build_p50_ms": round(statistics.median(builds), 2), "map_build_max_ms": round(max(builds), 2),
               "map_bytes": len(r.read()), "rss_after_mib": round(rss_after / 1024, 1),
               "rss_growth_mib": round((rss_after - rss_before) / 1024, 1),
               "rss_per_show_kib": round((rss_after - rss_before) / count, 1)}
        print(json.dumps(row), flush=True)
        return row


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN} is missing: build the release preset or set BOXOFFICE_BIN")
    g = Growth()
    rows = []
    try:
        print(f"## server {BIN}, RSS at start {rss_kib(g.server.pid) / 1024:.1f} MiB", flush=True)
        for seats in (200, 2000, 20000):
            rows.append(g.measure("seats per show", 1, seats))
        for count in (1, 100, 10000):
            rows.append(g.measure("shows on sale", count, 200))
    finally:
        g.stop()
    print()
    print("| step | shows | seats each | hold p50 / p99 ms | first hold of a show p50 ms | seat-map build p50 / max ms "
          "| map bytes | server RSS after, MiB | RSS growth MiB (per show, KiB) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['step']} | {r['shows']:,} | {r['seats']:,} | {r['hold_p50_ms']} / {r['hold_p99_ms']} | "
              f"{r['hold_cold_p50_ms']} | {r['map_build_p50_ms']} / {r['map_build_max_ms']} | {r['map_bytes']:,} | "
              f"{r['rss_after_mib']} | {r['rss_growth_mib']} ({r['rss_per_show_kib']}) |")


if __name__ == "__main__":
    main()
