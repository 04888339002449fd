"""Tier 6: the files v2 upload flow (files_upload_v2, sync and async), files.info/list/delete,
and the retired files.upload."""

from __future__ import annotations

import pytest
import requests

from test_slack_support import expect_error, slack  # noqa: F401  (fixture)


def _post(url: str, **kwargs) -> requests.Response:
    with requests.Session() as s:
        s.trust_env = False  # never through a proxy
        return s.post(url, timeout=60, **kwargs)


def test_uploads_up_to_slacks_limit_arrive_whole(slack, control, universe):
    """Past axum's 2 MiB and the core's 32 MiB body caps: the upload URL takes what
    Slack takes (1 GB), raw or multipart, and the file's size is the bytes that came."""
    three_mb = bytes(range(256)) * (3_000_000 // 256) + b"x" * (3_000_000 % 256)
    f = slack.bot.files_upload_v2(channel=slack.channel("general"), filename="big.bin", content=three_mb)["file"]
    assert f["size"] == 3_000_000
    for length, multipart in ((40_000_000, False), (5_000_000, True)):
        up = slack.bot.files_getUploadURLExternal(filename="huge.bin", length=length)
        if multipart:
            answer = _post(up["upload_url"], files={"body": ("Untitled", b"m" * length, "application/octet-stream")})
        else:
            answer = _post(up["upload_url"], data=b"r" * length, headers={"Content-Type": "application/octet-stream"})
        assert (answer.status_code, answer.text) == (200, f"OK - {length}")
        done = slack.bot.files_completeUploadExternal(files=[{"id": up["file_id"]}])
        assert done["files"][0]["size"] == length
    expect_error("file_upload_size_restricted", slack.bot.files_getUploadURLExternal,
                 filename="too.big", length=1024 ** 3 + 1)
    # Only the first MiB of an upload is kept in the state; bigger ones keep their size.
    state = control.get(f"universes/{universe['id']}/state", params={"service": "slack"}).json()["slack"]
    assert f["id"] not in state["file_contents"]


def test_upload_url_refuses_a_body_over_the_limit_at_once(slack):
    up = slack.bot.files_getUploadURLExternal(filename="x.bin", length=10)
    answer = _post(up["upload_url"], data=b"", headers={"Content-Length": str(2 * 1024 ** 3)})
    assert answer.status_code == 413 and "file_upload_size_restricted" in answer.text
    expect_error("file_not_found", slack.bot.files_completeUploadExternal, files=[{"id": up["file_id"]}])


def test_a_web_api_body_over_the_cap_is_refused_in_slacks_dialect(slack):
    base = slack.info["base_url"]
    answer = _post(base + "chat.postMessage", data=b"",
                   headers={"Authorization": f"Bearer {slack.info['bot_token']}", "Content-Length": "99999999999"})
    assert answer.status_code == 413
    assert answer.json() == {"ok": False, "error": "request_too_large"}


def test_upload_v2_shares_into_a_channel(slack, control, universe):
    general = slack.channel("general")
    resp = slack.bot.files_upload_v2(channel=general, filename="report.csv", content="a,b\n1,2\n",
                                     title="Weekly report", initial_comment="Here is the report")
    f = resp["file"]
    assert f["id"].startswith("F") and f["name"] == "report.csv" and f["title"] == "Weekly report"
    assert (f["mimetype"], f["filetype"], f["size"]) == ("text/csv", "csv", 8)
    message = slack.bot.conversations_history(channel=general, limit=1)["messages"][0]
    assert message["subtype"] == "file_share" and message["text"] == "Here is the report"
    assert [x["id"] for x in message["files"]] == [f["id"]]
    info = slack.bot.files_info(file=f["id"])["file"]
    assert info["channels"] == [general] and info["shares"]["public"][general][0]["ts"] == message["ts"]
    assert info["user"] == slack.bot_user
    # the bytes arrived and are kept in the universe state
    state = control.get(f"universes/{universe['id']}/state", params={"service": "slack"}).json()["slack"]
    assert state["file_contents"][f["id"]] == "YSxiCjEsMgo="


def test_upload_v2_several_files_and_threads(slack):
    general = slack.channel("general")
    parent = slack.bot.chat_postMessage(channel=general, text="logs please")["ts"]
    resp = slack.user.files_upload_v2(
        channel=general, thread_ts=parent,
        file_uploads=[{"filename": "a.log", "content": "one"}, {"filename": "b.png", "content": b"\x89PNG..."}],
    )
    assert len(resp["files"]) == 2
    assert [f["mimetype"] for f in resp["files"]] == ["text/plain", "image/png"]
    replies = slack.bot.conversations_replies(channel=general, ts=parent)["messages"]
    assert len(replies) == 2 and len(replies[1]["files"]) == 2 and replies[1]["user"] == slack.alice


def test_upload_without_channel_is_private_to_the_uploader(slack):
    f = slack.user.files_upload_v2(filename="notes.txt", content="private notes")["file"]
    assert slack.user.files_info(file=f["id"])["file"]["channels"] == []
    expect_error("file_not_found", slack.bot.files_info, file=f["id"])


def test_files_list_and_delete(slack):
    general = slack.channel("general")
    a = slack.bot.files_upload_v2(channel=general, filename="a.txt", content="a")["file"]["id"]
    b = slack.bot.files_upload_v2(channel=general, filename="b.pdf", content="%PDF")["file"]["id"]
    c = slack.user.files_upload_v2(channel=general, filename="c.png", content="img")["file"]["id"]
    listed = slack.bot.files_list(channel=general)
    assert {f["id"] for f in listed["files"]} == {a, b, c}
    assert listed["paging"]["total"] == 3
    assert [f["id"] for f in slack.bot.files_list(types="pdfs")["files"]] == [b]
    assert [f["id"] for f in slack.bot.files_list(types="images")["files"]] == [c]
    assert [f["id"] for f in slack.bot.files_list(user=slack.alice)["files"]] == [c]
    page = slack.bot.files_list(count=2, page=2)
    assert len(page["files"]) == 1 and page["paging"]["pages"] == 2
    expect_error("unknown_type", slack.bot.files_list, types="holograms")
    expect_error("cant_delete_file", slack.bot.files_delete, file=c)
    assert slack.bot.files_delete(file=a)["ok"]
    expect_error("file_deleted", slack.bot.files_info, file=a)
    expect_error("file_deleted", slack.bot.files_delete, file=a)
    assert {f["id"] for f in slack.bot.files_list()["files"]} == {b, c}
    expect_error("file_not_found", slack.bot.files_info, file="F0NOPE")


def test_complete_upload_errors(slack):
    expect_error("file_not_found", slack.bot.files_completeUploadExternal, files=[{"id": "F0NOPE", "title": "x"}])
    up = slack.bot.files_getUploadURLExternal(filename="x.txt", length=3)
    assert up["upload_url"].startswith(slack.info["base_url"].split("/api/")[0] + "/u/")
    assert "/upload/v1/" in up["upload_url"]
    # The bytes never arrived: there is no file to complete.
    expect_error("file_not_found", slack.bot.files_completeUploadExternal, files=[{"id": up["file_id"], "title": "x"}])
    assert _post(up["upload_url"], data=b"abc").text == "OK - 3"
    expect_error("channel_not_found", slack.bot.files_completeUploadExternal,
                 files=[{"id": up["file_id"], "title": "x"}], channel_id="C0NOPE")
    expect_error("not_in_channel", slack.user.files_upload_v2, channel=slack.channel("engineering"),
                 filename="x.txt", content="x")


def test_legacy_files_upload_is_deprecated(slack):
    with pytest.warns(UserWarning):
        expect_error("method_deprecated", slack.bot.files_upload, channels=slack.channel("general"),
                     content="old style", filename="old.txt")


async def test_async_upload_v2(slack):
    client = slack.async_client("bot")
    general = slack.channel("general")
    resp = await client.files_upload_v2(channel=general, filename="async.json", content='{"ok": true}')
    assert resp["file"]["filetype"] == "json" and resp["file"]["size"] == 12
    info = await client.files_info(file=resp["file"]["id"])
    assert info["file"]["channels"] == [general]
