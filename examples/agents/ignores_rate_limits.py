"""Does the task but retries a rate-limited Slack call at once, ignoring Retry-After.
Scenarios with a rate-limit storm must catch it."""
from dtu_agent import Style, prompt, solve

solve(prompt(), Style(honour_rate_limits=False))
