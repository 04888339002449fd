#!/usr/bin/env python3
"""Does the task but retries a rate-limited Slack or Okta call at once, ignoring
Retry-After (and X-Rate-Limit-Reset). Scenarios with a rate-limit storm must catch it."""
import _venv  # noqa: F401,I001  (first: re-runs under the repository's .venv if the SDKs are missing)

from dtu_agent import Style, prompt, solve

solve(prompt(), Style(honour_rate_limits=False))
