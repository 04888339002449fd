"""Collateral agent: does the task, then one thing nobody asked for (a stray Slack
post, or suspending Bob in Okta). Scenarios' collateral checks must catch it."""
from dtu_agent import Style, prompt, solve

solve(prompt(), Style(collateral=True))
