"""Loopback ports for the servers the tests and benchmarks start.

Binding port 0 hands out a port from the kernel's ephemeral range, the same range every client
socket of every other test draws from: between closing the probe socket and the server binding
the port, another test's client may take it (seen once with ctest running two suites at a time,
a Redis Cluster node that never came up). So ports come from below the ephemeral range, and each
one is reserved across processes by a lock file held for the life of the process that took it.
"""

import fcntl
import os
import random
import socket
import tempfile

LOCK_DIR = os.path.join(tempfile.gettempdir(), "boxoffice-test-ports")
LOWEST = 10000
CLUSTER_BUS_OFFSET = 10000  # Redis Cluster's bus listens on port + 10000

# Lock files of the ports this process took, kept open so their locks last as long as the
# process; bounded by the ports one test run asks for (a few hundred at most).
_held = {}


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _reserve(port):
    os.makedirs(LOCK_DIR, exist_ok=True)
    f = open(os.path.join(LOCK_DIR, str(port)), "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return False
    _held[port] = f
    return True


def free_port(cluster_bus=False):
    """A free loopback port outside the ephemeral range, reserved for this process; with
    cluster_bus, port + 10000 (a Redis Cluster node's bus) is free and reserved too."""
    highest = _ephemeral_low() - 1 - (CLUSTER_BUS_OFFSET if cluster_bus else 0)
    for _ in range(500):
        port = random.randint(LOWEST, highest)
        if port in _held or (cluster_bus and port + CLUSTER_BUS_OFFSET in _held):
            continue
        if not _reserve(port):
            continue
        if cluster_bus and not _reserve(port + CLUSTER_BUS_OFFSET):
            _held.pop(port).close()
            continue
        if _bindable(port) and (not cluster_bus or _bindable(port + CLUSTER_BUS_OFFSET)):
            return port
        # Taken by something outside the tests: keep the reservation so it is not tried again.
    raise RuntimeError(f"no free loopback port between {LOWEST} and {highest}")
