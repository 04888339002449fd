"""Shared helpers for the Jira conformance tests (no tests here): clients of both
Python libraries for a universe's Jira site, and plain HTTP calls for what the
libraries hide."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from atlassian import Jira as AtlassianJira
from jira import JIRA, JIRAError

__all__ = ["JIRA", "JIRAError", "AtlassianJira", "pycontribs", "atlassian", "raw", "user_of", "jira", "atl"]


def pycontribs(universe: dict[str, Any], email: str | None = None, token: str | None = None, **kw: Any) -> JIRA:
    """pycontribs `jira` with basic auth (the manifest's account unless named)."""
    site = universe["jira"]
    return JIRA(
        server=site["base_url"],
        basic_auth=(email or site["email"], token or site["api_token"]),
        max_retries=kw.pop("max_retries", 0),
        **kw,
    )


def atlassian(universe: dict[str, Any], email: str | None = None, token: str | None = None) -> AtlassianJira:
    site = universe["jira"]
    return AtlassianJira(
        url=site["base_url"], username=email or site["email"], password=token or site["api_token"], cloud=True
    )


def user_of(universe: dict[str, Any], email: str) -> dict[str, str]:
    """The account id and API token of a fixture person."""
    return universe["jira"]["users"][email]


def raw(universe: dict[str, Any], method: str, path: str, auth: Any = "default", **kwargs: Any) -> requests.Response:
    """A plain HTTP call to the site (basic auth as the manifest's account by default)."""
    site = universe["jira"]
    session = requests.Session()
    session.trust_env = False
    if auth == "default":
        auth = (site["email"], site["api_token"])
    try:
        return session.request(method, site["base_url"] + path, auth=auth, timeout=10, **kwargs)
    finally:
        session.close()


@pytest.fixture
def jira(universe: dict[str, Any]) -> JIRA:
    return pycontribs(universe)


@pytest.fixture
def atl(universe: dict[str, Any]) -> AtlassianJira:
    return atlassian(universe)
