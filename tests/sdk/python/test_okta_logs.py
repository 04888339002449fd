"""System Log through the official `okta` Python SDK: every mutating call
appends a LogEvent; since/until/filter/q/sortOrder/limit/after all work."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from okta import models

from test_okta_support import (  # noqa: F401  (okta is a fixture)
    api_error,
    okta,
    paginate_all,
    raw,
    unwrap,
    void_ok,
)

EPOCH = "2000-01-01T00:00:00.000Z"


def far_future() -> str:
    return (datetime.now(timezone.utc) + timedelta(days=3650)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


async def new_user(okta, login: str):
    body = models.CreateUserRequest.from_dict(
        {
            "profile": {"firstName": "Log", "lastName": "Gen", "email": login, "login": login},
            "credentials": {"password": {"value": "L0gged-Secret"}},
        },
    )
    return unwrap(await okta.create_user(body, activate=False))


async def test_mutations_write_events_in_the_vendor_shape(okta, universe):
    assert unwrap(await okta.list_log_events(since=EPOCH, until=far_future())) == []
    user = await new_user(okta, "logged@example.com")
    unwrap(await okta.activate_user(user.id, send_email=False))
    void_ok(await okta.suspend_user(user.id))
    group = unwrap(await okta.add_group(models.AddGroupRequest.from_dict({"profile": {"name": "Audited"}})))
    void_ok(await okta.assign_user_to_group(group.id, user.id))
    events = unwrap(await okta.list_log_events(since=EPOCH, until=far_future()))
    assert [e.event_type for e in events] == [
        "user.lifecycle.create",
        "user.lifecycle.activate",
        "user.lifecycle.suspend",
        "group.lifecycle.create",
        "group.user_membership.add",
    ]
    admin = universe["okta"]["admin_user_id"]
    for e in events:
        assert e.actor.id == admin and e.actor.type == "User"
        assert e.outcome.result == "SUCCESS" and e.version == "0" and e.severity == "INFO"
        assert e.uuid and e.published is not None and e.display_message
    assert events[0].target[0].id == user.id and events[0].target[0].alternate_id == "logged@example.com"
    membership = events[-1]
    assert {(t.type, t.id) for t in membership.target} == {("User", user.id), ("UserGroup", group.id)}
    assert events[0].debug_context.debug_data["requestUri"].startswith("/api/v1/users")


async def test_filter_q_sort_and_time_window(okta):
    for i in range(3):
        await new_user(okta, f"user{i}@example.com")
    bob = unwrap(await okta.get_user("bob@acme.test"))
    void_ok(await okta.suspend_user(bob.id))
    until = far_future()
    created = unwrap(await okta.list_log_events(since=EPOCH, until=until, filter='eventType eq "user.lifecycle.create"'))
    assert len(created) == 3
    suspended = unwrap(
        await okta.list_log_events(since=EPOCH, until=until, filter=f'eventType sw "user.lifecycle" and target.id eq "{bob.id}"')
    )
    assert [e.event_type for e in suspended] == ["user.lifecycle.suspend"]
    by_q = unwrap(await okta.list_log_events(since=EPOCH, until=until, q="user1@example.com"))
    assert len(by_q) == 1
    newest_first = unwrap(await okta.list_log_events(since=EPOCH, until=until, sort_order="DESCENDING"))
    assert newest_first[0].event_type == "user.lifecycle.suspend"
    assert unwrap(await okta.list_log_events(since=far_future())) == []
    api_error(await okta.list_log_events(since="yesterday"), 400, "E0000030")
    api_error(await okta.list_log_events(since=EPOCH, until=until, filter="eventType eq"), 400, "E0000031")


async def test_bounded_listing_paginates_to_the_end(okta):
    for i in range(7):
        await new_user(okta, f"page{i}@example.com")
    events = [
        e async for e in paginate_all(okta.list_log_events, limit=2, since=EPOCH, until=far_future())
    ]
    assert len(events) == 7
    assert len({e.uuid for e in events}) == 7


async def test_polling_without_until_always_offers_next(okta, universe):
    await new_user(okta, "poll@example.com")
    first = raw(universe, "GET", f"/api/v1/logs?since={EPOCH}")
    assert len(first.json()) == 1
    links = first.raw.headers.getlist("Link")
    assert links[-1].endswith('rel="next"')
    nxt = links[-1][1 : links[-1].index(">")]
    org = universe["okta"]["org_url"]
    empty = raw(universe, "GET", nxt[len(org) :])
    assert empty.json() == [] and empty.raw.headers.getlist("Link")[-1].endswith('rel="next"')
    await new_user(okta, "poll2@example.com")
    later = raw(universe, "GET", nxt[len(org) :])
    assert [e["target"][0]["alternateId"] for e in later.json()] == ["poll2@example.com"]
