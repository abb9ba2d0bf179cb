"""Throw-away Redis servers for tests: one standalone redis-server, or a Redis Cluster of
masters with replicas, on free loopback ports in temporary directories.

Each node gets its own directory with a redis.conf (so a test may restart a node it killed with
`redis-server <dir>/redis.conf`) and a pidfile; stop() kills every process it started and
every process named by a pidfile in its directories, so restarted nodes go too.

    with RedisCluster() as cluster:
        print(cluster.url)  # redis://127.0.0.1:P1,redis://127.0.0.1:P2,...

Standard library only (runs under Debian's /usr/bin/python3).
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from ports import free_port  # noqa: F401 (tests import it from here)

REDIS_SERVER = os.environ.get("REDIS_SERVER", "redis-server")
REDIS_CLI = os.environ.get("REDIS_CLI", "redis-cli")


def command(port, *args, timeout=5.0):
    """Sends one command over RESP and returns the decoded reply (bytes become str; an error
    reply is returned as an Exception instance)."""
    payload = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        payload += b"$%d\r\n%s\r\n" % (len(a), a)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        f = s.makefile("rb")
        return _read_reply(f)


def _read_reply(f):
    line = f.readline()
    if not line:
        raise ConnectionError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        return RedisReplyError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode(errors="replace")
    if kind == b"*":
        n = int(rest)
        if n < 0:
            return None
        return [_read_reply(f) for _ in range(n)]
    raise ValueError(f"bad reply line {line!r}")


class RedisReplyError(Exception):
    pass


def _wait_until(predicate, timeout, what):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            if predicate():
                return
        except (OSError, ValueError) as e:
            last = e
        time.sleep(0.1)
    raise TimeoutError(f"{what} within {timeout} s (last error: {last})")


class RedisNode:
    def __init__(self, base_dir, port, extra_conf=()):
        self.port = port
        self.dir = os.path.join(base_dir, f"node-{port}")
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "redis.conf")
        self.pidfile = os.path.join(self.dir, "redis.pid")
        self.log = os.path.join(self.dir, "redis.log")
        lines = [
            f"port {port}",
            "bind 127.0.0.1",
            f"dir {self.dir}",
            "save ''",
            "appendonly no",
            "daemonize no",
            f"pidfile {self.pidfile}",
            f"logfile {self.log}",
            *extra_conf,
        ]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([REDIS_SERVER, self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        _wait_until(lambda: command(self.port, "PING") == "PONG", 10, f"redis on {self.port} answering")

    def pids(self):
        pids = set()
        if self.proc and self.proc.poll() is None:
            pids.add(self.proc.pid)
        try:
            with open(self.pidfile) as f:
                pids.add(int(f.read().strip()))
        except (OSError, ValueError):
            pass
        return pids

    def stop(self):
        killed = []
        for pid in self.pids():
            if not _is_our_redis(pid, self.conf):
                continue
            try:
                os.kill(pid, signal.SIGCONT)  # a test may have paused it
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
        if self.proc:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        _reap(killed)
        deadline = time.time() + 5
        while time.time() < deadline and any(_is_our_redis(p, self.conf) for p in self.pids()):
            time.sleep(0.05)


def become_subreaper():
    """Makes this process the reaper of its orphaned descendants (Linux), so that a node a test
    restarted with --daemonize yes is reaped here when stop() kills it, instead of lingering as
    a zombie until init gets to it."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_CHILD_SUBREAPER = 36
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _reap(pids):
    """Waits for those of `pids` that are our (adopted) children; they were sent SIGKILL, so
    this returns at once. Others are not ours to wait for (ChildProcessError)."""
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _is_our_redis(pid, conf):
    """The pid is a live redis-server started with our config file (a pid from a stale
    pidfile may belong to someone else by now)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().split(b"\0")
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    if state == "Z":
        return False
    # redis-server rewrites its title ("redis-server 127.0.0.1:P") but chdirs to its `dir`,
    # which is ours alone.
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    return cwd == os.path.dirname(conf) or conf.encode() in cmd


class RedisStandalone:
    def __init__(self, base_dir=None):
        self.own_dir = base_dir is None
        self.base_dir = base_dir or tempfile.mkdtemp(prefix="boxoffice-redis-")
        self.node = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.node.port}"

    def start(self):
        self.node = RedisNode(self.base_dir, free_port())
        self.node.start()
        return self

    def stop(self):
        if self.node:
            self.node.stop()
        if self.own_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


class RedisCluster:
    """masters x (1 + replicas) nodes; `node_timeout_ms` is cluster-node-timeout (how long a
    dead master takes to be failed over: about twice that)."""

    def __init__(self, masters=3, replicas=1, node_timeout_ms=2000, base_dir=None):
        self.masters = masters
        self.replicas = replicas
        self.node_timeout_ms = node_timeout_ms
        self.own_dir = base_dir is None
        self.base_dir = base_dir or tempfile.mkdtemp(prefix="boxoffice-redis-cluster-")
        self.nodes = []

    @property
    def ports(self):
        return [n.port for n in self.nodes]

    @property
    def url(self):
        return ",".join(f"redis://127.0.0.1:{p}" for p in self.ports)

    def start(self, timeout=60):
        count = self.masters * (1 + self.replicas)
        conf = ["cluster-enabled yes", "cluster-config-file nodes.conf",
                f"cluster-node-timeout {self.node_timeout_ms}"]
        ports = []
        while len(ports) < count:
            p = free_port(cluster_bus=True)
            if p not in ports and p + 10000 not in ports:
                ports.append(p)
        self.nodes = [RedisNode(self.base_dir, p, conf) for p in ports]
        for n in self.nodes:
            n.start()
        args = [REDIS_CLI, "--cluster", "create", *[f"127.0.0.1:{p}" for p in ports],
                "--cluster-replicas", str(self.replicas), "--cluster-yes"]
        out = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {out.stdout}\n{out.stderr}")
        self.wait_healthy(timeout)
        return self

    def cluster_info(self, port):
        info = command(port, "CLUSTER", "INFO")
        if isinstance(info, Exception):
            raise ValueError(str(info))
        return dict(line.split(":", 1) for line in info.split("\r\n") if ":" in line)

    def wait_healthy(self, timeout=60):
        """Every node says cluster_state:ok, knows every node and sees all slots assigned."""
        count = len(self.nodes)

        def healthy():
            for p in self.ports:
                i = self.cluster_info(p)
                if (i.get("cluster_state") != "ok" or i.get("cluster_slots_assigned") != "16384"
                        or int(i.get("cluster_known_nodes", 0)) != count
                        or i.get("cluster_slots_fail") != "0" or i.get("cluster_slots_pfail") != "0"):
                    return False
            # Replicas are attached and in sync with their masters.
            roles = [command(p, "ROLE") for p in self.ports]
            masters = [r for r in roles if r[0] == "master"]
            if len(masters) != self.masters:
                return False
            return all(len(r[2]) == self.replicas for r in masters)

        _wait_until(healthy, timeout, "the cluster to become healthy")

    def stop(self):
        for n in self.nodes:
            n.stop()
        if self.own_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
