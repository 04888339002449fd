"""The vendor's OpenAPI documents as a second oracle: responses of the operations
the suites use are validated against their response schemas in
`shared/vendor/jira/platform.v3.json` and `software.json` (OpenAPI 3.0 schemas,
`nullable` turned into JSON Schema). Where the vendor says
`additionalProperties: false` (IssueBean, …) an extra member fails the test."""

from __future__ import annotations

import copy
import functools
import io
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from conftest import REPO_ROOT
from test_jira_support import jira, raw, user_of  # noqa: F401  (jira is a fixture)

VENDOR = Path(REPO_ROOT).parent / "shared" / "vendor" / "jira"


def _convert(node: Any) -> Any:
    """OpenAPI 3.0 → JSON Schema: `nullable: true` admits null."""
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _convert(v) for k, v in node.items() if k not in ("example", "examples", "xml", "discriminator")}
    # `additionalProperties: false` beside a composition and no `properties` means, read as
    # JSON Schema, "no members at all", which is not what the document intends.
    if out.get("additionalProperties") is False and "properties" not in out and any(
        k in out for k in ("anyOf", "oneOf", "allOf")
    ):
        del out["additionalProperties"]
    if out.pop("nullable", False):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@functools.cache
def spec(name: str) -> dict:
    path = VENDOR / name
    if not path.is_file():
        pytest.fail(f"vendor OpenAPI document missing: {path}", pytrace=False)
    return json.loads(path.read_text())


@functools.cache
def components(name: str) -> dict:
    return _convert(spec(name)["components"])


def validate(name: str, method: str, template: str, status: int, body: Any) -> None:
    operation = spec(name)["paths"][template][method.lower()]
    response = operation["responses"][str(status)]
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        # The vendor documents no body for this answer: only JSON is checked.
        return
    root = {**_convert(copy.deepcopy(schema)), "components": components(name)}
    errors = sorted(Draft4Validator(root).iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{method} {template}: " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message[:200]}" for e in errors[:5]
    )


def check(universe, name: str, method: str, template: str, path: str, status: int = 200, **kwargs: Any) -> Any:
    resp = raw(universe, method, path, **kwargs)
    assert resp.status_code == status, f"{method} {path}: {resp.status_code} {resp.text[:300]}"
    body = resp.json()
    validate(name, method, template, status, body)
    return body


P = "platform.v3.json"
S = "software.json"


@pytest.mark.parametrize("version", ["2", "3"])
def test_platform_reads_match_the_vendor_schemas(universe, version):
    v = f"/rest/api/{version}"
    t = "/rest/api/3"
    check(universe, P, "GET", f"{t}/serverInfo", f"{v}/serverInfo")
    check(universe, P, "GET", f"{t}/myself", f"{v}/myself?expand=groups")
    check(universe, P, "GET", f"{t}/field", f"{v}/field")
    check(universe, P, "GET", f"{t}/priority/search", f"{v}/priority/search")
    check(universe, P, "GET", f"{t}/priority/{{id}}", f"{v}/priority/2")
    check(universe, P, "GET", f"{t}/resolution/{{id}}", f"{v}/resolution/10000")
    check(universe, P, "GET", f"{t}/status", f"{v}/status")
    check(universe, P, "GET", f"{t}/statuscategory", f"{v}/statuscategory")
    check(universe, P, "GET", f"{t}/issuetype", f"{v}/issuetype")
    check(universe, P, "GET", f"{t}/issueLinkType", f"{v}/issueLinkType")
    check(universe, P, "GET", f"{t}/label", f"{v}/label")
    check(universe, P, "GET", f"{t}/user/search", f"{v}/user/search?query=car")
    account = user_of(universe, "carol@acme.test")["account_id"]
    check(universe, P, "GET", f"{t}/user", f"{v}/user?accountId={account}")
    check(universe, P, "GET", f"{t}/user/assignable/search", f"{v}/user/assignable/search?project=ENG")
    check(universe, P, "GET", f"{t}/project/search", f"{v}/project/search?maxResults=2")
    check(universe, P, "GET", f"{t}/project/{{projectIdOrKey}}", f"{v}/project/ENG?expand=issueTypes,lead")
    check(universe, P, "GET", f"{t}/project/{{projectIdOrKey}}/statuses", f"{v}/project/ENG/statuses")
    check(universe, P, "GET", f"{t}/project/{{projectIdOrKey}}/components", f"{v}/project/ENG/components")
    for expand in ["", "?expand=renderedFields,names,schema,transitions,changelog,editmeta,operations"]:
        check(universe, P, "GET", f"{t}/issue/{{issueIdOrKey}}", f"{v}/issue/ENG-2{expand}")
    check(universe, P, "GET", f"{t}/issue/{{issueIdOrKey}}/transitions", f"{v}/issue/ENG-2/transitions?expand=transitions.fields")
    check(universe, P, "GET", f"{t}/issue/{{issueIdOrKey}}/comment", f"{v}/issue/ENG-2/comment")
    check(universe, P, "GET", f"{t}/issue/{{issueIdOrKey}}/changelog", f"{v}/issue/ENG-1/changelog")
    check(universe, P, "GET", f"{t}/issue/{{issueIdOrKey}}/watchers", f"{v}/issue/ENG-2/watchers")
    check(universe, P, "GET", f"{t}/issue/{{issueIdOrKey}}/editmeta", f"{v}/issue/ENG-2/editmeta")
    check(universe, P, "GET", f"{t}/issue/createmeta/{{projectIdOrKey}}/issuetypes", f"{v}/issue/createmeta/ENG/issuetypes")
    check(universe, P, "GET", f"{t}/issue/createmeta/{{projectIdOrKey}}/issuetypes/{{issueTypeId}}",
          f"{v}/issue/createmeta/ENG/issuetypes/10001")
    check(universe, P, "GET", f"{t}/issue/picker", f"{v}/issue/picker?query=pay")
    check(universe, P, "GET", f"{t}/search/jql", f"{v}/search/jql?jql=project%3DENG&fields=*all&maxResults=3")
    check(universe, P, "POST", f"{t}/search/jql", f"{v}/search/jql", json={"jql": "project = OPS", "fields": ["*navigable"]})
    check(universe, P, "POST", f"{t}/search/approximate-count", f"{v}/search/approximate-count", json={"jql": "project = OPS"})
    check(universe, P, "POST", f"{t}/jql/parse", f"{v}/jql/parse", json={"queries": ["project = ENG ORDER BY key"]})
    check(universe, P, "POST", f"{t}/changelog/bulkfetch", f"{v}/changelog/bulkfetch", json={"issueIdsOrKeys": ["ENG-1"]})


def test_platform_writes_match_the_vendor_schemas(universe):
    t = "/rest/api/3"
    created = check(universe, P, "POST", f"{t}/issue", f"{t}/issue", status=201,
                    json={"fields": {"project": {"key": "ENG"}, "issuetype": {"name": "Task"}, "summary": "Schema"}})
    key = created["key"]
    doc = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hi"}]}]}
    comment = check(universe, P, "POST", f"{t}/issue/{{issueIdOrKey}}/comment", f"{t}/issue/{key}/comment", status=201,
                    json={"body": doc})
    check(universe, P, "PUT", f"{t}/issue/{{issueIdOrKey}}/comment/{{id}}", f"{t}/issue/{key}/comment/{comment['id']}",
          json={"body": doc})
    check(universe, P, "POST", f"{t}/issue/{{issueIdOrKey}}/worklog", f"{t}/issue/{key}/worklog", status=201,
          json={"timeSpent": "2h", "comment": doc})
    check(universe, P, "GET", f"{t}/issue/{{issueIdOrKey}}/worklog", f"{t}/issue/{key}/worklog")
    files = {"file": ("a.txt", io.BytesIO(b"abc"), "text/plain")}
    attached = check(universe, P, "POST", f"{t}/issue/{{issueIdOrKey}}/attachments", f"{t}/issue/{key}/attachments",
                     files=files, headers={"X-Atlassian-Token": "no-check"})
    check(universe, P, "GET", f"{t}/attachment/{{id}}", f"{t}/attachment/{attached[0]['id']}")
    bulk = check(universe, P, "POST", f"{t}/issue/bulk", f"{t}/issue/bulk", status=201, json={"issueUpdates": [
        {"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "One"}},
        {"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}}},
    ]})
    assert len(bulk["issues"]) == 1 and bulk["errors"][0]["failedElementNumber"] == 1
    assert bulk["errors"][0]["elementErrors"]["errors"]["summary"] == "You must specify a summary of the issue."
    check(universe, P, "PUT", f"{t}/issue/{{issueIdOrKey}}", f"{t}/issue/{key}?returnIssue=true",
          json={"fields": {"summary": "Schema 2"}})


def test_errors_match_the_error_collection(universe):
    root = {"$ref": "#/components/schemas/ErrorCollection", "components": components(P)}
    for method, path, status in [
        ("GET", "/rest/api/3/issue/ENG-999", 404),
        ("GET", "/rest/api/3/search/jql?jql=foo%20%3D%201", 400),
        ("GET", "/rest/api/3/search?jql=project%3DENG", 410),
        ("POST", "/rest/api/3/issue", 400),
        ("PATCH", "/rest/api/3/issue/ENG-1", 405),
        ("GET", "/rest/api/3/no/such/thing", 404),
    ]:
        resp = raw(universe, method, path, json={})
        assert resp.status_code == status, (path, resp.status_code)
        body = resp.json()
        assert not list(Draft4Validator(root).iter_errors(body)), body
        assert set(body) == {"errorMessages", "errors"}


def test_agile_matches_the_vendor_schemas(universe):
    a = "/rest/agile/1.0"
    boards = check(universe, S, "GET", f"{a}/board", f"{a}/board")
    board = boards["values"][0]["id"]
    check(universe, S, "GET", f"{a}/board/{{boardId}}", f"{a}/board/{board}")
    check(universe, S, "GET", f"{a}/board/{{boardId}}/configuration", f"{a}/board/{board}/configuration")
    check(universe, S, "GET", f"{a}/board/{{boardId}}/sprint", f"{a}/board/{board}/sprint")
    sprint = check(universe, S, "POST", f"{a}/sprint", f"{a}/sprint", status=201,
                   json={"name": "Schema sprint", "originBoardId": board, "goal": "g"})
    check(universe, S, "GET", f"{a}/sprint/{{sprintId}}", f"{a}/sprint/{sprint['id']}")
    check(universe, S, "POST", f"{a}/sprint/{{sprintId}}", f"{a}/sprint/{sprint['id']}", json={"goal": "h"})


def test_smaller_resources_match_the_vendor_schemas(universe):
    t = "/rest/api/3"
    made = check(universe, P, "POST", f"{t}/issue/{{issueIdOrKey}}/remotelink", f"{t}/issue/ENG-2/remotelink", status=201,
                 json={"globalId": "g1", "relationship": "mentioned in",
                       "object": {"url": "https://wiki.acme.test/x", "title": "Postmortem"}})
    # The document types this answer as one RemoteIssueLink; Jira (and every client) answers a
    # list of them, so each element is checked.
    listed = raw(universe, "GET", f"{t}/issue/ENG-2/remotelink").json()
    assert isinstance(listed, list) and len(listed) == 1
    item = {"$ref": "#/components/schemas/RemoteIssueLink", "components": components(P)}
    for link in listed:
        assert not list(Draft4Validator(item).iter_errors(link)), link
    check(universe, P, "GET", f"{t}/issue/{{issueIdOrKey}}/remotelink/{{linkId}}", f"{t}/issue/ENG-2/remotelink/{made['id']}")
    assert raw(universe, "POST", f"{t}/issue/ENG-4/votes").status_code == 204
    check(universe, P, "GET", f"{t}/issue/{{issueIdOrKey}}/votes", f"{t}/issue/ENG-4/votes")
    check(universe, P, "GET", f"{t}/group/member", f"{t}/group/member?groupname=Engineering")
    check(universe, P, "GET", f"{t}/project/{{projectIdOrKey}}/versions", f"{t}/project/ENG/versions")
