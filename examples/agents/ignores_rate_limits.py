"""Does the task but retries a rate-limited Slack or Okta call at once, ignoring
Retry-After (and X-Rate-Limit-Reset). Scenarios with a rate-limit storm must catch it."""
from dtu_agent import Style, prompt, solve

solve(prompt(), Style(honour_rate_limits=False))
