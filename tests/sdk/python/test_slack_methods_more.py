"""More Web API methods through slack_sdk: api.test, files.remote.*, bookmarks.edit,
team.billing.info, team.preferences.list, users.setPhoto/deletePhoto, canvases.*,
conversations.canvases.create, calls.*, slackLists.*, metadata with work-object entities.

Success bodies are checked against the vendor method spec's response schema
(`shared/vendor/slack/methods/<method>.json`, read at run time).
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from conftest import REPO_ROOT
from test_slack_support import advance_clock, expect_error, slack  # noqa: F401  (fixture)

VENDOR = Path(REPO_ROOT).parent / "shared" / "vendor" / "slack" / "methods"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
TYPES = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict}


def _check(schema: dict[str, Any], value: Any, where: str, skip: set[str]) -> None:
    kind = schema.get("type")
    if kind in TYPES:
        expected = TYPES[kind]
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        assert ok, f"{where}: {value!r} is not {kind}"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in skip:
                assert key in value, f"{where}: missing {key} in {sorted(value)}"
        for key, sub in schema.get("properties", {}).items():
            if key in value and value[key] is not None:
                _check(sub, value[key], f"{where}.{key}", skip)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _check(schema["items"], item, f"{where}[{i}]", skip)


def conforms(method: str, body: Any, skip: tuple[str, ...] = ()) -> None:
    """Checks a success body against the spec's `output` schema (types, required keys)."""
    spec = json.loads((VENDOR / f"{method}.json").read_text())
    data = body.data if hasattr(body, "data") else body
    assert data["ok"] is True
    if spec.get("output"):
        _check(spec["output"], data, method, set(skip))


def test_vendor_specs_are_there():
    # The shape checks below read them; without them every check would pass vacuously.
    assert (VENDOR / "api.test.json").is_file(), VENDOR


# --- api.test ------------------------------------------------------------------


def test_api_test_echoes_and_fails_on_demand(slack):
    assert slack.bot.api_test().data == {"ok": True}
    echoed = slack.bot.api_call("api.test", params={"foo": "bar"})
    assert echoed["args"] == {"foo": "bar"}
    conforms("api.test", echoed)
    response = expect_error("my_error", slack.bot.api_test, error="my_error")
    assert response["args"] == {"error": "my_error"}
    # No token needed, and a bad one is no error here.
    anonymous = WebClient(base_url=slack.info["base_url"])
    assert anonymous.api_call("api.test", params={"x": "1"})["args"] == {"x": "1"}
    assert WebClient(token="xoxb-nope", base_url=slack.info["base_url"]).api_test()["ok"]


def test_api_test_async(slack):
    async def run():
        client = slack.async_client("user")
        ok = await client.api_test()
        assert ok["ok"]
        try:
            await client.api_test(error="boom")
        except Exception as e:  # SlackApiError
            return e.response["error"]
        return None

    assert asyncio.run(run()) == "boom"


# --- files.remote.* ----------------------------------------------------------


def test_remote_files_lifecycle(slack):
    general = slack.channel("general")
    ext = str(uuid.uuid4())
    added = slack.bot.files_remote_add(
        external_id=ext,
        external_url="https://docs.example.com/d/1",
        title="Quarterly plan",
        preview_image=PNG,
        indexable_file_contents=b"roadmap budget",
    )
    conforms("files.remote.add", added)
    f = added["file"]
    assert f["is_external"] is True and f["external_type"] == "app" and f["mode"] == "external"
    assert f["external_id"] == ext and f["url_private"] == "https://docs.example.com/d/1"
    assert f["has_rich_preview"] is True and f["filetype"] == "remote"
    file_id = f["id"]

    by_ext = slack.bot.files_remote_info(external_id=ext)
    conforms("files.remote.info", by_ext)
    assert by_ext["file"]["id"] == file_id
    assert slack.bot.files_remote_info(file=file_id)["file"]["external_id"] == ext
    expect_error("too_many_ids", slack.bot.files_remote_info, file=file_id, external_id=ext)
    expect_error("invalid_args", slack.bot.files_remote_info)
    expect_error("file_not_found", slack.bot.files_remote_info, external_id="nope")
    # Not shared anywhere yet: the user cannot see it.
    expect_error("file_not_found", slack.user.files_remote_info, file=file_id)

    shared = slack.bot.files_remote_share(file=file_id, channels=general)
    assert shared["file"]["channels"] == [general]
    history = slack.user.conversations_history(channel=general, limit=1)["messages"][0]
    assert history["files"][0]["id"] == file_id
    assert slack.user.files_remote_info(file=file_id)["file"]["id"] == file_id
    engineering = slack.channel("engineering")
    expect_error("not_in_channel", slack.bot.files_remote_share, file=file_id, channels=engineering)
    expect_error("channel_not_found", slack.bot.files_remote_share, file=file_id, channels="C0NOPE")

    updated = slack.bot.files_remote_update(external_id=ext, title="Quarterly plan v2", filetype="pdf")
    assert updated["file"]["title"] == "Quarterly plan v2" and updated["file"]["filetype"] == "pdf"
    expect_error("invalid_url", slack.bot.files_remote_update, external_id=ext, external_url="ftp://x")
    expect_error("file_not_found", slack.bot.files_remote_update, external_id="nope", title="x")

    expect_error("not_allowed_token_type", slack.user.files_remote_add, external_id="u", external_url="https://e.com", title="t")
    expect_error("bad_image", slack.bot.files_remote_add, external_id="x2", external_url="https://e.com", title="t",
                 preview_image=b"not an image")
    expect_error("invalid_arguments", slack.bot.api_call, "files.remote.add", data={"external_id": "x3", "title": "t"})

    slack.bot.files_remote_remove(external_id=ext)
    expect_error("file_not_found", slack.bot.files_remote_info, external_id=ext)
    assert all(not m.get("files") or m["files"][0]["id"] != file_id
               for m in slack.user.conversations_history(channel=general, limit=5)["messages"])


def test_remote_files_list_pages_and_filters(slack):
    general = slack.channel("general")
    ids = []
    for i in range(3):
        f = slack.bot.files_remote_add(external_id=f"doc-{i}", external_url=f"https://e.com/{i}", title=f"Doc {i}")
        ids.append(f["file"]["id"])
    slack.bot.files_remote_share(external_id="doc-1", channels=general)
    seen = []
    for page in slack.bot.files_remote_list(limit=2):
        conforms("files.remote.list", page)
        assert len(page["files"]) <= 2
        seen += [f["id"] for f in page["files"]]
    assert sorted(seen) == sorted(ids)
    only = slack.bot.files_remote_list(channel=general)["files"]
    assert [f["id"] for f in only] == [ids[1]]
    expect_error("invalid_cursor", slack.bot.files_remote_list, cursor="garbage!")


# --- bookmarks.edit, team.*, users.setPhoto ------------------------------------


def test_bookmarks_edit(slack):
    general = slack.channel("general")
    b = slack.bot.bookmarks_add(channel_id=general, title="Docs", type="link", link="https://docs.example.com")["bookmark"]
    edited = slack.user.bookmarks_edit(channel_id=general, bookmark_id=b["id"], title="Handbook", emoji=":books:")
    conforms("bookmarks.edit", edited)
    assert edited["bookmark"]["title"] == "Handbook" and edited["bookmark"]["emoji"] == ":books:"
    assert edited["bookmark"]["link"] == "https://docs.example.com"
    assert edited["bookmark"]["last_updated_by_user_id"] == slack.alice
    listed = slack.bot.bookmarks_list(channel_id=general)["bookmarks"]
    assert [x["title"] for x in listed] == ["Handbook"]
    expect_error("invalid_link", slack.bot.bookmarks_edit, channel_id=general, bookmark_id=b["id"], link="nope")
    expect_error("not_found", slack.bot.bookmarks_edit, channel_id=general, bookmark_id="Bk0NOPE", title="x")
    expect_error("channel_not_found", slack.bot.bookmarks_edit, channel_id="C0NOPE", bookmark_id=b["id"], title="x")


def test_team_billing_and_preferences(slack):
    billing = slack.bot.team_billing_info()
    conforms("team.billing.info", billing)
    assert billing["plan"] == "std"
    prefs = slack.user.team_preferences_list()
    conforms("team.preferences.list", prefs)
    assert prefs["who_can_post_general"] == "everyone"


def test_users_set_and_delete_photo(slack):
    before = slack.user.users_profile_get()["profile"]
    assert "is_custom_image" not in before
    set_photo = slack.user.users_setPhoto(image=PNG)
    assert set_photo["ok"] and set_photo["profile"]["image_512"].startswith("https://avatars.slack-edge.com/")
    after = slack.user.users_profile_get()["profile"]
    assert after["is_custom_image"] is True and after["image_512"] == set_photo["profile"]["image_512"]
    assert slack.bot.users_info(user=slack.alice)["user"]["profile"]["image_72"] == after["image_72"]
    expect_error("bad_image", slack.user.users_setPhoto, image=b"plain text")
    expect_error("not_allowed_token_type", slack.bot.users_setPhoto, image=PNG)
    assert slack.user.users_deletePhoto().data == {"ok": True}
    assert slack.user.users_profile_get()["profile"]["image_512"] == before["image_512"]
    expect_error("not_allowed_token_type", slack.bot.users_deletePhoto)


# --- canvases ------------------------------------------------------------------


def markdown(text: str) -> dict[str, str]:
    return {"type": "markdown", "markdown": text}


def test_canvases_edit_and_lookup(slack):
    created = slack.user.canvases_create(title="Launch plan", document_content=markdown("# Goals\nShip it\n\n## Risks\nNone yet"))
    conforms("canvases.create", created)
    canvas = created["canvas_id"]
    assert canvas.startswith("F")
    headers = slack.user.canvases_sections_lookup(canvas_id=canvas, criteria={"section_types": ["any_header"]})
    conforms("canvases.sections.lookup", headers)
    assert len(headers["sections"]) == 2
    risks = slack.user.canvases_sections_lookup(canvas_id=canvas, criteria={"section_types": ["h2"], "contains_text": "risks"})
    assert len(risks["sections"]) == 1
    risk_id = risks["sections"][0]["id"]
    slack.user.canvases_edit(canvas_id=canvas, changes=[{"operation": "insert_after", "section_id": risk_id,
                                                          "document_content": markdown("## Owners\nalice")}])
    found = slack.user.canvases_sections_lookup(canvas_id=canvas, criteria={"contains_text": "owners"})["sections"]
    assert len(found) == 1
    slack.user.canvases_edit(canvas_id=canvas, changes=[{"operation": "delete", "section_id": found[0]["id"]}])
    assert slack.user.canvases_sections_lookup(canvas_id=canvas, criteria={"contains_text": "owners"})["sections"] == []
    slack.user.canvases_edit(canvas_id=canvas, changes=[{"operation": "rename", "title_content": markdown("Launch v2")}])
    response = expect_error("canvas_editing_failed", slack.user.canvases_edit, canvas_id=canvas,
                            changes=[{"operation": "delete", "section_id": "temp:C:nope"}])
    assert response["detail"]
    expect_error("invalid_arguments", slack.user.canvases_edit, canvas_id=canvas, changes=[{"operation": "explode"}])
    expect_error("invalid_arguments", slack.user.canvases_sections_lookup, canvas_id=canvas, criteria={})
    expect_error("canvas_not_found", slack.user.canvases_edit, canvas_id="F0NOPE", changes=[{"operation": "insert_at_end",
                 "document_content": markdown("x")}])
    # Replace the whole document.
    slack.user.canvases_edit(canvas_id=canvas, changes=[{"operation": "replace", "document_content": markdown("just text")}])
    assert slack.user.canvases_sections_lookup(canvas_id=canvas, criteria={"section_types": ["any_header"]})["sections"] == []


def test_canvas_access_and_delete(slack):
    general = slack.channel("general")
    canvas = slack.user.canvases_create(title="Private notes", document_content=markdown("# Notes\nhello"))["canvas_id"]
    criteria = {"section_types": ["h1"]}
    # The bot cannot see alice's canvas until she shares it.
    expect_error("canvas_not_found", slack.bot.canvases_sections_lookup, canvas_id=canvas, criteria=criteria)
    slack.user.canvases_access_set(canvas_id=canvas, access_level="read", channel_ids=[general])
    assert len(slack.bot.canvases_sections_lookup(canvas_id=canvas, criteria=criteria)["sections"]) == 1
    change = [{"operation": "insert_at_end", "document_content": markdown("from the bot")}]
    expect_error("restricted_action", slack.bot.canvases_edit, canvas_id=canvas, changes=change)
    slack.user.canvases_access_set(canvas_id=canvas, access_level="write", user_ids=[slack.bot_user])
    assert slack.bot.canvases_edit(canvas_id=canvas, changes=change)["ok"]
    expect_error("restricted_action", slack.bot.canvases_delete, canvas_id=canvas)
    expect_error("invalid_parameters", slack.user.canvases_access_set, canvas_id=canvas, access_level="read")
    expect_error("invalid_parameters", slack.user.canvases_access_set, canvas_id=canvas, access_level="read",
                 channel_ids=[general], user_ids=[slack.bot_user])
    expect_error("user_not_found", slack.user.canvases_access_set, canvas_id=canvas, access_level="read", user_ids=["U0NOPE"])
    slack.user.canvases_access_delete(canvas_id=canvas, channel_ids=[general])
    slack.user.canvases_access_delete(canvas_id=canvas, user_ids=[slack.bot_user])
    expect_error("canvas_not_found", slack.bot.canvases_sections_lookup, canvas_id=canvas, criteria=criteria)
    slack.user.canvases_delete(canvas_id=canvas)
    expect_error("canvas_not_found", slack.user.canvases_sections_lookup, canvas_id=canvas, criteria=criteria)


def test_channel_canvas_one_per_channel(slack, control, universe):
    general = slack.channel("general")
    created = slack.bot.conversations_canvases_create(channel_id=general, document_content=markdown("# Welcome"))
    conforms("conversations.canvases.create", created)
    # channel members may edit the channel canvas
    slack.user.canvases_edit(canvas_id=created["canvas_id"],
                             changes=[{"operation": "insert_at_end", "document_content": markdown("Rules")}])
    expect_error("channel_canvas_already_exists", slack.user.conversations_canvases_create, channel_id=general,
                 document_content=markdown("again"))
    expect_error("channel_not_found", slack.bot.conversations_canvases_create, channel_id="C0NOPE",
                 document_content=markdown("x"))
    # The canvas is universe state.
    state = control.get(f"universes/{universe['id']}/state", params={"service": "slack"}).json()["slack"]
    assert created["canvas_id"] in state["canvases"]


# --- calls -----------------------------------------------------------------------


def test_calls_lifecycle(slack):
    bob = slack.user_id("bob")
    added = slack.bot.calls_add(
        external_unique_id=str(uuid.uuid4()),
        join_url="https://calls.example.com/123",
        title="Standup",
        users=[{"slack_id": slack.alice}, {"external_id": "ext-1", "display_name": "Guest"}],
    )
    conforms("calls.add", added)
    call = added["call"]
    assert call["id"].startswith("R") and call["title"] == "Standup" and len(call["users"]) == 2
    info = slack.bot.calls_info(id=call["id"])
    conforms("calls.info", info)
    assert info["call"] == call
    slack.bot.calls_participants_add(id=call["id"], users=[{"slack_id": bob}])
    slack.bot.calls_participants_remove(id=call["id"], users=[{"external_id": "ext-1"}])
    users = slack.bot.calls_info(id=call["id"])["call"]["users"]
    assert users == [{"slack_id": slack.alice}, {"slack_id": bob}]
    updated = slack.bot.calls_update(id=call["id"], title="Standup (moved)", join_url="https://calls.example.com/456")
    assert updated["call"]["join_url"] == "https://calls.example.com/456"
    expect_error("bad_users", slack.bot.calls_participants_add, id=call["id"], users=[{"nobody": 1}])
    expect_error("user_not_found", slack.bot.calls_participants_add, id=call["id"], users=[{"slack_id": "U0NOPE"}])
    slack.bot.calls_end(id=call["id"], duration=600)
    ended = slack.bot.calls_info(id=call["id"])["call"]
    assert ended["date_end"] == ended["date_start"] + 600 and ended["duration"] == 600
    expect_error("inactive_call", slack.bot.calls_end, id=call["id"])
    expect_error("inactive_call", slack.bot.calls_participants_add, id=call["id"], users=[{"slack_id": bob}])
    expect_error("invalid_call_id", slack.bot.calls_info, id="R0NOPE")
    expect_error("invalid_arguments", slack.bot.api_call, "calls.add", json={"join_url": "https://x"})
    expect_error("invalid_created_by", slack.bot.calls_add, external_unique_id="x", join_url="https://x", created_by="U0NOPE")


def test_calls_async(slack):
    async def run():
        client = slack.async_client("user")
        added = await client.calls_add(external_unique_id="async-1", join_url="https://calls.example.com/a")
        got = await client.calls_info(id=added["call"]["id"])
        return added["call"], got["call"]

    added, got = asyncio.run(run())
    assert added == got and got["users"] == []


# --- slackLists ------------------------------------------------------------------


SCHEMA = [
    {"key": "title", "name": "Title", "type": "text", "is_primary_column": True},
    {"key": "status", "name": "Status", "type": "select",
     "options": {"choices": [{"value": "todo", "label": "To do"}, {"value": "done", "label": "Done"}]}},
    {"key": "owner", "name": "Owner", "type": "user"},
    {"key": "due", "name": "Due", "type": "date"},
    {"key": "estimate", "name": "Estimate", "type": "number"},
]


def rich(text: str) -> list[dict[str, Any]]:
    return [{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]


def test_lists_items_lifecycle(slack):
    created = slack.user.slackLists_create(name="Sprint board", schema=SCHEMA)
    conforms("slackLists.create", created)
    list_id = created["list_id"]
    cols = {c["key"]: c["id"] for c in created["list_metadata"]["schema"]}
    assert list(cols) == ["title", "status", "owner", "due", "estimate"]

    item = slack.user.slackLists_items_create(list_id=list_id, initial_fields=[
        {"column_id": cols["title"], "rich_text": rich("Fix bug")},
        {"column_id": cols["status"], "select": ["todo"]},
        {"column_id": cols["owner"], "user": [slack.alice]},
    ])
    conforms("slackLists.items.create", item)
    rec = item["item"]
    fields = {f["key"]: f for f in rec["fields"]}
    assert fields["title"]["text"] == "Fix bug" and fields["status"]["value"] == "todo"
    assert fields["owner"]["user"] == [slack.alice]
    sub = slack.user.slackLists_items_create(list_id=list_id, parent_item_id=rec["id"],
                                             initial_fields=[{"column_id": cols["title"], "rich_text": rich("Write test")}])
    for i in range(3):
        slack.user.slackLists_items_create(list_id=list_id, initial_fields=[{"column_id": cols["title"], "rich_text": rich(f"T{i}")}])

    slack.user.slackLists_items_update(list_id=list_id, cells=[
        {"row_id": rec["id"], "column_id": cols["status"], "select": ["done"]},
        {"row_id": rec["id"], "column_id": cols["due"], "date": ["2026-01-15"]},
        {"row_id": rec["id"], "column_id": cols["estimate"], "number": [3]},
    ])
    info = slack.user.slackLists_items_info(list_id=list_id, id=rec["id"])
    conforms("slackLists.items.info", info)
    got = {f["key"]: f["value"] for f in info["record"]["fields"]}
    assert got["status"] == "done" and got["due"] == "2026-01-15" and got["estimate"] == 3
    assert [s["id"] for s in info["subtasks"]] == [sub["item"]["id"]]
    assert info["list"]["title"] == "Sprint board" and info["list"]["filetype"] == "list"

    # Paged by hand: slack_sdk's iterator puts the cursor in form params, which a JSON-bodied
    # method (this one) never sends.
    pages, cursor = [], None
    while True:
        page = slack.user.slackLists_items_list(list_id=list_id, limit=2, cursor=cursor)
        pages.append(page)
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    for page in pages:
        conforms("slackLists.items.list", page, skip=("next_cursor",))
    ids = [i["id"] for page in pages for i in page["items"]]
    assert len(pages) == 3 and len(ids) == 5 and ids[0] == rec["id"]

    expect_error("invalid_option_id", slack.user.slackLists_items_update, list_id=list_id,
                 cells=[{"row_id": rec["id"], "column_id": cols["status"], "select": ["nope"]}])
    expect_error("invalid_input_type", slack.user.slackLists_items_update, list_id=list_id,
                 cells=[{"row_id": rec["id"], "column_id": cols["due"], "number": [1]}])
    expect_error("invalid_column_id", slack.user.slackLists_items_create, list_id=list_id,
                 initial_fields=[{"column_id": "Col0NOPE", "rich_text": rich("x")}])
    expect_error("row_not_found", slack.user.slackLists_items_update, list_id=list_id,
                 cells=[{"row_id": "Rec0NOPE", "column_id": cols["estimate"], "number": [1]}])
    expect_error("list_not_found", slack.user.slackLists_items_list, list_id="F0NOPE")
    expect_error("record_not_found", slack.user.slackLists_items_info, list_id=list_id, id="Rec0NOPE")

    # deleting a parent takes its subtasks
    slack.user.slackLists_items_delete(list_id=list_id, id=rec["id"])
    expect_error("record_not_found", slack.user.slackLists_items_info, list_id=list_id, id=sub["item"]["id"])
    rest = [i["id"] for i in slack.user.slackLists_items_list(list_id=list_id)["items"]]
    assert len(rest) == 3
    slack.user.slackLists_items_deleteMultiple(list_id=list_id, ids=rest[:2])
    assert [i["id"] for i in slack.user.slackLists_items_list(list_id=list_id)["items"]] == rest[2:]


def test_lists_create_update_share_and_export(slack):
    created = slack.bot.slackLists_create(name="Chores", todo_mode=True)
    list_id = created["list_id"]
    kinds = [c["type"] for c in created["list_metadata"]["schema"]]
    assert kinds == ["text", "todo_completed", "todo_assignee", "todo_due_date"]
    cols = {c["key"]: c["id"] for c in created["list_metadata"]["schema"]}
    slack.bot.slackLists_items_create(list_id=list_id, initial_fields=[
        {"column_id": cols["name"], "rich_text": rich("Water, plants")},
        {"column_id": cols["todo_completed"], "checkbox": True},
    ])
    assert slack.bot.slackLists_update(id=list_id, name="House chores")["ok"]
    expect_error("missing_arguments", slack.bot.slackLists_update, id=list_id)
    expect_error("over_title_length_maximum", slack.bot.slackLists_update, id=list_id, name="x" * 300)

    # alice cannot see the bot's list until it is shared
    expect_error("list_not_found", slack.user.slackLists_items_list, list_id=list_id)
    slack.bot.slackLists_access_set(list_id=list_id, access_level="read", user_ids=[slack.alice])
    assert len(slack.user.slackLists_items_list(list_id=list_id)["items"]) == 1
    expect_error("permission_denied", slack.user.slackLists_items_create, list_id=list_id)
    expect_error("restricted_action", slack.user.slackLists_access_set, list_id=list_id, access_level="write",
                 user_ids=[slack.alice])
    slack.bot.slackLists_access_delete(list_id=list_id, user_ids=[slack.alice])
    expect_error("list_not_found", slack.user.slackLists_items_list, list_id=list_id)

    job = slack.bot.slackLists_download_start(list_id=list_id)
    # The spec's schema says integer, its own example (a real answer) a string: the twin answers as the example.
    assert job["ok"] and isinstance(job["job_id"], str)
    got = slack.bot.slackLists_download_get(list_id=list_id, job_id=job["job_id"])
    conforms("slackLists.download.get", got)
    assert got["status"] == "COMPLETED"
    req = urllib.request.Request(got["download_url"], headers={"Authorization": f"Bearer {slack.info['bot_token']}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        csv = resp.read().decode()
    assert csv.splitlines() == ["Name,Completed,Assignee,Due Date", '"Water, plants",true,,']
    expect_error("job_not_found", slack.bot.slackLists_download_get, list_id=list_id, job_id="Le0NOPE")

    expect_error("invalid_schema", slack.bot.slackLists_create, name="x", schema=[{"name": "no key"}])
    expect_error("invalid_primary_column", slack.bot.slackLists_create, name="x", schema=[{"key": "a", "type": "text"}])
    expect_error("invalid_copy_and_schema_args", slack.bot.slackLists_create, name="x", schema=SCHEMA, copy_from_list_id=list_id)
    copy = slack.bot.slackLists_create(name="Copy", copy_from_list_id=list_id, include_copied_list_records=True)
    assert len(slack.bot.slackLists_items_list(list_id=copy["list_id"])["items"]) == 1


# --- metadata with work objects ----------------------------------------------------


ENTITY = {
    "entity_type": "slack#/entities/file",
    "url": "https://example.com/doc/1",
    "external_ref": {"id": "doc-1"},
    "entity_payload": {"attributes": {"title": {"text": "Design doc"}}},
}


def test_entities_metadata_without_event_type(slack):
    general = slack.channel("general")
    posted = slack.bot.chat_postMessage(channel=general, text="the doc", metadata={"entities": [ENTITY]})
    assert posted["message"]["metadata"]["entities"][0]["external_ref"] == {"id": "doc-1"}
    updated = slack.bot.chat_update(channel=general, ts=posted["ts"], text="the doc (v2)",
                                    metadata={"entities": [dict(ENTITY, url="https://example.com/doc/2")]})
    assert updated["message"]["metadata"]["entities"][0]["url"] == "https://example.com/doc/2"
    history = slack.bot.conversations_history(channel=general, limit=1, include_all_metadata=True)["messages"][0]
    assert history["metadata"]["entities"][0]["url"] == "https://example.com/doc/2"
    # events still need their payload; entities need a type and a payload
    expect_error("invalid_metadata_schema", slack.bot.chat_postMessage, channel=general, text="x",
                 metadata={"event_type": "doc_shared"})
    expect_error("invalid_metadata_schema", slack.bot.chat_postMessage, channel=general, text="x",
                 metadata={"entities": [{"url": "https://example.com"}]})
    expect_error("invalid_metadata_schema", slack.bot.chat_postMessage, channel=general, text="x",
                 metadata={"entities": []})
    both = {"event_type": "doc_shared", "event_payload": {"id": "1"}, "entities": [ENTITY]}
    assert slack.bot.chat_postMessage(channel=general, text="both", metadata=both)["ok"]


# --- dnd, reminders, stars -----------------------------------------------------------


def test_dnd_snooze(slack, control, universe):
    info = slack.user.dnd_info()
    conforms("dnd.info", info)
    assert info["snooze_enabled"] is False
    expect_error("snooze_end_failed", slack.user.dnd_endSnooze)
    expect_error("not_in_dnd", slack.user.dnd_endDnd)
    snoozed = slack.user.dnd_setSnooze(num_minutes=30)
    conforms("dnd.setSnooze", snoozed)
    assert snoozed["snooze_remaining"] == 1800
    mine = slack.user.dnd_info()
    assert mine["snooze_enabled"] is True and mine["snooze_endtime"] == snoozed["snooze_endtime"]
    # others see the schedule only
    assert "snooze_enabled" not in slack.bot.dnd_info(user=slack.alice)
    team = slack.bot.dnd_teamInfo(users=[slack.alice, slack.bot_user])
    conforms("dnd.teamInfo", team)
    assert set(team["users"]) == {slack.alice, slack.bot_user}
    slack.user.dnd_endSnooze()
    assert slack.user.dnd_info()["snooze_enabled"] is False
    slack.user.dnd_setSnooze(num_minutes=5)
    advance_clock(control, universe, 301)
    assert slack.user.dnd_info()["snooze_enabled"] is False
    slack.user.dnd_setSnooze(num_minutes=5)
    assert slack.user.dnd_endDnd()["ok"]
    expect_error("too_long", slack.user.dnd_setSnooze, num_minutes=100000)
    expect_error("missing_duration", slack.user.api_call, "dnd.setSnooze")
    expect_error("not_allowed_token_type", slack.bot.dnd_setSnooze, num_minutes=5)
    expect_error("no_users_provided", slack.bot.api_call, "dnd.teamInfo")


def slackbot_dm_texts(slack) -> list[str]:
    for c in slack.user.conversations_list(types="im")["channels"]:
        if c["user"] == "USLACKBOT":
            return [m["text"] for m in slack.user.conversations_history(channel=c["id"])["messages"]]
    return []


def test_reminders_fire_on_the_universe_clock(slack, control, universe):
    added = slack.user.reminders_add(text="stretch", time="in 10 minutes")
    conforms("reminders.add", added)
    r = added["reminder"]
    assert r["recurring"] is False and r["complete_ts"] == 0 and r["user"] == slack.alice
    daily = slack.user.reminders_add(text="water plants", time="every day")["reminder"]
    assert daily["recurring"] is True and "time" not in daily
    listed = slack.user.reminders_list()
    conforms("reminders.list", listed)
    assert {x["id"] for x in listed["reminders"]} == {r["id"], daily["id"]}
    assert slack.user.reminders_info(reminder=r["id"])["reminder"] == r
    assert "Reminder: stretch." not in slackbot_dm_texts(slack)
    advance_clock(control, universe, 601)
    assert "Reminder: stretch." in slackbot_dm_texts(slack)
    # it fires once, and stays until completed
    slack.user.auth_test()
    assert slackbot_dm_texts(slack).count("Reminder: stretch.") == 1
    slack.user.reminders_complete(reminder=r["id"])
    assert slack.user.reminders_info(reminder=r["id"])["reminder"]["complete_ts"] > 0
    expect_error("cannot_complete_recurring", slack.user.reminders_complete, reminder=daily["id"])
    advance_clock(control, universe, 2 * 86400)
    assert slackbot_dm_texts(slack).count("Reminder: water plants.") >= 1
    slack.user.reminders_delete(reminder=daily["id"])
    expect_error("not_found", slack.user.reminders_info, reminder=daily["id"])
    expect_error("cannot_parse", slack.user.reminders_add, text="x", time="someday maybe")
    expect_error("cannot_add_others", slack.user.reminders_add, text="x", time="60", user=slack.user_id("bob"))
    expect_error("cannot_add_bot", slack.user.reminders_add, text="x", time="60", user=slack.bot_user)
    expect_error("not_allowed_token_type", slack.bot.reminders_list)


def test_stars(slack):
    general = slack.channel("general")
    ts = slack.bot.chat_postMessage(channel=general, text="star me")["ts"]
    slack.user.stars_add(channel=general, timestamp=ts)
    slack.user.stars_add(channel=general)
    expect_error("already_starred", slack.user.stars_add, channel=general, timestamp=ts)
    items = slack.user.stars_list()
    conforms("stars.list", items)
    kinds = sorted(i["type"] for i in items["items"])
    assert kinds == ["channel", "message"]
    message = next(i for i in items["items"] if i["type"] == "message")
    assert message["message"]["ts"] == ts and message["channel"] == general
    paged = [i for page in slack.user.stars_list(limit=1) for i in page["items"]]
    assert len(paged) == 2
    slack.user.stars_remove(channel=general, timestamp=ts)
    expect_error("not_starred", slack.user.stars_remove, channel=general, timestamp=ts)
    expect_error("no_item_specified", slack.user.stars_add)
    expect_error("message_not_found", slack.user.stars_add, channel=general, timestamp="1000000000.000001")
    expect_error("not_allowed_token_type", slack.bot.stars_list)


# --- team.*, auth.teams.list, users.*, files extras, search, assistant, rtm -------------


def test_team_admin_views(slack):
    slack.user.auth_test()
    slack.bot.auth_test()
    logs = slack.user.team_accessLogs()
    conforms("team.accessLogs", logs)
    alice = next(row for row in logs["logins"] if row["user_id"] == slack.alice)
    assert alice["count"] >= 1 and alice["username"] == "alice"
    assert all(row["user_id"] != slack.bot_user for row in logs["logins"])
    expect_error("over_pagination_limit", slack.user.team_accessLogs, page=101)
    expect_error("not_allowed_token_type", slack.bot.team_accessLogs)
    billable = slack.user.team_billableInfo()
    conforms("team.billableInfo", billable)
    assert billable["billable_info"][slack.alice] == {"billing_active": True}
    assert slack.bot_user not in billable["billable_info"]
    assert list(slack.user.team_billableInfo(user=slack.alice)["billable_info"]) == [slack.alice]
    expect_error("user_not_found", slack.user.team_billableInfo, user="U0NOPE")
    integrations = slack.user.team_integrationLogs()
    assert integrations["logs"][0]["app_id"] == slack.info["app_id"]
    assert integrations["logs"][0]["user_id"] == slack.alice
    assert slack.user.team_integrationLogs(change_type="removed")["logs"] == []
    profile = slack.bot.team_profile_get()
    conforms("team.profile.get", profile)
    assert profile["profile"]["fields"] == []
    assert slack.bot.team_externalTeams_list()["organizations"] == []
    expect_error("invalid_target_team", slack.bot.team_externalTeams_disconnect, target_team="T0OTHER")
    teams = slack.user.auth_teams_list()
    # The spec's schema requires `team` and items' `team_id`; its example (and the SDKs) use `teams` and `id`.
    conforms("auth.teams.list", teams, skip=("team", "team_id"))
    assert teams["teams"] == [{"id": slack.info["team_id"], "name": "Acme Corp"}]


def test_users_identity_and_contacts(slack):
    # a workspace user token has no Sign in with Slack scopes
    response = expect_error("missing_scope", slack.user.users_identity)
    assert response["needed"] == "identity:read"
    expect_error("not_an_enterprise", slack.bot.users_discoverableContacts_lookup, email="bob@acme.test")
    assert slack.user.api_call("users.setActive")["ok"]


def test_public_file_links_and_comments(slack):
    up = slack.user.files_getUploadURLExternal(filename="notes.txt", length=5)
    urllib.request.urlopen(urllib.request.Request(up["upload_url"], data=b"hello", method="POST"), timeout=10).read()
    slack.user.files_completeUploadExternal(files=[{"id": up["file_id"], "title": "Roadmap notes"}])
    shared = slack.user.files_sharedPublicURL(file=up["file_id"])
    assert shared["file"]["public_url_shared"] is True
    assert slack.user.files_info(file=up["file_id"])["file"]["public_url_shared"] is True
    slack.user.files_revokePublicURL(file=up["file_id"])
    assert slack.user.files_info(file=up["file_id"])["file"]["public_url_shared"] is False
    expect_error("not_allowed_token_type", slack.bot.files_sharedPublicURL, file=up["file_id"])
    expect_error("file_not_found", slack.bot.files_revokePublicURL, file=up["file_id"])
    expect_error("cant_delete", slack.user.files_comments_delete, file=up["file_id"], id="Fc0NOPE")
    # search finds it by title; search.all has both sections
    found = slack.user.search_files(query="roadmap")
    conforms("search.files", found)
    assert [f["id"] for f in found["files"]["matches"]] == [up["file_id"]]
    assert slack.user.search_files(query="nothing-like-this")["files"]["total"] == 0
    general = slack.channel("general")
    slack.user.chat_postMessage(channel=general, text="the roadmap is out")
    both = slack.user.search_all(query="roadmap")
    conforms("search.all", both)
    assert both["files"]["total"] == 1 and both["messages"]["total"] >= 1
    expect_error("no_query", slack.user.search_files, query="")


def test_assistant_threads(slack, control, universe):
    general = slack.channel("general")
    ts = slack.bot.chat_postMessage(channel=general, text="how can I help?")["ts"]
    assert slack.bot.assistant_threads_setStatus(channel_id=general, thread_ts=ts, status="is thinking...")["ok"]
    slack.bot.assistant_threads_setTitle(channel_id=general, thread_ts=ts, title="Help with expenses")
    prompts = [{"title": "Summarize", "message": "Summarize the channel"}]
    slack.bot.assistant_threads_setSuggestedPrompts(channel_id=general, thread_ts=ts, prompts=prompts)
    state = control.get(f"universes/{universe['id']}/state", params={"service": "slack"}).json()["slack"]
    thread = state["assistant_threads"][f"{general}:{ts}"]
    assert thread["status"] == "is thinking..." and thread["title"] == "Help with expenses"
    assert thread["prompts"] == prompts
    slack.bot.assistant_threads_setStatus(channel_id=general, thread_ts=ts, status="")
    state = control.get(f"universes/{universe['id']}/state", params={"service": "slack"}).json()["slack"]
    assert state["assistant_threads"][f"{general}:{ts}"]["status"] == ""
    expect_error("invalid_thread_ts", slack.bot.assistant_threads_setTitle, channel_id=general, thread_ts="1.000001", title="x")
    expect_error("channel_not_found", slack.bot.assistant_threads_setStatus, channel_id=slack.channel("leadership"),
                 thread_ts=ts, status="x")
    expect_error("invalid_arguments", slack.bot.assistant_threads_setSuggestedPrompts, channel_id=general,
                 prompts=[{"title": "no message"}])
    expect_error("not_allowed_token_type", slack.user.assistant_threads_setTitle, channel_id=general, thread_ts=ts, title="x")


def test_rtm_is_closed_to_granular_tokens(slack):
    expect_error("not_allowed_token_type", slack.bot.rtm_connect)
    expect_error("not_allowed_token_type", slack.user.rtm_start)


# --- chat streams and unfurls, Slack Connect without partners ---------------------------


def test_chat_streams(slack):
    general = slack.channel("general")
    question = slack.user.chat_postMessage(channel=general, text="what is our PTO policy?")["ts"]
    started = slack.bot.chat_startStream(channel=general, thread_ts=question, markdown_text="Thinking")
    ts = started["ts"]
    slack.bot.chat_appendStream(channel=general, ts=ts, markdown_text=" about it")
    slack.bot.chat_appendStream(channel=general, ts=ts, chunks=[{"type": "markdown_text", "text": "..."}])
    reply = slack.user.conversations_replies(channel=general, ts=question)["messages"][-1]
    assert reply["ts"] == ts and reply["text"] == "Thinking about it..."
    stopped = slack.bot.chat_stopStream(channel=general, ts=ts, markdown_text=" Done.")
    assert stopped["message"]["text"] == "Thinking about it... Done."
    expect_error("message_not_in_streaming_state", slack.bot.chat_appendStream, channel=general, ts=ts, markdown_text="x")
    expect_error("message_not_in_streaming_state", slack.bot.chat_stopStream, channel=general, ts=ts)
    expect_error("channel_not_found", slack.bot.chat_startStream, channel="C0NOPE", thread_ts=question, markdown_text="x")


def test_chat_unfurl(slack):
    general = slack.channel("general")
    ts = slack.user.chat_postMessage(channel=general, text="see https://issues.example.com/42")["ts"]
    slack.bot.chat_unfurl(channel=general, ts=ts, unfurls={"https://issues.example.com/42": {"text": "Issue 42: login broken"}})
    message = slack.user.conversations_history(channel=general, limit=1)["messages"][0]
    unfurl = message["attachments"][0]
    assert unfurl["from_url"] == "https://issues.example.com/42" and unfurl["text"] == "Issue 42: login broken"
    expect_error("cannot_unfurl_url", slack.bot.chat_unfurl, channel=general, ts=ts, unfurls={"https://other.example.com": {"text": "x"}})
    expect_error("cannot_find_message", slack.bot.chat_unfurl, channel=general, ts="1000000000.000001",
                 unfurls={"https://issues.example.com/42": {"text": "x"}})


def test_connect_invites_from_a_workspace_without_partners(slack):
    incidents = slack.channel("incidents")
    sent = slack.bot.conversations_inviteShared(channel=incidents, emails=["partner@vendor.example"])
    conforms("conversations.inviteShared", sent)
    invites = slack.bot.conversations_listConnectInvites()
    conforms("conversations.listConnectInvites", invites)
    assert [i["invite"]["id"] for i in invites["invites"]] == [sent["invite_id"]]
    assert invites["invites"][0]["invite"]["recipient_email"] == "partner@vendor.example"
    assert invites["invites"][0]["status"] == "pending"
    expect_error("invite_from_same_org", slack.bot.conversations_acceptSharedInvite, channel_name="shared",
                 invite_id=sent["invite_id"])
    expect_error("invite_not_found", slack.bot.conversations_approveSharedInvite, invite_id="I0NOPE")
    expect_error("invite_from_same_org", slack.bot.conversations_inviteShared, channel=incidents, emails=["bob@acme.test"])
    expect_error("cannot_share_mandatory_channel", slack.bot.conversations_inviteShared,
                 channel=slack.channel("general"), emails=["x@vendor.example"])
    expect_error("not_in_channel", slack.bot.conversations_inviteShared, channel=slack.channel("engineering"),
                 emails=["x@vendor.example"])
    requests = slack.bot.conversations_requestSharedInvite_list()
    conforms("conversations.requestSharedInvite.list", requests)
    assert requests["invite_requests"] == []
    expect_error("invite_not_found", slack.bot.conversations_requestSharedInvite_approve, invite_id="I0NOPE")
    expect_error("invalid_target_team", slack.bot.conversations_externalInvitePermissions_set, channel=incidents,
                 target_team="T0OTHER", action="upgrade")


# --- views.* and dialog.open, opened from simulated interactions ------------------------


def trigger(control, universe, user: str = "alice") -> str:
    resp = control.post(f"universes/{universe['id']}/slack/simulate/slash_command",
                        json={"user": user, "channel": "general", "command": "/ticket"})
    assert resp.status_code == 201, resp.text
    return resp.json()["trigger_id"]


def modal(title: str, **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": title},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": title}}], **extra}


def test_views_open_push_update_publish(slack, control, universe):
    t = trigger(control, universe)
    opened = slack.bot.views_open(trigger_id=t, view=modal("New ticket", callback_id="ticket", external_id="tk-1"))
    conforms("views.open", opened)
    view = opened["view"]
    assert view["id"].startswith("V") and view["callback_id"] == "ticket" and view["root_view_id"] == view["id"]
    expect_error("exchanged_trigger_id", slack.bot.views_open, trigger_id=t, view=modal("Again"))
    expect_error("invalid_trigger_id", slack.bot.views_open, trigger_id="1.2.nope", view=modal("x"))
    expect_error("invalid_arguments", slack.bot.views_open, trigger_id=trigger(control, universe), view={"type": "modal"})

    pushed = slack.bot.views_push(trigger_id=trigger(control, universe), view=modal("Details"))
    assert pushed["view"]["previous_view_id"] == view["id"] and pushed["view"]["root_view_id"] == view["id"]
    slack.bot.views_push(trigger_id=trigger(control, universe), view=modal("More"))
    expect_error("push_limit_reached", slack.bot.views_push, trigger_id=trigger(control, universe), view=modal("Too many"))
    expect_error("not_found", slack.bot.views_push, trigger_id=trigger(control, universe, "bob"), view=modal("x"))

    updated = slack.bot.views_update(external_id="tk-1", view=modal("Ticket (edited)"), hash=view["hash"])
    assert updated["view"]["id"] == view["id"] and updated["view"]["title"]["text"] == "Ticket (edited)"
    expect_error("hash_conflict", slack.bot.views_update, view_id=view["id"], view=modal("x"), hash=view["hash"])
    expect_error("not_found", slack.bot.views_update, view_id="V0NOPE", view=modal("x"))
    expect_error("duplicate_external_id", slack.bot.views_open, trigger_id=trigger(control, universe),
                 view=modal("Dup", external_id="tk-1"))

    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Welcome home"}}]}
    published = slack.bot.views_publish(user_id=slack.alice, view=home)
    conforms("views.publish", published)
    again = slack.bot.views_publish(user_id=slack.alice, view=home, hash=published["view"]["hash"])
    assert again["view"]["id"] == published["view"]["id"] and again["view"]["hash"] != published["view"]["hash"]
    expect_error("hash_conflict", slack.bot.views_publish, user_id=slack.alice, view=home, hash=published["view"]["hash"])
    expect_error("invalid_arguments", slack.bot.views_publish, user_id=slack.alice, view=modal("not home"))
    state = control.get(f"universes/{universe['id']}/state", params={"service": "slack"}).json()["slack"]
    assert {v["kind"] for v in state["views"].values()} == {"modal", "home"}


def test_dialog_open(slack, control, universe):
    dialog = {"title": "Request", "callback_id": "req", "elements": [{"type": "text", "label": "What", "name": "what"}]}
    t = trigger(control, universe)
    assert slack.bot.dialog_open(trigger_id=t, dialog=dialog).data == {"ok": True}
    expect_error("trigger_exchanged", slack.bot.dialog_open, trigger_id=t, dialog=dialog)
    expect_error("invalid_trigger", slack.bot.dialog_open, trigger_id="9.9.nope", dialog=dialog)
    bad = expect_error("validation_errors", slack.bot.dialog_open, trigger_id=trigger(control, universe),
                       dialog={"title": "x" * 30, "callback_id": "c", "elements": []})
    assert {e["name"] for e in bad["dialog_errors"]} == {"title", "elements"}
    expect_error("missing_dialog", slack.bot.api_call, "dialog.open", json={"trigger_id": t})


# --- a plain app's platform: functions, datastores, workflows, entities, agents ----------


def test_platform_methods_answer_as_for_a_plain_app(slack):
    general = slack.channel("general")
    expect_error("function_execution_not_found", slack.bot.functions_completeSuccess, function_execution_id="Fx0", outputs={})
    expect_error("function_execution_not_found", slack.bot.functions_completeError, function_execution_id="Fx0", error="boom")
    expect_error("missing_scope", slack.bot.api_call, "apps.datastore.get", json={"datastore": "tasks", "id": "1"})
    expect_error("not_allowed_token_type", slack.bot.api_call, "apps.manifest.export", params={"app_id": slack.info["app_id"]})
    featured = slack.bot.workflows_featured_list(channel_ids=[general])
    conforms("workflows.featured.list", featured)
    assert featured["featured_workflows"] == [{"channel_id": general, "triggers": []}]
    expect_error("error_modifying_workflows", slack.bot.workflows_featured_add, channel_id=general, trigger_ids=["Ft0"])
    expect_error("channel_not_found", slack.bot.workflows_featured_list, channel_ids=["C0NOPE"])
    expect_error("invalid_trigger_id", slack.bot.entity_presentDetails, trigger_id="1.2.nope")
    expect_error("feature_disabled", slack.bot.agents_sessions_setStatus, channel_id=general, status="working")


def test_event_authorizations_and_ai_search(slack):
    import base64

    general = slack.channel("general")
    context = {"et": "message", "tid": slack.info["team_id"], "aid": slack.info["app_id"], "cid": general}
    event_context = "4-" + base64.b64encode(json.dumps(context).encode()).decode().rstrip("=")
    auths = slack.app.apps_event_authorizations_list(event_context=event_context)
    conforms("apps.event.authorizations.list", auths)
    assert [(a["user_id"], a["is_bot"]) for a in auths["authorizations"]] == [(slack.bot_user, True), (slack.alice, False)]
    expect_error("invalid_event_context", slack.app.apps_event_authorizations_list, event_context="4-garbage!")
    other = "4-" + base64.b64encode(json.dumps(dict(context, aid="A0OTHER")).encode()).decode()
    expect_error("auth_mismatch", slack.app.apps_event_authorizations_list, event_context=other)
    expect_error("not_allowed_token_type", slack.bot.apps_event_authorizations_list, event_context=event_context)

    assert slack.bot.api_call("assistant.search.info")["is_ai_search_enabled"] is False
    slack.user.chat_postMessage(channel=general, text="the quarterly offsite is in Lisbon")
    found = slack.bot.api_call("assistant.search.context", json={"query": "offsite lisbon"})
    conforms("assistant.search.context", found)
    hit = found["results"]["messages"][0]
    assert hit["content"] == "the quarterly offsite is in Lisbon" and hit["author_user_id"] == slack.alice
    assert hit["channel_name"] == "general" and hit["is_author_bot"] is False
    expect_error("missing_query", slack.bot.api_call, "assistant.search.context", json={})
    # a workspace user token has no OpenID scopes
    expect_error("missing_scope", slack.user.openid_connect_userInfo)


def test_oauth_exchanges_and_app_credentials(slack):
    anonymous = WebClient(base_url=slack.info["base_url"])
    # `code` is also expect_error's own parameter: pass the call's arguments through a closure.
    expect_error("invalid_client_id", lambda: anonymous.oauth_v2_access(client_id="1.2", client_secret="s", code="c"))
    expect_error("invalid_client_id", lambda: anonymous.openid_connect_token(client_id="1.2", client_secret="s", code="c"))
    expect_error("invalid_client_id", slack.bot.apps_uninstall, client_id="1.2", client_secret="s")
    expect_error("token_not_found", slack.bot.api_call, "apps.auth.external.get", params={"external_token_id": "Et0"})
    expect_error("no_tokens_found", slack.bot.api_call, "apps.auth.external.delete")
    expect_error("app_not_subscribed", slack.user.apps_user_connection_update, user_id=slack.alice, status="connected")
    expect_error("user_not_found", slack.user.apps_user_connection_update, user_id="U0NOPE", status="connected")
