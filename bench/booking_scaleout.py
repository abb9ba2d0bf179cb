#!/usr/bin/python3
"""Confirmed tickets per second on two boxoffice instances sharing PostgreSQL (through PgBouncer)
and a 6-node Redis Cluster (issue 12), the oversell check, and the Redis round trips each hold,
confirm and seat-map read costs.

    bench/booking_scaleout.sh [seconds]     (default 20 s per run)
    BENCH_VIA=nginx bench/booking_scaleout.sh [seconds]     (the load through docker/nginx.conf)

1. PostgreSQL 15 + PgBouncer 1.18 (transaction mode) as in bench/booking_postgres.py (the
   replica is stopped: one database server on 2 cores), and a Redis Cluster of 3 masters and 3
   replicas (tests/harness/redis_cluster.py), all on loopback.
2. Two boxoffice instances on both; one `boxoffice-load onsale --pick partition` over both
   (BENCH_USERS users round robin, 24 shows per instance, 2 seats per booking, users from 32
   client addresses), flat out, then at half rate.
3. The oversell check from the database.
4. The round-trip census: one user, one instance, nothing else running: 100 holds, 100 confirms
   and 100 seat-map reads one after another, each phase's Redis round trips (the instances'
   boxoffice_coordinator_events_total{event="redis_round_trips"}) minus the background sweeps'
   (measured idle just before), divided by the count.
5. The ceiling: pgbench running confirm_booking() (what the group commit calls), one booking per
   transaction at 64 clients through the same PgBouncer, the instances stopped.
"""
import ipaddress
import json
import os
import re
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import booking_postgres as bp  # noqa: E402
from redis_cluster import RedisCluster  # noqa: E402  (booking_postgres put tests/harness on the path)

INSTANCES = int(os.environ.get("BENCH_INSTANCES", "2"))
# BENCH_VIA=nginx: the load goes through Debian's nginx running docker/nginx.conf (only its
# addresses and paths rewritten, as tests/deploy/test_nginx_front.py does), limits included.
VIA_NGINX = os.environ.get("BENCH_VIA", "") == "nginx"


class ScaleOutBench(bp.Bench):
    def __init__(self):
        super().__init__()
        self.redis = None
        self.nginx = None
        self.servers = []  # (process, port)
        self.timeseries = None  # the on-sale's --timeseries CSV, when its run is plotted

    def start_cluster(self):
        super().start_cluster()
        started = time.time()
        self.redis = RedisCluster(masters=3, replicas=1, node_timeout_ms=2000).start()
        for node in self.redis.nodes:
            for pid in node.pids():
                bp.OURS[pid] = "redis"
        print(f"## Redis Cluster up in {time.time() - started:.1f} s: {self.redis.url}", flush=True)

    def start_servers(self):
        # Behind nginx the instances take the client address from X-Forwarded-For.
        proxy = {"BOXOFFICE_TRUSTED_PROXIES": "127.0.0.1/32"} if VIA_NGINX else {}
        for i in range(INSTANCES):
            self.start_server(BOXOFFICE_REDIS_URL=self.redis.url, **proxy)
            self.servers.append((self.server, self.port))
        self.server = None
        if VIA_NGINX:
            sys.path.insert(0, os.path.join(bp.ROOT, "tests", "deploy"))
            from test_nginx_front import Nginx
            self.nginx = Nginx([port for _, port in self.servers]).start()
            bp.OURS[self.nginx.proc.pid] = "nginx"
            print(f"## nginx ({self.nginx.url}) runs docker/nginx.conf in front of the instances", flush=True)

    def stop_servers(self):
        for proc, _ in self.servers:
            self.server = proc
            self.stop_server()
        self.servers, self.server = [], None

    def round_trips(self):
        total = 0
        for _, port in self.servers:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                text = r.read().decode()
            m = re.search(r'^boxoffice_coordinator_events_total\{event="redis_round_trips"\} (\S+)$', text, re.M)
            total += float(m.group(1))
        return total

    def onsale(self, secs, rate):
        """One boxoffice-load over every instance (round robin), a worker process per instance,
        its users spread over 32 client addresses as real buyers are (the rate limit keys on the
        address, and the keys spread over the cluster's masters). Through nginx: every user from
        an address of its own, as nginx allows one address 100 requests/s."""
        series = dict(timeseries=self.timeseries, server_pids=[p.pid for p, _ in self.servers])
        if VIA_NGINX:
            last = ipaddress.IPv4Address("127.0.0.1") + bp.USERS
            return bp.onsale_cmd([self.nginx.port], bp.USERS, 24 * INSTANCES, secs, rate, procs=INSTANCES,
                                 sources=f"127.0.0.2-{last}", **series)
        return bp.onsale_cmd([port for _, port in self.servers], bp.USERS, 24 * INSTANCES, secs, rate,
                             procs=INSTANCES, sources="127.0.0.2-127.0.0.33", **series)

    def loadgens(self, label, rate=0, secs=None, plot=None):
        """The on-sale over every instance at once, with the Redis round trips per booking;
        `plot`: the name of the SVG (docs/bench/) of its requests, tickets, p99 and RSS over time."""
        self.timeseries = os.path.join(self.work, f"{plot}.csv") if plot else None
        rt_before = self.round_trips()
        r = self.loadgen(f"on {INSTANCES} instances {label}", rate, secs)
        r["redis_round_trips_per_booking"] = (self.round_trips() - rt_before) / max(r["bookings"], 1)
        print(f"  all instances: tickets_per_s={r['tickets_per_s']:.0f} bookings={r['bookings']:.0f}; "
              f"Redis round trips per booking (hold + confirm + background): {r['redis_round_trips_per_booking']:.2f}",
              flush=True)
        if r["db_bookings"] != int(r["bookings"]):
            print("  MISMATCH: the database's new bookings differ from the load tool's 201s", flush=True)
            self.mismatch = True
        if plot:
            via = "through nginx" if VIA_NGINX else "direct"
            bp.plot(self.timeseries, plot, f"scale-out on-sale, {INSTANCES} instances {via}, {label}")
        return r

    def redis_cpu(self):
        """Redis CPU by command over every node, from INFO commandstats (microseconds), and each
        node's own CPU (INFO cpu) split into masters and replicas."""
        from redis_cluster import command
        by_cmd, roles = {}, {"master": 0.0, "slave": 0.0}
        for node in self.redis.nodes:
            role = re.search(r"^role:(\w+)", command(node.port, "INFO", "replication"), re.M).group(1)
            cpu = command(node.port, "INFO", "cpu")
            roles[role] += sum(float(re.search(rf"^{k}:([\d.]+)", cpu, re.M).group(1))
                               for k in ("used_cpu_sys", "used_cpu_user"))
            for name, calls, usec in re.findall(r"^cmdstat_(\S+?):calls=(\d+),usec=(\d+)",
                                                command(node.port, "INFO", "commandstats"), re.M):
                c = by_cmd.setdefault(f"{role}:{name}", [0, 0])
                c[0] += int(calls)
                c[1] += int(usec)
        return by_cmd, roles

    def census(self):
        """Redis round trips per hold, per confirm and per seat-map read, one at a time."""
        _, port = self.servers[0]
        base = f"http://127.0.0.1:{port}/api/v1"

        def call(method, path, body=None, token=None):
            req = urllib.request.Request(base + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None)
            req.add_header("Content-Type", "application/json")
            if token:
                req.add_header("Authorization", "Bearer " + token)
            with urllib.request.urlopen(req, timeout=10) as resp:
                return json.loads(resp.read() or b"null")

        admin = call("POST", "/sessions", {"email": bp.ADMIN_EMAIL, "password": bp.ADMIN_PASSWORD})["token"]
        movie = call("POST", "/movies", {"title": "Census", "description": "d", "duration_minutes": 90,
                                         "rating": "PG", "genres": ["drama"]}, admin)
        theater = call("POST", "/theaters", {"name": "Census hall", "city": "C", "screens": [
            {"name": "S", "rows": [{"row": r, "seats": 20, "category": "standard"} for r in "ABCDEFGHIJKL"]}]}, admin)
        starts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 30 * 86400))
        show = call("POST", "/shows", {"movie_id": movie["id"], "screen_id": theater["screens"][0]["id"],
                                       "starts_at": starts, "prices": {"standard": 1000}}, admin)
        user = call("POST", "/users", {"email": f"census{time.time_ns()}@bench.test", "password": "census-password",
                                       "name": "Census"})
        token = call("POST", "/sessions", {"email": user["email"], "password": "census-password"})["token"]
        path = f"/shows/{show['id']}"
        call("GET", path + "/seats")  # the show's state primed before counting

        a = self.round_trips()
        time.sleep(3)
        background = (self.round_trips() - a) / 3  # the due-hold sweeps, every instance, per second

        def counted(fn):
            a, t = self.round_trips(), time.time()
            out = fn()
            return out, self.round_trips() - a - background * (time.time() - t)

        seats = [f"{r}{c}" for r in "ABCDEFGHIJKL" for c in range(1, 21)]
        n, rt_hold, rt_confirm, rt_read = 100, 0.0, 0.0, 0.0
        for i in range(n):
            hold, rt = counted(lambda: call("POST", path + "/holds", {"seats": [seats[i]]}, token))
            rt_hold += rt
            _, rt = counted(lambda: call("POST", "/bookings", {"hold_id": hold["hold_id"]}, token))
            rt_confirm += rt
            _, rt = counted(lambda: call("GET", path + "/seats"))
            rt_read += rt
        per_hold, per_confirm, per_read = rt_hold / n, rt_confirm / n, rt_read / n
        self.results["census"] = {"hold": per_hold, "confirm": per_confirm, "seat_map": per_read}
        print(f"## Redis round trips (census, one at a time): hold {per_hold:.2f}, confirm {per_confirm:.2f}, "
              f"seat-map read {per_read:.2f}", flush=True)

    def main(self):
        for tool in ("boxoffice", "boxoffice-load"):
            if not os.access(os.path.join(bp.BUILD, tool), os.X_OK):
                sys.exit(f"{bp.BUILD}/{tool} is missing: build the release preset or set BOXOFFICE_BUILD_DIR")
        self.mismatch = False
        self.start_cluster()
        self.start_servers()
        self.loadgens("warm-up, not measured", secs=5)
        cmd_before, roles_before = self.redis_cpu()
        name = "onsale-scaleout-nginx" if VIA_NGINX else "onsale-scaleout"
        full = self.measured(lambda: self.loadgens("flat out", plot=f"{name}-flat"))
        self.results["full"] = full
        cmd_after, roles_after = self.redis_cpu()
        print("## Redis during the flat-out run(s): CPU seconds of masters "
              f"{roles_after['master'] - roles_before['master']:.1f}, of replicas "
              f"{roles_after['slave'] - roles_before['slave']:.1f}; busiest commands (calls, CPU s):", flush=True)
        delta = {k: (v[0] - cmd_before.get(k, [0, 0])[0], v[1] - cmd_before.get(k, [0, 0])[1])
                 for k, v in cmd_after.items()}
        for k, (calls, usec) in sorted(delta.items(), key=lambda kv: -kv[1][1])[:10]:
            print(f"  {k}: {calls} calls, {usec / 1e6:.2f} s", flush=True)
        ok = self.oversell_check("after flat out")
        rate = int(full["bookings"] / full["duration_s"] / 2)
        self.results["half"] = self.measured(lambda: self.loadgens(f"at half rate ({rate} bookings/s)", rate=rate,
                                                                   plot=f"{name}-half"))
        ok = self.oversell_check("after half rate") and ok
        self.census()
        self.stop_servers()
        # The ceiling beside it: pgbench running confirm_booking(), the function the instances'
        # group commit calls, one booking per transaction at 64 clients (the best of
        # bench/booking_postgres.py's variants), through the same PgBouncer, the instances stopped.
        scripts = self.pgbench_scripts()
        self.pgbench_runs = 0
        self.results["pgbench"] = self.measured(
            lambda: self.pgbench("confirm_booking", scripts["confirm_booking"], 64))
        ok = self.oversell_check("at the end") and ok and not self.mismatch
        self.summary()
        return 0 if ok else 1

    def summary(self):
        print("\n## summary (load: the 1-minute load average before the run; CPU: cores used during it)")
        print("| run | tickets/s | hold p50 / p99 / max (ms) | confirm p50 / p99 / max (ms) | bookings per commit "
              "(mean / p50 / max) | Redis round trips per booking | load | CPU: postgres, pgbouncer, redis, "
              "boxoffice, loadgen, nginx, others |")
        print("|---|---|---|---|---|---|---|---|")
        via = " through nginx" if VIA_NGINX else ""
        for key, label in (("full", f"{INSTANCES} instances{via} flat out"),
                           ("half", f"{INSTANCES} instances{via} half rate")):
            r, c = self.results[key], self.results[key]["cpu"]
            print(f"| {label} | {r['tickets_per_s']:,.0f} | {' / '.join(f'{v:.2f}' for v in r['hold'])} | "
                  f"{' / '.join(f'{v:.2f}' for v in r['confirm'])} | {r['per_commit_mean']:.1f} / "
                  f"{r['per_commit_p50']} / {r['per_commit_max']} | {r['redis_round_trips_per_booking']:.2f} | "
                  f"{r['load1']:.2f} | {c['postgres']:.2f}, {c['pgbouncer']:.2f}, {c['redis']:.2f}, "
                  f"{c['boxoffice']:.2f}, {c['loadgen']:.2f}, {c['nginx']:.2f}, {c['others']:.2f} |")
        p = self.results["pgbench"]
        full = self.results["full"]["tickets_per_s"]
        print(f"\nCeiling, same run: pgbench confirm_booking() at 64 clients through PgBouncer {2 * p['tps']:,.0f} "
              f"tickets/s; the instances reached {full / max(2 * p['tps'], 1):.2f}x of it flat out")
        c = self.results["census"]
        print(f"\nRedis round trips, one request at a time: hold {c['hold']:.2f}, confirm {c['confirm']:.2f}, "
              f"seat-map read {c['seat_map']:.2f}")

    def close(self):
        if self.nginx:
            self.nginx.stop()
        self.stop_servers()
        super().close()
        if self.redis:
            self.redis.stop()


if __name__ == "__main__":
    sys.exit(bp.main(ScaleOutBench))
