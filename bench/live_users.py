#!/usr/bin/python3
"""50,000 concurrent users (issue 14, benchmark 4): live WebSockets spread over 3 instances on
PostgreSQL (through PgBouncer) and a 6-node Redis Cluster, while an on-sale runs; every seat
change timed at every socket, hold and confirm latency of the on-sale, and the instances' memory
per connection.

    bench/live_users.sh [sockets] [on-sale bookings/s]     (defaults: 50000, 300)

1. PostgreSQL + PgBouncer and the Redis Cluster as in bench/booking_scaleout.py; three boxoffice
   instances (`BOXOFFICE_MAX_CONNECTIONS=19000` each: one process may open 20,000 files here).
2. `boxoffice-load sockets`: the sockets over the three instances (round robin), from worker
   processes of at most 10,000 sockets each and source addresses 127.0.0.2-127.0.0.21, all on
   one show; once every socket is open, 30 seat changes one second apart (a hold, then its
   release) made through the first instance, each timed at every socket (most sockets are on
   another instance than the change: the change crosses Redis).
3. At the same time, one `boxoffice-load onsale --pick partition` over the three instances books
   at a fixed rate (2 seats per booking, 2 shows per instance, users from 32 other client
   addresses) for the whole run: its hold and confirm p99 are the on-sale's. The sockets come
   after 20 s of the on-sale alone: its per-second p99 then is the ceiling, measured in the same
   run, beside the seconds with the sockets. Plot: docs/bench/live-users-SOCKETS.svg.
4. Memory: the instances' RSS before the sockets and 2 s after the last one opened, per socket.
"""
import os
import re
import subprocess
import sys
import threading
import time

os.environ.setdefault("BENCH_INSTANCES", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import booking_postgres as bp  # noqa: E402
import booking_scaleout as so  # noqa: E402
from growth import rss_kib  # noqa: E402

SOCKETS = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
RATE = int(sys.argv[2]) if len(sys.argv) > 2 else 300


ALONE_S = 20  # seconds of the on-sale alone before the sockets come


def alone_and_beside(csv, sockets_from, sockets_to):
    """The on-sale's per-second p99 (its --timeseries) while it ran alone, the ceiling, against
    while the sockets connected and took the changes (seconds of its run)."""
    rows = []
    with open(csv) as f:
        next(f)
        for line in f:
            t, _, p99, errors = line.split(",")[:4]
            rows.append((float(t), float(p99), int(errors)))

    def describe(part):
        if not part:
            return "no seconds"
        p99s = sorted(p for _, p, _ in part)
        return (f"{len(part)} s, per-second p99 median {p99s[len(p99s) // 2]:.1f} ms, worst {p99s[-1]:.1f} ms, "
                f"errors {sum(e for *_, e in part)}")

    alone = [r for r in rows if r[0] < sockets_from]
    beside = [r for r in rows if sockets_from <= r[0] <= sockets_to]
    print(f"## on-sale alone (ceiling, same run): {describe(alone)}", flush=True)
    print(f"## on-sale beside the sockets: {describe(beside)}", flush=True)


class LiveUsers(so.ScaleOutBench):
    def start_servers(self):
        for _ in range(so.INSTANCES):
            self.start_server(BOXOFFICE_REDIS_URL=self.redis.url, BOXOFFICE_MAX_CONNECTIONS="19000",
                              # 2,500 sockets per source address
                              BOXOFFICE_MAX_CONNECTIONS_PER_CLIENT="19000")
            self.servers.append((self.server, self.port))
        self.server = None

    def main(self):
        for tool in ("boxoffice", "boxoffice-load"):
            if not os.access(os.path.join(bp.BUILD, tool), os.X_OK):
                sys.exit(f"{bp.BUILD}/{tool} is missing: build the release preset or set BOXOFFICE_BUILD_DIR")
        self.mismatch = False
        self.start_cluster()
        self.start_servers()
        pids = [p.pid for p, _ in self.servers]
        procs = (SOCKETS + 9999) // 10000
        sockets_cmd = [os.path.join(bp.BUILD, "boxoffice-load"), "sockets", "--admin-email", bp.ADMIN_EMAIL,
                       "--admin-password", bp.ADMIN_PASSWORD, "--shows", "1", "--seats", "200",
                       "--sockets", str(SOCKETS), "--procs", str(procs), "--source-addrs", "127.0.0.2-127.0.0.21",
                       "--changes", "30", "--change-interval", "1", "--settle", "3", "--timeout", "60"]
        for _, port in self.servers:
            sockets_cmd += ["--url", f"http://127.0.0.1:{port}"]
        for pid in pids:
            sockets_cmd += ["--server-pid", str(pid)]
        onsale_cmd = bp.onsale_cmd([port for _, port in self.servers], 32 * so.INSTANCES, 2 * so.INSTANCES, 150,
                                   RATE, procs=so.INSTANCES, sources="127.0.0.40-127.0.0.71",
                                   timeseries=os.path.join(self.work, "onsale.csv"), server_pids=pids)
        onsale = subprocess.Popen(onsale_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # Read as it comes: its progress line a second would fill the pipe and stall it. Its first
        # "[run" line comes one second into the run, the start of its time series.
        onsale_lines, run_began, clock = [], threading.Event(), {}

        def read_onsale():
            for line in onsale.stdout:
                onsale_lines.append(line)
                if line.startswith("[run") and not run_began.is_set():
                    run_began.set()
                    clock["run"] = time.time() - 1

        onsale_reader = threading.Thread(target=read_onsale)
        onsale_reader.start()
        bp.OURS[onsale.pid] = "loadgen"
        # Its sign-ups (argon2id) and catalog come first; then 20 s of the on-sale alone, the
        # ceiling beside which its latency with the sockets is read.
        run_began.wait(120)
        time.sleep(ALONE_S)
        print(f"## {SOCKETS} sockets over {so.INSTANCES} instances ({procs} worker processes) while "
              f"an on-sale over them books {RATE} bookings/s in all", flush=True)
        clock["sockets"] = time.time()
        sockets = subprocess.Popen(sockets_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        bp.OURS[sockets.pid] = "loadgen"
        lines, peak = [], {"rss": [0] * len(pids)}

        def read_sockets():
            for line in sockets.stdout:
                lines.append(line)

        reader = threading.Thread(target=read_sockets)
        reader.start()
        while sockets.poll() is None:
            peak["rss"] = [max(a, rss_kib(p)) for a, p in zip(peak["rss"], pids)]
            time.sleep(1)
        reader.join()
        clock["sockets_end"] = time.time()
        sockets_out = "".join(lines)
        print("  " + "\n  ".join(line.rstrip() for line in lines if not line.startswith("[")), flush=True)
        onsale.wait()
        onsale_reader.join()
        out = "".join(line for line in onsale_lines if not line.startswith(("[prep", "[run")))
        print("  " + out.replace("\n", "\n  ").rstrip(), flush=True)
        figures = bp.onsale_figures(out)
        ok = sockets.returncode == 0 and onsale.returncode == 0 and self.oversell_check("after the run")
        m = re.search(r"connected=(\d+)", sockets_out)
        connected = int(m.group(1)) if m else 0
        growth = sum(int(a) - int(b) for b, a in re.findall(r"before=(\d+) after_2s=(\d+)", sockets_out))
        print(f"\n## summary: {connected} of {SOCKETS} sockets connected; the instances' RSS grew by "
              f"{growth / 1024:.0f} MiB from the sockets tool's start to 2 s after the last socket opened: "
              f"{growth / max(connected, 1):.2f} KiB per socket (the on-sale ran meanwhile); RSS peaks "
              f"{[round(r / 1024) for r in peak['rss']]} MiB", flush=True)
        if figures:
            ms = {op: " / ".join(f"{v:.2f}" for v in figures[op]) for op in ("hold", "confirm")}
            print(f"## on-sale during it: {figures['bookings']:.0f} bookings; hold p50/p99/max {ms['hold']} ms, "
                  f"confirm {ms['confirm']} ms (150 s of booking that spans the sockets' connect storm and changes)",
                  flush=True)
        if "run" in clock:
            alone_and_beside(os.path.join(self.work, "onsale.csv"), clock["sockets"] - clock["run"],
                             clock["sockets_end"] - clock["run"])
        bp.plot(os.path.join(self.work, "onsale.csv"), f"live-users-{SOCKETS}",
                f"on-sale beside {SOCKETS} live sockets over {so.INSTANCES} instances (sockets from about 15 s)")
        self.stop_servers()
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(bp.main(LiveUsers))
