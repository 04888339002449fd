#!/usr/bin/env python3
"""Gold agent: carries out each example scenario's task exactly as asked."""
import _venv  # noqa: F401,I001  (first: re-runs under the repository's .venv if the SDKs are missing)

from dtu_agent import Style, prompt, solve

solve(prompt(), Style())
