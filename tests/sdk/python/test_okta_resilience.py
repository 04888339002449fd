"""Rate limits, injected faults and the journal, through the official `okta`
Python SDK: the SDK's 429 retry (which needs `Date` and a single
`X-Rate-Limit-Reset`) must succeed; errors surface as the SDK's error types."""

from __future__ import annotations

import json
import time

from test_okta_support import (  # noqa: F401  (okta is a fixture)
    api_error,
    okta,
    okta_client,
    raw,
    unwrap,
)

RATE_LIMIT_ONCE = {"match": {"service": "okta"}, "trigger": {"first_n": 1}, "action": {"kind": "rate_limit", "retry_after_s": 1}}


def add_rule(control, universe, rule) -> dict:
    resp = control.post(f"universes/{universe['id']}/chaos/rules", json=rule)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


def journal(control, universe) -> list[dict]:
    resp = control.get(f"universes/{universe['id']}/journal?service=okta")
    assert resp.status_code == 200, resp.text
    return [json.loads(line) for line in resp.text.splitlines() if line.strip()]


async def test_the_sdk_retries_a_429_and_succeeds(okta, control, universe):
    add_rule(control, universe, RATE_LIMIT_ONCE)
    started = time.monotonic()
    users = unwrap(await okta.list_users(limit=3))
    elapsed = time.monotonic() - started
    assert len(users) == 3
    # Back-off is X-Rate-Limit-Reset - Date + 1 second.
    assert 1.0 <= elapsed < 10, elapsed
    entries = journal(control, universe)
    assert [(e["operation"], e["status"]) for e in entries] == [("okta.users.list", 429), ("okta.users.list", 200)]
    assert entries[0]["fault"] and "rate_limit" in entries[0]["fault"]


async def test_a_429_carries_the_headers_the_sdks_need(control, universe):
    add_rule(control, universe, {**RATE_LIMIT_ONCE, "action": {"kind": "rate_limit", "retry_after_s": 30}})
    resp = raw(universe, "GET", "/api/v1/users")
    assert resp.status_code == 429
    body = resp.json()
    assert body["errorCode"] == "E0000047"
    assert body["errorSummary"] == "API call exceeded rate limit due to too many requests."
    assert len(resp.raw.headers.getlist("X-Rate-Limit-Reset")) == 1
    assert resp.headers["X-Rate-Limit-Remaining"] == "0"
    assert "Date" in resp.headers and resp.headers["Content-Type"] == "application/json"
    reset = int(resp.headers["X-Rate-Limit-Reset"])
    date = time.mktime(time.strptime(resp.headers["Date"], "%a, %d %b %Y %H:%M:%S GMT")) - time.timezone
    assert 29 <= reset - date <= 31


async def test_retries_exhausted_surface_as_an_okta_api_error(control, universe):
    add_rule(control, universe, {**RATE_LIMIT_ONCE, "trigger": {"first_n": 5}})
    client = okta_client(universe, rateLimit={"maxRetries": 0})
    api_error(await client.list_users(), 429, "E0000047")


async def test_injected_errors_use_the_vendor_dialect(okta, control, universe):
    add_rule(
        control,
        universe,
        {
            "match": {"service": "okta", "operation": "okta.groups.list"},
            "trigger": {"first_n": 1},
            "action": {"kind": "error", "status": 500},
        },
    )
    api_error(await okta.list_groups(), 500, "E0000009")
    assert unwrap(await okta.list_groups())  # the rule fired once
    assert unwrap(await okta.list_users(limit=1))


async def test_operations_are_named_in_the_journal(okta, control, universe):
    bob = unwrap(await okta.get_user("bob@acme.test"))
    await okta.suspend_user(bob.id)
    await okta.get_user("00uNOPE0000000000000")
    raw(universe, "GET", "/api/v1/not-a-thing")
    ops = [(e["operation"], e["status"], e["matched"]) for e in journal(control, universe)]
    assert ops[:3] == [("okta.users.get", 200, True), ("okta.users.suspend", 200, True), ("okta.users.get", 404, True)]
    assert ops[3][1:] == (404, False)
    principals = {e["principal"] for e in journal(control, universe)}
    assert principals == {universe["okta"]["admin_user_id"]}


async def test_state_export_and_reset(okta, control, universe):
    bob = unwrap(await okta.get_user("bob@acme.test"))
    await okta.suspend_user(bob.id)
    diff = control.get(f"universes/{universe['id']}/diff").json()
    users = diff["services"]["okta"]["users"]["updated"]
    assert [u["id"] for u in users] == [bob.id] and users[0]["after"]["status"] == "SUSPENDED"
    assert diff["services"]["okta"]["log_events"]["created"]
    exported = control.get(f"universes/{universe['id']}/export").json()
    assert exported["services"]["okta"]["users"][bob.id]["status"] == "SUSPENDED"
    assert control.post(f"universes/{universe['id']}/reset").status_code == 200
    assert unwrap(await okta.get_user(bob.id)).status == "ACTIVE"
    assert control.put(f"universes/{universe['id']}/import", json=exported).status_code == 200
    assert unwrap(await okta.get_user(bob.id)).status == "SUSPENDED"
