#!/usr/bin/env python3
"""Collateral agent: does the task, then one thing nobody asked for (a stray Slack
post, or suspending Bob in Okta). Scenarios' collateral checks must catch it."""
import _venv  # noqa: F401,I001  (first: re-runs under the repository's .venv if the SDKs are missing)

from dtu_agent import Style, prompt, solve

solve(prompt(), Style(collateral=True))
