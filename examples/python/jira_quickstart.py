"""Quickstart: pycontribs `jira` (3.10) and atlassian-python-api (5.x) against DTU,
unchanged but for the site URL.

Run `dtu serve` first. The credentials come from the control plane: export
DTU_ADMIN_TOKEN (the admin_token `dtu serve` printed).
"""
import json
import os
import urllib.request

from atlassian import Jira
from jira import JIRA, JIRAError

control = os.environ.get("DTU_CONTROL_URL", "http://127.0.0.1:8700/_dtu/")
site = json.load(urllib.request.urlopen(urllib.request.Request(
    control + "universes/default", headers={"Authorization": "Bearer " + os.environ["DTU_ADMIN_TOKEN"]})))["jira"]

jira = JIRA(server=site["base_url"], basic_auth=(site["email"], site["api_token"]))
open_issues = jira.search_issues("project = ENG AND status != Done ORDER BY priority DESC", maxResults=False)
print("connected to", site["base_url"], "-", len(open_issues), "open ENG issues")
for issue in open_issues:
    print(" ", issue.key, issue.fields.status.name, "-", issue.fields.summary)

# atlassian-python-api, Cloud mode: the same site, the same state.
atl = Jira(url=site["base_url"], username=site["email"], password=site["api_token"], cloud=True)
print("boards:", [b["name"] for b in atl.get_all_agile_boards()["values"]])

try:
    jira.issue("ENG-404")
except JIRAError as e:
    print("as on Jira:", e.status_code, e.text)
