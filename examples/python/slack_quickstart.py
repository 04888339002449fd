"""Quickstart: the official slack_sdk against DTU, unchanged but for base_url.

Run `dtu serve` first. The credentials come from the control plane, so nothing is
copied by hand: export DTU_ADMIN_TOKEN (the admin_token `dtu serve` printed, or start
the server with DTU_ADMIN_TOKEN set) and DTU_CONTROL_URL when not on the default port.
"""
import json
import os
import urllib.request

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

control = os.environ.get("DTU_CONTROL_URL", "http://127.0.0.1:8700/_dtu/")
universe = json.load(urllib.request.urlopen(urllib.request.Request(
    control + "universes/default", headers={"Authorization": "Bearer " + os.environ["DTU_ADMIN_TOKEN"]})))
slack = universe["slack"]

client = WebClient(token=slack["bot_token"], base_url=slack["base_url"])
print("connected to", client.auth_test()["team"])

general = next(c for c in client.conversations_list()["channels"] if c["name"] == "general")
posted = client.chat_postMessage(channel=general["id"], text="Hello from DTU")
print("posted", posted["ts"], "in #general")

try:
    client.conversations_history(channel="C0NOSUCHCHAN")
except SlackApiError as e:
    print("as on Slack:", e.response["error"])
