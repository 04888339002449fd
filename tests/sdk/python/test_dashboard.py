"""The web dashboard of `dtu serve` (control port, `/`), driven in headless Chromium.

One browser for the session (Debian's `chromium`, which `scripts/test` installs; the
pinned `playwright` drives it and never downloads a browser of its own), a fresh
context per test that sends the admin token as the Basic password, as a person's
browser does after asking once. Each test clicks through one area and checks what the
page shows against the control plane's own answers.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from conftest import REPO_ROOT, Control, Dtu, _read_manifest, _stop, dtu_binary

TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)  # a loaded CI machine; the journal polls once a second


def chromium_path() -> str:
    found = os.environ.get("DTU_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("no chromium on PATH: scripts/test installs Debian's (apt-get install chromium)", pytrace=False)
    return found


def dashboard_url(control_url: str) -> str:
    return control_url.split("/_dtu/")[0] + "/"


def basic(token: str) -> dict[str, str]:
    """The admin token as the Basic password, on every request from the first, as a
    browser sends it once its user gave it (Chromium's own answer to the challenge
    comes only after a refused first request, which the universe's journal records)."""
    return {"Authorization": "Basic " + base64.b64encode(f"dtu:{token}".encode()).decode()}


# One browser for the whole suite, but stopped when this module's tests end: while
# the sync API runs, its event loop is the thread's running loop, and the other
# modules' asyncio tests (pytest-asyncio) could not start theirs.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # --no-sandbox: CI and this suite may run as root, where Chromium refuses its sandbox.
    b = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
    yield b
    b.close()


@pytest.fixture
def base(dtu: Dtu) -> str:
    return dashboard_url(dtu.control_url)


@pytest.fixture
def context(browser: Browser, dtu: Dtu) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        extra_http_headers=basic(dtu.admin_token or ""),
        # Downloads go without the extra header; they answer the challenge.
        http_credentials={"username": "dtu", "password": dtu.admin_token or ""},
        accept_downloads=True,
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.on("dialog", lambda d: d.accept())
    yield p
    assert not errors, f"the page threw: {errors}"


def slack_client(universe: dict[str, Any]) -> WebClient:
    return WebClient(token=universe["slack"]["bot_token"], base_url=universe["slack"]["base_url"])


def channel_id(control: Control, u: str, name: str) -> str:
    channels = control.get(f"universes/{u}/state", params={"service": "slack"}).json()["slack"]["channels"]
    return next(cid for cid, c in channels.items() if c["name"] == name)


def refusal(control: Control, method: str, path: str, body: Any) -> str:
    """The control plane's message refusing `body`, sent as compactly as the page sends it."""
    answer = control.request(method, path, data=json.dumps(body, separators=(",", ":")),
                             headers={"Content-Type": "application/json"})
    assert 400 <= answer.status_code < 500, answer.text
    return answer.json()["error"]["message"]


def error_box(page: Page):
    return page.locator("#error")


def no_error(page: Page) -> None:
    """The page showed no refusal or failure (the error box stays hidden)."""
    expect(error_box(page)).to_be_hidden()


# ---------------------------------------------------------------- access


def refused_navigation(page: Page, url: str) -> bool:
    """Whether the browser was refused `url` for want of the right credentials: a 401
    page, or Chromium giving up on the challenge it cannot answer."""
    try:
        response = page.goto(url)
    except PlaywrightError as e:
        return "ERR_INVALID_AUTH_CREDENTIALS" in str(e)
    return response is not None and response.status == 401 and "data-page" not in page.content()


def test_the_dashboard_is_as_closed_as_the_control_plane(browser: Browser, dtu: Dtu, base: str) -> None:
    anonymous = browser.new_context()
    try:
        assert refused_navigation(anonymous.new_page(), base)
        answer = anonymous.request.get(base)
        assert answer.status == 401 and "Basic" in answer.headers.get("www-authenticate", "")
        assert "data-page" not in answer.text()
    finally:
        anonymous.close()
    wrong = browser.new_context(http_credentials={"username": "dtu", "password": "not-the-admin-token"})
    try:
        assert refused_navigation(wrong.new_page(), base + "universes/default")
    finally:
        wrong.close()
    s = requests.Session()
    s.trust_env = False
    for path in ["", "universes/default", "evals", "dashboard/app.js", "dashboard/api/evals", "dashboard/api/chaos-profiles"]:
        assert s.get(base + path, timeout=5).status_code == 401, path
        # A twin credential opens nothing, and a cross-site page is refused even with the token.
        bot = {"Authorization": f"Bearer {dtu.slack['bot_token']}"}
        assert s.get(base + path, headers=bot, timeout=5).status_code == 401, path
        cross = {"Authorization": f"Bearer {dtu.admin_token}", "Sec-Fetch-Site": "cross-site"}
        assert s.get(base + path, headers=cross, timeout=5).status_code == 403, path
    # Twin ports do not serve the dashboard.
    slack_root = s.get(dtu.slack["base_url"].split("/api/")[0] + "/", auth=("dtu", dtu.admin_token or ""), timeout=5)
    assert "data-page" not in slack_root.text


# ---------------------------------------------------------------- universes


def test_universes_create_fork_reset_export_delete(page: Page, base: str, control: Control) -> None:
    page.goto(base)
    expect(page.locator('#universes tr[data-universe="default"]')).to_be_visible()
    expect(page.locator("#server-info")).to_contain_text("dtu ")

    page.select_option("#create-fixture", "default")
    page.fill("#create-id", "dash-made")
    page.click("#create-form button[type=submit]")
    expect(page.locator("#flash")).to_have_text("Created dash-made from default")
    expect(page.locator('#universes tr[data-universe="dash-made"]')).to_contain_text("default")
    assert control.get("universes/dash-made").status_code == 200

    page.select_option("#fork-from", "dash-made")
    page.fill("#fork-id", "dash-fork")
    page.click("#fork-form button[type=submit]")
    expect(page.locator("#flash")).to_have_text("Forked dash-made as dash-fork")
    expect(page.locator('#universes tr[data-universe="dash-fork"]')).to_be_visible()
    assert control.get("universes/dash-fork").status_code == 200

    # The row's Fork button forks (state and all) with a generated id.
    fork = control.get("universes/dash-fork").json()
    slack_client(fork).chat_postMessage(channel=channel_id(control, "dash-fork", "general"), text="only in the fork")
    before = {u["id"] for u in control.get("universes").json()["universes"]}
    page.locator('#universes tr[data-universe="dash-fork"] button.fork').click()
    expect(page.locator("#flash")).to_contain_text("Forked dash-fork as ")
    after = {u["id"] for u in control.get("universes").json()["universes"]}
    (generated,) = after - before
    expect(page.locator(f'#universes tr[data-universe="{generated}"]')).to_be_visible()
    assert "only in the fork" in control.get(f"universes/{generated}/state", params={"service": "slack"}).text

    # Reset: a message posted in dash-made is gone afterwards.
    made = control.get("universes/dash-made").json()
    slack_client(made).chat_postMessage(channel=channel_id(control, "dash-made", "general"), text="to be reset")
    assert control.get("universes/dash-made/diff").json()["services"]
    page.locator('#universes tr[data-universe="dash-made"] button.reset').click()
    expect(page.locator("#flash")).to_have_text("Reset dash-made to its initial state")
    assert control.get("universes/dash-made/diff").json()["services"] == {}

    with page.expect_download() as download:
        page.locator('#universes tr[data-universe="dash-made"] a.export').click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["id"] == "dash-made" and "slack" in exported["services"]

    for u in ("dash-made", "dash-fork", generated):
        page.locator(f'#universes tr[data-universe="{u}"] button.delete').click()
        expect(page.locator(f'#universes tr[data-universe="{u}"]')).to_have_count(0)
        assert control.get(f"universes/{u}").status_code == 404
    no_error(page)


def test_a_refused_form_shows_the_control_planes_message(page: Page, base: str, control: Control) -> None:
    page.goto(base)
    expect(page.locator('#universes tr[data-universe="default"]')).to_be_visible()
    for body in ({"fixture": "default", "id": "default"}, {"fixture": "default", "id": "no spaces allowed"}):
        message = refusal(control, "POST", "universes", body)
        page.fill("#create-id", body["id"])
        page.click("#create-form button[type=submit]")
        expect(error_box(page)).to_be_visible()
        expect(error_box(page)).to_have_text(message)
    # A fork of a snapshot that does not exist: the plane's message too.
    message = refusal(control, "POST", "universes", {"from": "default", "snapshot": "nope"})
    page.select_option("#fork-from", "default")
    page.fill("#fork-snapshot", "nope")
    page.click("#fork-form button[type=submit]")
    expect(error_box(page)).to_have_text(message)


def test_a_page_for_a_missing_universe_says_so(page: Page, base: str) -> None:
    response = page.goto(base + "universes/never-was")
    assert response is not None and response.status == 404
    expect(page.locator("#gone")).to_contain_text("There is no universe never-was")


# ---------------------------------------------------------------- one universe


def open_universe(page: Page, base: str, u: str, tab: str = "overview") -> None:
    page.goto(f"{base}universes/{u}#{tab}")
    expect(page.locator("#universe-fixture")).to_contain_text("fixture default")


def test_snapshots_restore_and_the_diff_as_a_change_list(
    page: Page, base: str, control: Control, universe: dict[str, Any]
) -> None:
    u = universe["id"]
    open_universe(page, base, u)
    expect(page.locator("#snapshots tbody")).to_contain_text("No snapshots")
    expect(page.locator("#endpoints")).to_contain_text(universe["slack"]["base_url"])
    page.fill("#snapshot-name", "before")
    page.click("#snapshot-form button[type=submit]")
    expect(page.locator('#snapshots tr[data-snapshot="before"]')).to_be_visible()
    assert "before" in [s["name"] for s in control.get(f"universes/{u}/snapshots").json()["snapshots"]]

    general = channel_id(control, u, "general")
    slack_client(universe).chat_postMessage(channel=general, text="a change to list")
    slack_client(universe).conversations_setTopic(channel=general, topic="dashboards")

    page.locator('#snapshots tr[data-snapshot="before"] a', has_text="Diff since").click()
    expect(page.locator("#diff-since")).to_have_value("before")
    expect(page.locator("#diff-summary")).to_contain_text("since before")
    # The message, and the topic change's own message.
    expect(page.locator("#diff-list li.change.created", has_text="slack · messages")).to_have_count(2)
    created = page.locator("#diff-list li.change.created", has_text="a change to list")
    expect(created).to_have_count(1)
    created.locator("summary").click()
    expect(created.locator("pre")).to_contain_text("a change to list")
    updated = page.locator("#diff-list li.change.updated", has_text="slack · channels")
    expect(updated.first).to_contain_text(general)
    updated.first.locator("summary").click()
    expect(updated.first).to_contain_text("fields changed:")
    expect(updated.first.locator(".before-after")).to_contain_text("dashboards")
    api_count = sum(
        len(c[k]) for cols in control.get(f"universes/{u}/diff", params={"since": "before"}).json()["services"].values()
        for c in cols.values() for k in ("created", "updated", "deleted")
    )
    expect(page.locator("#diff-list li.change")).to_have_count(api_count)

    page.click('#tabs a[data-tab="overview"]')
    page.locator('#snapshots tr[data-snapshot="before"] button.restore').click()
    expect(page.locator("#flash")).to_have_text("Restored snapshot before")
    page.click('#tabs a[data-tab="diff"]')
    page.select_option("#diff-since", "before")
    expect(page.locator("#diff-summary")).to_have_text("No changes since before.")
    page.select_option("#diff-since", "initial")
    expect(page.locator("#diff-summary")).to_have_text("No changes since initial.")
    no_error(page)

    # Unknown snapshot names are the plane's to refuse.
    page.click('#tabs a[data-tab="overview"]')
    page.fill("#snapshot-name", "initial")
    page.click("#snapshot-form button[type=submit]")
    expect(error_box(page)).to_contain_text("'initial' is reserved")


def test_state_collections_records_and_search(page: Page, base: str, control: Control, universe: dict[str, Any]) -> None:
    u = universe["id"]
    users = control.get(f"universes/{u}/state", params={"service": "slack"}).json()["slack"]["users"]
    grace_id = next(i for i, v in users.items() if v["name"] == "grace")
    open_universe(page, base, u, "state")
    page.select_option("#state-service", "slack")
    link = page.locator('#collections a[data-collection="users"]')
    expect(link).to_contain_text(str(len(users)))
    link.click()
    expect(page.locator("#records details.record")).to_have_count(len(users))
    expect(page.locator("#records-title")).to_have_text(f"users: {len(users)} records")
    page.fill("#state-search", grace_id)
    expect(page.locator("#records details.record")).to_have_count(1)
    record = page.locator(f'#records details.record[data-id="{grace_id}"]')
    record.locator("summary").click()
    expect(record.locator("pre")).to_contain_text('"name": "grace"')
    page.fill("#state-search", "grace")  # by text: her record, and anything naming her
    expect(page.locator(f'#records details.record[data-id="{grace_id}"]')).to_be_visible()
    page.fill("#state-search", "no-record-says-this")
    expect(page.locator("#records details.record")).to_have_count(0)
    expect(page.locator("#records-title")).to_contain_text("0 records")

    page.select_option("#state-service", "jira")
    expect(page.locator('#collections a[data-collection="issues"]')).to_be_visible()
    no_error(page)


def test_clock_set_freeze_advance(page: Page, base: str, control: Control, universe: dict[str, Any]) -> None:
    u = universe["id"]
    open_universe(page, base, u)
    expect(page.locator("#clock-frozen")).to_have_text("running")
    page.fill("#clock-input", "2030-01-01T09:00:00Z")
    page.check("#clock-freeze")
    page.click("#clock-set-form button[type=submit]")
    expect(page.locator("#clock-now")).to_have_text("2030-01-01T09:00:00Z")
    expect(page.locator("#clock-frozen")).to_have_text("frozen")
    page.fill("#advance-seconds", "3600")
    page.click("#clock-advance-form button[type=submit]")
    expect(page.locator("#clock-now")).to_have_text("2030-01-01T10:00:00Z")
    clock = control.get(f"universes/{u}/clock").json()
    assert clock["frozen"] is True and clock["now"].startswith("2030-01-01T10:00:00")
    page.click("#thaw-button")
    expect(page.locator("#clock-frozen")).to_have_text("running")
    assert control.get(f"universes/{u}/clock").json()["frozen"] is False
    page.click("#freeze-button")
    expect(page.locator("#clock-frozen")).to_have_text("frozen")
    no_error(page)

    message = refusal(control, "PUT", f"universes/{u}/clock", {"frozen": True, "now": "not a time"})
    page.fill("#clock-input", "not a time")
    page.click("#clock-set-form button[type=submit]")
    expect(error_box(page)).to_have_text(message)


# ---------------------------------------------------------------- journal


def test_the_journal_is_live_filterable_and_expandable(
    page: Page, base: str, control: Control, universe: dict[str, Any]
) -> None:
    u = universe["id"]
    general = channel_id(control, u, "general")
    open_universe(page, base, u, "journal")
    expect(page.locator("#journal-live")).to_have_text("live")
    expect(page.locator("#journal-count")).to_have_text("0 of 0 entries")

    client = slack_client(universe)
    posted = client.chat_postMessage(channel=general, text="hello dashboard")
    entry = page.locator('#journal-entries details.entry[data-operation="chat.postMessage"]')
    expect(entry).to_have_count(1)  # appears without a reload
    expect(entry.locator(".status")).to_have_text("200")
    entry.locator("summary").click()
    expect(entry.locator("pre.request-body")).to_contain_text("hello dashboard")
    expect(entry).to_contain_text(f"POST /api/chat.postMessage")
    # The answer the SDK got, as the journal kept it.
    expect(entry.locator(".response-about")).to_contain_text("application/json")
    answer = entry.locator("pre.response-body")
    expect(answer).to_contain_text('"ok": true')
    expect(answer).to_contain_text(f'"ts": "{posted["ts"]}"')
    expect(answer).to_contain_text('"text": "hello dashboard"')

    # A fault: the next conversations.info answers 503 by a chaos rule.
    rule = control.post(
        f"universes/{u}/chaos/rules",
        json={"match": {"service": "slack", "operation": "conversations.info"}, "trigger": {"first_n": 1},
              "action": {"kind": "error", "status": 503}},
    ).json()
    with pytest.raises(SlackApiError):
        client.conversations_info(channel=general)
    client.conversations_info(channel=general)
    faulted = page.locator('#journal-entries details.entry[data-operation="conversations.info"]')
    expect(faulted).to_have_count(2)
    expect(page.locator("#journal-entries .badge.fault")).to_have_count(1)
    expect(page.locator("#journal-entries .badge.fault")).to_contain_text(rule["id"])
    expect(entry).to_have_attribute("open", "")  # still expanded after new entries came

    page.select_option("#journal-fault", "yes")
    expect(page.locator("#journal-entries details.entry")).to_have_count(1)
    expect(page.locator("#journal-entries details.entry .status")).to_have_text("503")
    page.select_option("#journal-fault", "")
    page.select_option("#journal-status", "5")
    expect(page.locator("#journal-entries details.entry")).to_have_count(1)
    page.select_option("#journal-status", "2")
    expect(page.locator("#journal-entries details.entry")).to_have_count(2)
    page.select_option("#journal-status", "")
    page.fill("#journal-operation", "postmessage")
    expect(page.locator("#journal-entries details.entry")).to_have_count(1)
    page.fill("#journal-operation", "")
    page.select_option("#journal-service", "okta")
    expect(page.locator("#journal-entries details.entry")).to_have_count(0)
    page.select_option("#journal-service", "slack")
    expect(page.locator("#journal-entries details.entry")).to_have_count(3)
    expect(page.locator("#journal-count")).to_have_text("3 of 3 entries")

    # The clock set back: later entries carry earlier times, and still come.
    assert control.put(f"universes/{u}/clock", json={"now": "2001-01-01T00:00:00Z", "frozen": True}).ok
    client.auth_test()
    late = page.locator('#journal-entries details.entry[data-operation="auth.test"]')
    expect(late).to_have_count(1)
    expect(late.locator(".time")).to_contain_text("2001-01-01T00:00:00")
    expect(page.locator("#journal-count")).to_have_text("4 of 4 entries")
    no_error(page)


def test_the_journal_survives_its_universe_being_deleted(page: Page, base: str, control: Control) -> None:
    made = control.post("universes", json={"id": "dash-doomed"}).json()
    slack_client(made).auth_test()
    open_universe(page, base, "dash-doomed", "journal")
    expect(page.locator('#journal-entries details.entry[data-operation="auth.test"]')).to_have_count(1)
    assert control.delete("universes/dash-doomed").status_code == 204
    expect(page.locator("#gone-banner")).to_be_visible()
    expect(page.locator("#gone-banner")).to_contain_text("Universe dash-doomed was deleted")
    expect(page.locator("#journal-live")).to_have_text("stopped: universe deleted")
    expect(page.locator('#journal-entries details.entry[data-operation="auth.test"]')).to_have_count(1)
    # An action on the deleted universe says so too, and a reload shows the missing page.
    page.click('#tabs a[data-tab="overview"]')
    page.click("#reset-button")
    expect(error_box(page)).to_contain_text("dash-doomed")
    response = page.reload()
    assert response is not None and response.status == 404
    expect(page.locator("#gone")).to_contain_text("There is no universe dash-doomed")


# ---------------------------------------------------------------- chaos


def test_chaos_rules_from_the_form_and_a_profile(page: Page, base: str, control: Control, universe: dict[str, Any]) -> None:
    u = universe["id"]
    general = channel_id(control, u, "general")
    open_universe(page, base, u, "chaos")
    expect(page.locator("#rules tbody")).to_contain_text("No rules.")
    page.select_option("#rule-service", "slack")
    page.fill("#rule-operation", "chat.postMessage")
    page.select_option("#rule-trigger", "first_n")
    page.fill("#rule-trigger-value", "1")
    page.select_option("#rule-action", "rate_limit")
    page.fill("#rule-action-value", "2")
    page.click("#rule-form button[type=submit]")
    expect(page.locator("#flash")).to_contain_text("Added rule ")
    (rule,) = control.get(f"universes/{u}/chaos/rules").json()["rules"]
    assert rule["match"] == {"service": "slack", "operation": "chat.postMessage"}
    assert rule["trigger"] == {"first_n": 1} and rule["action"] == {"kind": "rate_limit", "retry_after_s": 2}
    row = page.locator(f'#rules tr[data-rule="{rule["id"]}"]')
    expect(row.locator(".hits")).to_have_text("0")

    with pytest.raises(SlackApiError) as limited:
        slack_client(universe).chat_postMessage(channel=general, text="limited")
    assert limited.value.response.status_code == 429
    slack_client(universe).chat_postMessage(channel=general, text="through")
    page.click('#tabs a[data-tab="overview"]')
    page.click('#tabs a[data-tab="chaos"]')
    expect(row.locator(".hits")).to_have_text("1")
    expect(row.locator(".matched")).to_have_text("2")

    # A rule the plane refuses: its message, as it gave it.
    bad = {"match": {"service": "slack"}, "action": {"kind": "explode"}}
    message = refusal(control, "POST", f"universes/{u}/chaos/rules", bad)
    page.locator("#rule-form details summary").click()
    page.fill("#rule-json", json.dumps(bad))
    page.click("#rule-form button[type=submit]")
    expect(error_box(page)).to_have_text(message)
    page.fill("#rule-json", "{not json")
    page.click("#rule-form button[type=submit]")
    expect(error_box(page)).to_contain_text("the rule is not JSON")
    page.fill("#rule-json", "")

    page.select_option("#profile-name", "flaky-slack")
    expect(page.locator("#profile-description")).to_contain_text("(3 rules)")
    page.click("#profile-form button[type=submit]")
    expect(page.locator("#flash")).to_have_text("Applied flaky-slack: 3 rules")
    expect(page.locator("#rules tbody tr[data-rule]")).to_have_count(4)
    assert len(control.get(f"universes/{u}/chaos/rules").json()["rules"]) == 4
    assert control.get("chaos/rules").json()["rules"] == []  # the universe's, not global

    row.locator("button.delete-rule").click()
    expect(row).to_have_count(0)
    expect(page.locator("#rules tbody tr[data-rule]")).to_have_count(3)
    assert rule["id"] not in [r["id"] for r in control.get(f"universes/{u}/chaos/rules").json()["rules"]]

    # A global rule: listed apart, and deleted from there (other tests share the server).
    page.select_option("#rule-service", "okta")
    page.fill("#rule-operation", "")
    page.select_option("#rule-trigger", "always")
    page.select_option("#rule-action", "latency")
    page.fill("#rule-action-value", "5")
    page.select_option("#rule-scope", "global")
    page.click("#rule-form button[type=submit]")
    expect(page.locator("#global-rules tbody tr[data-rule]")).to_have_count(1)
    (global_rule,) = control.get("chaos/rules").json()["rules"]
    assert global_rule["match"] == {"service": "okta"} and global_rule["action"]["fixed_ms"] == 5
    global_row = page.locator(f'#global-rules tr[data-rule="{global_rule["id"]}"]')
    expect(global_row).to_contain_text("okta")
    expect(page.locator("#rules tbody tr[data-rule]")).to_have_count(3)
    global_row.locator("button.delete-rule").click()
    expect(global_row).to_have_count(0)
    assert control.get("chaos/rules").json()["rules"] == []
    no_error(page)


# ---------------------------------------------------------------- evaluations

AGENT = """
import json, os, sys, urllib.request
sys.stdin.read()
print("hello from the agent")
print("a warning from the agent", file=sys.stderr)
body = json.dumps({"channel": "general", "text": "posted by the agent"}).encode()
req = urllib.request.Request(os.environ["SLACK_API_URL"].rstrip("/") + "/chat.postMessage", data=body,
    headers={"Authorization": "Bearer " + os.environ["SLACK_BOT_TOKEN"], "Content-Type": "application/json"})
print(urllib.request.urlopen(req).read().decode()[:40])
"""


EVAL_SCENARIO = REPO_ROOT / "scenarios/slack/invite-new-hire.yaml"


def run_eval(work: Path, agent: str, out: Path) -> None:
    """`dtu eval` of the one scenario, twice, with `agent` (a command line), into `out`."""
    done = subprocess.run(
        [str(dtu_binary()), "eval", "--scenarios", str(EVAL_SCENARIO),
         "--agent", agent, "--out", str(out), "--repetitions", "2"],
        capture_output=True, text=True, timeout=120, cwd=work,
    )
    assert (out / "runs.jsonl").is_file(), done.stdout + done.stderr


def serve_evals(work: Path, dirs: list[Path]) -> Iterator[dict[str, Any]]:
    """A `dtu serve` whose dashboard may read the `dirs` (and nothing else): its manifest."""
    manifest_path = work / "manifest.json"
    eval_dirs = [arg for d in dirs for arg in ("--eval-dir", str(d))]
    with open(work / "serve.log", "wb") as log:
        proc = subprocess.Popen(
            [str(dtu_binary()), "serve", "--port-base", "0", "--manifest", str(manifest_path), *eval_dirs],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=work,
        )
    deadline = time.monotonic() + 30
    manifest = None
    while time.monotonic() < deadline and manifest is None and proc.poll() is None:
        manifest = _read_manifest(manifest_path)
        time.sleep(0.05)
    assert manifest is not None, (work / "serve.log").read_text()
    try:
        yield manifest
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def eval_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`dtu eval` of one scenario with an agent that talks and fails, then a `dtu serve`
    whose dashboard may read its --out directory (and nothing else)."""
    work = tmp_path_factory.mktemp("dash-eval")
    agent = work / "agent.py"
    agent.write_text(AGENT)
    out = work / "out"
    run_eval(work, f"{sys.executable} {agent}", out)
    for manifest in serve_evals(work, [out]):
        yield {"manifest": manifest, "out": out}


@pytest.fixture(scope="module")
def compare_server(tmp_path_factory: pytest.TempPathFactory, eval_server: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The failing agent's results (eval_server's) and the gold agent's on the same
    scenario, both under one `dtu serve`."""
    work = tmp_path_factory.mktemp("dash-compare")
    gold = work / "gold"
    run_eval(work, f"{sys.executable} {REPO_ROOT / 'examples/agents/gold.py'}", gold)
    for manifest in serve_evals(work, [eval_server["out"], gold]):
        yield {"manifest": manifest, "failing": eval_server["out"], "gold": gold}


def test_evaluations_scenario_runs_and_one_run(browser: Browser, eval_server: dict[str, Any]) -> None:
    manifest = eval_server["manifest"]
    base = dashboard_url(manifest["control_url"])
    ctx = browser.new_context(extra_http_headers=basic(manifest["admin_token"]))
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "evals")
        link = page.locator("a.eval-dir")
        expect(link).to_have_text(str(eval_server["out"]))
        expect(page.locator("#eval-dirs")).to_contain_text("results.json, runs.jsonl, report.html")
        expect(page.locator("#compare-form")).to_be_hidden()  # nothing to compare one result with
        # The only directory opens by itself; a click on it keeps it open.
        expect(page.locator(".summary")).to_contain_text("satisfaction 0.00 over 1 scenarios, 2 runs")
        no_error(page)
        link.click()
        expect(page.locator(".summary")).to_contain_text("satisfaction 0.00 over 1 scenarios, 2 runs")
        row = page.locator('#scenarios tr[data-scenario="slack-invite-new-hire"]')
        expect(row).to_contain_text("0/2")
        row.locator("a.scenario-link").click()
        expect(page.locator("a.run-link")).to_have_count(2)
        expect(page.locator("a.run-link").first).to_contain_text("unsatisfied")
        page.locator("a.run-link").first.click()
        detail = page.locator("#run-detail")
        expect(detail.locator("h3")).to_contain_text("slack-invite-new-hire, run ")
        expect(detail.locator("p.agent")).to_contain_text("the agent exited 0 after ")
        stray = detail.evaluate("n => [...n.childNodes].filter(c => c.nodeType === 3).map(c => c.textContent).join('')")
        assert stray == "", f"stray text in the run's view: {stray!r}"
        expect(detail.locator("pre.stdout")).to_contain_text("hello from the agent")
        expect(detail.locator("pre.stderr")).to_contain_text("a warning from the agent")
        expect(detail.locator("pre.trajectory")).to_contain_text("chat.postMessage")
        expect(detail.locator("pre.run-diff")).to_contain_text("posted by the agent")
        expect(detail.locator("tr.check.fail")).not_to_have_count(0)
        expect(detail.locator('tr.check.fail', has_text="in-both-channels")).to_have_count(1)
        expect(detail.locator("tr.check.pass", has_text="integrity")).to_have_count(1)
        no_error(page)
        assert not errors, errors

        # Only the directory named on the command line, by index, and only its fixed files.
        s = requests.Session()
        s.trust_env = False
        s.auth = ("dtu", manifest["admin_token"])
        assert s.get(base + "dashboard/api/evals/0/results.json", timeout=5).json()["summary"]["runs"] == 2
        for path in ["dashboard/api/evals/1/results.json", "dashboard/api/evals/0/eval.json",
                     "dashboard/api/evals/0/..%2F..%2Fetc%2Fpasswd", "dashboard/api/evals/0/%2Fetc%2Fpasswd",
                     "dashboard/api/evals/-1/results.json"]:
            assert s.get(base + path, timeout=5).status_code in (400, 404), path
        report = s.get(base + "dashboard/api/evals/0/report.html", timeout=5)
        assert report.status_code == 200 and "sandbox" in report.headers["content-security-policy"]
    finally:
        ctx.close()


def eval_compare_cli(a: Path, b: Path) -> str:
    done = subprocess.run([str(dtu_binary()), "eval", "compare", str(a / "results.json"), str(b / "results.json")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_two_evaluations_side_by_side(browser: Browser, compare_server: dict[str, Any]) -> None:
    manifest = compare_server["manifest"]
    failing, gold = compare_server["failing"], compare_server["gold"]
    base = dashboard_url(manifest["control_url"])
    ctx = browser.new_context(extra_http_headers=basic(manifest["admin_token"]))
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "evals")
        expect(page.locator("a.eval-dir")).to_have_count(2)
        expect(page.locator("#compare-form")).to_be_visible()
        scenario = 'tr[data-scenario="slack-invite-new-hire"]'

        # The failing agent (A) against the gold one (B): the scenario got better.
        page.select_option("#compare-a", str(failing))
        page.select_option("#compare-b", str(gold))
        page.click("#compare-form button[type=submit]")
        row = page.locator(f"#compare-scenarios {scenario}")
        expect(row.locator("td.a")).to_have_text("0/2")
        expect(row.locator("td.b")).to_have_text("2/2")
        expect(row.locator("td.change")).to_have_text("+100%")
        expect(row.locator("td.direction")).to_have_text("better")
        expect(page.locator(".compare-summary")).to_contain_text("satisfaction 0.0% → 100.0% (+100.0 points)")
        expect(page.locator(".compare-better")).to_have_text("better: slack-invite-new-hire")
        expect(page.locator(".compare-worse")).to_have_text("worse: none")
        # What `dtu eval compare` prints, word for word.
        expect(page.locator("pre.compare-text")).to_have_text(eval_compare_cli(failing, gold))

        # The other way round: always satisfied before, never now, which the evaluator
        # calls newly broken, a regression.
        page.select_option("#compare-a", str(gold))
        page.select_option("#compare-b", str(failing))
        page.click("#compare-form button[type=submit]")
        expect(row.locator("td.change")).to_have_text("-100%")
        expect(row.locator("td.label")).to_have_text("newly_broken")
        expect(row.locator("td.direction")).to_have_text("REGRESSION")
        expect(page.locator(".compare-worse")).to_have_text(
            "worse: slack-invite-new-hire (regressions: slack-invite-new-hire)")
        expect(page.locator("pre.compare-text")).to_have_text(eval_compare_cli(gold, failing))
        assert "REGRESSION" in eval_compare_cli(gold, failing)
        no_error(page)
        assert not errors, errors

        # Only the directories named on the command line, by index.
        s = requests.Session()
        s.trust_env = False
        s.auth = ("dtu", manifest["admin_token"])
        ok = s.get(base + "dashboard/api/compare?a=0&b=1", timeout=5)
        assert ok.status_code == 200 and ok.json()["comparison"]["schema"] == "dtu.eval.compare/v1"
        assert s.get(base + "dashboard/api/compare?a=0&b=2", timeout=5).status_code == 404
        assert s.get(base + "dashboard/api/compare?a=0&b=..%2F..", timeout=5).status_code == 400
        assert s.get(base + "dashboard/api/compare?a=0", timeout=5).status_code == 400
    finally:
        ctx.close()


def test_evaluations_page_without_directories(page: Page, base: str) -> None:
    page.goto(base + "evals")
    expect(page.locator("#evals-none")).to_be_visible()
    expect(page.locator("#evals-none")).to_contain_text("--eval-dir")
    no_error(page)
