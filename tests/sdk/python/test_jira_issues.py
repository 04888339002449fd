"""Issues through pycontribs `jira` 3.10 (Cloud mode from serverInfo): credentials,
projects and permissions, create/get/edit/delete, transitions and the workflow,
comments, assignment, watchers, attachments, links and errors in Jira's dialect."""

from __future__ import annotations

import io

import pytest

from test_jira_support import JIRA, JIRAError, jira, pycontribs, raw, user_of  # noqa: F401  (jira is a fixture)

NOT_VISIBLE = "Issue does not exist or you do not have permission to see it."


def error_of(excinfo) -> tuple[int, dict]:
    err = excinfo.value
    return err.status_code, err.response.json()


# --- the site and credentials ------------------------------------------------


def test_server_info_is_anonymous_and_cloud(universe, jira):
    resp = raw(universe, "GET", "/rest/api/2/serverInfo", auth=None)
    assert resp.status_code == 200
    info = resp.json()
    assert info["deploymentType"] == "Cloud" and info["versionNumbers"][0] == 1001
    assert info["baseUrl"] == universe["jira"]["base_url"]
    assert resp.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert jira.server_info()["deploymentType"] == "Cloud"
    me = jira.myself()
    assert me["accountId"] == universe["jira"]["account_id"]
    assert me["emailAddress"] == universe["jira"]["email"] == "judy@acme.test"
    assert me["accountId"].startswith("712020:")


def test_credentials_basic_bearer_and_refusals(universe):
    site = universe["jira"]
    assert raw(universe, "GET", "/rest/api/3/myself", auth=None).status_code == 401
    bad = pycontribs(universe, token="ATATT-not-a-token")
    with pytest.raises(JIRAError) as e:
        bad.myself()
    status, body = error_of(e)
    assert status == 401 and body["errorMessages"] == ["Client must be authenticated to access this resource."]
    # Someone else's email with the admin's token.
    with pytest.raises(JIRAError) as e:
        pycontribs(universe, email="carol@acme.test").myself()
    assert e.value.status_code == 401
    # Bearer: the manifest's bearer token, sent by token_auth.
    bearer = JIRA(server=site["base_url"], token_auth=site["bearer_token"], max_retries=0)
    assert bearer.myself()["accountId"] == site["account_id"]
    # A deprovisioned person's token no longer works.
    victor = user_of(universe, "victor@acme.test")
    with pytest.raises(JIRAError) as e:
        pycontribs(universe, email="victor@acme.test", token=victor["api_token"]).myself()
    assert e.value.status_code == 401
    carol = user_of(universe, "carol@acme.test")
    assert pycontribs(universe, email="carol@acme.test", token=carol["api_token"]).myself()["displayName"] == "Carol Chen"


def test_projects_follow_group_permissions(universe, jira):
    assert [p.key for p in jira.projects()] == ["ENG", "HR", "OPS"]
    eng = jira.project("ENG")
    assert eng.name == "Engineering" and eng.lead.displayName == "Bob Baker"
    assert {t.name for t in eng.issueTypes} >= {"Task", "Bug", "Story", "Epic", "Subtask"}
    carol = pycontribs(universe, "carol@acme.test", user_of(universe, "carol@acme.test")["api_token"])
    assert [p.key for p in carol.projects()] == ["ENG", "OPS"]
    with pytest.raises(JIRAError) as e:
        carol.issue("HR-1")
    assert error_of(e) == (404, {"errorMessages": [NOT_VISIBLE], "errors": {}})
    with pytest.raises(JIRAError) as e:
        carol.project("HR")
    assert error_of(e)[1]["errorMessages"] == ["No project could be found with key 'HR'."]
    with pytest.raises(JIRAError) as e:
        jira.issue("ENG-999")
    assert error_of(e) == (404, {"errorMessages": [NOT_VISIBLE], "errors": {}})


def test_every_system_field_is_present(universe, jira):
    issue = jira.issue("ENG-4")
    f = issue.fields
    assert f.summary == "Checkout fails on Safari 17"
    assert f.assignee is None and f.resolution is None and f.resolutiondate is None and f.duedate is None
    assert f.environment is None and f.security is None and f.lastViewed is None
    assert f.priority.name == "High" and f.status.name == "To Do" and f.status.statusCategory.key == "new"
    assert f.reporter.displayName == "Grace Garcia" and f.issuetype.name == "Bug" and f.project.key == "ENG"
    assert f.labels == ["checkout", "frontend"] and [c.name for c in f.components] == ["Web"]
    assert f.description == "The pay button does nothing on Safari 17."
    assert f.customfield_10020[0].name == "ENG Sprint 2"
    assert issue.self.endswith("/rest/api/2/issue/" + issue.id)
    body = raw(universe, "GET", "/rest/api/3/issue/ENG-4").json()
    for name in ["timespent", "fixVersions", "versions", "workratio", "watches", "votes", "progress", "subtasks",
                 "issuelinks", "attachment", "comment", "worklog", "timetracking", "creator", "updated", "created"]:
        assert name in body["fields"], name
    assert body["fields"]["description"]["type"] == "doc"  # v3 renders ADF


def test_create_by_names_and_errors(universe, jira):
    created = jira.create_issue(project="OPS", summary="Badge for the new hire", issuetype={"name": "Task"},
                                description="Needs *floor 2* access", labels=["onboarding"])
    assert created.key == "OPS-5"
    assert created.fields.status.name == "To Do" and created.fields.reporter.emailAddress == "judy@acme.test"
    assert created.fields.description == "Needs *floor 2* access"
    adf = raw(universe, "GET", f"/rest/api/3/issue/{created.key}").json()["fields"]["description"]
    assert adf["content"][0]["content"][1] == {"type": "text", "text": "floor 2", "marks": [{"type": "strong"}]}
    by_ids = jira.create_issue(fields={"project": {"id": jira.project("ENG").id}, "issuetype": {"id": "10002"},
                                       "summary": "By ids", "priority": {"name": "Low"}})
    assert by_ids.fields.issuetype.name == "Bug" and by_ids.fields.priority.name == "Low"
    cases = [
        ({"project": {"key": "ENG"}, "issuetype": {"name": "Task"}}, "summary", "You must specify a summary of the issue."),
        ({"project": {"key": "NOPE"}, "issuetype": {"name": "Task"}, "summary": "x"}, "project", "Specify a valid project ID or key"),
        ({"project": {"key": "ENG"}, "issuetype": {"name": "Gizmo"}, "summary": "x"}, "issuetype", "Specify a valid issue type"),
        ({"project": {"key": "ENG"}, "issuetype": {"name": "Task"}, "summary": "x", "resolution": {"name": "Done"}},
         "resolution", "Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown."),
        ({"project": {"key": "ENG"}, "issuetype": {"name": "Task"}, "summary": "x", "description": {"type": "doc"}},
         "description", "Operation value must be a string"),
        ({"project": {"key": "ENG"}, "issuetype": {"name": "Task"}, "summary": "x", "labels": ["has space"]},
         "labels", "The label 'has space' contains spaces which is invalid."),
    ]
    for fields, field, message in cases:
        with pytest.raises(JIRAError) as e:
            jira.create_issue(fields=fields, prefetch=False)
        status, body = error_of(e)
        assert status == 400 and body["errors"][field] == message, body
        assert body["errorMessages"] == []
    # Nothing was created by the failures: the next key follows OPS-5 and ENG-9.
    assert jira.create_issue(project="ENG", summary="After errors", issuetype={"name": "Task"}).key == "ENG-10"


def test_keys_are_never_reused(universe, jira):
    first = jira.create_issue(project="HR", summary="Temp", issuetype={"name": "Task"})
    assert first.key == "HR-4"
    first.delete()
    with pytest.raises(JIRAError) as e:
        jira.issue("HR-4")
    assert e.value.status_code == 404
    assert jira.create_issue(project="HR", summary="Next", issuetype={"name": "Task"}).key == "HR-5"


def test_delete_refuses_an_issue_with_subtasks(universe, jira):
    parent = jira.create_issue(project="ENG", summary="Parent", issuetype={"name": "Task"})
    sub = jira.create_issue(project="ENG", summary="Child", issuetype={"name": "Subtask"}, parent={"key": parent.key})
    assert [s.key for s in jira.issue(parent.key).fields.subtasks] == [sub.key]
    resp = raw(universe, "DELETE", f"/rest/api/2/issue/{parent.key}")
    assert resp.status_code == 400 and "subtasks" in resp.json()["errorMessages"][0]
    assert raw(universe, "DELETE", f"/rest/api/2/issue/{parent.key}?deleteSubtasks=true").status_code == 204
    assert raw(universe, "GET", f"/rest/api/2/issue/{sub.key}").status_code == 404


def test_edit_with_fields_and_update_verbs(universe, jira):
    issue = jira.issue("ENG-3")
    issue.update(fields={"summary": "Upgrade to Postgres 17.2", "labels": ["infra", "db"], "duedate": "2027-02-01"})
    issue = jira.issue("ENG-3")
    assert issue.fields.summary == "Upgrade to Postgres 17.2" and issue.fields.labels == ["infra", "db"]
    assert issue.fields.duedate == "2027-02-01"
    resp = raw(universe, "PUT", "/rest/api/2/issue/ENG-3",
               json={"update": {"labels": [{"add": "urgent"}, {"remove": "infra"}], "comment": [{"add": {"body": "bumped"}}]}})
    assert resp.status_code == 204 and resp.text == ""
    issue = jira.issue("ENG-3")
    assert issue.fields.labels == ["db", "urgent"]
    assert issue.fields.comment.comments[-1].body == "bumped"
    # pycontribs turns list keyword arguments into raw update lists: Jira refuses them.
    with pytest.raises(JIRAError) as e:
        issue.update(labels=["x"])
    assert e.value.status_code == 400 and "labels" in e.value.response.json()["errors"]
    resp = raw(universe, "PUT", "/rest/api/2/issue/ENG-3",
               json={"fields": {"labels": ["a"]}, "update": {"labels": [{"add": "b"}]}})
    assert resp.status_code == 400 and "labels" in resp.json()["errors"]
    resp = raw(universe, "PUT", "/rest/api/2/issue/ENG-3", data="{not json", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json()["errorMessages"]
    # returnIssue answers 200 with the issue.
    resp = raw(universe, "PUT", "/rest/api/2/issue/ENG-3?returnIssue=true", json={"fields": {"summary": "Upgrade"}})
    assert resp.status_code == 200 and resp.json()["fields"]["summary"] == "Upgrade"
    changes = [i["field"] for h in raw(universe, "GET", "/rest/api/3/issue/ENG-3/changelog").json()["values"] for i in h["items"]]
    assert {"summary", "labels", "duedate"} <= set(changes)


def test_transitions_follow_the_workflow(universe, jira):
    issue = jira.create_issue(project="ENG", summary="Workflow", issuetype={"name": "Task"})
    names = [t["name"] for t in jira.transitions(issue)]
    assert names == ["In Progress", "Done"]
    jira.transition_issue(issue, "in progress", comment="Starting now")
    issue = jira.issue(issue.key)
    assert issue.fields.status.name == "In Progress" and issue.fields.status.statusCategory.key == "indeterminate"
    assert issue.fields.comment.comments[-1].body == "Starting now"
    assert [t["name"] for t in jira.transitions(issue)] == ["To Do", "Done"]
    jira.transition_issue(issue, "Done", fields={"resolution": {"name": "Won't Do"}})
    issue = jira.issue(issue.key)
    assert issue.fields.status.name == "Done" and issue.fields.resolution.name == "Won't Do"
    assert issue.fields.resolutiondate is not None
    with pytest.raises(JIRAError) as e:
        jira.transition_issue(issue, "999")
    assert error_of(e) == (400, {"errorMessages": ["Transition id '999' is not valid for this issue."], "errors": {}})
    jira.transition_issue(issue, "To Do")
    issue = jira.issue(issue.key)
    assert issue.fields.resolution is None and issue.fields.resolutiondate is None
    fields = raw(universe, "GET", f"/rest/api/2/issue/{issue.key}/transitions?expand=transitions.fields").json()
    done = next(t for t in fields["transitions"] if t["name"] == "Done")
    assert done["hasScreen"] and {v["name"] for v in done["fields"]["resolution"]["allowedValues"]} >= {"Done", "Won't Do"}
    history = jira.issue(issue.key, expand="changelog").changelog.histories
    statuses = [(i.fromString, i.toString) for h in history for i in h.items if i.field == "status"]
    assert statuses == [("To Do", "In Progress"), ("In Progress", "Done"), ("Done", "To Do")]


def test_comments(universe, jira):
    c = jira.add_comment("ENG-5", "Design is *ready*")
    assert c.body == "Design is *ready*" and c.author.displayName == "Judy Jensen"
    v3 = raw(universe, "GET", f"/rest/api/3/issue/ENG-5/comment/{c.id}").json()
    assert v3["body"]["type"] == "doc"
    assert [x.id for x in jira.comments("ENG-5")][-1] == c.id
    c.update(body="Design is done")
    assert jira.comment("ENG-5", c.id).body == "Design is done"
    page = raw(universe, "GET", "/rest/api/2/issue/ENG-2/comment?maxResults=1&startAt=1").json()
    assert page["total"] == 2 and page["startAt"] == 1 and len(page["comments"]) == 1
    c.delete()
    with pytest.raises(JIRAError) as e:
        jira.comment("ENG-5", c.id)
    assert e.value.status_code == 404
    resp = raw(universe, "POST", "/rest/api/3/issue/ENG-5/comment", json={"body": "plain text in v3"})
    assert resp.status_code == 400
    assert resp.json()["errors"]["comment"].startswith("Operation value must be an Atlassian Document")


def test_assign_by_search_term_and_account_id(universe, jira):
    assert jira.assign_issue("ENG-4", "carol@acme.test")
    assert jira.issue("ENG-4").fields.assignee.emailAddress == "carol@acme.test"
    dave = user_of(universe, "dave@acme.test")["account_id"]
    assert jira.assign_issue("ENG-4", dave)
    assert jira.issue("ENG-4").fields.assignee.accountId == dave
    assert jira.assign_issue("ENG-4", None)
    assert jira.issue("ENG-4").fields.assignee is None
    frank = user_of(universe, "frank@acme.test")["account_id"]
    resp = raw(universe, "PUT", "/rest/api/3/issue/ENG-4/assignee", json={"accountId": frank})
    assert resp.status_code == 400 and "cannot be assigned" in resp.json()["errors"]["assignee"]
    resp = raw(universe, "PUT", "/rest/api/3/issue/ENG-4/assignee", json={"accountId": "712020:nobody"})
    assert resp.status_code == 400 and resp.json()["errors"]["assignee"]
    users = jira.search_users(query="car")
    assert [u.displayName for u in users] == ["Carol Chen"]


def test_watchers(universe, jira):
    carol = user_of(universe, "carol@acme.test")["account_id"]
    assert jira.watchers("OPS-4").watchCount == 2  # the reporter and Carol, from the fixture
    jira.add_watcher("OPS-4", "kevin@acme.test")
    names = sorted(w.displayName for w in jira.watchers("OPS-4").watchers)
    assert names == ["Carol Chen", "Dave Diaz", "Kevin Kowalski"]
    jira.remove_watcher("OPS-4", carol)
    assert jira.watchers("OPS-4").watchCount == 2
    frank = user_of(universe, "frank@acme.test")["account_id"]
    resp = raw(universe, "POST", "/rest/api/2/issue/OPS-4/watchers", json=frank)
    assert resp.status_code == 400


def test_attachments_both_ways(universe, jira):
    att = jira.add_attachment("ENG-2", io.BytesIO(b"trace\x00bytes"), filename="trace.log")
    assert att.filename == "trace.log" and att.size == 11
    assert jira.attachment(att.id).get() == b"trace\x00bytes"
    assert [a.filename for a in jira.issue("ENG-2").fields.attachment] == ["trace.log"]
    resp = raw(universe, "POST", "/rest/api/3/issue/ENG-2/attachments", files={"file": ("x.txt", b"x")})
    assert resp.status_code == 403 and resp.json()["errorMessages"] == ["XSRF check failed"]
    jira.delete_attachment(att.id)
    assert jira.issue("ENG-2").fields.attachment == []


def test_issue_links(universe, jira):
    types = {t.name: t for t in jira.issue_link_types()}
    assert (types["Blocks"].inward, types["Blocks"].outward) == ("is blocked by", "blocks")
    # The fixture's "ENG-2 blocks ENG-4", seen from both sides.
    eng2 = {(l.type.name, getattr(l, "outwardIssue", None) and l.outwardIssue.key) for l in jira.issue("ENG-2").fields.issuelinks}
    assert ("Blocks", "ENG-4") in eng2
    eng4 = jira.issue("ENG-4").fields.issuelinks
    assert [(l.type.name, l.inwardIssue.key) for l in eng4] == [("Blocks", "ENG-2")]
    resp = jira.create_issue_link("Relates", "ENG-5", "ENG-6")
    assert resp.status_code == 201
    link = next(l for l in jira.issue("ENG-5").fields.issuelinks if l.type.name == "Relates")
    jira.delete_issue_link(link.id)
    assert all(l.type.name != "Relates" for l in jira.issue("ENG-5").fields.issuelinks)
    with pytest.raises(JIRAError) as e:
        jira.create_issue_link("Nope", "ENG-5", "ENG-6")
    assert e.value.status_code == 404


def test_createmeta_and_fields(universe, jira):
    meta = jira.createmeta(projectKeys="ENG", expand="projects.issuetypes.fields")
    (project,) = meta["projects"]
    task = next(t for t in project["issuetypes"] if t["name"] == "Task")
    assert task["fields"]["summary"]["required"] and task["fields"]["priority"]["hasDefaultValue"]
    fields = {f["id"]: f for f in jira.fields()}
    assert fields["customfield_10020"]["name"] == "Sprint" and fields["customfield_10020"]["schema"]["customId"] == 10020
    assert "type" in fields["issuetype"]["clauseNames"]
    paged = raw(universe, "GET", "/rest/api/3/issue/createmeta/ENG/issuetypes").json()
    assert paged["total"] == 5 and len(paged["issueTypes"]) == 5


def test_legacy_search_is_gone(universe):
    resp = raw(universe, "GET", "/rest/api/2/search?jql=project%3DENG")
    assert resp.status_code == 410
    assert resp.json()["errorMessages"][0].startswith("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.")


def test_bulk_create_with_per_element_errors(universe, jira):
    results = jira.create_issues([
        {"project": {"key": "OPS"}, "summary": "Bulk one", "issuetype": {"name": "Task"}},
        {"project": {"key": "OPS"}, "summary": "", "issuetype": {"name": "Task"}},
        {"project": {"key": "OPS"}, "summary": "Bulk three", "issuetype": {"name": "Bug"}},
    ])
    assert [r["status"] for r in results] == ["Success", "Error", "Success"]
    assert [r["issue"].key for r in results if r["issue"]] == ["OPS-5", "OPS-6"]
    assert "summary" in str(results[1]["error"])
    too_many = raw(universe, "POST", "/rest/api/2/issue/bulk", json={"issueUpdates": [{"fields": {}}] * 51})
    assert too_many.status_code == 400


def test_validate_and_visibility_rules_on_create(universe):
    site = universe["jira"]
    assert JIRA(server=site["base_url"], basic_auth=(site["email"], site["api_token"]), validate=True).myself()
    carol = pycontribs(universe, "carol@acme.test", user_of(universe, "carol@acme.test")["api_token"])
    with pytest.raises(JIRAError) as e:
        carol.create_issue(fields={"project": {"key": "HR"}, "issuetype": {"name": "Task"}, "summary": "x"}, prefetch=False)
    assert e.value.status_code == 400 and e.value.response.json()["errors"]["project"]
    assignable = raw(universe, "GET", "/rest/api/3/user/assignable/search", params={"project": "HR"}).json()
    assert sorted(u["displayName"] for u in assignable) == [
        "Alice Anders", "Hannah Hughes", "Judy Jensen", "Kevin Kowalski", "Laura Lopez", "Olivia Okafor"]


def test_remote_links_votes_notify_versions_and_group_members(universe, jira):
    link = jira.add_simple_link("ENG-2", {"url": "https://status.acme.test/inc/101", "title": "INC-101"})
    assert link.id
    links = jira.remote_links("ENG-2")
    assert [(l.object.url, l.object.title) for l in links] == [("https://status.acme.test/inc/101", "INC-101")]
    again = raw(universe, "POST", "/rest/api/3/issue/ENG-2/remotelink",
                json={"globalId": "inc-101", "object": {"url": "https://x.test", "title": "t"}})
    assert again.status_code == 201
    same = raw(universe, "POST", "/rest/api/3/issue/ENG-2/remotelink",
               json={"globalId": "inc-101", "object": {"url": "https://y.test", "title": "t2"}})
    assert same.status_code == 200 and same.json()["id"] == again.json()["id"]
    bad = raw(universe, "POST", "/rest/api/3/issue/ENG-2/remotelink", json={"object": {}})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"url", "title"}
    assert raw(universe, "DELETE", "/rest/api/3/issue/ENG-2/remotelink?globalId=inc-101").status_code == 204
    assert len(jira.remote_links("ENG-2")) == 1
    jira.add_vote("ENG-2")
    votes = jira.votes("ENG-2")
    assert votes.votes == 1 and votes.hasVoted
    assert jira.issue("ENG-2").fields.votes.votes == 1
    jira.remove_vote("ENG-2")
    assert jira.votes("ENG-2").votes == 0
    assert raw(universe, "POST", "/rest/api/3/issue/ENG-2/notify", json={"subject": "s", "textBody": "b"}).status_code == 204
    assert jira.project_versions("ENG") == []
    members = raw(universe, "GET", "/rest/api/3/group/member", params={"groupname": "On-call"}).json()
    assert sorted(u["displayName"] for u in members["values"]) == ["Carol Chen", "Dave Diaz", "Erin Evans"]
    assert raw(universe, "GET", "/rest/api/3/group/member", params={"groupname": "Nope"}).status_code == 404
