"""Quickstart: installing a Slack app with OAuth against DTU, with slack_sdk unchanged.

The twin's authorize page is headless: opening it answers at once with a redirect to your
redirect_uri carrying the `code`, as if the workspace's admin had approved. Run `dtu serve`
first and export DTU_ADMIN_TOKEN (and DTU_CONTROL_URL when not on the default port).
"""
import json
import os
import urllib.error
import urllib.parse
import urllib.request

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth import AuthorizeUrlGenerator

control = os.environ.get("DTU_CONTROL_URL", "http://127.0.0.1:8700/_dtu/")
universe = json.load(urllib.request.urlopen(urllib.request.Request(
    control + "universes/default", headers={"Authorization": "Bearer " + os.environ["DTU_ADMIN_TOKEN"]})))
slack = universe["slack"]
redirect_uri = "http://localhost:3000/slack/oauth_redirect"

# 1. The URL your "Add to Slack" button links to, on the twin's authorize page.
url = AuthorizeUrlGenerator(client_id=slack["client_id"], scopes=["channels:read", "chat:write"],
                            redirect_uri=redirect_uri, authorization_url=slack["oauth_authorize_url"]).generate(state="xyz")


# 2. What the browser does: follow it to the redirect, which carries the code.
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


try:
    urllib.request.build_opener(NoRedirect).open(url)
except urllib.error.HTTPError as redirect:
    location = redirect.headers["Location"]
code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["code"][0]

# 3. What your redirect handler does: exchange the code for the workspace's tokens.
installed = WebClient(base_url=slack["base_url"]).oauth_v2_access(
    client_id=slack["client_id"], client_secret=slack["client_secret"], code=code, redirect_uri=redirect_uri)
bot = WebClient(token=installed["access_token"], base_url=slack["base_url"])
print("connected to", bot.auth_test()["team"], "with scopes", installed["scope"])

try:
    bot.users_list()  # users:read was not asked for
except SlackApiError as e:
    print("as on Slack:", e.response["error"], "needed", e.response["needed"])
