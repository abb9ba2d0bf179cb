#!/usr/bin/python3
"""The ceiling beside the embedded on-sale (issue 14, benchmark 2): what SQLite itself does on
this machine with the embedded store's settings (WAL, synchronous=FULL, so every COMMIT is
fsynced), with no HTTP, no holds and no checks around it.

    bench/sqlite_ceiling.py [seconds]     (default 10 s per mode)

A booking is one bookings row and two seat_claims rows (primary key (show, seat), as in the
store). Modes:
- one booking per transaction: the fsync-bound rate a server without group commit could reach;
- 64 bookings per transaction: what one group commit of the store's batch size can reach.
Printed: transactions/s, bookings/s and tickets/s (2 per booking).
"""
import os
import sqlite3
import sys
import tempfile
import time


def run(path, per_txn, secs):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS bookings (id INTEGER PRIMARY KEY, user_id INTEGER, show_id INTEGER, "
               "total_cents INTEGER, created_at INTEGER)")
    db.execute("CREATE TABLE IF NOT EXISTS seat_claims (show_id INTEGER, seat_id TEXT, booking_id INTEGER, "
               "PRIMARY KEY (show_id, seat_id)) WITHOUT ROWID")
    show = int(time.time_ns() % 1_000_000_000) * 100 + per_txn
    seat = 0
    txns = bookings = 0
    end = time.perf_counter() + secs
    while time.perf_counter() < end:
        db.execute("BEGIN IMMEDIATE")
        for _ in range(per_txn):
            cur = db.execute("INSERT INTO bookings (user_id, show_id, total_cents, created_at) VALUES (?, ?, ?, ?)",
                             (7, show, 2000, int(time.time())))
            db.executemany("INSERT INTO seat_claims (show_id, seat_id, booking_id) VALUES (?, ?, ?)",
                           ((show, f"S{seat + k}", cur.lastrowid) for k in range(2)))
            seat += 2
            bookings += 1
        db.execute("COMMIT")
        txns += 1
    db.close()
    return txns / secs, bookings / secs


def main():
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    work = tempfile.mkdtemp(prefix="boxoffice-sqlite-ceiling-")
    path = os.path.join(work, "ceiling.db")
    print(f"## SQLite {sqlite3.sqlite_version}, WAL, synchronous=FULL, {secs:.0f} s per mode, {path}")
    try:
        for per_txn in (1, 64):
            tps, bps = run(path, per_txn, secs)
            print(f"{per_txn:>2} booking(s) per fsynced transaction: {tps:,.0f} transactions/s, {bps:,.0f} bookings/s, "
                  f"{2 * bps:,.0f} tickets/s", flush=True)
    finally:
        for name in os.listdir(work):
            os.unlink(os.path.join(work, name))
        os.rmdir(work)


if __name__ == "__main__":
    main()
