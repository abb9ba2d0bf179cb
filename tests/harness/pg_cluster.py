"""A throwaway PostgreSQL 15 setup for the tests, built from Debian's postgresql-15 and pgbouncer:

    primary  (initdb, wal_level=replica, fsync and synchronous_commit on)
      |-- replica  (pg_basebackup -R, streaming hot standby)
    PgBouncer "command" -> primary        PgBouncer "query" -> replica

Everything listens on 127.0.0.1 on free ports and lives in one temporary folder, which stop()
removes. Nothing here touches the system's own clusters or services.

    cluster = PgCluster().start()
    db = cluster.create_database()
    cluster.command_url(db)   # postgresql://boxoffice@127.0.0.1:<bouncer>/<db>
    cluster.stop()

PgCluster(bouncer_settings="docker/pgbouncer/pgbouncer.ini") runs both PgBouncers with the
pooling settings of that file (the deployment's, %included as it is) instead of the harness's.

initdb, postgres and pgbouncer refuse to run as root: under uid 0 they run as the `postgres` OS
user (created by the Debian package) and the folder is handed to that user. psql, the client,
runs as whoever we are; it connects over TCP, where loopback is trusted.

A PgCluster also starts a small watchdog process that outlives us: if the process that started
the cluster dies without calling stop() (SIGKILL, a ctest timeout), the watchdog shuts the
servers down and removes the folder, so no postgres is ever left behind.
"""
import atexit
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

from ports import free_port

PG_BIN = os.environ.get("BOXOFFICE_TEST_PG_BIN", "/usr/lib/postgresql/15/bin")
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
PSQL = os.path.join(PG_BIN, "psql")

APP_USER = "boxoffice"     # owns the test databases; what the server under test connects as
ADMIN_USER = "postgres"    # the cluster's superuser (initdb -U), for setup and inspection
REPLICATION_SLOT = "boxoffice_replica"
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")  # database names we create or accept


def _port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _tail(path, chars=3000):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")[-chars:]
    except OSError:
        return f"({path} is missing)"


class PgClusterError(RuntimeError):
    pass


class PgCluster:
    def __init__(self, bouncer_settings=None):
        """bouncer_settings: a PgBouncer ini file of [pgbouncer] settings (pool mode, sizes ...)
        that each bouncer %includes after its own address and authentication lines, in place
        of the harness's settings below."""
        self.bouncer_settings = os.path.abspath(bouncer_settings) if bouncer_settings else None
        self.base = None
        self.bouncers = {}   # "command" / "query" -> Popen
        self._stopped = False
        # The server processes run as `postgres` when we are root, else as ourselves.
        if os.getuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise PgClusterError("running as root, but there is no `postgres` OS user to run "
                                     "PostgreSQL as (apt-get install postgresql-15 creates it)") from None
            self._owner = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
            self._owner_ids = (pw.pw_uid, pw.pw_gid)
        else:
            self._owner = {}
            self._owner_ids = None

    # ---- paths, ports and addresses -------------------------------------------------------------

    def _path(self, *parts):
        return os.path.join(self.base, *parts)

    def _url(self, port, db, user=APP_USER):
        return f"postgresql://{user}@127.0.0.1:{port}/{db}"

    def command_url(self, db):
        """The command (read-write) database, through its PgBouncer."""
        return self._url(self.ports["command_bouncer"], db)

    def query_url(self, db):
        """The query (read-only replica) database, through its PgBouncer."""
        return self._url(self.ports["query_bouncer"], db)

    def direct_primary_url(self, db, user=APP_USER):
        return self._url(self.ports["primary"], db, user)

    def direct_replica_url(self, db, user=APP_USER):
        return self._url(self.ports["replica"], db, user)

    # ---- running things -------------------------------------------------------------------------

    def _env(self):
        # Nothing from the caller's PG* variables (PGHOST, PGDATA, PGPORT ...) may redirect us.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update({"HOME": self.base, "LC_ALL": "C.UTF-8", "PGCONNECT_TIMEOUT": "5"})
        return env

    def _run(self, *cmd, timeout=120):
        """Runs a server-side tool (initdb, pg_ctl, pg_basebackup) as the cluster's OS user."""
        r = subprocess.run(cmd, cwd=self.base, env=self._env(), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout, **self._owner)
        if r.returncode != 0:
            raise PgClusterError(f"{' '.join(cmd)} exited with {r.returncode}:\n{r.stdout}{r.stderr}")
        return r.stdout

    def _write(self, path, text):
        """Writes a file the server processes read, readable by them whatever our umask."""
        with open(path, "w") as f:
            f.write(text)
        if self._owner_ids:
            os.chown(path, *self._owner_ids)

    def psql(self, db, sql, *, user=ADMIN_USER, replica=False, timeout=60):
        """Runs SQL with psql directly on the primary (or the replica) and returns its stdout:
        unaligned, tuples only, so `SELECT 1` gives "1\\n". Fails on the first SQL error."""
        url = self.direct_replica_url(db, user) if replica else self.direct_primary_url(db, user)
        r = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                           env=self._env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise PgClusterError(f"psql {url} failed ({r.returncode}): {r.stderr.strip()}\nSQL: {sql}")
        return r.stdout

    def _wait(self, what, check, timeout=60, log=None):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                if check():
                    return
            except (PgClusterError, OSError, subprocess.SubprocessError) as e:
                last = e
            time.sleep(0.05)
        raise PgClusterError(f"timed out waiting for {what}: {last}" + (f"\n{_tail(log)}" if log else ""))

    # ---- lifecycle ------------------------------------------------------------------------------

    def start(self):
        started = time.time()
        self.base = tempfile.mkdtemp(prefix="boxoffice-pg-")
        atexit.register(self.stop)
        try:
            if self._owner_ids:
                os.chown(self.base, *self._owner_ids)
                # The postgres user must be able to reach the folder; /tmp is fine, a TMPDIR under
                # /root is not. Say so instead of letting initdb fail obscurely.
                if subprocess.run(["test", "-w", self.base], **self._owner).returncode != 0:
                    raise PgClusterError(f"the postgres OS user cannot reach {self.base}; "
                                         "point TMPDIR at a folder it can traverse (e.g. /tmp)")
            os.makedirs(self._path("sock"))
            if self._owner_ids:
                os.chown(self._path("sock"), *self._owner_ids)
            ports = set()
            while len(ports) < 4:  # two probes can be handed the same free port
                ports.add(free_port())
            self.ports = dict(zip(("primary", "replica", "command_bouncer", "query_bouncer"), sorted(ports)))
            self._start_watchdog()
            self._init_primary()
            self._start_pg("primary")
            self.psql("postgres", f"CREATE ROLE {APP_USER} LOGIN CREATEDB; GRANT pg_monitor TO {APP_USER}")
            self._init_replica()
            self._start_pg("replica")
            self.wait_streaming()
            self._start_bouncer("command", self.ports["primary"])
            self._start_bouncer("query", self.ports["replica"])
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.time() - started
        return self

    def _init_primary(self):
        # UTF-8 with the C.UTF-8 locale: codepoint order, and no dependency on generated locales.
        # --no-sync only skips initdb's final flush of this fresh folder; the running server
        # fsyncs every commit (fsync and synchronous_commit are on below).
        self._run(os.path.join(PG_BIN, "initdb"), "-D", self._path("primary"), "-U", ADMIN_USER,
                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        with open(self._path("primary", "postgresql.conf"), "a") as f:
            f.write(f"""
# ---- boxoffice test cluster (tests/harness/pg_cluster.py) ----
listen_addresses = '127.0.0.1'
port = {self.ports['primary']}
unix_socket_directories = '{self._path('sock')}'
cluster_name = 'boxoffice-primary'
max_connections = 300
shared_buffers = 64MB
# Durability is what the PostgreSQL backend is for: keep the defaults, explicitly.
fsync = on
synchronous_commit = on
full_page_writes = on
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
hot_standby = on
hot_standby_feedback = on
# A restarted primary is found again within a second, not five.
wal_retrieve_retry_interval = 1s
log_line_prefix = '%m [%p] %q%u@%d '
""")
        # Loopback only; replication connections are what pg_basebackup and the replica use.
        with open(self._path("primary", "pg_hba.conf"), "w") as f:
            f.write(f"""# boxoffice test cluster: trust on loopback and on the private socket folder
local   all          all                                   trust
host    all          {APP_USER},{ADMIN_USER}    127.0.0.1/32   trust
local   replication  all                                   trust
host    replication  all                        127.0.0.1/32   trust
""")

    def _init_replica(self):
        # -R writes standby.signal and primary_conninfo; the slot keeps the WAL the replica has
        # not replayed yet (every CREATE DATABASE writes a template's worth of it).
        self._run(os.path.join(PG_BIN, "pg_basebackup"), "-D", self._path("replica"),
                  "-h", "127.0.0.1", "-p", str(self.ports["primary"]), "-U", ADMIN_USER,
                  "-R", "-C", "-S", REPLICATION_SLOT, "-X", "stream", "--checkpoint=fast", "--no-sync")
        # The copied postgresql.conf is the primary's; the later lines win.
        with open(self._path("replica", "postgresql.conf"), "a") as f:
            f.write(f"port = {self.ports['replica']}\ncluster_name = 'boxoffice-replica'\n")

    def _pg_ctl(self, name, action, *extra, timeout=120):
        return self._run(os.path.join(PG_BIN, "pg_ctl"), "-D", self._path(name), "-l", self._path(f"{name}.log"),
                         "-w", "-t", str(timeout), *extra, action, timeout=timeout + 10)

    def _start_pg(self, name):
        try:
            self._pg_ctl(name, "start")
        except PgClusterError as e:
            raise PgClusterError(f"{e}\n--- {name}.log ---\n{_tail(self._path(name + '.log'))}") from None

    def _start_bouncer(self, name, pg_port):
        port = self.ports[f"{name}_bouncer"]
        ini, users, log = self._path(f"bouncer-{name}.ini"), self._path("bouncer-users.txt"), self._path(f"bouncer-{name}.log")
        # auth_type = trust still needs the user to be listed in auth_file.
        self._write(users, f'"{APP_USER}" ""\n"{ADMIN_USER}" ""\n')
        head = f"""[databases]
; Any database name goes to the one server behind this bouncer.
* = host=127.0.0.1 port={pg_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
; No unix socket: the default, /tmp, is shared with the rest of the machine.
unix_socket_dir =
auth_type = trust
auth_file = {users}
admin_users = {ADMIN_USER}
stats_users = {APP_USER}
"""
        if self.bouncer_settings:
            # A copy in our folder, which the postgres OS user can read; the text is unchanged.
            settings = self._path("bouncer-settings.ini")
            with open(self.bouncer_settings) as f:
                self._write(settings, f.read())
            self._write(ini, head + f"%include {settings}\n")
        else:
            self._write(ini, head + """; The scaling guide's settings.
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 100
ignore_startup_parameters = extra_float_digits,options
; After the server was unreachable (a test stops the primary), try again after 1 s rather
; than the default 15 s, during which every client is refused.
server_login_retry = 1
""")
        # Foreground, logging to stderr, which goes to the log file: config errors land there too.
        with open(log, "ab") as out:
            proc = subprocess.Popen([PGBOUNCER, ini], cwd=self.base, env=self._env(), stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, **self._owner)
        self.bouncers[name] = proc
        self._write(self._path(f"bouncer-{name}.pid"), f"{proc.pid}\n")  # for the watchdog

        def up():
            if proc.poll() is not None:
                raise PgClusterError(f"pgbouncer ({name}) exited with {proc.returncode}:\n{_tail(log)}")
            return _port_open(port)
        self._wait(f"pgbouncer ({name}) on port {port}", up, timeout=30, log=log)

    def wait_streaming(self, timeout=60):
        """Until the primary reports its replica as streaming."""
        self._wait("the replica to stream", lambda: "streaming" in self.psql("postgres", "SELECT state FROM pg_stat_replication"),
                   timeout=timeout, log=self._path("replica.log"))

    def stop_primary(self, mode="fast"):
        """Stops the command database (mode: smart, fast or immediate, as pg_ctl -m); the replica
        and both bouncers stay up. Clients of the command bouncer get errors until start_primary()."""
        self._pg_ctl("primary", "stop", "-m", mode)

    def start_primary(self, wait_replica=True):
        self._start_pg("primary")
        if wait_replica:
            self.wait_streaming()

    def stop(self):
        """Stops the bouncers, the replica and the primary, and removes the folder. Idempotent;
        also runs at exit."""
        if self._stopped or self.base is None:
            return
        self._stopped = True
        for proc in self.bouncers.values():
            if proc.poll() is None:
                proc.terminate()  # SIGTERM: pgbouncer's immediate shutdown
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for name in ("replica", "primary"):
            if os.path.exists(self._path(name, "postmaster.pid")):
                try:
                    self._pg_ctl(name, "stop", "-m", "fast", timeout=30)
                except (PgClusterError, subprocess.SubprocessError):
                    pass  # _kill_leftovers below makes sure
        _kill_leftovers(self.base)
        shutil.rmtree(self.base, ignore_errors=True)

    # ---- databases ------------------------------------------------------------------------------

    def create_database(self, name=None, timeout=60):
        """Creates a database owned by boxoffice on the primary and returns its name once the
        replica (which copies it through the WAL) accepts connections to it too."""
        name = name or "boxoffice_" + uuid.uuid4().hex[:12]
        if not NAME.match(name):
            raise ValueError(f"not a plain database name: {name!r}")
        self.psql("postgres", f"CREATE DATABASE {name} OWNER {APP_USER}")
        self._wait(f"database {name} on the replica", lambda: self.psql(name, "SELECT 1", user=APP_USER, replica=True),
                   timeout=timeout)
        return name

    def drop_database(self, name):
        """Drops a database, ending any sessions on it (the bouncers' pooled ones included)."""
        if not NAME.match(name):
            raise ValueError(f"not a plain database name: {name!r}")
        self.psql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def database_exists(self, name):
        return bool(NAME.match(name)) and self.psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip() == "1"

    # ---- the watchdog ---------------------------------------------------------------------------

    def _start_watchdog(self):
        # It detaches itself (double fork), so a kill of our process tree does not reach it.
        subprocess.run([sys.executable, os.path.abspath(__file__), "--watchdog", str(os.getpid()),
                        _start_time(os.getpid()), self.base],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


def _start_time(pid):
    """The process's start time in clock ticks since boot, which tells it apart from a later
    process that got the same pid; '' if there is no such process or it is a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return ""
    return "" if fields[0] in ("Z", "X") else fields[19]


def _read_pid(path):
    try:
        with open(path) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def _kill_leftovers(base):
    """Ends whatever of a cluster in `base` still runs: SIGQUIT to each postmaster (immediate
    shutdown, it takes its children along) and SIGTERM to each pgbouncer, then SIGKILL to any
    that are still there after 10 s."""
    pids = {}
    for name in ("primary", "replica"):
        pid = _read_pid(os.path.join(base, name, "postmaster.pid"))
        if pid:
            pids[pid] = signal.SIGQUIT
    for name in ("command", "query"):
        pid = _read_pid(os.path.join(base, f"bouncer-{name}.pid"))
        if pid:
            pids[pid] = signal.SIGTERM
    for pid, sig in pids.items():
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.time() + 10
    while time.time() < deadline and any(_start_time(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        if _start_time(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _watchdog(owner_pid, owner_start, base):
    if os.fork():
        os._exit(0)
    os.setsid()
    # Stops when the folder is gone (a normal stop()), cleans up when the owner is gone.
    while os.path.isdir(base):
        if _start_time(owner_pid) != owner_start:
            _kill_leftovers(base)
            shutil.rmtree(base, ignore_errors=True)
            break
        time.sleep(0.5)
    os._exit(0)


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "--watchdog":
    _watchdog(int(sys.argv[2]), sys.argv[3], sys.argv[4])
