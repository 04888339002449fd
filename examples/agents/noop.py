#!/usr/bin/env python3
"""No-op agent: does nothing and exits 0. Every scenario must leave it unsatisfied."""
import _venv  # noqa: F401,I001  (first: re-runs under the repository's .venv if the SDKs are missing)

import sys

sys.stdin.read()
