"""Loads the shared black-box harness (tests/harness) for this suite."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))

from boxoffice_harness import *  # noqa: E402,F401,F403  (fixtures and helpers for the tests)
from boxoffice_harness import admin, pg_cluster, server  # noqa: E402,F401  (pytest finds fixtures by name)
