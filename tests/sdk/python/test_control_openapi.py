"""Every control-plane endpoint, its real requests and responses validated against
openapi/dtu-control.yaml with openapi-core: the document describes what the server does."""

from __future__ import annotations

import json

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_schema_validator import OAS30Validator

from conftest import REPO_ROOT


def load_document() -> dict:
    return yaml.safe_load((REPO_ROOT / "openapi" / "dtu-control.yaml").read_text())


@pytest.fixture(scope="module")
def spec(dtu) -> OpenAPI:
    document = load_document()
    document["servers"] = [{"url": dtu.control_url.rstrip("/")}]
    return OpenAPI.from_dict(document)


@pytest.fixture(scope="module")
def call(dtu, spec):
    session = requests.Session()
    session.trust_env = False
    session.headers["Authorization"] = f"Bearer {dtu.admin_token}"

    def do(method: str, path: str, body=None, expect: int = 200) -> requests.Response:
        response = session.request(method, dtu.control_url + path, json=body, timeout=30)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        openapi_request = RequestsOpenAPIRequest(response.request)
        if expect < 400:
            # A request the server accepted must be one the document allows; the error
            # cases below send invalid requests on purpose.
            spec.validate_request(openapi_request)
        spec.validate_response(openapi_request, RequestsOpenAPIResponse(response))
        return response

    return do


def test_served_document_is_the_repository_one(dtu) -> None:
    served = requests.get(dtu.control_url + "openapi.yaml", timeout=10)
    assert served.status_code == 200
    assert served.text == (REPO_ROOT / "openapi" / "dtu-control.yaml").read_text()


def test_every_endpoint_matches_the_document(call) -> None:
    call("GET", "health")
    call("GET", "info")
    call("GET", "metrics")
    u = call("POST", "universes", {"id": "oas"}, expect=201).json()
    call("GET", "universes")
    call("GET", "universes/oas")
    call("POST", "universes", {"from": "oas", "id": "oas-fork"}, expect=201)
    call("POST", "universes/oas/snapshots", {"name": "s1"}, expect=201)
    call("GET", "universes/oas/snapshots")
    call("POST", "universes", {"from": "oas", "snapshot": "s1", "id": "oas-snap"}, expect=201)
    call("POST", "universes/oas/snapshots/s1/restore")
    call("POST", "universes/oas/reset")
    exported = call("GET", "universes/oas/export").json()
    call("PUT", "universes/oas-fork/import", exported)
    call("GET", "universes/oas/state")
    call("GET", "universes/oas/state?service=slack")
    call("GET", "universes/oas/diff?since=s1")
    call("GET", "universes/oas/clock")
    call("PUT", "universes/oas/clock", {"now": "2030-01-01T00:00:00Z", "frozen": True})
    call("POST", "universes/oas/clock/advance", {"seconds": 60})
    rule = {"match": {"service": "slack", "operation": "chat.postMessage"}, "trigger": {"first_n": 1},
            "action": {"kind": "rate_limit", "retry_after_s": 1}, "limits": {"times": 1}}
    created = call("POST", "universes/oas/chaos/rules", rule, expect=201).json()
    call("GET", "universes/oas/chaos/rules")
    call("DELETE", f"universes/oas/chaos/rules/{created['id']}", expect=204)
    call("DELETE", "universes/oas/chaos/rules", expect=204)
    glob = call("POST", "chaos/rules", {"match": {"service": "slack", "operation": "no.such"},
                                        "action": {"kind": "latency", "uniform": {"min_ms": 1, "max_ms": 2}}}, expect=201).json()
    call("GET", "chaos/rules")
    call("DELETE", f"chaos/rules/{glob['id']}", expect=204)
    call("DELETE", "chaos/rules", expect=204)
    # a twin request, so the journal has an entry to show
    requests.post(u["slack"]["base_url"] + "auth.test", headers={"Authorization": "Bearer " + u["slack"]["bot_token"]}, timeout=10)
    journal = call("GET", "universes/oas/journal")
    lines = [json.loads(line) for line in journal.text.splitlines()]
    assert lines and lines[-1]["operation"] == "auth.test"
    entry_doc = load_document()["components"]["schemas"]["JournalEntry"]
    entry_schema = OAS30Validator(entry_doc)
    for line in lines:
        entry_schema.validate(line)
        assert set(line) <= set(entry_doc["properties"]), f"undocumented fields: {set(line) - set(entry_doc['properties'])}"
    # The answer's body is journaled, as the document describes it.
    answered = lines[-1]["response"]
    assert answered["content_type"].startswith("application/json") and '"ok":true' in answered["body"], answered
    assert answered["size"] == len(answered["body"].encode()) and answered["truncated"] is False
    bare = [json.loads(line) for line in call("GET", "universes/oas/journal?response_bodies=false").text.splitlines()]
    assert bare and all("response" not in e for e in bare)
    for name in ("oas", "oas-fork", "oas-snap"):
        call("DELETE", f"universes/{name}", expect=204)


def test_errors_match_the_document(call) -> None:
    call("GET", "universes/nope", expect=404)
    call("POST", "universes", {"fixture": "/etc/passwd"}, expect=400)
    call("POST", "universes/default/snapshots", {"name": "initial"}, expect=409)
    call("POST", "universes/default/snapshots/none/restore", expect=404)
    call("POST", "universes/default/chaos/rules", {"action": {"kind": "nope"}}, expect=400)
    call("DELETE", "chaos/rules/nope", expect=404)
    # What the document says the server refuses: unknown fields, a taken rule id, an
    # export without what import needs.
    call("PUT", "universes/default/clock", {"now": "2030-01-01T00:00:00Z", "speed": 2}, expect=400)
    call("POST", "universes/default/clock/advance", {"seconds": 1, "unit": "h"}, expect=400)
    call("POST", "universes/default/snapshots", {"name": "s", "keep": True}, expect=400)
    call("POST", "universes/default/chaos/rules", {"action": {"kind": "reset"}, "colour": "red"}, expect=400)
    rule = {"id": "dup", "action": {"kind": "latency", "fixed_ms": 1}, "match": {"operation": "no.such"}}
    call("POST", "universes/default/chaos/rules", rule, expect=201)
    call("POST", "universes/default/chaos/rules", rule, expect=409)
    call("DELETE", "universes/default/chaos/rules/dup", expect=204)
    exported = call("GET", "universes/default/export").json()
    frozen_without_time = dict(exported, clock={"mode": "frozen"})
    call("PUT", "universes/default/import", frozen_without_time, expect=400)
    without_seed = dict(exported, ids={"counter": 1})
    call("PUT", "universes/default/import", without_seed, expect=400)


def test_refusals_match_the_document(dtu, spec) -> None:
    """401 for no token, a wrong one or a twin credential; 403 cross-site."""
    session = requests.Session()
    session.trust_env = False
    bot = dtu.manifest["slack"]["bot_token"]
    cases = [
        ("GET", "universes", {}, 401),
        ("GET", "universes/default/export", {"Authorization": f"Bearer {bot}"}, 401),
        ("POST", "universes/default/reset", {"Authorization": "Bearer not-the-admin-token"}, 401),
        ("GET", "info", {"Authorization": f"Bearer {dtu.admin_token}", "Origin": "http://evil.test"}, 403),
    ]
    for method, path, headers, expect in cases:
        response = session.request(method, dtu.control_url + path, headers=headers, timeout=10)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        assert response.json()["error"]["code"] == ("unauthorized" if expect == 401 else "forbidden")
        spec.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))
    assert session.get(dtu.control_url + "health", timeout=10).status_code == 200
