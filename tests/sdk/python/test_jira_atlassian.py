"""atlassian-python-api 5.0 (`Jira(url, username, password, cloud=True)`): its
v2 calls, its v3 `search/jql`, project paging through absolute `nextPage` links,
status changes by target name with integer transition ids, worklogs, the
changelog, and the Agile API (boards, sprints through their life, backlog)."""

from __future__ import annotations

import pytest
from requests import HTTPError

from test_jira_support import atl, atlassian, raw, user_of  # noqa: F401  (atl is a fixture)


def test_projects_page_through_next_links(universe, atl):
    projects = atl.projects()
    assert [p["key"] for p in projects] == ["ENG", "HR", "OPS"]
    page = raw(universe, "GET", "/rest/api/2/project/search", params={"maxResults": 2}).json()
    assert page["isLast"] is False and page["nextPage"].startswith(universe["jira"]["base_url"] + "/rest/api/3/project/search?")
    assert atl.get_project("ENG")["lead"]["displayName"] == "Bob Baker"
    assert atl.myself()["emailAddress"] == "judy@acme.test"


def test_jql_goes_to_v3_search_jql_and_returns_adf(universe, atl):
    result = atl.jql("key = ENG-2")
    (issue,) = result["issues"]
    assert issue["fields"]["description"]["type"] == "doc"
    assert "nextPageToken" not in result
    listed = atl.enhanced_jql_get_list_of_tickets("project = OPS ORDER BY key", fields="summary")
    assert [i["key"] for i in listed] == ["OPS-1", "OPS-2", "OPS-3", "OPS-4"]
    with pytest.raises(ValueError):
        atl.jql("project = OPS", start=2)


def test_create_update_status_and_comment(universe, atl):
    created = atl.issue_create(fields={"project": {"key": "ENG"}, "issuetype": {"name": "Bug"},
                                       "summary": "Crash on login", "description": "Steps:\n\n# open\n# crash"})
    key = created["key"]
    assert key == "ENG-9" and created["self"].endswith("/rest/api/2/issue/" + created["id"])
    issue = atl.issue(key)
    assert issue["fields"]["description"] == "Steps:\n\n# open\n# crash"
    # issue_update puts notifyUsers inside the body; Jira accepts it.
    atl.issue_update(key, fields={"priority": {"name": "Highest"}}, notify_users=False)
    assert atl.issue(key)["fields"]["priority"]["name"] == "Highest"
    # set_issue_status matches the target status and posts an integer transition id.
    atl.set_issue_status(key, "Done", update={"comment": [{"add": {"body": "Fixed in 1.2"}}]})
    fields = atl.issue(key)["fields"]
    assert fields["status"]["name"] == "Done" and fields["resolution"]["name"] == "Done"
    assert fields["comment"]["comments"][-1]["body"] == "Fixed in 1.2"
    comment = atl.issue_add_comment(key, "and released")
    assert comment["body"] == "and released"
    assert atl.get_issue_status(key) == "Done"
    changelog = atl.get_issue_changelog(key)
    assert changelog["total"] >= 2 and changelog["isLast"] is True
    assert [i["toString"] for h in changelog["values"] for i in h["items"] if i["field"] == "status"] == ["Done"]
    atl.delete_issue(key)
    assert atl.issue_exists(key) is False


def test_errors_are_http_errors_with_jira_messages(universe, atl):
    with pytest.raises(HTTPError) as e:
        atl.issue("ENG-404")
    assert e.value.response.status_code == 404
    assert "Issue does not exist or you do not have permission to see it." in str(e.value)
    with pytest.raises(HTTPError) as e:
        atl.issue_create(fields={"project": {"key": "ENG"}, "issuetype": {"name": "Task"}, "summary": "   "})
    assert "You must specify a summary of the issue." in str(e.value)
    bad = atlassian(universe, token="ATATT-wrong")
    with pytest.raises(HTTPError) as e:
        bad.myself()
    assert e.value.response.status_code == 401
    assert e.value.response.headers["Content-Type"] == "application/json;charset=UTF-8"


def test_assign_watch_and_worklog(universe, atl):
    erin = user_of(universe, "erin@acme.test")["account_id"]
    atl.assign_issue("ENG-6", erin)
    assert atl.issue("ENG-6")["fields"]["assignee"]["accountId"] == erin
    found = atl.user_find_by_user_string(query="erin@acme.test")
    assert [u["accountId"] for u in found] == [erin]
    atl.issue_add_watcher("ENG-6", erin)
    assert erin in [w["accountId"] for w in atl.issue_get_watchers("ENG-6")["watchers"]]
    atl.issue_worklog("ENG-6", "2026-11-30T09:00:00.000+0000", 5400, "pairing")
    logs = atl.issue_get_worklog("ENG-6")
    assert logs["total"] == 1 and logs["worklogs"][0]["timeSpent"] == "1h 30m"
    assert logs["worklogs"][0]["comment"] == "pairing"
    fields = atl.issue("ENG-6")["fields"]
    assert fields["timespent"] == 5400 and fields["timetracking"]["timeSpentSeconds"] == 5400
    resp = raw(universe, "POST", "/rest/api/2/issue/ENG-6/worklog", json={"timeSpent": "soon"})
    assert resp.status_code == 400 and resp.json()["errors"]["timeLogged"]


def test_sprints_through_their_life(universe, atl):
    (board,) = [b for b in atl.get_all_agile_boards()["values"] if b["name"] == "ENG board"]
    assert board["type"] == "scrum" and board["location"]["projectKey"] == "ENG"
    sprints = atl.get_all_sprints_from_board(board["id"])["values"]
    assert [(s["name"], s["state"]) for s in sprints] == [
        ("ENG Sprint 1", "closed"), ("ENG Sprint 2", "active"), ("ENG Sprint 3", "future")]
    new = atl.create_sprint("ENG Sprint 4", board["id"], goal="Polish")
    assert new["state"] == "future" and new["originBoardId"] == board["id"]
    atl.add_issues_to_sprint(new["id"], ["ENG-6", "ENG-8"])
    in_sprint = atl.get_sprint_issues(new["id"], 0, 50)
    assert sorted(i["key"] for i in in_sprint["issues"]) == ["ENG-6", "ENG-8"]
    # Only one active sprint per board.
    with pytest.raises(HTTPError) as e:
        atl.update_partially_sprint(new["id"], {"state": "active", "endDate": "2027-01-01T00:00:00.000Z"})
    assert e.value.response.status_code == 400
    active = next(s for s in sprints if s["state"] == "active")
    closed = atl.update_partially_sprint(active["id"], {"state": "closed"})
    assert closed["state"] == "closed" and "completeDate" in closed
    started = atl.update_partially_sprint(new["id"], {"state": "active", "endDate": "2027-01-01T00:00:00.000Z"})
    assert started["state"] == "active" and started["startDate"]
    backlog = [i["key"] for i in atl.get_issues_for_backlog(board["id"])["issues"]]
    # ENG-2/3/4 were in the closed sprint and are not done: back in the backlog.
    assert {"ENG-2", "ENG-3", "ENG-4"} <= set(backlog) and "ENG-6" not in backlog
    atl.move_issues_to_backlog(["ENG-6"])
    assert "ENG-6" in [i["key"] for i in atl.get_issues_for_backlog(board["id"])["issues"]]
    sprint_field = atl.issue("ENG-8")["fields"]["customfield_10020"]
    assert [s["name"] for s in sprint_field] == ["ENG Sprint 4"]
    with pytest.raises(HTTPError) as e:
        atl.add_issues_to_sprint(active["id"], ["ENG-8"])
    assert "closed sprint" in str(e.value)
    with pytest.raises(HTTPError):
        atl.create_sprint("x" * 31, board["id"])


def test_jira_cloud_class_speaks_v3(universe):
    from atlassian.jira import JiraCloud

    site = universe["jira"]
    cloud = JiraCloud(site["base_url"], username=site["email"], password=site["api_token"])
    doc = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "v3 body"}]}]}
    created = cloud.create_issue(data={"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"},
                                                  "summary": "Via JiraCloud", "description": doc}})
    assert created["key"] == "OPS-5" and "/rest/api/3/issue/" in created["self"]
    issue = cloud.get_issue(created["key"])
    assert issue["fields"]["description"] == doc
    transitions = cloud.get_transitions(created["key"])["transitions"]
    done = next(t for t in transitions if t["to"]["name"] == "Done")
    cloud.do_transition(created["key"], data={"transition": {"id": done["id"]}})
    assert cloud.get_issue(created["key"])["fields"]["status"]["name"] == "Done"
    page = cloud.enhanced_jql("project = OPS AND statusCategory = Done ORDER BY key", limit=1)
    assert [i["key"] for i in page["issues"]] == ["OPS-3"] and page["nextPageToken"]
    rest = cloud.enhanced_jql("project = OPS AND statusCategory = Done ORDER BY key", nextPageToken=page["nextPageToken"], limit=1)
    assert [i["key"] for i in rest["issues"]] == ["OPS-5"] and "nextPageToken" not in rest
    with pytest.raises(HTTPError) as e:
        cloud.create_issue(data={"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"},
                                            "summary": "x", "description": "a string in v3"}})
    assert "Atlassian Document" in str(e.value)
