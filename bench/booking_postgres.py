#!/usr/bin/python3
"""Confirmed tickets per second on PostgreSQL (issue 11), and pgbench's ceiling beside it.

    bench/booking_postgres.sh [seconds]     (this file does the work; default 10 s per run)

1. A throwaway PostgreSQL 15 primary and PgBouncer 1.18 (transaction mode) from the test harness
   (tests/harness/pg_cluster.py), durability at its defaults: fsync, synchronous_commit and
   full_page_writes on. The harness's streaming replica is stopped: one instance, one database.
2. boxoffice on that database through PgBouncer, then `boxoffice-load onsale --pick partition`
   (128 users, 24 shows of 20,000 seats, 2 seats per booking, nobody asks for another's seat)
   flat out, then at half that rate for latency.
3. The oversell check, from the database itself.
4. pgbench (boxoffice stopped) through the same PgBouncer, one booking per transaction, at 1, 8,
   16, 32 and 64 clients, three ways: the booking's SQL as four statements (BEGIN, INSERT the
   booking RETURNING id, INSERT its 2 seat claims, COMMIT); the same as one statement (a CTE);
   one confirm_booking() call, the function boxoffice's group commit calls per booking.

Before each measured run: a CHECKPOINT (so no run pays for another's), and a wait (30 s polls,
10 min at most) while other processes on the machine use more than half a core; a run during
which they took more than 0.3 cores is run again (3 attempts at most). Each run reports the CPU
used by each process group, WAL flushes (pg_stat_wal.wal_sync) and, from the WAL itself
(pg_waldump), how many bookings each commit carried.

Knobs (environment): BOXOFFICE_BUILD_DIR (default build/release), BENCH_USERS (128),
BENCH_LOADGEN_THREADS (1), BENCH_PGBENCH_CLIENTS ("1 8 16 32 64"), and any BOXOFFICE_* setting
not set below (BOXOFFICE_THREADS, BOXOFFICE_DB_MAX_CONNS ...) is passed on to the server.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
from pg_cluster import PG_BIN, PgCluster, free_port  # noqa: E402

SECS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
BUILD = os.environ.get("BOXOFFICE_BUILD_DIR", os.path.join(ROOT, "build", "release"))
USERS = int(os.environ.get("BENCH_USERS", "128"))
LOADGEN_THREADS = int(os.environ.get("BENCH_LOADGEN_THREADS", "1"))
CLIENTS = [int(c) for c in os.environ.get("BENCH_PGBENCH_CLIENTS", "1 8 16 32 64").split()]
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@bench.test", "bench-password"
DB = "boxoffice_bench"
HZ = os.sysconf("SC_CLK_TCK")


def onsale_cmd(ports, users, shows, secs, rate=0, procs=1, sources=None, timeseries=None, server_pids=()):
    """The on-sale every booking benchmark runs: boxoffice-load's users, round robin over the
    instances, each booking 2 seats no other user asks for (--pick partition), flat out or at
    `rate` bookings/s in all; `sources` spreads the users over client addresses as real buyers
    are (each address is its own rate-limit key). `timeseries`: a CSV of one line per second
    (with the RSS of each of `server_pids`) for bench/plot.sh."""
    cmd = [os.path.join(BUILD, "boxoffice-load"), "onsale", "--admin-email", ADMIN_EMAIL,
           "--admin-password", ADMIN_PASSWORD, "--users", str(users), "--procs", str(procs),
           "--shows", str(shows), "--duration", str(secs), "--seats-per-booking", "2", "--pick", "partition"]
    for port in ports:
        cmd += ["--url", f"http://127.0.0.1:{port}"]
    if rate:
        cmd += ["--rate", str(rate)]
    if sources:
        cmd += ["--source-addrs", sources]
    if timeseries:
        cmd += ["--timeseries", timeseries]
    for pid in server_pids:
        cmd += ["--server-pid", str(pid)]
    return cmd


def plot(csv, name, title):
    """bench/plot.sh of a --timeseries CSV into docs/bench/NAME.svg (BENCH_PLOTS_DIR overrides)."""
    plots = os.environ.get("BENCH_PLOTS_DIR", os.path.join(ROOT, "docs", "bench"))
    os.makedirs(plots, exist_ok=True)
    out = os.path.join(plots, f"{name}.svg")
    subprocess.run(["bash", os.path.join(ROOT, "bench", "plot.sh"), csv, out, title], check=True)
    print(f"## plot: {out}", flush=True)


def onsale_figures(out):
    """What boxoffice-load onsale printed: its totals (duration_s, bookings, tickets_per_s, ...)
    and the (p50, p99, max) ms of hold and confirm; None when it printed no totals."""
    totals = [line for line in out.splitlines() if line.startswith(("duration_s=", "tickets_per_s="))]
    if len(totals) != 2:
        return None
    r = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", " ".join(totals))}
    for op in ("hold", "confirm"):
        m = re.search(rf"{op}_ms p50=([\d.]+) p99=([\d.]+) max=([\d.]+)", out)
        r[op] = tuple(map(float, m.groups()))
    return r


# Whose CPU time is whose: filled in as our processes start (other people's postgres or
# boxoffice on the same machine count as "others").
OURS = {}          # pid -> group
POSTMASTER = [0]   # our postmaster's pid: its children are our postgres processes

# ---- CPU accounting -----------------------------------------------------------------------------


def cpu_snapshot():
    """(time, {(pid, start): (group, ticks)} for our processes, machine ticks: (busy, iowait, steal))."""
    procs = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        parent = int(fields[1])
        group = (OURS.get(int(pid)) or ("postgres" if POSTMASTER[0] and parent == POSTMASTER[0] else None)
                 or (OURS[parent] if OURS.get(parent) in ("loadgen", "nginx") else None))  # their workers
        if group:
            procs[(pid, fields[19])] = (group, int(fields[11]) + int(fields[12]))
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    return time.time(), procs, (user + nice + system + irq + softirq, iowait, steal)


def cpu_usage(a, b):
    """Cores used between two snapshots: per group, by the whole machine, by everything else, and
    taken by the hypervisor (steal)."""
    secs = b[0] - a[0]
    used = {g: 0.0 for g in ("postgres", "pgbouncer", "boxoffice", "loadgen", "pgbench", "redis", "nginx")}
    for key, (group, ticks) in b[1].items():
        used[group] += (ticks - a[1].get(key, (group, 0))[1]) / HZ / secs
    busy = (b[2][0] - a[2][0]) / HZ / secs
    used["others"] = busy - sum(used.values())
    used["machine"], used["iowait"], used["steal"] = busy, *((b[2][i] - a[2][i]) / HZ / secs for i in (1, 2))
    return used


class Sampler:
    """Takes a CPU snapshot every half second while a run is going."""

    def __init__(self):
        self.samples, self._stop = [cpu_snapshot()], threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.wait(0.5):
            self.samples.append(cpu_snapshot())

    def finish(self, child, window_s=None, span=None):
        """Stops; the usage over the last window_s seconds (default: all of it), or over span
        (wall-clock start, end) when the load tool said when its run began and ended: its
        preparation before and its oversell check after (which reads every seat map) are not
        the run's. child: the (pid, group, CPU ticks) of the load generator, which has exited
        and left /proc."""
        self._stop.set()
        self._thread.join()
        if span:
            inside = [s for s in self.samples if span[0] <= s[0] <= span[1] + 0.5]
            if len(inside) >= 2:
                return cpu_usage(inside[0], inside[-1])
        end = cpu_snapshot()
        start = self.samples[0]
        if window_s:
            start = next((s for s in self.samples if s[0] >= end[0] - window_s), start)
        pid, group, ticks = child
        key = next((k for k in start[1] if k[0] == str(pid)), (str(pid), ""))
        # wait4's ticks include the worker processes it reaped (boxoffice-load's), over their whole
        # lives: what they had used when the window started is taken off, or their preparation
        # (sign-ups, seat maps read) would count as the run's.
        ticks -= sum(t for k, (g, t) in start[1].items() if g == group and k != key and k not in end[1])
        end[1][key] = (group, ticks)
        return cpu_usage(start, end)


def fmt_cpu(u):
    return ", ".join(f"{k} {u[k]:.2f}" for k in ("postgres", "pgbouncer", "redis", "nginx", "boxoffice", "loadgen",
                                                 "pgbench", "others", "machine", "iowait", "steal") if k in u)


def wait_quiet():
    """Waits (30 s polls, 10 min at most) while something else uses more than half a core;
    returns the 1-minute load average and what the others used over 3 s."""
    deadline = time.time() + 600
    while True:
        a = cpu_snapshot()
        time.sleep(3)
        others = cpu_usage(a, cpu_snapshot())["others"]
        if others <= 0.5 or time.time() > deadline:
            return {"load1": os.getloadavg()[0], "others_before": others}
        print(f"  others use {others:.2f} cores (load {os.getloadavg()[0]:.2f}); waiting 30 s", flush=True)
        time.sleep(30)

# ---- the database ---------------------------------------------------------------------------------


class Bench:
    def __init__(self):
        self.cluster = None
        self.server = None
        self.child = None  # the loadgen or pgbench that runs now
        self.work = tempfile.mkdtemp(prefix="boxoffice-pgbench-")
        self.results = {}

    def sql(self, query):
        return self.cluster.psql(DB, query).strip()

    def row(self, query):
        return [int(v) if re.fullmatch(r"-?\d+", v) else v for v in self.sql(query).split("|")]

    def counters(self):
        """What a run is measured by, read before and after it."""
        lsn, commits = self.row(f"SELECT pg_current_wal_insert_lsn(), xact_commit FROM pg_stat_database "
                                f"WHERE datname = '{DB}'")
        wal_sync, = self.row("SELECT wal_sync FROM pg_stat_wal")
        bookings, = self.row("SELECT count(*) FROM bookings WHERE status = 'confirmed'")
        return {"lsn": lsn, "xact_commit": commits, "wal_sync": wal_sync, "bookings": bookings}

    def before_run(self):
        self.sql("CHECKPOINT")
        quiet = wait_quiet()
        return quiet, self.counters()

    def after_run(self, before):
        # Idle backends send their statistics within 10 s (PGSTAT_IDLE_INTERVAL in PostgreSQL 15).
        time.sleep(11)
        after = self.counters()
        d = {k: after[k] - before[k] for k in ("xact_commit", "wal_sync")}
        d["db_bookings"] = after["bookings"] - before["bookings"]
        d.update(self.wal_commits(before["lsn"], after["lsn"]))
        return d

    def wal_commits(self, start, end):
        """Commit records between two WAL positions, with how many bookings each carried: every
        confirm_booking() runs in a subtransaction of its own, listed in the commit record."""
        out = subprocess.run([os.path.join(PG_BIN, "pg_waldump"), "-p", os.path.join(self.cluster.base, "primary", "pg_wal"),
                              "-s", start, "-e", end, "-r", "Transaction"], capture_output=True, text=True)
        sizes = []
        for line in out.stdout.splitlines():
            if "desc: COMMIT" in line:
                m = re.search(r"subxacts: ([\d ]+)", line)
                sizes.append(len(m.group(1).split()) if m else 0)
        if not sizes and out.returncode != 0:
            return {"wal_commits": None, "waldump_error": out.stderr.strip()[:300]}
        batches = sorted(s for s in sizes if s > 0)
        buckets = {"1": (1, 1), "2-8": (2, 8), "9-32": (9, 32), "33-63": (33, 63), "64": (64, 64)}
        return {"wal_commits": len(sizes), "booking_commits": len(batches),
                "per_commit_histogram": {k: sum(lo <= n <= hi for n in batches) for k, (lo, hi) in buckets.items()},
                "per_commit_mean": sum(batches) / len(batches) if batches else 0,
                "per_commit_p50": batches[len(batches) // 2] if batches else 0,
                "per_commit_max": batches[-1] if batches else 0}

    def oversell_check(self, label):
        claims, = self.row("SELECT count(*) FROM seat_claims")
        bookings, seats = self.row("SELECT count(*), coalesce(sum(json_array_length(seats_json::json)), 0) "
                                   "FROM bookings WHERE status = 'confirmed'")
        twice, = self.row("SELECT count(*) FROM (SELECT b.show_id, s.seat FROM bookings b, "
                          "json_array_elements_text(b.seats_json::json) AS s(seat) WHERE b.status = 'confirmed' "
                          "GROUP BY 1, 2 HAVING count(*) > 1) AS d")
        unclaimed, = self.row("SELECT count(*) FROM bookings b, json_array_elements_text(b.seats_json::json) AS s(seat) "
                              "WHERE b.status = 'confirmed' AND NOT EXISTS (SELECT 1 FROM seat_claims c "
                              "WHERE c.show_id = b.show_id AND c.seat = s.seat AND c.booking_id = b.id)")
        r = {"seat_claims": claims, "confirmed_bookings": bookings, "booked_seats": seats,
             "seats_booked_twice": twice, "seats_without_their_claim": unclaimed}
        ok = twice == 0 and unclaimed == 0 and claims == seats
        print(f"## oversell check ({label}): {r} -> {'OK' if ok else 'FAILED'}", flush=True)
        self.results.setdefault("oversell", {})[label] = r
        return ok

    # ---- boxoffice --------------------------------------------------------------------------------

    def start_server(self, **settings):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(settings)
        env.update(BOXOFFICE_COMMAND_DB_URL=self.cluster.command_url(DB),
                   BOXOFFICE_LISTEN=f"127.0.0.1:{self.port}", BOXOFFICE_DATA_DIR=os.path.join(self.work, f"data-{self.port}"),
                   BOXOFFICE_ADMIN_EMAIL=ADMIN_EMAIL, BOXOFFICE_ADMIN_PASSWORD=ADMIN_PASSWORD,
                   BOXOFFICE_HOLD_TTL="30s", BOXOFFICE_LOG_LEVEL="warn",
                   BOXOFFICE_RATE_LIMIT_PER_MIN="100000000", BOXOFFICE_AUTH_RATE_LIMIT_PER_MIN="100000000")
        self.server_log = os.path.join(self.work, "server.log")
        with open(self.server_log, "ab") as log:
            self.server = subprocess.Popen([os.path.join(BUILD, "boxoffice"), "serve"], env=env,
                                           stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        OURS[self.server.pid] = "boxoffice"
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.server.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("boxoffice did not become ready:\n" + open(self.server_log).read()[-3000:])

    def stop_server(self):
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()

    def run(self, cmd):
        """Runs the loadgen or pgbench; its output, echoed as it comes."""
        self.child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                      env={k: v for k, v in os.environ.items() if not k.startswith("PG")})
        OURS[self.child.pid] = "pgbench" if cmd[0].endswith("pgbench") else "loadgen"
        out = []
        self.run_span = None  # wall-clock times of boxoffice-load's first and last "[run" lines
        for line in self.child.stdout:
            print("  " + line, end="", flush=True)
            out.append(line)
            if line.startswith("[run"):
                self.run_span = ((self.run_span or (time.time(),))[0], time.time())
        # wait4, not wait: its CPU time, which /proc no longer has once it has exited.
        _, status, usage = os.wait4(self.child.pid, 0)
        self.child.returncode = os.waitstatus_to_exitcode(status)
        ticks = round((usage.ru_utime + usage.ru_stime) * HZ)
        return "".join(out), (self.child.pid, OURS[self.child.pid], ticks)

    @staticmethod
    def measured(once):
        """once() up to 3 times, until the other processes on the machine took no more than
        0.3 cores during the run (a build starting in the middle of one happens here)."""
        for attempt in range(1, 4):
            r = once()
            r["attempts"] = attempt
            if r["cpu"]["others"] <= 0.3:
                break
            print(f"  {'discarded' if attempt < 3 else 'kept anyway (3rd attempt)'}: others used "
                  f"{r['cpu']['others']:.2f} cores during the run", flush=True)
        return r

    def onsale(self, secs, rate):
        return onsale_cmd([self.port], USERS, 24, secs, rate, procs=LOADGEN_THREADS)

    def loadgen(self, label, rate=0, secs=None):
        """boxoffice-load's on-sale, flat out or at a fixed rate; its totals, percentiles and CPU."""
        quiet, before = self.before_run()
        print(f"## boxoffice {label} (load {quiet['load1']:.2f}, others {quiet['others_before']:.2f} cores)", flush=True)
        cmd = self.onsale(secs or SECS, rate)
        sampler = Sampler()
        out, child = self.run(cmd)
        r = dict(quiet)
        figures = onsale_figures(out)
        if figures is None:
            raise RuntimeError(f"boxoffice-load failed (exit status {self.child.returncode})")
        r.update(figures)
        r["cpu"] = sampler.finish(child, window_s=r["duration_s"], span=self.run_span)
        r.update(self.after_run(before))
        print(f"  cpu (cores): {fmt_cpu(r['cpu'])}", flush=True)
        print(f"  database: {r['db_bookings']} new bookings (loadgen counted {int(r['bookings'])} 201s), "
              f"{r['booking_commits']} booking commits, {r['per_commit_mean']:.1f} bookings per commit "
              f"(p50 {r['per_commit_p50']}, max {r['per_commit_max']}; {r['per_commit_histogram']}), "
              f"{r['wal_sync']} WAL flushes, "
              f"{r['xact_commit']} transactions", flush=True)
        return r

    # ---- pgbench ----------------------------------------------------------------------------------

    def pgbench_scripts(self):
        """The booking transaction, one booking per transaction: as four statements, as one, and as
        one confirm_booking() call. Seats never collide: each is numbered by run, client and a
        per-client counter (pgbench variables persist from one transaction to the next)."""
        # The longest run of consecutive ids, so that a client's show and user are first + n.
        run = ("SELECT min(id), count(*) FROM (SELECT id, id - row_number() OVER (ORDER BY id) AS run FROM {}) AS t "
               "GROUP BY run ORDER BY count(*) DESC LIMIT 1")
        show_first, show_count = self.row(run.format("shows"))
        user_first, user_count = self.row(run.format("users WHERE role = 'customer'"))
        currency, = self.row("SELECT min(currency) FROM shows")
        self.pgbench_vars = ["-D", f"show_first={show_first}", "-D", f"show_count={show_count}",
                             "-D", f"user_first={user_first}", "-D", f"user_count={user_count}", "-D", "i=0"]
        head = ("\\set i :i + 1\n"
                "\\set show :show_first + :client_id % :show_count\n"
                "\\set usr :user_first + :client_id % :user_count\n"
                "\\set seat :run * 1000000000000 + :client_id * 1000000000 + :i\n")
        a, b = "'p' || (:seat)::text || 'a'", "'p' || (:seat)::text || 'b'"
        insert_booking = ("INSERT INTO bookings (user_id, show_id, seats_json, total_cents, currency, status, created_at)\n"
                          f"  VALUES (:usr, :show, '[\"' || {a} || '\",\"' || {b} || '\"]', 2000, '{currency}', "
                          "'confirmed', extract(epoch FROM now())::bigint) RETURNING id")
        scripts = {
            "sql": head + (
                f"BEGIN;\n{insert_booking} \\gset\n"
                f"INSERT INTO seat_claims (show_id, seat, booking_id) VALUES (:show, {a}, :id), (:show, {b}, :id);\n"
                "COMMIT;\n"),
            "sql_one_statement": head + (
                f"WITH b AS ({insert_booking})\n"
                f"INSERT INTO seat_claims (show_id, seat, booking_id) SELECT :show, s.seat, b.id FROM b, (VALUES ({a}), ({b})) AS s(seat);\n"),
            "confirm_booking": head + (
                "SELECT o_outcome FROM confirm_booking((:usr)::bigint, (:show)::bigint,\n"
                f"  '[\"' || {a} || '\",\"' || {b} || '\"]', ARRAY[{a}, {b}], 2000, '{currency}', '', '',\n"
                "  extract(epoch FROM now())::bigint);\n"),
        }
        paths = {}
        for name, text in scripts.items():
            paths[name] = os.path.join(self.work, f"booking_{name}.pgbench")
            with open(paths[name], "w") as f:
                f.write(text)
        return paths

    def pgbench(self, name, script, clients):
        self.pgbench_runs += 1  # numbers this run's seats apart from every other run's
        quiet, before = self.before_run()
        print(f"## pgbench {name}, {clients} clients (load {quiet['load1']:.2f}, others {quiet['others_before']:.2f} cores)",
              flush=True)
        sampler = Sampler()
        out, child = self.run([os.path.join(PG_BIN, "pgbench"), "-n", "-M", "extended", "-f", script, "-c", str(clients),
                        "-j", str(min(clients, 2)), "-T", str(SECS), "-D", f"run={self.pgbench_runs}", *self.pgbench_vars,
                        "-h", "127.0.0.1", "-p", str(self.cluster.ports["command_bouncer"]), "-U", "boxoffice", DB])
        r = dict(quiet, cpu=sampler.finish(child))
        r["tps"] = float(re.search(r"tps = ([\d.]+)", out).group(1))
        r["transactions"] = int(re.search(r"actually processed: (\d+)", out).group(1))
        failed = re.search(r"number of failed transactions: (\d+)", out)
        r["failed"] = int(failed.group(1)) if failed else 0
        r["latency_ms"] = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
        r.update(self.after_run(before))
        print(f"  {r['tps']:.0f} tps = {2 * r['tps']:.0f} tickets/s; {r['db_bookings']} new bookings for "
              f"{r['transactions']} transactions; {r['wal_sync']} WAL flushes "
              f"({r['db_bookings'] / max(r['wal_sync'], 1):.1f} bookings per flush)", flush=True)
        print(f"  cpu (cores): {fmt_cpu(r['cpu'])}", flush=True)
        return r

    # ---- the whole thing --------------------------------------------------------------------------

    def start_cluster(self):
        started = time.time()
        self.cluster = PgCluster().start()
        self.cluster.create_database(DB)
        # One database server: the harness's replica (and its bouncer) would only take CPU.
        self.cluster.bouncers.pop("query").terminate()
        os.unlink(os.path.join(self.cluster.base, "bouncer-query.pid"))
        self.cluster._pg_ctl("replica", "stop", "-m", "fast")
        self.cluster.psql("postgres", "SELECT pg_drop_replication_slot('boxoffice_replica')")
        with open(os.path.join(self.cluster.base, "primary", "postmaster.pid")) as f:
            POSTMASTER[0] = int(f.readline())
        OURS[POSTMASTER[0]] = "postgres"
        OURS[self.cluster.bouncers["command"].pid] = "pgbouncer"
        settings = self.sql("SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN "
                            "('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers', "
                            "'max_connections', 'commit_delay', 'wal_level', 'max_wal_size', 'server_version')")
        print(f"## PostgreSQL up in {time.time() - started:.1f} s: {settings}", flush=True)
        print("## PgBouncer 1.18: pool_mode=transaction max_client_conn=1000 default_pool_size=100", flush=True)

    def main(self):
        for tool in ("boxoffice", "boxoffice-load"):
            if not os.access(os.path.join(BUILD, tool), os.X_OK):
                sys.exit(f"{BUILD}/{tool} is missing: build the release preset or set BOXOFFICE_BUILD_DIR")
        self.start_cluster()
        self.start_server()
        # A fresh cluster's first seconds are slower (new WAL segment files, cold caches).
        self.loadgen("warm-up, not measured", secs=5)
        full = self.measured(lambda: self.loadgen("flat out"))
        self.results["full"] = full
        ok = self.oversell_check("after flat out")
        rate = int(full["bookings_per_s"] / 2)
        half = self.measured(lambda: self.loadgen(f"at half rate ({rate} bookings/s)", rate=rate))
        self.results["half"] = half
        ok = self.oversell_check("after half rate") and ok
        self.stop_server()
        self.results["pgbench"] = {}
        scripts = self.pgbench_scripts()
        self.pgbench_runs = 0
        for name, script in scripts.items():
            for clients in CLIENTS:
                self.results["pgbench"][(name, clients)] = self.measured(lambda: self.pgbench(name, script, clients))
        ok = self.oversell_check("after pgbench") and ok
        # The machine's speed drifts over minutes (a shared VM): boxoffice once more, after pgbench.
        self.start_server()
        self.results["again"] = self.measured(lambda: self.loadgen("flat out again, after pgbench"))
        self.stop_server()
        ok = self.oversell_check("at the end") and ok
        self.summary()
        self.logs()
        return 0 if ok else 1

    def summary(self):
        print("\n## summary (load: the 1-minute load average before the run; CPU: cores used during it)")
        print("| run | tickets/s | hold p50 / p99 / max (ms) | confirm p50 / p99 / max (ms) | bookings per commit "
              "(mean / p50 / max; commits of 1) | per WAL flush | load | CPU: postgres, pgbouncer, boxoffice, "
              "loadgen, others |")
        print("|---|---|---|---|---|---|---|---|")
        for key, label in (("full", "boxoffice flat out"), ("half", "boxoffice half rate"),
                           ("again", "boxoffice flat out again, after pgbench")):
            r, c = self.results[key], self.results[key]["cpu"]
            print(f"| {label} | {r['tickets_per_s']:,.0f} | {' / '.join(f'{v:.2f}' for v in r['hold'])} | "
                  f"{' / '.join(f'{v:.2f}' for v in r['confirm'])} | {r['per_commit_mean']:.1f} / "
                  f"{r['per_commit_p50']} / {r['per_commit_max']}; {r['per_commit_histogram']['1']} of "
                  f"{r['booking_commits']} | {r['db_bookings'] / max(r['wal_sync'], 1):.1f} | {r['load1']:.2f} | "
                  f"{c['postgres']:.2f}, {c['pgbouncer']:.2f}, {c['boxoffice']:.2f}, {c['loadgen']:.2f}, {c['others']:.2f} |")
        print("\n| pgbench script | clients | tps | tickets/s | latency avg (ms) | bookings per WAL flush | load | "
              "CPU: postgres, pgbouncer, pgbench, others |")
        print("|---|---|---|---|---|---|---|---|")
        best = 0
        for (name, clients), r in self.results["pgbench"].items():
            c = r["cpu"]
            best = max(best, 2 * r["tps"])
            print(f"| {name} | {clients} | {r['tps']:,.0f} | {2 * r['tps']:,.0f} | {r['latency_ms']:.2f} | "
                  f"{r['db_bookings'] / max(r['wal_sync'], 1):.1f} | {r['load1']:.2f} | {c['postgres']:.2f}, "
                  f"{c['pgbouncer']:.2f}, {c['pgbench']:.2f}, {c['others']:.2f} |")
        for key in ("full", "again"):
            t = self.results[key]["tickets_per_s"]
            print(f"boxoffice {'flat out' if key == 'full' else 'flat out again'} / best pgbench: "
                  f"{t:,.0f} / {best:,.0f} = {t / best:.2f}x")

    def logs(self):
        with open(self.server_log, errors="replace") as f:
            lines = f.read().splitlines()
        print(f"\n## boxoffice log: {len(lines)} lines at level warn and above")
        for line in lines[:20]:
            print("  " + line)
        with open(os.path.join(self.cluster.base, "primary.log"), errors="replace") as f:
            bad = [line for line in f if re.search(r"\b(ERROR|FATAL|PANIC|WARNING):", line)]
        print(f"## PostgreSQL log: {len(bad)} ERROR/FATAL/PANIC/WARNING lines")
        for line in bad[:20]:
            print("  " + line, end="")

    def close(self):
        if self.child and self.child.poll() is None:
            self.child.terminate()
            self.child.wait()
        self.stop_server()
        if self.cluster:
            self.cluster.stop()
        subprocess.run(["rm", "-rf", self.work])


def main(bench_class=None):
    """Runs a benchmark (this one, or a subclass of Bench such as bench/booking_scaleout.py's)
    and stops everything it started, also on SIGTERM and Ctrl-C."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = (bench_class or Bench)()
    try:
        return bench.main()
    except KeyboardInterrupt:
        return 130
    finally:
        bench.close()


if __name__ == "__main__":
    sys.exit(main())
