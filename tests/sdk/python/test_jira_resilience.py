"""Rate limits and injected faults through the Jira clients: pycontribs retries a
429 (it needs an integer Retry-After) and succeeds; atlassian-python-api retries
once on Retry-After; 5xx answers are in Jira's error dialect; the journal names
Jira's operations."""

from __future__ import annotations

import json
import time

import pytest
from requests import HTTPError

from test_jira_support import JIRAError, atlassian, pycontribs, raw


def add_rule(control, universe, rule) -> None:
    resp = control.post(f"universes/{universe['id']}/chaos/rules", json=rule)
    assert resp.status_code in (200, 201), resp.text


def journal(control, universe) -> list[dict]:
    resp = control.get(f"universes/{universe['id']}/journal?service=jira")
    assert resp.status_code == 200, resp.text
    return [json.loads(line) for line in resp.text.splitlines() if line.strip()]


def rate_limit(n: int, seconds: int = 1) -> dict:
    return {"match": {"service": "jira", "operation": "jira.issue.get"}, "trigger": {"first_n": n},
            "action": {"kind": "rate_limit", "retry_after_s": seconds}}


def test_a_429_carries_integer_retry_after_and_rate_limit_headers(control, universe):
    add_rule(control, universe, rate_limit(1, 7))
    resp = raw(universe, "GET", "/rest/api/3/issue/ENG-1")
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "7"
    assert resp.headers["X-RateLimit-Remaining"] == "0" and resp.headers["X-RateLimit-Limit"]
    assert resp.headers["RateLimit-Reason"] == "jira-burst-based"
    assert resp.json() == {"errorMessages": ["Rate limit exceeded."], "errors": {}}


def test_pycontribs_retries_429_and_succeeds(control, universe):
    jira = pycontribs(universe, max_retries=3)
    add_rule(control, universe, rate_limit(2))
    started = time.monotonic()
    assert jira.issue("ENG-1").key == "ENG-1"
    assert time.monotonic() - started >= 1.0
    statuses = [(e["operation"], e["status"]) for e in journal(control, universe) if e["operation"] == "jira.issue.get"]
    assert statuses == [("jira.issue.get", 429), ("jira.issue.get", 429), ("jira.issue.get", 200)]


def test_pycontribs_gives_up_after_its_retries(control, universe):
    jira = pycontribs(universe, max_retries=1)
    add_rule(control, universe, rate_limit(5))
    with pytest.raises(JIRAError) as e:
        jira.issue("ENG-1")
    assert e.value.status_code == 429


def test_atlassian_retries_once_on_retry_after(control, universe):
    atl = atlassian(universe)
    add_rule(control, universe, rate_limit(1))
    assert atl.issue("ENG-1")["key"] == "ENG-1"


def test_server_errors_are_in_jiras_dialect(control, universe):
    add_rule(control, universe, {"match": {"service": "jira"}, "trigger": {"first_n": 1},
                                 "action": {"kind": "error", "status": 503}})
    resp = raw(universe, "GET", "/rest/api/3/myself")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "1"
    assert resp.json() == {"errorMessages": ["Service Unavailable"], "errors": {}}
    add_rule(control, universe, {"match": {"service": "jira"}, "trigger": {"first_n": 1},
                                 "action": {"kind": "error", "status": 500}})
    with pytest.raises(HTTPError) as e:
        atlassian(universe).myself()
    assert e.value.response.status_code == 500
