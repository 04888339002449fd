"""JQL and `search/jql` through pycontribs `jira` and plain HTTP: token pagination
to the end (no token on the last page), the query language's operators and
functions on the universe clock, ordering, and Jira's parse errors."""

from __future__ import annotations

import pytest

from test_jira_support import JIRAError, jira, pycontribs, raw, user_of  # noqa: F401  (jira is a fixture)


def keys(jira, jql: str) -> list[str]:
    return [i.key for i in jira.search_issues(jql, maxResults=False, fields="summary")]


def test_pages_follow_the_token_to_the_end(universe, jira):
    for n in range(7):
        jira.create_issue(project="OPS", summary=f"Bulk {n}", issuetype={"name": "Task"}, prefetch=False)
    everything = keys(jira, "project = OPS ORDER BY key ASC")
    assert everything == [f"OPS-{n}" for n in range(1, 12)]
    seen, token, pages = [], None, 0
    while True:
        params = {"jql": "project = OPS ORDER BY key ASC", "maxResults": 4, "fields": "summary"}
        if token:
            params["nextPageToken"] = token
        page = raw(universe, "GET", "/rest/api/3/search/jql", params=params).json()
        pages += 1
        seen += [i["key"] for i in page["issues"]]
        assert "total" not in page
        if "nextPageToken" not in page:
            assert page["isLast"] is True
            break
        assert page["isLast"] is False
        token = page["nextPageToken"]
    assert pages == 3 and seen == everything
    post = raw(universe, "POST", "/rest/api/3/search/jql",
               json={"jql": "project = OPS", "maxResults": 2, "fields": ["summary", "status"], "expand": None,
                     "properties": None, "reconcileIssues": []}).json()
    assert len(post["issues"]) == 2 and set(post["issues"][0]["fields"]) == {"summary", "status"}
    assert raw(universe, "POST", "/rest/api/3/search/approximate-count", json={"jql": "project = OPS"}).json() == {"count": 11}
    bad = raw(universe, "GET", "/rest/api/3/search/jql", params={"jql": "project = OPS", "nextPageToken": "bogus"})
    assert bad.status_code == 400


def test_default_fields_are_only_the_id(universe):
    page = raw(universe, "GET", "/rest/api/3/search/jql", params={"jql": "key = ENG-1"}).json()
    (issue,) = page["issues"]
    assert issue["id"] and issue["key"] == "ENG-1" and "fields" not in issue


@pytest.mark.parametrize(
    "jql,expected",
    [
        ("project = ENG AND status != Done ORDER BY key", ["ENG-2", "ENG-3", "ENG-4", "ENG-5", "ENG-6", "ENG-7", "ENG-8"]),
        ("project in (OPS, HR) AND statusCategory = Done ORDER BY key", ["HR-3", "OPS-3"]),
        ("assignee = currentUser() ORDER BY key", []),
        ("assignee = kevin@acme.test ORDER BY key", ["OPS-1", "OPS-2", "OPS-3"]),
        ("project = ENG AND assignee IS EMPTY ORDER BY key", ["ENG-4", "ENG-6"]),
        ("labels in (checkout) ORDER BY key DESC", ["ENG-4", "ENG-1"]),
        ("labels not in (checkout, infra) AND project = ENG AND labels is not empty ORDER BY key", ["ENG-2", "ENG-6"]),
        ("text ~ safari", ["ENG-4"]),
        ('summary ~ "payment*" ORDER BY key', ["ENG-2", "ENG-5", "ENG-6", "ENG-7"]),
        ('comment ~ "regression test"', ["ENG-2"]),
        ("project = ENG AND priority >= High ORDER BY priority DESC, key ASC", ["ENG-2", "ENG-1", "ENG-4", "ENG-7"]),
        ("sprint in openSprints() ORDER BY key", ["ENG-2", "ENG-3", "ENG-4"]),
        ("sprint in futureSprints()", ["ENG-5"]),
        ('sprint = "ENG Sprint 1"', ["ENG-1"]),
        ("assignee in membersOf(\"On-call\") AND project = ENG ORDER BY key", ["ENG-1", "ENG-2", "ENG-3", "ENG-5"]),
        ("resolution = Unresolved AND project = HR ORDER BY key", ["HR-1", "HR-2"]),
        ("duedate < 2027-01-01", ["OPS-2"]),
        # ENG-4 was made 5d before the universe's fixture was seeded: an hour's margin
        # keeps it in when the test's universe is a fork of one seeded earlier.
        ("created >= -121h ORDER BY created ASC", ["ENG-4", "ENG-5", "ENG-6", "OPS-4", "HR-2"]),
        ("NOT project = ENG AND (reporter = judy@acme.test OR reporter = olivia@acme.test) ORDER BY key", ["HR-2", "HR-3", "OPS-2"]),
        ("key = ENG-2 OR issuekey = OPS-1 ORDER BY key", ["ENG-2", "OPS-1"]),
        ("issuetype = Bug ORDER BY key", ["ENG-2", "ENG-4", "OPS-3"]),
        ('"Story point estimate" >= 5 ORDER BY key', ["ENG-1", "ENG-3", "ENG-5"]),
    ],
)
def test_jql(universe, jira, jql, expected):
    got = keys(jira, jql)
    if "ORDER BY" in jql.upper():
        assert got == expected, jql
    else:
        assert sorted(got) == sorted(expected), jql


def test_created_order_and_relative_dates_use_the_universe_clock(universe, jira, control):
    recent = keys(jira, "created >= -5d ORDER BY created ASC")
    assert recent and all(k in {"ENG-4", "ENG-5", "ENG-6", "OPS-4", "HR-2"} for k in recent)
    resp = control.post(f"universes/{universe['id']}/clock/advance", json={"seconds": 30 * 86400})
    assert resp.status_code == 200, resp.text
    assert keys(jira, "created >= -5d") == []
    new = jira.create_issue(project="ENG", summary="After the jump", issuetype={"name": "Task"})
    assert keys(jira, "created >= startOfDay()") == [new.key]
    assert keys(jira, "updated > -1h") == [new.key]


def test_current_user_is_the_caller(universe):
    carol = user_of(universe, "carol@acme.test")
    client = pycontribs(universe, "carol@acme.test", carol["api_token"])
    assert keys(client, "assignee = currentUser() ORDER BY key") == ["ENG-1"]
    # Carol cannot browse HR: its issues never appear.
    assert keys(client, "project = OPS OR project = ENG") and not [k for k in keys(client, "reporter = judy@acme.test") if k.startswith("HR")]


@pytest.mark.parametrize(
    "jql,message",
    [
        ("project ENG", "Error in the JQL Query: Expecting operator but got 'ENG'."),
        ("(project = ENG", "Error in the JQL Query: Expecting ')' before the end of the query."),
        ("project = ENG status = Done", "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'status'."),
        ("nosuchfield = 1", "Field 'nosuchfield' does not exist or you do not have permission to view it."),
        ("project = XINET", "The value 'XINET' does not exist for the field 'project'."),
        ("status = Borked", "The value 'Borked' does not exist for the field 'status'."),
        ("summary = foo", "The operator '=' is not supported by the 'summary' field."),
        ("ORDER BY created DESC", "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."),
        ("", "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."),
        ("created > yesterday", "Date value 'yesterday' for field 'created' is invalid."),
    ],
)
def test_jql_errors(universe, jira, jql, message):
    resp = raw(universe, "GET", "/rest/api/3/search/jql", params={"jql": jql})
    assert resp.status_code == 400
    body = resp.json()
    assert body["errors"] == {} and body["errorMessages"][0].startswith(message), body
    with pytest.raises(JIRAError) as e:
        jira.search_issues(jql) if jql else jira.search_issues("ORDER BY key")
    assert e.value.status_code == 400


def test_jql_parse_and_picker(universe, jira):
    parsed = raw(universe, "POST", "/rest/api/3/jql/parse",
                 json={"queries": ["project = ENG ORDER BY key DESC", "project ="]}).json()["queries"]
    assert parsed[0]["structure"]["where"]["field"]["name"] == "project"
    assert parsed[0]["structure"]["orderBy"]["fields"][0]["direction"] == "desc"
    assert parsed[1]["errors"][0].startswith("Error in the JQL Query")
    picked = raw(universe, "GET", "/rest/api/3/issue/picker", params={"query": "safari"}).json()
    assert [i["key"] for s in picked["sections"] for i in s["issues"]] == ["ENG-4"]


def test_was_and_changed_read_the_history(universe, jira):
    assert keys(jira, 'project = ENG AND status WAS "In Progress" ORDER BY key') == ["ENG-2", "ENG-7"]
    assert keys(jira, "project = ENG AND status CHANGED ORDER BY key") == ["ENG-1", "ENG-2", "ENG-7"]
    assert len(keys(jira, 'project = ENG AND status WAS "To Do"')) == 8
    jira.transition_issue("ENG-3", "In Progress")
    jira.transition_issue("ENG-3", "Done")
    assert keys(jira, 'project = ENG AND status WAS "In Progress" ORDER BY key') == ["ENG-2", "ENG-3", "ENG-7"]
    assert keys(jira, 'status CHANGED FROM "In Progress" TO Done BY currentUser()') == ["ENG-3"]
    assert keys(jira, "status CHANGED AFTER -1h") == ["ENG-3"]
    assert keys(jira, 'project = ENG AND status WAS NOT IN ("In Progress", Done) ORDER BY key') == [
        "ENG-4", "ENG-5", "ENG-6", "ENG-8"]
    assert keys(jira, "project = ENG AND assignee WAS EMPTY ORDER BY key") == ["ENG-4", "ENG-6"]
    resp = raw(universe, "GET", "/rest/api/3/search/jql", params={"jql": "summary WAS foo"})
    assert resp.status_code == 400 and "History searches do not support" in resp.json()["errorMessages"][0]


def test_search_expands_names_and_schema(universe):
    page = raw(universe, "GET", "/rest/api/3/search/jql",
               params={"jql": "key = ENG-1", "fields": "summary,status", "expand": "names,schema"}).json()
    assert page["names"] == {"summary": "Summary", "status": "Status"}
    assert page["schema"]["status"] == {"type": "status", "system": "status"}
