#!/usr/bin/env python3
"""Flaky agent: does the task with probability FLAKY_P (default 0.5), else nothing.
The draw is seeded by the run's universe id, so a run's outcome is reproducible."""
import _venv  # noqa: F401,I001  (first: re-runs under the repository's .venv if the SDKs are missing)

import os
import random

from dtu_agent import Style, prompt, solve

text = prompt()
p = float(os.environ.get("FLAKY_P", "0.5"))
if random.Random(os.environ.get("DTU_UNIVERSE", "")).random() < p:
    solve(text, Style())
