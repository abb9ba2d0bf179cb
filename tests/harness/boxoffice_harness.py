"""Black-box harness: runs the real boxoffice binary on a free loopback port with a temporary
data directory, and talks to it over HTTP only.

The same suites run over each storage backend, chosen by BOXOFFICE_TEST_BACKEND:

  embedded  (default) the server's own store in its data directory
  postgres  a PostgreSQL primary and streaming replica behind two PgBouncers (pg_cluster.py),
            started once per test session; each Server gets a database of its own
  postgres-redis          the same, plus one standalone redis-server for the session
  postgres-redis-cluster  the same, plus a 6-node Redis Cluster (3 masters, 3 replicas)
With Redis, each Server's keys live under its own namespace (BOXOFFICE_REDIS_NAMESPACE = its
database), so servers sharing the session's Redis see only their own state - unless a test
points two servers at one database on purpose, as many instances of one deployment.
"""
import atexit
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import pytest
import requests

from pg_cluster import PgCluster
from ports import free_port  # noqa: F401 (tests import it from here)
from redis_cluster import RedisCluster, RedisStandalone

BIN = os.environ.get("BOXOFFICE_BIN", os.path.join(os.path.dirname(__file__), "../../build/release/boxoffice"))
ADMIN = ("admin@boxoffice.test", "admin-password")


class Backend:
    """Where a Server keeps its data: the environment it adds for each server, and any state it
    holds per data directory. The base has none: the server uses its data directory only."""
    name = None

    def server_env(self, data_dir):
        """Environment for a server on `data_dir`; the same data_dir gives the same data."""
        return {}

    def release(self, data_dir):
        """The Server that owned `data_dir` is done with it for good (its folder is removed)."""

    def pg_cluster(self):
        """The PgCluster behind this backend, if any."""
        return None


class EmbeddedBackend(Backend):
    """Today's store: everything in BOXOFFICE_DATA_DIR."""
    name = "embedded"


class PostgresBackend(Backend):
    """One PgCluster for the whole session, started on first use and stopped at exit. A server's
    database is remembered in its data directory, so a restart (or another Server on the same
    data_dir) finds its data again, as with the embedded store."""
    name = "postgres"
    MARKER = "harness-backend.json"

    def __init__(self):
        self._cluster = None
        self._failure = None
        self._lock = threading.Lock()

    def pg_cluster(self):
        with self._lock:
            if self._failure:  # one failed start is enough: don't retry for every server
                raise RuntimeError(f"the PostgreSQL test cluster did not start: {self._failure}")
            if self._cluster is None:
                try:  # the cluster stops itself at exit
                    self._cluster = PgCluster().start()
                except Exception as e:
                    self._failure = e
                    raise
            return self._cluster

    def database(self, data_dir):
        """The database of `data_dir`, created on first use."""
        cluster = self.pg_cluster()
        marker = os.path.join(data_dir, self.MARKER)
        try:
            with open(marker) as f:
                known = json.load(f)
            # A marker from an earlier session names a cluster that is gone.
            if known.get("cluster") == cluster.base and known.get("database"):
                return known["database"]
        except (OSError, ValueError):
            pass
        db = cluster.create_database()
        with open(marker, "w") as f:
            json.dump({"cluster": cluster.base, "database": db}, f)
        return db

    def server_env(self, data_dir):
        db = self.database(data_dir)
        cluster = self.pg_cluster()
        return {"BOXOFFICE_COMMAND_DB_URL": cluster.command_url(db),
                "BOXOFFICE_QUERY_DB_URL": cluster.query_url(db)}

    def release(self, data_dir):
        # Dropping it also closes the bouncers' pooled connections to it, which would otherwise
        # sit idle for server_idle_timeout and add up over a session's worth of servers.
        if self._cluster is None:
            return
        try:
            with open(os.path.join(data_dir, self.MARKER)) as f:
                known = json.load(f)
            if known.get("cluster") == self._cluster.base:
                self._cluster.drop_database(known["database"])
        except (OSError, ValueError, RuntimeError):
            pass  # no database, or the primary is down: it goes with the cluster


class PostgresRedisBackend(PostgresBackend):
    """PostgreSQL as above, and one Redis for the session, started on first use."""
    name = "postgres-redis"

    def __init__(self):
        super().__init__()
        self._redis = None

    def start_redis(self):
        return RedisStandalone().start()

    def redis(self):
        with self._lock:
            if self._redis is None:
                self._redis = self.start_redis()
                atexit.register(self._redis.stop)
            return self._redis

    def server_env(self, data_dir):
        env = super().server_env(data_dir)
        env["BOXOFFICE_REDIS_URL"] = self.redis().url
        env["BOXOFFICE_REDIS_NAMESPACE"] = self.database(data_dir) + ":"
        return env


class PostgresRedisClusterBackend(PostgresRedisBackend):
    name = "postgres-redis-cluster"

    def start_redis(self):
        return RedisCluster(masters=3, replicas=1, node_timeout_ms=2000).start()


# Adding a backend is adding a class above and a line here.
BACKENDS = {cls.name: cls for cls in (EmbeddedBackend, PostgresBackend, PostgresRedisBackend,
                                      PostgresRedisClusterBackend)}
BACKEND = os.environ.get("BOXOFFICE_TEST_BACKEND", "embedded")
if BACKEND not in BACKENDS:
    raise RuntimeError(f"BOXOFFICE_TEST_BACKEND={BACKEND!r}: expected one of {', '.join(BACKENDS)}")
backend = BACKENDS[BACKEND]()

# For the few tests that are about the embedded store itself (its file lock, its SQLite file).
embedded_only = pytest.mark.skipif(BACKEND != "embedded", reason=f"about the embedded store; backend is {BACKEND}")


class Server:
    def __init__(self, data_dir=None, env=None, args=()):
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="boxoffice-test-")
        self.env = dict(env or {})
        self.args = list(args)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.data_dir, "server.log")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=20):
        self.port = self.port or free_port()  # a restart keeps its address
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
        env.update({
            "BOXOFFICE_LISTEN": f"127.0.0.1:{self.port}",
            "BOXOFFICE_DATA_DIR": self.data_dir,
            "BOXOFFICE_ADMIN_EMAIL": ADMIN[0],
            "BOXOFFICE_ADMIN_PASSWORD": ADMIN[1],
            "BOXOFFICE_THREADS": "2",
            # Every test client is 127.0.0.1; the rate-limit tests set their own limit.
            "BOXOFFICE_RATE_LIMIT_PER_MIN": "100000000",
            "BOXOFFICE_AUTH_RATE_LIMIT_PER_MIN": "100000000",
        })
        env.update(backend.server_env(self.data_dir))
        env.update(self.env)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BIN, "serve", *self.args], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.read_log()[-2000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not start: " + self.read_log()[-2000:])

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def cleanup(self):
        self.stop()
        if self.own_dir:
            backend.release(self.data_dir)
            shutil.rmtree(self.data_dir, ignore_errors=True)


class Client:
    """A user of the API: a requests session plus an optional bearer token."""

    def __init__(self, base, token=None):
        self.base = base
        self.http = requests.Session()
        self.token = token

    def headers(self, extra=None):
        h = {}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(extra or {})
        return h

    def request(self, method, path, json=None, headers=None, **kw):
        return self.http.request(method, self.base + path, json=json, headers=self.headers(headers), timeout=30, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def register(base, email=None, password="password123", name="Test User"):
    email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
    c = Client(base)
    r = c.post("/api/v1/users", {"email": email, "password": password, "name": name})
    assert r.status_code == 201, r.text
    r = c.post("/api/v1/sessions", {"email": email, "password": password})
    assert r.status_code == 201, r.text
    c.token = r.json()["token"]
    c.user = r.json()["user"]
    return c


def login_admin(base):
    c = Client(base)
    r = c.post("/api/v1/sessions", {"email": ADMIN[0], "password": ADMIN[1]})
    assert r.status_code == 201, r.text
    c.token = r.json()["token"]
    return c


def assert_problem(r, status, slug=None):
    assert r.status_code == status, f"{r.status_code} {r.text}"
    assert r.headers["Content-Type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == status
    assert body["type"].startswith("https://boxoffice.dev/problems/")
    assert body["title"] and "detail" in body
    if slug:
        assert body["type"] == "https://boxoffice.dev/problems/" + slug, body
    return body


def make_show(admin, rows=None, starts_in=86400 * 3, prices=None, duration=90):
    """Creates a movie, a one-screen theater and a show; returns the show."""
    rows = rows or [{"row": "A", "seats": 10, "category": "standard"}, {"row": "B", "seats": 5, "category": "premium"}]
    m = admin.post("/api/v1/movies", {"title": "Film " + uuid.uuid4().hex[:6], "description": "d",
                                      "duration_minutes": duration, "rating": "PG", "genres": ["drama"]})
    assert m.status_code == 201, m.text
    t = admin.post("/api/v1/theaters", {"name": "T", "city": "C", "screens": [{"name": "S1", "rows": rows}]})
    assert t.status_code == 201, t.text
    starts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + starts_in))
    cats = {r.get("category", "standard") for r in rows}
    s = admin.post("/api/v1/shows", {"movie_id": m.json()["id"], "screen_id": t.json()["screens"][0]["id"],
                                     "starts_at": starts, "prices": prices or {c: 1000 + 500 * i for i, c in enumerate(sorted(cats))}})
    assert s.status_code == 201, s.text
    return s.json()


@pytest.fixture(scope="module")
def server():
    s = Server().start()
    yield s
    s.cleanup()


@pytest.fixture(scope="module")
def admin(server):
    return login_admin(server.url)


@pytest.fixture(scope="session")
def pg_cluster():
    """The session's PgCluster (pg_cluster.py), for tests of the PostgreSQL backends only."""
    cluster = backend.pg_cluster()
    if cluster is None:
        pytest.skip(f"needs a PostgreSQL backend (BOXOFFICE_TEST_BACKEND=postgres); backend is {BACKEND}")
    return cluster
