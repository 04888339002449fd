"""The Sessions API (`/api/v1/sessions`): a session made from the sessionToken of
primary authentication, read, refreshed and revoked with the pinned `okta` SDK
(which has no create call; that one is plain HTTP), each answer checked against
the vendor's `Session` schema; and paths with doubled slashes, which Okta reads as
single ones."""

from __future__ import annotations

from test_okta_support import (  # noqa: F401  (okta is a fixture)
    SEEDED_PASSWORD,
    api_error,
    conforms,
    okta,
    raw,
    unwrap,
    void_error,
    void_ok,
)


def session_token(universe, username: str = "carol@acme.test") -> str:
    resp = raw(universe, "POST", "/api/v1/authn", json={"username": username, "password": SEEDED_PASSWORD})
    assert resp.status_code == 200, resp.text
    return resp.json()["sessionToken"]


def create(universe, token: str):
    return raw(universe, "POST", "/api/v1/sessions", json={"sessionToken": token})


async def test_a_session_token_makes_one_session_the_sdk_reads_refreshes_and_revokes(okta, universe):
    carol = unwrap(await okta.get_user("carol@acme.test"))
    token = session_token(universe)
    made = create(universe, token)
    assert made.status_code == 200, made.text
    body = made.json()
    conforms(body, "Session")
    assert (body["userId"], body["login"], body["status"], body["amr"]) == (carol.id, "carol@acme.test", "ACTIVE", ["pwd"])
    assert body["_links"]["refresh"]["href"].endswith(f"/api/v1/sessions/{body['id']}/lifecycle/refresh")

    # The token is spent.
    again = create(universe, token)
    assert again.status_code == 401 and again.json()["errorCode"] == "E0000004", again.text

    got = unwrap(await okta.get_session(body["id"]))
    assert (got.id, got.user_id, got.login) == (body["id"], carol.id, "carol@acme.test")
    assert got.status == "ACTIVE"
    refreshed = unwrap(await okta.refresh_session(body["id"]))
    assert refreshed.id == body["id"]
    conforms(raw(universe, "GET", f"/api/v1/sessions/{body['id']}").json(), "Session")

    void_ok(await okta.revoke_session(body["id"]))
    api_error(await okta.get_session(body["id"]), 404, "E0000007")
    void_error(await okta.revoke_session(body["id"]), 404, "E0000007")
    events = unwrap(
        await okta.list_log_events(
            since="2000-01-01T00:00:00Z", until="2100-01-01T00:00:00Z", filter='eventType eq "user.session.end"'
        )
    )
    assert [e.target[0].id for e in events] == [carol.id]


async def test_bad_tokens_and_bodies_are_refused_as_okta_does(universe):
    bad = create(universe, "20111nope")
    assert bad.status_code == 401, bad.text
    assert (bad.json()["errorCode"], bad.json()["errorSummary"]) == ("E0000004", "Authentication failed")
    blank = raw(universe, "POST", "/api/v1/sessions", json={})
    assert blank.status_code == 400 and blank.json()["errorCode"] == "E0000001", blank.text
    malformed = raw(universe, "POST", "/api/v1/sessions", data="{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["errorCode"] == "E0000003", malformed.text
    wrong_verb = raw(universe, "PUT", "/api/v1/sessions/102abc")
    assert wrong_verb.status_code == 405 and wrong_verb.json()["errorCode"] == "E0000022", wrong_verb.text


async def test_clearing_a_users_sessions_ends_them(okta, universe):
    carol = unwrap(await okta.get_user("carol@acme.test"))
    ids = [create(universe, session_token(universe)).json()["id"] for _ in range(2)]
    void_ok(await okta.revoke_user_sessions(carol.id))
    for sid in ids:
        api_error(await okta.get_session(sid), 404, "E0000007")


async def test_sessions_expire_on_the_universe_clock(okta, universe, control):
    sid = create(universe, session_token(universe)).json()["id"]
    unwrap(await okta.get_session(sid))
    assert control.post(f"universes/{universe['id']}/clock/advance", json={"seconds": 2 * 3600 + 1}).status_code == 200
    api_error(await okta.get_session(sid), 404, "E0000007")


def test_doubled_slashes_read_as_single_ones(universe):
    single = raw(universe, "GET", "/api/v1/users?limit=2")
    doubled = raw(universe, "GET", "//api/v1//users?limit=2")
    assert single.status_code == doubled.status_code == 200, doubled.text
    assert [u["id"] for u in doubled.json()] == [u["id"] for u in single.json()]
    assert raw(universe, "GET", "//api/v1/nothing-here").json()["errorCode"] == "E0000007"
