"""Black-box harness: runs the real boxoffice binary on a free loopback port with a temporary
data directory, and talks to it over HTTP only."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

BIN = os.environ.get("BOXOFFICE_BIN", os.path.join(os.path.dirname(__file__), "../../build/release/boxoffice"))
ADMIN = ("admin@boxoffice.test", "admin-password")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
