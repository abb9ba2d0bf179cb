"""docker/nginx.conf, run live: Debian's nginx with that very file in front of two boxoffice
instances on PostgreSQL (primary + streaming replica, each behind Debian's PgBouncer running
docker/pgbouncer/pgbouncer.ini, the compose file's pooling settings) and a 6-node Redis Cluster,
all on loopback in temporary folders, all stopped at the end.

The config is used as written except for REWRITES below (addresses and writable paths), and nginx
runs as an unprivileged user (`nobody` when the tests run as root).

Every client of a test has a loopback source address of its own (127.0.0.N), so nginx's
per-IP limits of one test do not spill into another, and boxoffice's view of the client
address (through X-Forwarded-For from the trusted proxy) can be told apart from nginx's own.
"""
import concurrent.futures
import gzip
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest
import requests
import websocket
from requests.adapters import HTTPAdapter

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "harness"))

from boxoffice_harness import Server, free_port, login_admin, make_show  # noqa: E402
from pg_cluster import PgCluster  # noqa: E402
from redis_cluster import RedisCluster  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_CONF = os.path.join(REPO, "docker", "nginx.conf")
PGBOUNCER_SETTINGS = os.path.join(REPO, "docker", "pgbouncer", "pgbouncer.ini")

# The only lines of docker/nginx.conf that differ here: (text, replacement, occurrences). `{dir}`
# is the test's folder, `{port}` nginx's free loopback port. The upstream `server` lines are
# rewritten by UPSTREAM_LINE below (one per instance, parameters kept).
REWRITES = [
    ("pid /run/nginx.pid;", "pid {dir}/nginx.pid;", 1),
    ("/var/log/nginx/", "{dir}/log/", 2),            # error_log, access_log
    ("/var/cache/nginx/", "{dir}/cache/", 6),        # five *_temp_path, proxy_cache_path
    ("listen 80 reuseport;", "listen 127.0.0.1:{port} reuseport;", 1),
]
UPSTREAM_LINE = re.compile(r"^(?P<indent>\s*)server boxoffice(?:-\d+)?:8080(?P<params> [^;]*);$", re.M)


def rewrite_config(text, folder, port, upstream_ports):
    """docker/nginx.conf with REWRITES applied and its upstream servers replaced by the given
    loopback ports (as many lines as ports, each keeping the original's parameters)."""
    for old, new, count in REWRITES:
        assert text.count(old) == count, f"docker/nginx.conf: expected {count} x {old!r}"
        text = text.replace(old, new.format(dir=folder, port=port))
    servers = list(UPSTREAM_LINE.finditer(text))
    assert len(servers) >= len(upstream_ports), "fewer upstream servers than instances"
    first, last = servers[0], servers[-1]
    lines = [f"{first['indent']}server 127.0.0.1:{p}{first['params']};" for p in upstream_ports]
    assert all(s["params"] == first["params"] for s in servers), "upstream servers differ in parameters"
    return text[:first.start()] + "\n".join(lines) + text[last.end():]


def _as_nobody():
    """subprocess arguments that run nginx unprivileged: as `nobody` when we are root."""
    if os.getuid() != 0:
        return {}, None
    pw = pwd.getpwnam("nobody")
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}, (pw.pw_uid, pw.pw_gid)


class Nginx:
    def __init__(self, upstream_ports):
        self.dir = tempfile.mkdtemp(prefix="boxoffice-nginx-")
        self.port = free_port()
        self.run_as, owner = _as_nobody()
        os.makedirs(os.path.join(self.dir, "log"))
        os.makedirs(os.path.join(self.dir, "cache"))
        with open(NGINX_CONF) as f:
            original = f.read()
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(rewrite_config(original, self.dir, self.port, upstream_ports))
        if owner:
            for root, dirs, files in os.walk(self.dir):
                for name in [root] + [os.path.join(root, x) for x in dirs + files]:
                    os.chown(name, *owner)
        self.error_log = os.path.join(self.dir, "log", "error.log")
        self.access_log = os.path.join(self.dir, "log", "access.log")
        self.proc = None

    def command(self, *extra):
        return [NGINX, "-e", self.error_log, "-p", self.dir, "-c", self.conf, *extra]

    def test_config(self):
        return subprocess.run(self.command("-t"), capture_output=True, text=True, timeout=30, **self.run_as)

    def start(self):
        self.proc = subprocess.Popen(self.command("-g", "daemon off;"), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, **self.run_as)
        deadline = time.time() + 15
        while time.time() < deadline:
            assert self.proc.poll() is None, f"nginx exited with {self.proc.returncode}: {self.errors()}"
            try:
                if requests.get(f"{self.url}/nginx-healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError("nginx did not start: " + self.errors())

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def errors(self):
        try:
            with open(self.error_log) as f:
                return f.read()
        except OSError:
            return ""

    def access(self, request_ids=(), timeout=5):
        """nginx's JSON access-log lines, once those of `request_ids` are all there (nginx writes
        a line after the answer has gone out)."""
        deadline = time.time() + timeout
        while True:
            with open(self.access_log) as f:
                lines = [json.loads(line) for line in f if line.strip()]
            missing = set(request_ids) - {e["request_id"] for e in lines}
            if not missing or time.time() > deadline:
                return lines
            time.sleep(0.02)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class _FromAddress(HTTPAdapter):
    def __init__(self, address):
        self.address = address
        super().__init__(pool_maxsize=64)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_from(address):
    """A requests session whose connections come from `address` (any 127.0.0.0/8 address)."""
    s = requests.Session()
    s.mount("http://", _FromAddress(address))
    return s


def log_lines(server):
    """boxoffice's JSON access-log lines."""
    out = []
    for line in server.read_log().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("msg") == "request":
            out.append(entry)
    return out


def lines_with_id(servers, request_id):
    return [(s, e) for s in servers for e in log_lines(s) if e.get("request_id") == request_id]


def logged(servers, request_id, timeout=5):
    """The access-log lines of `request_id`, once there is one (boxoffice logs asynchronously)."""
    deadline = time.time() + timeout
    while True:
        found = lines_with_id(servers, request_id)
        if found or time.time() > deadline:
            return found
        time.sleep(0.02)


def flush_logs(servers):
    """Returns once every request answered so far is in its instance's log: a marker request to
    each instance is logged after them."""
    for s in servers:
        if s.proc.poll() is None:
            marker = "marker-" + uuid.uuid4().hex
            requests.get(f"{s.url}/healthz", headers={"X-Request-Id": marker}, timeout=10)
            assert logged([s], marker), "the marker never reached the log"


@pytest.fixture(scope="module")
def stack():
    started = time.time()
    pg = redis = nginx = None
    servers = []
    try:
        pg = PgCluster(bouncer_settings=PGBOUNCER_SETTINGS).start()
        db = pg.create_database()
        redis = RedisCluster(masters=3, replicas=1, node_timeout_ms=2000).start()
        env = {
            "BOXOFFICE_COMMAND_DB_URL": pg.command_url(db),
            "BOXOFFICE_QUERY_DB_URL": pg.query_url(db),
            "BOXOFFICE_REDIS_URL": redis.url,
            "BOXOFFICE_REDIS_NAMESPACE": db + ":",
            # nginx connects from 127.0.0.1; clients use other loopback addresses.
            "BOXOFFICE_TRUSTED_PROXIES": "127.0.0.1/32",
        }
        for _ in range(2):
            servers.append(Server(env=env).start())
        nginx = Nginx([s.port for s in servers]).start()
        print(f"stack up in {time.time() - started:.1f}s", file=sys.stderr)
        yield {"pg": pg, "db": db, "redis": redis, "servers": servers, "nginx": nginx}
    finally:
        if nginx:
            nginx.stop()
        for s in servers:
            s.cleanup()
        if redis:
            redis.stop()
        if pg:
            pg.stop()


@pytest.fixture(scope="module")
def show(stack):
    return make_show(login_admin(stack["nginx"].url))


def test_only_the_listed_lines_are_rewritten(stack):
    with open(NGINX_CONF) as f:
        original = f.read().splitlines()
    with open(stack["nginx"].conf) as f:
        rewritten = f.read().splitlines()
    changed = [line for line in original if line not in rewritten]
    pattern = re.compile(r"^\s*(pid |error_log |access_log |\w+_temp_path |proxy_cache_path |listen 80 |server boxoffice)")
    assert changed and all(pattern.match(line) for line in changed), changed


def test_nginx_t_accepts_the_config(stack):
    r = stack["nginx"].test_config()
    assert r.returncode == 0, r.stderr
    assert "syntax is ok" in r.stderr and "test is successful" in r.stderr


def test_pgbouncer_runs_the_compose_files_pooling_settings(stack):
    pg = stack["pg"]
    for bouncer in ("command_bouncer", "query_bouncer"):
        out = subprocess.run([os.path.join("/usr/lib/postgresql/15/bin", "psql"), "-X", "-A", "-t", "-d",
                              f"postgresql://postgres@127.0.0.1:{pg.ports[bouncer]}/pgbouncer", "-c", "SHOW CONFIG"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        config = {line.split("|")[0]: line.split("|")[1] for line in out.stdout.splitlines() if "|" in line}
        assert config["pool_mode"] == "transaction"
        assert config["max_client_conn"] == "1000"
        assert config["default_pool_size"] == "100"


def test_requests_are_spread_over_both_instances_with_their_request_ids(stack):
    nginx, servers = stack["nginx"], stack["servers"]
    http = client_from("127.0.0.2")
    ids = [f"spread-{uuid.uuid4().hex[:8]}-{i}" for i in range(40)]
    for rid in ids:
        r = http.get(f"{nginx.url}/api/v1/movies", headers={"X-Request-Id": rid}, timeout=10)
        assert r.status_code == 200, r.text
        assert r.headers["X-Request-Id"] == rid
    flush_logs(servers)
    per_server = [{e["request_id"] for e in log_lines(s)} & set(ids) for s in servers]
    assert per_server[0] | per_server[1] == set(ids)
    assert not per_server[0] & per_server[1]
    # least_conn over idle instances falls back to round robin.
    assert min(len(p) for p in per_server) >= 10, [len(p) for p in per_server]
    upstreams = {e["upstream_addr"] for e in nginx.access(ids) if e["request_id"] in ids}
    assert upstreams == {f"127.0.0.1:{s.port}" for s in servers}


def test_nginx_makes_a_request_id_when_the_client_sends_none(stack):
    nginx, servers = stack["nginx"], stack["servers"]
    r = client_from("127.0.0.2").get(f"{nginx.url}/api/v1/theaters", timeout=10)
    assert r.status_code == 200
    rid = r.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid), rid  # nginx's $request_id
    assert len(logged(servers, rid)) == 1
    assert [e["status"] for e in nginx.access([rid]) if e["request_id"] == rid] == [200]


def test_boxoffice_sees_the_client_address_through_x_forwarded_for(stack):
    nginx, servers = stack["nginx"], stack["servers"]
    rid = "xff-" + uuid.uuid4().hex
    # A client that claims another address: nginx appends the real one, which boxoffice takes
    # (the right-most address not in BOXOFFICE_TRUSTED_PROXIES).
    r = client_from("127.0.0.3").get(f"{nginx.url}/api/v1/movies",
                                     headers={"X-Request-Id": rid, "X-Forwarded-For": "203.0.113.9"}, timeout=10)
    assert r.status_code == 200
    [(_, entry)] = logged(servers, rid)
    assert entry["client_ip"] == "127.0.0.3", entry
    # The same request straight to an instance from an untrusted address: its header is ignored.
    rid2 = "xff-direct-" + uuid.uuid4().hex
    r = client_from("127.0.0.3").get(f"{servers[0].url}/api/v1/movies",
                                     headers={"X-Request-Id": rid2, "X-Forwarded-For": "203.0.113.9"}, timeout=10)
    assert r.status_code == 200
    [(_, entry)] = logged(servers, rid2)
    assert entry["client_ip"] == "127.0.0.3", entry


def test_gzip_is_applied_by_nginx(stack):
    """boxoffice compresses JSON over 1 KiB and its cached bodies (the page, static files) itself;
    a theater (a JSON object of a few hundred bytes) it sends as it is, and nginx compresses it."""
    nginx, servers = stack["nginx"], stack["servers"]
    http = client_from("127.0.0.4")
    rows = [{"row": r, "seats": 12, "category": "standard"} for r in "ABCDEFGH"]
    path = f"/api/v1/theaters/{make_show(login_admin(nginx.url), rows=rows)['theater_id']}"
    direct = http.get(servers[0].url + path, headers={"Accept-Encoding": "gzip"}, timeout=10)
    proxied = http.get(nginx.url + path, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
    raw = proxied.raw.read()
    assert direct.status_code == proxied.status_code == 200
    assert "Content-Encoding" not in direct.headers, "boxoffice compressed it itself"
    assert 256 <= len(direct.content) <= 1024
    assert proxied.headers.get("Content-Encoding") == "gzip", proxied.headers
    assert "Accept-Encoding" in proxied.headers.get("Vary", "")
    body = gzip.decompress(raw)
    assert len(raw) < len(body)
    assert json.loads(body) == direct.json()
    # What boxoffice already compressed is passed on as it is, not compressed twice.
    page = http.get(nginx.url + "/", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
    assert page.headers.get("Content-Encoding") == "gzip"
    assert b"<html" in gzip.decompress(page.raw.read()).lower()


def test_static_assets_are_cached_by_nginx(stack):
    nginx, servers = stack["nginx"], stack["servers"]
    http = client_from("127.0.0.5")
    path = f"/static/app.js?v={uuid.uuid4().hex[:6]}"  # a cache key of this test's own
    first = http.get(nginx.url + path, headers={"X-Request-Id": "static-1-" + uuid.uuid4().hex}, timeout=10)
    rid = "static-2-" + uuid.uuid4().hex
    second = http.get(nginx.url + path, headers={"X-Request-Id": rid}, timeout=10)
    assert first.status_code == second.status_code == 200
    assert first.headers["X-Cache-Status"] == "MISS"
    assert second.headers["X-Cache-Status"] == "HIT"
    assert second.content == first.content and b"import" in second.content
    flush_logs(servers)
    assert lines_with_id(servers, rid) == [], "the cached asset was fetched from an instance"


def test_a_websocket_works_through_nginx(stack, show):
    nginx = stack["nginx"]
    admin = login_admin(nginx.url)
    rid = "ws-" + uuid.uuid4().hex
    ws = websocket.create_connection(f"ws://127.0.0.1:{nginx.port}/api/v1/shows/{show['id']}/live", timeout=10,
                                     header=[f"X-Request-Id: {rid}"])
    try:
        snapshot = json.loads(ws.recv())
        assert snapshot["type"] == "snapshot" and snapshot["seats"]["A5"] == "available"
        # Two holds through nginx: whichever instance each lands on, the socket hears both.
        holds = [admin.post(f"/api/v1/shows/{show['id']}/holds", {"seats": [seat]}) for seat in ("A5", "A6")]
        assert [h.status_code for h in holds] == [201, 201], [h.text for h in holds]
        seen = set()
        while not {("A5", "held"), ("A6", "held")} <= seen:
            msg = json.loads(ws.recv())
            assert msg["type"] == "seats"
            seen |= {(c["seat"], c["status"]) for c in msg["changes"]}
    finally:
        ws.close()
    # nginx logs the upgrade when the socket closes.
    assert [e["status"] for e in nginx.access([rid]) if e["request_id"] == rid] == [101]


def test_upstream_connections_are_kept_alive(stack):
    nginx, servers = stack["nginx"], stack["servers"]
    http = client_from("127.0.0.6")
    for _ in range(30):
        assert http.get(f"{nginx.url}/api/v1/movies", headers={"Connection": "close"}, timeout=10).status_code == 200
    time.sleep(0.2)
    for s in servers:
        metrics = requests.get(f"{s.url}/metrics", timeout=10).text
        [open_now] = [float(line.split()[-1]) for line in metrics.splitlines()
                      if line.startswith("boxoffice_http_connections_open")]
        # This scrape's connection plus at least one idle connection from nginx, although every
        # client connection to nginx was closed.
        assert open_now >= 2, metrics


class Burst:
    """Threads that send GETs from one address as fast as they go. The threads and their
    sessions are made before any request is timed; connections are opened by the requests."""

    def __init__(self, address, workers=25):
        self.local = threading.local()
        self.address = address
        self.pool = concurrent.futures.ThreadPoolExecutor(workers)
        ready = threading.Barrier(workers)

        def warm(_):
            self.local.http = client_from(address)
            ready.wait(timeout=10)
        list(self.pool.map(warm, range(workers)))

    def send(self, url, count):
        """Returns (statuses, first send time, last answer time, one 429 response)."""
        refused = []

        def one(_):
            r = self.local.http.get(url, timeout=10)
            if r.status_code == 429 and not refused:
                refused.append(r)
            return r.status_code

        start = time.monotonic()
        statuses = list(self.pool.map(one, range(count)))
        end = time.monotonic()
        return statuses, start, end, refused[0] if refused else None

    def close(self):
        self.pool.shutdown()


def test_100_requests_per_second_per_ip_then_429(stack):
    """limit_req rate=100r/s burst=99 nodelay is a bucket of 100 requests that refills at one per
    10 ms. So from a fresh address 100 requests at once all pass and the 101st within the same
    10 ms is refused; over any span of T seconds at most 100 + 100*T pass. Measured here:
    (a) a flood of 300 from a fresh address: at least 100 pass, at most 100 + 100*T + 1;
    (b) after 1.05 s of rest the bucket is full again: 100 at once all pass;
    (c) 0.5 s later about 50 pass (refill at 100/s), bounded by the elapsed times."""
    nginx = stack["nginx"]
    url = f"{nginx.url}/healthz"
    addr = "127.0.0.9"
    burst = Burst(addr)
    statuses, start_a, end_a, refusal = burst.send(url, 300)
    ok = statuses.count(200)
    assert set(statuses) <= {200, 429}, set(statuses)
    assert 100 <= ok <= 100 + 100 * (end_a - start_a) + 1, (ok, end_a - start_a)
    assert statuses.count(429) >= 1
    assert refusal.headers["Content-Type"] == "application/problem+json"
    assert refusal.headers["Retry-After"] == "1"
    assert refusal.json()["type"] == "https://boxoffice.dev/problems/rate-limited"
    assert refusal.json()["status"] == 429

    time.sleep(1.05)
    statuses, start_b, end_b, _ = burst.send(url, 100)
    assert statuses.count(200) == 100, statuses.count(429)

    time.sleep(0.5)
    statuses, start_c, end_c, _ = burst.send(url, 100)
    burst.close()
    ok_c = statuses.count(200)
    # At least what refilled between the last request of (b) and the first of (c); at most the
    # full bucket at the start of (b) plus the refill since, less the 100 that (b) took.
    low = int(100 * (start_c - end_b)) - 1
    high = 100 * (end_c - start_b) + 1
    assert low <= ok_c <= high, (ok_c, low, high)
    refused_log = [e for e in nginx.access() if e["remote_addr"] == addr and e["status"] == 429]
    assert refused_log and all(e["upstream_addr"] == "" for e in refused_log), "a refusal reached an instance"


def _websocket_from(address, port, show_id):
    sock = socket.socket()
    sock.bind((address, 0))
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    return websocket.create_connection(f"ws://127.0.0.1:{port}/api/v1/shows/{show_id}/live", socket=sock, timeout=10)


def test_50_connections_per_ip_then_429(stack, show):
    """limit_conn 50: an open WebSocket is a request in progress; the 51st from one address is
    refused, another address is not affected."""
    nginx = stack["nginx"]
    sockets = []
    try:
        for _ in range(50):
            sockets.append(_websocket_from("127.0.0.10", nginx.port, show["id"]))
            assert json.loads(sockets[-1].recv())["type"] == "snapshot"
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            _websocket_from("127.0.0.10", nginx.port, show["id"])
        assert refused.value.status_code == 429
        other = _websocket_from("127.0.0.11", nginx.port, show["id"])
        assert json.loads(other.recv())["type"] == "snapshot"
        other.close()
    finally:
        for ws in sockets:
            ws.close()


def test_an_instance_killed_mid_traffic_loses_no_request(stack, show):
    """Readers from four addresses (50 requests/s each, under the per-IP limit) while one
    instance is SIGKILLed: nginx passes each failed GET to the other instance, marks the dead one
    failed (max_fails), and every request is answered 200. Afterwards POSTs, which nginx never
    resends once sent, all succeed too: the dead instance refuses connections, and a request
    that was never sent is tried on the other one. (Runs last: it kills an instance.)"""
    nginx, servers = stack["nginx"], stack["servers"]
    stop = threading.Event()
    results = []

    def reader(address):
        http = client_from(address)
        while not stop.is_set():
            try:
                r = http.get(f"{nginx.url}/api/v1/shows/{show['id']}/seats", timeout=10)
                results.append(r.status_code)
            except requests.RequestException as e:
                results.append(repr(e))
            time.sleep(0.02)

    threads = [threading.Thread(target=reader, args=(f"127.0.0.{20 + i}",)) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    before = len(results)
    servers[0].stop(sig=signal.SIGKILL)
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join()
    assert before > 20 and len(results) - before > 40, (before, len(results))
    failures = [r for r in results if r != 200]
    assert failures == [], failures[:10]
    errors = nginx.errors()
    assert "upstream server temporarily disabled" in errors, errors[-2000:]
    alive = servers[1]
    admin = login_admin(nginx.url)
    for seat in ("B1", "B2", "B3", "B4", "B5"):
        rid = "after-kill-" + uuid.uuid4().hex
        h = admin.post(f"/api/v1/shows/{show['id']}/holds", {"seats": [seat]}, headers={"X-Request-Id": rid})
        assert h.status_code == 201, h.text
        assert [s for s, _ in logged(servers, rid)] == [alive]
